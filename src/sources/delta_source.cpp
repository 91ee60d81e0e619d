#include "sources/delta_source.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>

#include "core/json_writer.h"
#include "core/timestamp.h"
#include "delta/delta_log.h"
#include "delta/delta_path.h"
#include "parquet/parquet_reader.h"

namespace pixguard {
namespace {

using parquet::ColumnData;
using parquet::LeafColumn;
using parquet::LogicalKind;
using parquet::ParquetReader;
using parquet::PhysicalType;

enum class Want : unsigned char { kText, kTime, kDecimal, kLabel };

struct InputColumn {
  const char* name;
  Want want;
};

// The decision table's input columns (sinks/decision_table.h), in the order they are written
// into the message. Indexes into this array name the columns below.
constexpr std::array<InputColumn, 17> kColumns = {{
    {"end_to_end_id", Want::kText},
    {"event_time", Want::kTime},
    {"amount", Want::kDecimal},
    {"payer_account", Want::kText},
    {"payer_ispb", Want::kText},
    {"payer_document", Want::kText},
    {"payee_key", Want::kText},
    {"payee_key_type", Want::kText},
    {"payee_account", Want::kText},
    {"payee_ispb", Want::kText},
    {"payee_document", Want::kText},
    {"initiation", Want::kText},
    {"channel", Want::kText},
    {"device_id", Want::kText},
    {"ip", Want::kText},
    {"description", Want::kText},
    {"label", Want::kLabel},
}};
constexpr std::size_t kId = 0, kTime = 1, kAmount = 2, kPayer = 3, kPayee = 6, kInitiation = 11, kLabel = 16;

// Why `leaf` cannot serve as `want`; empty when it can.
std::string type_problem(const LeafColumn& leaf, Want want) {
  if (leaf.max_repetition_level > 0) return "a repeated (list) column";
  switch (want) {
    case Want::kText:
      if (leaf.physical == PhysicalType::kByteArray) return {};
      return "expected a string (BYTE_ARRAY), got " + std::string(physical_type_name(leaf.physical));
    case Want::kTime:
      if (leaf.physical == PhysicalType::kInt96) return {};
      if (leaf.physical == PhysicalType::kInt64 &&
          (leaf.logical == LogicalKind::kTimestampMicros || leaf.logical == LogicalKind::kTimestampMillis ||
           leaf.logical == LogicalKind::kTimestampNanos)) {
        return {};
      }
      return "expected a TIMESTAMP (INT64 or INT96), got " + std::string(physical_type_name(leaf.physical));
    case Want::kDecimal:
      if ((leaf.physical == PhysicalType::kInt64 || leaf.physical == PhysicalType::kInt32) &&
          leaf.logical == LogicalKind::kDecimal && leaf.scale >= 0 && leaf.scale <= 18) {
        return {};
      }
      return "expected a DECIMAL on INT32 or INT64, got " + std::string(physical_type_name(leaf.physical));
    case Want::kLabel:
      if (leaf.physical == PhysicalType::kInt32 || leaf.physical == PhysicalType::kInt64 ||
          leaf.physical == PhysicalType::kBoolean) {
        return {};
      }
      return "expected INT32, INT64 or BOOLEAN, got " + std::string(physical_type_name(leaf.physical));
  }
  return {};
}

// Event times in microseconds, whatever the column's unit. INT64_MIN marks a null row
// (File::times), so the earliest time a value can take is one above it.
int64_t to_micros(const LeafColumn& leaf, int64_t v) {
  constexpr int64_t kEarliest = std::numeric_limits<int64_t>::min() + 1;
  if (leaf.logical == LogicalKind::kTimestampMillis) {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000;
    return v > kMax ? std::numeric_limits<int64_t>::max() : v < -kMax ? kEarliest : v * 1000;
  }
  if (leaf.logical == LogicalKind::kTimestampNanos) return v >= 0 ? v / 1000 : -((-(v + 1)) / 1000) - 1;
  return std::max(v, kEarliest);  // micros, and INT96 (which the reader gives as micros)
}

// A column of one file, row by row: slot[row] indexes the non-null values, -1 for null.
struct Column {
  LeafColumn leaf;
  ColumnData data;
  std::vector<int32_t> slot;
};

}  // namespace

struct DeltaSource::File {
  std::string path;         // on the file system
  int64_t rows = 0;
  int64_t min_time = 0;     // no row has an earlier event_time (nulls count as the earliest)
  std::size_t ordinal = 0;  // place in the file order: the last tie-break
  // Once loaded:
  std::array<Column, kColumns.size()> columns;
  std::vector<int64_t> times;    // per row, micros; null -> INT64_MIN
  std::vector<int32_t> order;    // rows in merge order
  std::size_t cursor = 0;        // next entry of `order`
  bool loaded = false;

