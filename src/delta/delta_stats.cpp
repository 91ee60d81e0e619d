#include "delta/delta_stats.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/json_writer.h"
#include "core/time_zone.h"
#include "core/timestamp.h"

namespace pixguard::delta {
namespace {

using parquet::ColumnSchema;
using parquet::LogicalKind;
using parquet::PhysicalType;
using parquet::Value;

enum class Bound : unsigned char { kMin, kMax };

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// floor(a / b) and ceil(a / b) for b > 0, without overflow.
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0 && a < 0) ? 1 : 0); }
int64_t ceil_div(int64_t a, int64_t b) { return a / b + ((a % b != 0 && a > 0) ? 1 : 0); }

// A timestamp of `units_per_milli` units per millisecond, rounded to the millisecond.
void timestamp(int64_t v, int64_t units_per_milli, Bound bound, std::string* out) {
  const int64_t millis = bound == Bound::kMin ? floor_div(v, units_per_milli) : ceil_div(v, units_per_milli);
  // format_timestamp_utc takes micros: clamp to what fits (years far beyond any real data).
  constexpr int64_t kLimit = std::numeric_limits<int64_t>::max() / 1000;
  const int64_t clamped = millis > kLimit ? kLimit : millis < -kLimit ? -kLimit : millis;
  char buf[40];
  const int n = format_timestamp_utc(clamped * 1000, buf);
  JsonWriter(out).string(std::string_view(buf, static_cast<std::size_t>(n)));
}

void date(int64_t days, std::string* out) {
  int64_t year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, &year, &month, &day);
  char buf[32];
  const int n = year >= 0 && year <= 9999
                    ? std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(year), month, day)
                    : std::snprintf(buf, sizeof buf, "%+lld-%02u-%02u", static_cast<long long>(year), month, day);
  JsonWriter(out).string(std::string_view(buf, static_cast<std::size_t>(n)));
}

// An unscaled decimal as a JSON number with `scale` digits after the point: 1250, 2 -> 12.50.
void decimal(int64_t unscaled, int scale, std::string* out) {
  const bool negative = unscaled < 0;
  // Magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64.
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(unscaled) : static_cast<uint64_t>(unscaled);
  std::string digits = std::to_string(magnitude);
  if (scale > 0) {
    const auto s = static_cast<std::size_t>(scale);
    if (digits.size() <= s) digits.insert(0, s + 1 - digits.size(), '0');
    digits.insert(digits.size() - s, 1, '.');
  }
  if (negative) out->push_back('-');
  out->append(digits);
}

template <typename F>
void shortest(F v, std::string* out) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<std::size_t>(r.ptr - buf));  // "0.5", "5", "1e+20": all JSON numbers
}

// Appends `"name":bound` to *out (with a leading comma unless first) when the column's type
// has a Delta stats form and the value can be written exactly enough; returns whether it did.
bool append_bound(const ColumnSchema& c, const Value& v, Bound bound, bool first, std::string* out) {
  std::string text;
  switch (c.physical) {
    case PhysicalType::kBoolean:
    case PhysicalType::kFixedLenByteArray:
      return false;
    case PhysicalType::kInt32: {
      const auto* x = std::get_if<int32_t>(&v);
      if (x == nullptr) return false;
      if (c.logical == LogicalKind::kDate) {
        date(*x, &text);
      } else if (c.logical == LogicalKind::kDecimal) {
        decimal(*x, c.scale, &text);
      } else if (c.logical == LogicalKind::kNone) {
        text = std::to_string(*x);
      } else {
        return false;
      }
      break;
    }
    case PhysicalType::kInt64:
    case PhysicalType::kInt96: {
      const auto* x = std::get_if<int64_t>(&v);
      if (x == nullptr) return false;
      if (c.physical == PhysicalType::kInt96 || c.logical == LogicalKind::kTimestampMicros) {
        timestamp(*x, 1000, bound, &text);
      } else if (c.logical == LogicalKind::kTimestampMillis) {
        timestamp(*x, 1, bound, &text);
      } else if (c.logical == LogicalKind::kTimestampNanos) {
        timestamp(*x, 1000000, bound, &text);
      } else if (c.logical == LogicalKind::kDecimal) {
        decimal(*x, c.scale, &text);
      } else if (c.logical == LogicalKind::kNone) {
        text = std::to_string(*x);
      } else {
        return false;
      }
      break;
    }
    case PhysicalType::kFloat: {
      const auto* x = std::get_if<float>(&v);
      if (x == nullptr || !std::isfinite(*x)) return false;
      shortest(*x, &text);
      break;
    }
    case PhysicalType::kDouble: {
      const auto* x = std::get_if<double>(&v);
      if (x == nullptr || !std::isfinite(*x)) return false;
      shortest(*x, &text);
      break;
    }
    case PhysicalType::kByteArray: {
      const auto* x = std::get_if<std::string>(&v);
      if (x == nullptr || c.logical != LogicalKind::kString) return false;
      if (x->size() > kMaxStatsStringBytes || !valid_utf8(*x)) return false;
      JsonWriter(&text).string(*x);
      break;
    }
  }
  if (!first) out->push_back(',');
  JsonWriter(out).key(c.name);
  out->append(text);
  return true;
}

void append_bounds(const std::vector<ColumnSchema>& columns, const parquet::FileSummary& summary, Bound bound,
                   std::string* out) {
  out->push_back('{');
  bool first = true;
  const std::size_t n = std::min(columns.size(), summary.columns.size());
  for (std::size_t i = 0; i < n; ++i) {
    const parquet::ColumnStats& s = summary.columns[i];
    const Value& v = bound == Bound::kMin ? s.min : s.max;
    if (std::holds_alternative<std::monostate>(v) || columns[i].personal) continue;
    if (append_bound(columns[i], v, bound, first, out)) first = false;
  }
  out->push_back('}');
}

}  // namespace

std::string file_stats_json(const std::vector<ColumnSchema>& columns, const parquet::FileSummary& summary) {
  std::string out = "{\"numRecords\":" + std::to_string(summary.rows) + ",\"minValues\":";
  append_bounds(columns, summary, Bound::kMin, &out);
  out += ",\"maxValues\":";
  append_bounds(columns, summary, Bound::kMax, &out);
  out += ",\"nullCount\":{";
  const std::size_t n = std::min(columns.size(), summary.columns.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out.push_back(',');
    JsonWriter(&out).key(columns[i].name);
    out += std::to_string(summary.columns[i].null_count);
  }
  out += "}}";
  return out;
}

int64_t stats_num_records(const std::string& stats) {
  if (stats.empty()) return -1;
  const nlohmann::json doc = nlohmann::json::parse(stats, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return -1;
  const auto n = doc.find("numRecords");
  if (n == doc.end() || !n->is_number_integer()) return -1;
  const auto v = n->get<int64_t>();
  return v >= 0 ? v : -1;
}

}  // namespace pixguard::delta
