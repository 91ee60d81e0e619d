#include "train/training_table.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <unordered_map>

#include "core/csv_record_reader.h"
#include "core/timestamp.h"

namespace pixguard {
namespace {

// Heterogeneous lookup: the payer dictionary is probed with views into the line buffer, so
// that a known account costs no allocation.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

std::string quoted(std::string_view v) {
  constexpr std::size_t kMax = 40;  // keep messages one line long
  std::string s = "'";
  s.append(v.substr(0, kMax));
  if (v.size() > kMax) s.append("...");
  s.push_back('\'');
  return s;
}

// A feature cell: shortest round-trip decimal text of a double (or empty = missing). Parsed
// as double, then narrowed to float exactly as the scorer narrows its double features.
bool parse_feature(std::string_view text, float* out) {
  // "null" is how the table sink writes an infinite feature (JsonWriter::number): XGBoost
  // has no use for infinities, so it is read as missing.
  if (text.empty() || text == "null") {
    *out = std::numeric_limits<float>::quiet_NaN();
    return true;
  }
  double v = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || std::isinf(v)) return false;
  *out = static_cast<float>(v);
  return true;
}

std::string join_header(const std::vector<std::string>& header) {
  std::string s;
  for (const std::string& h : header) {
    if (!s.empty()) s.append(", ");
    s.append(h);
  }
  return s;
}

}  // namespace