  std::string_view id(int64_t row) const {
    const Column& c = columns[kId];
    const int32_t s = c.slot[static_cast<std::size_t>(row)];
    return s < 0 ? std::string_view{} : std::string_view(c.data.strings[static_cast<std::size_t>(s)]);
  }
  void unload() {
    for (Column& c : columns) c = Column{};
    times = {};
    order = {};
    loaded = false;
  }
};

namespace {

using File = DeltaSource::File;

// Whether row a of file fa comes before row b of file fb: event_time, end_to_end_id, then
// the file's place in the (stable) file order and the row number.
bool before(const File& fa, int64_t a, std::size_t ia, const File& fb, int64_t b, std::size_t ib) {
  const int64_t ta = fa.times[static_cast<std::size_t>(a)], tb = fb.times[static_cast<std::size_t>(b)];
  if (ta != tb) return ta < tb;
  const int c = fa.id(a).compare(fb.id(b));
  if (c != 0) return c < 0;
  if (ia != ib) return ia < ib;
  return a < b;
}

Status open_file(const File& f, std::unique_ptr<ParquetReader>* reader) {
  if (Status s = ParquetReader::open(f.path, reader); !s.ok()) {
    // The reader's messages usually name the file already.
    return s.message().find(f.path) != std::string::npos ? s.with_context("data file") : s.with_context("data file " + f.path);
  }
  return Status::Ok();
}

// Checks every input column is there with a usable type.
Status check_columns(const File& f, const ParquetReader& reader, std::array<int, kColumns.size()>* index) {
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    const int at = reader.find_column(kColumns[i].name);
    if (at < 0) {
      return Status::InvalidArgument("data file " + f.path + ": no column '" + kColumns[i].name +
                                     "' (a decisions table needs it to replay its rows)");
    }
    const std::string problem = type_problem(reader.columns()[static_cast<std::size_t>(at)], kColumns[i].want);
    if (!problem.empty()) {
      return Status::InvalidArgument("data file " + f.path + ": column '" + kColumns[i].name + "': " + problem);
    }
    (*index)[i] = at;
  }
  return Status::Ok();
}

Status read_leaf(const File& f, const ParquetReader& reader, int at, Column* out) {
  out->leaf = reader.columns()[static_cast<std::size_t>(at)];
  if (Status s = reader.read_column(at, &out->data); !s.ok()) {
    return s.with_context("data file " + f.path + ": column " + out->leaf.path);
  }
  const std::size_t rows = static_cast<std::size_t>(f.rows);
  out->slot.resize(rows);
  if (out->leaf.max_definition_level == 0) {
    for (std::size_t i = 0; i < rows; ++i) out->slot[i] = static_cast<int32_t>(i);
  } else {
    if (out->data.definition_levels.size() != rows) {
      return Status::Corruption("data file " + f.path + ": column " + out->leaf.path + " has " +
                                std::to_string(out->data.definition_levels.size()) + " values for " +
                                std::to_string(rows) + " rows");
    }
    int32_t next = 0;
    for (std::size_t i = 0; i < rows; ++i) {
      out->slot[i] = out->data.definition_levels[i] == out->leaf.max_definition_level ? next++ : -1;
    }
    out->data.definition_levels = {};
  }
  return Status::Ok();
}

// The smallest event_time of the file: from the footer statistics when every row group has
// them, else from the column.
Status min_event_time(const File& f, const ParquetReader& reader, int at, int64_t* out) {
  const LeafColumn& leaf = reader.columns()[static_cast<std::size_t>(at)];
  int64_t lo = std::numeric_limits<int64_t>::max();
  bool stats_ok = true;
  for (int g = 0; g < reader.row_groups() && stats_ok; ++g) {
    parquet::ColumnStats st;
    if (!reader.column_stats(g, at, &st).ok()) {
      stats_ok = false;
      break;
    }
    if (st.null_count > 0) lo = std::numeric_limits<int64_t>::min();
    if (const int64_t* v = std::get_if<int64_t>(&st.min)) {
      lo = std::min(lo, to_micros(leaf, *v));
    } else if (!std::holds_alternative<std::monostate>(st.min)) {
      stats_ok = false;
    }
  }
  if (stats_ok) {
    *out = lo;
    return Status::Ok();
  }
  Column c;
  if (Status s = read_leaf(f, reader, at, &c); !s.ok()) return s;
  lo = std::numeric_limits<int64_t>::max();
  for (int32_t s : c.slot) {
    lo = std::min(lo, s < 0 ? std::numeric_limits<int64_t>::min() : to_micros(leaf, c.data.int64s[static_cast<std::size_t>(s)]));
  }
  *out = lo;
  return Status::Ok();
}

Status load(File* f) {
  std::unique_ptr<ParquetReader> reader;
  if (Status s = open_file(*f, &reader); !s.ok()) return s;
  if (reader->num_rows() != f->rows) {
    return Status::Corruption("data file " + f->path + " changed while the table was read");
  }
  std::array<int, kColumns.size()> index{};
  if (Status s = check_columns(*f, *reader, &index); !s.ok()) return s;
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    if (Status s = read_leaf(*f, *reader, index[i], &f->columns[i]); !s.ok()) return s;
  }
  const std::size_t rows = static_cast<std::size_t>(f->rows);
  const Column& t = f->columns[kTime];
  f->times.resize(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    const int32_t s = t.slot[r];
    f->times[r] = s < 0 ? std::numeric_limits<int64_t>::min() : to_micros(t.leaf, t.data.int64s[static_cast<std::size_t>(s)]);
  }
  f->order.resize(rows);
  for (std::size_t r = 0; r < rows; ++r) f->order[r] = static_cast<int32_t>(r);
  std::sort(f->order.begin(), f->order.end(),
            [f](int32_t a, int32_t b) { return before(*f, a, f->ordinal, *f, b, f->ordinal); });
  f->cursor = 0;
  f->loaded = true;
  return Status::Ok();
}

// The exact decimal text of an unscaled value ("1956.04" for 195604 at scale 2).
void put_decimal(int64_t unscaled, int scale, JsonWriter* w) {
  char digits[24];
  const bool negative = unscaled < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(unscaled) : static_cast<uint64_t>(unscaled);
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  while (n <= scale) digits[n++] = '0';  // at least one digit before the point
  char text[48];
  int p = 0;
  text[p++] = '"';
  if (negative) text[p++] = '-';
  for (int i = n - 1; i >= 0; --i) {
    text[p++] = digits[i];
    if (i == scale && scale > 0) text[p++] = '.';
  }
  text[p++] = '"';
  w->raw(std::string_view(text, static_cast<std::size_t>(p)));
}

// RFC 3339 UTC; milliseconds, or microseconds when the instant has them.
void put_time(int64_t micros, JsonWriter* w) {
  char text[48];
  text[0] = '"';
  int n = 1 + format_timestamp_utc(micros, text + 1);  // "...T14:54:33.123Z"
  int64_t sub = micros % 1000;
  if (sub < 0) sub += 1000;
  if (sub != 0) {
    --n;  // over the 'Z'
    text[n++] = static_cast<char>('0' + sub / 100);
    text[n++] = static_cast<char>('0' + sub / 10 % 10);
    text[n++] = static_cast<char>('0' + sub % 10);
    text[n++] = 'Z';
  }
  text[n++] = '"';
  w->raw(std::string_view(text, static_cast<std::size_t>(n)));
}