std::vector<std::string> payers_with_fraud(const TrainingTable& table) {
  std::vector<std::string> out;
  std::vector<bool> seen(table.payer_accounts.size(), false);
  for (std::size_t i = 0; i < table.rows(); ++i) {
    if (table.labels[i] > 0.5f && !seen[table.payer[i]]) {
      seen[table.payer[i]] = true;
      out.push_back(table.payer_accounts[table.payer[i]]);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void drop_payers(const std::vector<std::string>& accounts, TrainingTable* t) {
  std::vector<bool> drop(t->payer_accounts.size(), false);
  for (std::size_t p = 0; p < t->payer_accounts.size(); ++p) {
    drop[p] = std::binary_search(accounts.begin(), accounts.end(), t->payer_accounts[p]);
  }
  const std::size_t cols = t->columns();
  std::size_t kept = 0;
  for (std::size_t i = 0; i < t->rows(); ++i) {
    if (drop[t->payer[i]]) continue;
    if (kept != i) {
      std::copy_n(t->features.begin() + static_cast<std::ptrdiff_t>(i * cols), cols,
                  t->features.begin() + static_cast<std::ptrdiff_t>(kept * cols));
      t->labels[kept] = t->labels[i];
      t->event_time_us[kept] = t->event_time_us[i];
      t->payer[kept] = t->payer[i];
    }
    ++kept;
  }
  t->rows_known_compromised += t->rows() - kept;
  t->features.resize(kept * cols);
  t->labels.resize(kept);
  t->event_time_us.resize(kept);
  t->payer.resize(kept);
}

std::size_t TrainingTable::frauds() const {
  std::size_t n = 0;
  for (const float l : labels) n += l > 0.5f ? 1 : 0;
  return n;
}

Status parse_time_bound(std::string_view text, const TimeZone& zone, std::string_view flag, int64_t* micros) {
  const std::string prefix = std::string(flag) + ": ";
  // A bare date: YYYY-MM-DD, local midnight in `zone`.
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    auto number = [&](std::size_t pos, std::size_t len, unsigned* v) {
      const auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, *v);
      return ec == std::errc() && ptr == text.data() + pos + len;
    };
    unsigned year = 0, month = 0, day = 0;
    if (!number(0, 4, &year) || !number(5, 2, &month) || !number(8, 2, &day)) {
      return Status::InvalidArgument(prefix + "expected a date YYYY-MM-DD or an RFC 3339 time, got " + quoted(text));
    }
    const int64_t days = days_from_civil(year, month, day);
    int64_t y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(days, &y, &m, &d);
    if (month < 1 || month > 12 || y != year || m != month || d != day || year < 1970 || year > 2199) {
      return Status::InvalidArgument(prefix + "no such date " + quoted(text));
    }
    *micros = zone.local_to_utc(days * 86400) * 1'000'000;
    return Status::Ok();
  }
  int64_t t = 0;
  const TimestampError e = parse_timestamp(text, TimestampFormat::kRfc3339, zone, &t);
  if (e != TimestampError::kOk) {
    return Status::InvalidArgument(prefix + "expected a date YYYY-MM-DD or an RFC 3339 time with offset "
                                   "(2025-11-27T00:00:00-03:00), got " + quoted(text) + " (" +
                                   std::string(timestamp_error_name(e)) + ")");
  }
  *micros = t;
  return Status::Ok();
}

Status read_training_table(const std::string& path, const TrainingTableOptions& options, TrainingTable* out) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return Status::IoError(path + ": " + std::strerror(errno));
  CsvRecordReader reader(file.get());

  std::vector<std::string> fields;
  std::size_t line = 0;
  if (!reader.next(&fields, &line)) {
    if (reader.read_errno() != 0) return Status::IoError(path + ": " + std::strerror(reader.read_errno()));
    return Status::InvalidArgument(path + ": empty file (expected the header of a `pixguard replay` CSV table)");
  }
  const std::vector<std::string> header = fields;
  auto column_of = [&](const std::string& name, std::size_t* index) -> Status {
    std::size_t found = header.size();
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] != name) continue;
      if (found != header.size()) {
        return Status::InvalidArgument(path + ":1: column " + quoted(name) + " appears twice in the header");
      }
      found = i;
    }
    if (found == header.size()) {
      return Status::InvalidArgument(path + ":1: no column " + quoted(name) + " in the header (it has: " +
                                     join_header(header) + ")");
    }
    *index = found;
    return Status::Ok();
  };
  std::size_t time_col = 0, payer_col = 0, label_col = 0;
  if (Status s = column_of("event_time", &time_col); !s.ok()) return s;
  if (Status s = column_of("payer_account", &payer_col); !s.ok()) return s;
  if (Status s = column_of("label", &label_col); !s.ok()) return s;
  std::vector<std::size_t> feature_cols(options.feature_names.size());
  for (std::size_t f = 0; f < feature_cols.size(); ++f) {
    if (Status s = column_of(options.feature_names[f], &feature_cols[f]); !s.ok()) return s;
  }

  TrainingTable t;
  t.feature_names = options.feature_names;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> payer_ids;
  const std::size_t ncol = feature_cols.size();
  const TimeZone utc;  // event_time carries its offset; the zone is never consulted
  while (reader.next(&fields, &line)) {
    // Built only for a message: most rows never need it.
    auto where = [&] { return path + ":" + std::to_string(line) + ": "; };
    if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line (e.g. at the end)
    if (fields.size() != header.size()) {
      return Status::InvalidArgument(where() + std::to_string(fields.size()) + " cells, the header has " +
                                     std::to_string(header.size()));
    }
    ++t.rows_read;
    auto bad = [&](std::size_t col, const std::string& what) {
      return Status::InvalidArgument(where() + "column " + quoted(header[col]) + " (" + std::to_string(col + 1) +
                                     "): " + what + ", got " + quoted(fields[col]));
    };
    int64_t time = 0;
    if (const TimestampError e = parse_timestamp(fields[time_col], TimestampFormat::kRfc3339, utc, &time);
        e != TimestampError::kOk) {
      return bad(time_col, "expected an RFC 3339 time (" + std::string(timestamp_error_name(e)) + ")");
    }
    const std::string& label = fields[label_col];
    if (!label.empty() && label != "0" && label != "1") return bad(label_col, "expected 0, 1 or empty");
    if (!options.window.contains(time)) {
      ++t.rows_outside_window;
      continue;
    }
    if (label.empty()) {
      ++t.rows_unlabelled;
      continue;
    }
    const std::size_t base = t.features.size();
    t.features.resize(base + ncol);
    for (std::size_t f = 0; f < ncol; ++f) {
      if (!parse_feature(fields[feature_cols[f]], &t.features[base + f])) {
        return bad(feature_cols[f], "expected a number or empty (missing)");
      }
    }
    t.labels.push_back(label == "1" ? 1.0f : 0.0f);
    t.event_time_us.push_back(time);
    const std::string& account = fields[payer_col];
    auto it = payer_ids.find(std::string_view(account));
    if (it == payer_ids.end()) {
      it = payer_ids.emplace(account, static_cast<uint32_t>(t.payer_accounts.size())).first;
      t.payer_accounts.push_back(account);
    }
    t.payer.push_back(it->second);
  }
  if (reader.unterminated()) {
    return Status::InvalidArgument(path + ":" + std::to_string(line) + ": a quoted cell is never closed");
  }
  if (reader.read_errno() != 0) return Status::IoError(path + ": " + std::strerror(reader.read_errno()));
  *out = std::move(t);
  return Status::Ok();
}

}  // namespace pixguard