// Writes the message of one row into *out (cleared first).
void encode_row(const File& f, int64_t row, std::string* out) {
  out->clear();
  JsonWriter w(out);
  const std::size_t r = static_cast<std::size_t>(row);
  bool first = true;
  const auto member = [&](std::string_view key) {
    if (!first) w.ch(',');
    first = false;
    w.key(key);
  };
  const auto text = [&](std::size_t c, std::string_view key) {
    const Column& col = f.columns[c];
    const int32_t s = col.slot[r];
    if (s < 0) return;
    member(key);
    w.string(col.data.strings[static_cast<std::size_t>(s)]);
  };
  w.ch('{');
  text(kId, "end_to_end_id");
  if (f.times[r] != std::numeric_limits<int64_t>::min()) {
    member("event_time");
    put_time(f.times[r], &w);
  }
  {
    const Column& a = f.columns[kAmount];
    const int32_t s = a.slot[r];
    if (s >= 0) {
      member("amount");
      const int64_t v = a.leaf.physical == PhysicalType::kInt32 ? a.data.int32s[static_cast<std::size_t>(s)]
                                                                : a.data.int64s[static_cast<std::size_t>(s)];
      put_decimal(v, a.leaf.scale, &w);
    }
  }
  const auto party = [&](std::size_t from, std::size_t count, std::string_view key,
                         const std::array<std::string_view, 5>& names) {
    member(key);
    w.ch('{');
    const bool outer_first = first;
    first = true;
    for (std::size_t i = 0; i < count; ++i) text(from + i, names[i]);
    w.ch('}');
    first = outer_first;
  };
  party(kPayer, 3, "payer", {"account", "ispb", "document", "", ""});
  party(kPayee, 5, "payee", {"key", "key_type", "account", "ispb", "document"});
  text(kInitiation, "initiation");
  text(kInitiation + 1, "channel");
  text(kInitiation + 2, "device_id");
  text(kInitiation + 3, "ip");
  text(kInitiation + 4, "description");
  {
    const Column& l = f.columns[kLabel];
    const int32_t s = l.slot[r];
    if (s >= 0) {
      member("label");
      const std::size_t v = static_cast<std::size_t>(s);
      w.integer(l.leaf.physical == PhysicalType::kInt32   ? l.data.int32s[v]
                : l.leaf.physical == PhysicalType::kInt64 ? l.data.int64s[v]
                                                          : l.data.booleans[v]);
    }
  }
  w.ch('}');
}

}  // namespace

DeltaSource::DeltaSource(std::string dir) : dir_(std::move(dir)), name_("delta:" + dir_) {}
DeltaSource::~DeltaSource() = default;

Status DeltaSource::open(const std::string& dir, std::unique_ptr<DeltaSource>* out) {
  std::unique_ptr<delta::DeltaTable> table;
  delta::TableSnapshot snap;
  if (Status s = delta::DeltaTable::open(dir, &table, &snap); !s.ok()) return s.with_context("delta table " + dir);
  std::unique_ptr<DeltaSource> src(new DeltaSource(dir));
  src->version_ = snap.version;
  for (const auto& [logged, add] : snap.files) {
    auto f = std::make_unique<File>();
    std::string relative;
    if (Status s = delta::decode_path(logged, &relative); !s.ok()) {
      return s.with_context("delta table " + dir + ": path " + logged);
    }
    f->path = relative.starts_with('/') ? relative : dir + "/" + relative;
    std::unique_ptr<ParquetReader> reader;
    if (Status s = open_file(*f, &reader); !s.ok()) return s;
    f->rows = reader->num_rows();
    if (f->rows > std::numeric_limits<int32_t>::max()) {
      return Status::Unsupported("data file " + f->path + ": more than 2^31 rows");
    }
    std::array<int, kColumns.size()> index{};
    if (Status s = check_columns(*f, *reader, &index); !s.ok()) return s;
    if (Status s = min_event_time(*f, *reader, index[kTime], &f->min_time); !s.ok()) return s;
    src->total_rows_ += f->rows;
    if (f->rows > 0) src->files_.push_back(std::move(f));
  }
  // snap.files is in path order, so ties keep path order.
  std::stable_sort(src->files_.begin(), src->files_.end(),
                   [](const auto& a, const auto& b) { return a->min_time < b->min_time; });
  for (std::size_t i = 0; i < src->files_.size(); ++i) src->files_[i]->ordinal = i;
  *out = std::move(src);
  return Status::Ok();
}

void DeltaSource::restart() {
  for (auto& f : files_) f->unload();
  next_file_ = 0;
  heap_.clear();
  delivered_ = 0;
}

namespace {

// std::*_heap keep the greatest element in front; "greater" here means "comes later", so
// the front is the file whose next row comes first.
bool comes_later(const File* a, const File* b) {
  return before(*b, b->order[b->cursor], b->ordinal, *a, a->order[a->cursor], a->ordinal);
}

}  // namespace

Status DeltaSource::next_row(File** file, int64_t* row, bool* found) {
  // A file not loaded yet may hold a row before the front's once its min_time is not later
  // than the front's time: load those (files_ is in min_time order).
  while (next_file_ < files_.size()) {
    File* next = files_[next_file_].get();
    if (!heap_.empty()) {
      const File* top = heap_.front();
      if (next->min_time > top->times[static_cast<std::size_t>(top->order[top->cursor])]) break;
    }
    if (Status s = load(next); !s.ok()) return s;
    heap_.push_back(next);
    std::push_heap(heap_.begin(), heap_.end(), comes_later);
    ++next_file_;
  }
  if (heap_.empty()) {
    *found = false;
    return Status::Ok();
  }
  std::pop_heap(heap_.begin(), heap_.end(), comes_later);
  File* f = heap_.back();
  *file = f;
  *row = f->order[f->cursor];
  *found = true;
  ++f->cursor;
  if (f->cursor < f->order.size()) {
    std::push_heap(heap_.begin(), heap_.end(), comes_later);
  } else {
    heap_.pop_back();  // the caller frees it once the row is encoded
  }
  return Status::Ok();
}

Status DeltaSource::read(RecordBatch* batch, std::size_t max_records, bool* end) {
  *end = false;
  while (batch->size() < max_records) {
    File* f = nullptr;
    int64_t row = 0;
    bool found = false;
    if (Status s = next_row(&f, &row, &found); !s.ok()) return s;
    if (!found) {
      *end = true;
      break;
    }
    encode_row(*f, row, &message_);
    ++delivered_;
    batch->add(message_, delivered_);
    if (f->cursor == f->order.size()) f->unload();
  }
  return Status::Ok();
}

std::string DeltaSource::position() const { return std::to_string(version_) + ":" + std::to_string(delivered_); }

Status DeltaSource::seek(std::string_view position) {
  const std::size_t colon = position.find(':');
  uint64_t version = 0;
  int64_t rows = 0;
  if (colon == std::string_view::npos ||
      std::from_chars(position.data(), position.data() + colon, version).ec != std::errc{} ||
      std::from_chars(position.data() + colon + 1, position.data() + position.size(), rows).ec != std::errc{} ||
      rows < 0) {
    return Status::InvalidArgument(name_ + ": bad position '" + std::string(position) + "'");
  }
  if (version != version_) {
    return Status::InvalidArgument(name_ + ": the position is in table version " + std::to_string(version) +
                                   ", the table is at version " + std::to_string(version_) +
                                   " (reading an older version is not supported)");
  }
  if (rows > total_rows_) {
    return Status::InvalidArgument(name_ + ": position " + std::string(position) + " is past the table's " +
                                   std::to_string(total_rows_) + " rows");
  }
  restart();
  while (delivered_ < rows) {
    File* f = nullptr;
    int64_t row = 0;
    bool found = false;
    if (Status s = next_row(&f, &row, &found); !s.ok()) return s;
    if (!found) break;
    ++delivered_;
    if (f->cursor == f->order.size()) f->unload();
  }
  return Status::Ok();
}

}  // namespace pixguard
