#include "parquet/parquet_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/file_io.h"
#include "parquet/page_codec.h"
#include "parquet/parquet_metadata.h"
#include "parquet/rle_hybrid.h"

#ifndef PIXGUARD_VERSION_STRING
#define PIXGUARD_VERSION_STRING "0.0.0"
#endif
#ifndef PIXGUARD_BUILD_ID
#define PIXGUARD_BUILD_ID "dev"
#endif

namespace pixguard::parquet {
namespace {

// A dictionary past either bound stops growing: the rest of the row group is PLAIN.
constexpr std::size_t kMaxDictionaryBytes = 1 << 20;
constexpr std::size_t kMaxDictionaryEntries = 1 << 16;
// String statistics longer than this are truncated in the footer (min to a prefix, max to a
// prefix rounded up), so one long value does not bloat every footer.
constexpr std::size_t kMaxStatBytes = 64;

constexpr int64_t kMaxPageSlots = 1 << 20;

// What a staged value holds; kNull fits any nullable column.
enum class Kind : uint8_t { kNull, kBool, kInt32, kInt64, kFloat, kDouble, kString };

Kind kind_for(PhysicalType t) {
  switch (t) {
    case PhysicalType::kBoolean: return Kind::kBool;
    case PhysicalType::kInt32: return Kind::kInt32;
    case PhysicalType::kInt64: return Kind::kInt64;
    case PhysicalType::kFloat: return Kind::kFloat;
    case PhysicalType::kDouble: return Kind::kDouble;
    default: return Kind::kString;
  }
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "bool";
    case Kind::kInt32: return "int32";
    case Kind::kInt64: return "int64";
    case Kind::kFloat: return "float";
    case Kind::kDouble: return "double";
    case Kind::kString: return "string";
  }
  return "?";
}

struct Slot {
  Kind kind = Kind::kNull;
  union {
    bool b;
    int32_t i32;
    int64_t i64;
    float f;
    double d;
  };
  uint32_t offset = 0, size = 0;  // kString: bytes in the row's string scratch
  Slot() : i64(0) {}
};

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Running min/max/null count in the column's physical order.
struct StatsAccumulator {
  bool has = false;
  int64_t imin = 0, imax = 0;  // BOOLEAN, INT32, INT64
  double dmin = 0, dmax = 0;   // FLOAT, DOUBLE (NaN ignored)
  std::string smin, smax;      // BYTE_ARRAY, unsigned bytes
  int64_t nulls = 0;

  void add_int(int64_t v) {
    if (!has) { imin = imax = v; has = true; return; }
    if (v < imin) imin = v;
    if (v > imax) imax = v;
  }
  void add_double(double v) {
    if (std::isnan(v)) return;
    if (!has) { dmin = dmax = v; has = true; return; }
    if (v < dmin) dmin = v;
    if (v > dmax) dmax = v;
  }
  void add_string(std::string_view v) {
    if (!has) { smin.assign(v); smax.assign(v); has = true; return; }
    if (v < std::string_view(smin)) smin.assign(v);
    if (v > std::string_view(smax)) smax.assign(v);
  }
  void merge(const StatsAccumulator& o, PhysicalType t) {
    nulls += o.nulls;
    if (!o.has) return;
    switch (t) {
      case PhysicalType::kFloat:
      case PhysicalType::kDouble: add_double(o.dmin); add_double(o.dmax); break;
      case PhysicalType::kByteArray: add_string(o.smin); add_string(o.smax); break;
      default: add_int(o.imin); add_int(o.imax); break;
    }
  }
  Value min_value(PhysicalType t) const { return to_value(t, imin, dmin, smin); }
  Value max_value(PhysicalType t) const { return to_value(t, imax, dmax, smax); }

 private:
  Value to_value(PhysicalType t, int64_t i, double d, const std::string& s) const {
    if (!has) return std::monostate{};
    switch (t) {
      case PhysicalType::kBoolean: return i != 0;
      case PhysicalType::kInt32: return static_cast<int32_t>(i);
      case PhysicalType::kInt64: return i;
      case PhysicalType::kFloat: return static_cast<float>(d);
      case PhysicalType::kDouble: return d;
      default: return s;
    }
  }
};

template <typename T>
void append_le(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

// PLAIN bytes of one statistics value (byte arrays without their length prefix).
std::string plain_stat(PhysicalType t, const Value& v) {
  std::string out;
  switch (t) {
    case PhysicalType::kBoolean: out.push_back(std::get<bool>(v) ? 1 : 0); break;
    case PhysicalType::kInt32: append_le(&out, std::get<int32_t>(v)); break;
    case PhysicalType::kInt64: append_le(&out, std::get<int64_t>(v)); break;
    case PhysicalType::kFloat: append_le(&out, std::get<float>(v)); break;
    case PhysicalType::kDouble: append_le(&out, std::get<double>(v)); break;
    default: out = std::get<std::string>(v); break;
  }
  return out;
}

// The smallest string of at most kMaxStatBytes bytes that is >= s; false if none.
bool truncate_max(std::string* s) {
  if (s->size() <= kMaxStatBytes) return true;
  s->resize(kMaxStatBytes);
  while (!s->empty()) {
    auto& last = reinterpret_cast<unsigned char&>(s->back());
    if (last != 0xFF) {
      ++last;
      return true;
    }
    s->pop_back();
  }
  return false;
}

struct ColumnWriter {
  ColumnSchema schema;
  Kind kind = Kind::kInt64;

  // The current page.
  std::vector<uint8_t> def_levels;  // nullable columns: one per value slot
  std::string values;               // PLAIN values (booleans: one byte each, packed at the cut)
  std::vector<uint32_t> indices;    // dictionary mode: one per non-null value
  int64_t page_slots = 0;

  // The current row group.
  bool dictionary_mode = false;
  std::unordered_map<std::string, uint32_t, TransparentHash, std::equal_to<>> dictionary;
  std::string dictionary_plain;  // the dictionary page's values, PLAIN
  std::string chunk;             // encoded data pages (headers + bodies)
  int64_t chunk_uncompressed = 0;
  int64_t chunk_slots = 0;
  bool used_plain = false, used_dictionary = false;
  StatsAccumulator chunk_stats;

  StatsAccumulator file_stats;

  std::string key;  // the value's PLAIN bytes, reused

  int64_t buffered() const {
    const int64_t page_values = schema.physical == PhysicalType::kBoolean ? static_cast<int64_t>(values.size() / 8)
                                                                           : static_cast<int64_t>(values.size());
    return static_cast<int64_t>(chunk.size() + dictionary_plain.size() + def_levels.size() / 8 + indices.size() * 2) +
           page_values;
  }
  int64_t page_estimate() const {
    return static_cast<int64_t>(values.size() + indices.size() * 2 + def_levels.size() / 8);
  }
};

}  // namespace

struct ParquetWriter::Impl {
  std::string path;
  int fd = -1;
  WriterOptions options;
  std::vector<ColumnWriter> columns;
  std::vector<Slot> row;
  std::string row_strings;
  int64_t rows = 0;
  int64_t row_group_rows = 0;
  int64_t file_pos = 0;
  Status failure;  // sticky after an I/O error
  format::FileMetaData meta;
  // Scratch of the page being cut, shared by the columns (one page is cut at a time): per
  // column it would keep a page's worth of memory for every column of every open file.
  std::string page_raw, page_compressed, page_header;

  ~Impl() {
    if (fd >= 0) ::close(fd);
  }

  Status write_all(std::string_view bytes) {
    if (Status s = pixguard::write_all(fd, bytes, path); !s.ok()) return s;
    file_pos += static_cast<int64_t>(bytes.size());
    return Status::Ok();
  }

  void append_value(ColumnWriter& c, const Slot& s, std::string_view str) {
    // The value's PLAIN bytes (strings: without their length) double as the dictionary key.
    c.key.clear();
    switch (s.kind) {
      case Kind::kBool: c.chunk_stats.add_int(s.b ? 1 : 0); break;
      case Kind::kInt32: c.chunk_stats.add_int(s.i32); append_le(&c.key, s.i32); break;
      case Kind::kInt64: c.chunk_stats.add_int(s.i64); append_le(&c.key, s.i64); break;
      case Kind::kFloat: c.chunk_stats.add_double(s.f); append_le(&c.key, s.f); break;
      case Kind::kDouble: c.chunk_stats.add_double(s.d); append_le(&c.key, s.d); break;
      case Kind::kString: c.chunk_stats.add_string(str); break;
      case Kind::kNull: break;
    }
    if (s.kind == Kind::kBool) {
      c.values.push_back(s.b ? 1 : 0);
      return;
    }
    const std::string_view key = s.kind == Kind::kString ? str : std::string_view(c.key);
    if (c.dictionary_mode) {
      auto it = c.dictionary.find(key);
      if (it == c.dictionary.end()) {
        if (c.dictionary.size() >= kMaxDictionaryEntries || c.dictionary_plain.size() + key.size() > kMaxDictionaryBytes) {
          // The dictionary is full: what is buffered stays dictionary encoded, the rest is PLAIN.
          flush_page(c);
          c.dictionary_mode = false;
        } else {
          it = c.dictionary.emplace(std::string(key), static_cast<uint32_t>(c.dictionary.size())).first;
          if (s.kind == Kind::kString) append_le(&c.dictionary_plain, static_cast<uint32_t>(key.size()));
          c.dictionary_plain.append(key);
        }
      }
      if (c.dictionary_mode) {
        c.indices.push_back(it->second);
        return;
      }
    }
    if (s.kind == Kind::kString) append_le(&c.values, static_cast<uint32_t>(key.size()));
    c.values.append(key);
  }

  // Encodes the buffered page (levels, values), compresses it and appends it to the chunk.
  void flush_page(ColumnWriter& c) {
    if (c.page_slots == 0) return;
    page_raw.clear();
    if (c.schema.nullable) {
      const std::size_t at = page_raw.size();
      page_raw.append(4, '\0');
      rle_hybrid_encode(c.def_levels.data(), c.def_levels.size(), 1, &page_raw);
      const auto n = static_cast<uint32_t>(page_raw.size() - at - 4);
      std::memcpy(page_raw.data() + at, &n, 4);
    }
    const bool dictionary_page = c.dictionary_mode && !c.dictionary.empty();
    if (dictionary_page) {
      const int width = std::max(1, bit_width_for(c.dictionary.size() - 1));
      page_raw.push_back(static_cast<char>(width));
      rle_hybrid_encode(c.indices.data(), c.indices.size(), width, &page_raw);
      c.used_dictionary = true;
    } else if (c.schema.physical == PhysicalType::kBoolean) {
      const std::size_t at = page_raw.size();
      page_raw.append((c.values.size() + 7) / 8, '\0');
      for (std::size_t i = 0; i < c.values.size(); ++i) {
        if (c.values[i]) page_raw[at + i / 8] = static_cast<char>(page_raw[at + i / 8] | (1 << (i % 8)));
      }
      c.used_plain = true;
    } else {
      page_raw.append(c.values);
      c.used_plain = true;
    }
    format::PageHeader h;
    h.type = format::kDataPage;
    h.num_values = static_cast<int32_t>(c.page_slots);
    h.encoding = dictionary_page ? format::kRleDictionary : format::kPlain;
    append_page(c, h, page_raw, &c.chunk);
    c.chunk_slots += c.page_slots;
    c.page_slots = 0;
    c.def_levels.clear();
    c.values.clear();
    c.indices.clear();
  }

  void append_page(ColumnWriter& c, format::PageHeader& h, std::string_view body, std::string* out) {
    // Compression cannot fail for in-memory buffers except by a bad zstd level, checked in create().
    (void)compress_page(options.codec, options.zstd_level, body, &page_compressed);
    h.uncompressed_page_size = static_cast<int32_t>(body.size());
    h.compressed_page_size = static_cast<int32_t>(page_compressed.size());
    page_header.clear();
    format::encode_page_header(h, &page_header);
    out->append(page_header);
    out->append(page_compressed);
    c.chunk_uncompressed += static_cast<int64_t>(page_header.size() + body.size());
  }

  Status flush_row_group() {
    if (row_group_rows == 0) return Status::Ok();
    format::RowGroup group;
    group.num_rows = row_group_rows;
    group.has_file_offset = true;
    group.file_offset = file_pos;
    const int64_t group_start = file_pos;
    for (ColumnWriter& c : columns) {
      flush_page(c);
      format::ColumnChunk chunk;
      chunk.has_meta_data = true;
      format::ColumnMetaData& m = chunk.meta_data;
      m.type = static_cast<int32_t>(c.schema.physical);
      m.path_in_schema = {c.schema.name};
      m.codec = codec_id(options.codec);
      m.num_values = c.chunk_slots;
      const int64_t start = file_pos;
      chunk.file_offset = start;  // required by parquet.thrift: where the chunk begins
      if (c.used_dictionary) {
        format::PageHeader h;
        h.type = format::kDictionaryPage;
        h.num_values = static_cast<int32_t>(c.dictionary.size());
        h.encoding = format::kPlain;
        std::string page;
        append_page(c, h, c.dictionary_plain, &page);
        m.has_dictionary_page_offset = true;
        m.dictionary_page_offset = file_pos;
        if (Status s = write_all(page); !s.ok()) return s;
      }
      m.data_page_offset = file_pos;
      if (Status s = write_all(c.chunk); !s.ok()) return s;
      m.total_uncompressed_size = c.chunk_uncompressed;
      m.total_compressed_size = file_pos - start;
      // Levels are RLE; PLAIN is listed for the dictionary page too.
      m.encodings.push_back(format::kRle);
      if (c.used_plain || c.used_dictionary) m.encodings.push_back(format::kPlain);
      if (c.used_dictionary) m.encodings.push_back(format::kRleDictionary);
      m.has_statistics = true;
      fill_statistics(c, &m.statistics);
      group.total_byte_size += m.total_uncompressed_size;
      group.columns.push_back(std::move(chunk));

      c.file_stats.merge(c.chunk_stats, c.schema.physical);
      c.chunk_stats = StatsAccumulator{};
      c.chunk.clear();
      c.chunk_uncompressed = 0;
      c.chunk_slots = 0;
      c.used_plain = c.used_dictionary = false;
      c.dictionary.clear();
      c.dictionary_plain.clear();
      c.dictionary_mode = c.schema.dictionary;
    }
    group.total_compressed_size = file_pos - group_start;
    meta.row_groups.push_back(std::move(group));
    row_group_rows = 0;
    // Starts writing the group back now, without waiting for it: the fsync in finish() then
    // has little left to write, and does not stall its caller for the whole file.
    (void)::sync_file_range(fd, group_start, file_pos - group_start, SYNC_FILE_RANGE_WRITE);
    return Status::Ok();
  }

  void fill_statistics(const ColumnWriter& c, format::Statistics* s) const {
    const PhysicalType t = c.schema.physical;
    s->has_null_count = true;
    s->null_count = c.chunk_stats.nulls;
    if (!c.chunk_stats.has) return;
    Value lo = c.chunk_stats.min_value(t), hi = c.chunk_stats.max_value(t);
    if (t == PhysicalType::kFloat || t == PhysicalType::kDouble) {
      // Zero bounds are written as -0.0 (min) and +0.0 (max): either zero may be present.
      if (t == PhysicalType::kFloat) {
        if (std::get<float>(lo) == 0.0f) lo = -0.0f;
        if (std::get<float>(hi) == 0.0f) hi = 0.0f;
      } else {
        if (std::get<double>(lo) == 0.0) lo = -0.0;
        if (std::get<double>(hi) == 0.0) hi = 0.0;
      }
    }
    std::string min = plain_stat(t, lo), max = plain_stat(t, hi);
    if (t == PhysicalType::kByteArray) {
      if (min.size() > kMaxStatBytes) min.resize(kMaxStatBytes);
      s->has_min_value = true;
      s->min_value = std::move(min);
      s->has_max_value = truncate_max(&max);
      if (s->has_max_value) s->max_value = std::move(max);
      return;  // the deprecated min/max are signed-byte ordered: not for strings
    }
    s->has_min = s->has_min_value = s->has_max = s->has_max_value = true;
    s->min = s->min_value = std::move(min);
    s->max = s->max_value = std::move(max);
  }
};

namespace {

Status check_schema(const std::vector<ColumnSchema>& schema) {
  if (schema.empty()) return Status::InvalidArgument("parquet writer: empty schema");
  std::unordered_set<std::string_view> names;
  for (const ColumnSchema& c : schema) {
    if (c.name.empty()) return Status::InvalidArgument("parquet writer: a column has no name");
    if (!names.insert(c.name).second) return Status::InvalidArgument("parquet writer: duplicate column '" + c.name + "'");
    const std::string where = "parquet writer: column '" + c.name + "': ";
    if (c.physical == PhysicalType::kInt96 || c.physical == PhysicalType::kFixedLenByteArray) {
      return Status::Unsupported(where + "we do not write " + physical_type_name(c.physical));
    }
    switch (c.logical) {
      case LogicalKind::kNone: break;
      case LogicalKind::kString:
      case LogicalKind::kJson:
        if (c.physical != PhysicalType::kByteArray) return Status::InvalidArgument(where + "STRING needs BYTE_ARRAY");
        break;
      case LogicalKind::kTimestampMicros:
      case LogicalKind::kTimestampMillis:
      case LogicalKind::kTimestampNanos:
        if (c.physical != PhysicalType::kInt64) return Status::InvalidArgument(where + "TIMESTAMP needs INT64");
        break;
      case LogicalKind::kDate:
        if (c.physical != PhysicalType::kInt32) return Status::InvalidArgument(where + "DATE needs INT32");
        break;
      case LogicalKind::kDecimal: {
        const int max_precision = c.physical == PhysicalType::kInt32 ? 9 : c.physical == PhysicalType::kInt64 ? 18 : 0;
        if (max_precision == 0) return Status::InvalidArgument(where + "DECIMAL needs INT32 or INT64");
        if (c.precision < 1 || c.precision > max_precision || c.scale < 0 || c.scale > c.precision) {
          return Status::InvalidArgument(where + "DECIMAL(" + std::to_string(c.precision) + "," + std::to_string(c.scale) +
                                         ") does not fit " + physical_type_name(c.physical));
        }
        break;
      }
      case LogicalKind::kOther:
        return Status::InvalidArgument(where + "kOther is for reading only");
    }
  }
  return Status::Ok();
}

format::SchemaElement leaf_element(const ColumnSchema& c) {
  format::SchemaElement e;
  e.name = c.name;
  e.type = static_cast<int32_t>(c.physical);  // PhysicalType follows parquet.thrift's Type order
  e.repetition = c.nullable ? format::kOptional : format::kRequired;
  switch (c.logical) {
    case LogicalKind::kString:
      e.logical = format::kLogicalString;
      e.converted_type = format::kUtf8;
      break;
    case LogicalKind::kJson:
      e.logical = format::kLogicalJson;
      e.converted_type = format::kJson;
      break;
    case LogicalKind::kTimestampMicros:
    case LogicalKind::kTimestampMillis:
    case LogicalKind::kTimestampNanos:
      e.logical = format::kLogicalTimestamp;
      e.logical_utc = true;
      e.logical_unit = c.logical == LogicalKind::kTimestampMillis ? format::kMillis
                       : c.logical == LogicalKind::kTimestampMicros ? format::kMicros : format::kNanos;
      if (c.logical != LogicalKind::kTimestampNanos) {  // NANOS has no ConvertedType
        e.converted_type = c.logical == LogicalKind::kTimestampMillis ? format::kTimestampMillis : format::kTimestampMicros;
      }
      break;
    case LogicalKind::kDecimal:
      e.logical = format::kLogicalDecimal;
      e.logical_scale = c.scale;
      e.logical_precision = c.precision;
      e.converted_type = format::kDecimal;
      e.has_scale_precision = true;
      e.scale = c.scale;
      e.precision = c.precision;
      break;
    case LogicalKind::kDate:
      e.logical = format::kLogicalDate;
      e.converted_type = format::kDate;
      break;
    case LogicalKind::kNone:
    case LogicalKind::kOther:
      break;
  }
  return e;
}

}  // namespace

ParquetWriter::ParquetWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ParquetWriter::~ParquetWriter() = default;

Status ParquetWriter::create(const std::string& path, std::vector<ColumnSchema> schema, WriterOptions options,
                             std::unique_ptr<ParquetWriter>* out) {
  if (Status s = check_schema(schema); !s.ok()) return s;
  if (options.codec == Codec::kZstd && (options.zstd_level < -7 || options.zstd_level > 22)) {
    return Status::InvalidArgument("parquet writer: zstd_level " + std::to_string(options.zstd_level) + " out of range");
  }
  if (options.page_bytes < 1 || options.row_group_bytes < 1) {
    return Status::InvalidArgument("parquet writer: page_bytes and row_group_bytes must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  if (options.created_by.empty()) {
    options.created_by = std::string("pixguard version ") + PIXGUARD_VERSION_STRING + " (build " + PIXGUARD_BUILD_ID + ")";
  }
  impl->meta.has_created_by = true;
  impl->meta.created_by = options.created_by;
  impl->meta.key_value_metadata = options.key_value_metadata;
  format::SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(schema.size());
  impl->meta.schema.push_back(root);
  impl->columns.resize(schema.size());
  for (std::size_t i = 0; i < schema.size(); ++i) {
    impl->meta.schema.push_back(leaf_element(schema[i]));
    ColumnWriter& c = impl->columns[i];
    c.schema = schema[i];
    c.kind = kind_for(schema[i].physical);
    c.dictionary_mode = schema[i].dictionary && schema[i].physical != PhysicalType::kBoolean;
    c.schema.dictionary = c.dictionary_mode;
  }
  impl->meta.column_orders = static_cast<int32_t>(schema.size());
  impl->row.reserve(schema.size());
  impl->options = std::move(options);

  impl->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (impl->fd < 0) return Status::IoError(path + ": open: " + std::strerror(errno));
  if (Status s = impl->write_all("PAR1"); !s.ok()) return s;
  out->reset(new ParquetWriter(std::move(impl)));
  return Status::Ok();
}

void ParquetWriter::add_null() { impl_->row.emplace_back(); }
void ParquetWriter::add_bool(bool v) {
  Slot& s = impl_->row.emplace_back();
  s.kind = Kind::kBool;
  s.b = v;
}
void ParquetWriter::add_int32(int32_t v) {
  Slot& s = impl_->row.emplace_back();
  s.kind = Kind::kInt32;
  s.i32 = v;
}
void ParquetWriter::add_int64(int64_t v) {
  Slot& s = impl_->row.emplace_back();
  s.kind = Kind::kInt64;
  s.i64 = v;
}
void ParquetWriter::add_float(float v) {
  Slot& s = impl_->row.emplace_back();
  s.kind = Kind::kFloat;
  s.f = v;
}
void ParquetWriter::add_double(double v) {
  Slot& s = impl_->row.emplace_back();
  s.kind = Kind::kDouble;
  s.d = v;
}
void ParquetWriter::add_string(std::string_view v) {
  Slot& s = impl_->row.emplace_back();
  s.kind = Kind::kString;
  s.offset = static_cast<uint32_t>(impl_->row_strings.size());
  s.size = static_cast<uint32_t>(v.size());
  impl_->row_strings.append(v);
}

Status ParquetWriter::end_row() {
  Impl& w = *impl_;
  struct Clear {
    Impl& w;
    ~Clear() {
      w.row.clear();
      w.row_strings.clear();
    }
  } clear{w};
  if (!w.failure.ok()) return w.failure;
  if (w.row.size() != w.columns.size()) {
    return Status::InvalidArgument("parquet writer: row has " + std::to_string(w.row.size()) + " values, schema has " +
                                   std::to_string(w.columns.size()) + " columns");
  }
  if (w.row_strings.size() > UINT32_MAX) return Status::InvalidArgument("parquet writer: row strings exceed 4 GiB");
  for (std::size_t i = 0; i < w.columns.size(); ++i) {
    const ColumnWriter& c = w.columns[i];
    const Kind k = w.row[i].kind;
    if (k == Kind::kNull ? !c.schema.nullable : k != c.kind) {
      return Status::InvalidArgument("parquet writer: column '" + c.schema.name + "' (" + physical_type_name(c.schema.physical) +
                                     (c.schema.nullable ? "" : ", REQUIRED") + ") got a " + kind_name(k) + " value");
    }
  }
  int64_t buffered = 0;
  for (std::size_t i = 0; i < w.columns.size(); ++i) {
    ColumnWriter& c = w.columns[i];
    const Slot& s = w.row[i];
    // The value first: a dictionary that fills up cuts the page before this row's slot.
    if (s.kind == Kind::kNull) {
      ++c.chunk_stats.nulls;
    } else {
      w.append_value(c, s, std::string_view(w.row_strings).substr(s.offset, s.size));
    }
    if (c.schema.nullable) c.def_levels.push_back(s.kind == Kind::kNull ? 0 : 1);
    ++c.page_slots;
    // Capped in values too: all-null or one-value dictionary pages are tiny in bytes, and
    // readers (ours included) refuse pages of more than 2^24 values.
    if (c.page_estimate() >= w.options.page_bytes || c.page_slots >= kMaxPageSlots) w.flush_page(c);
    buffered += c.buffered();
  }
  ++w.rows;
  ++w.row_group_rows;
  if (buffered >= w.options.row_group_bytes) {
    if (Status s = w.flush_row_group(); !s.ok()) {
      w.failure = s;
      return s;
    }
  }
  return Status::Ok();
}

int64_t ParquetWriter::rows() const { return impl_->rows; }

int64_t ParquetWriter::written_bytes() const { return impl_->file_pos; }

int64_t ParquetWriter::buffered_bytes() const {
  int64_t n = 0;
  for (const ColumnWriter& c : impl_->columns) n += c.buffered();
  return n;
}

Status ParquetWriter::finish(FileSummary* summary) {
  Impl& w = *impl_;
  if (!w.failure.ok()) return w.failure;
  if (w.fd < 0) return Status::InvalidArgument("parquet writer: finish() called twice");
  auto fail = [&](Status s) {
    w.failure = s;
    return s;
  };
  if (Status s = w.flush_row_group(); !s.ok()) return fail(s);
  w.meta.num_rows = w.rows;
  std::string footer;
  format::encode_file_metadata(w.meta, &footer);
  const auto length = static_cast<uint32_t>(footer.size());
  footer.append(reinterpret_cast<const char*>(&length), 4);
  footer.append("PAR1");
  if (Status s = w.write_all(footer); !s.ok()) return fail(s);
  if (::fsync(w.fd) != 0) return fail(Status::IoError(w.path + ": fsync: " + std::strerror(errno)));
  const int fd = w.fd;
  w.fd = -1;
  if (::close(fd) != 0) return fail(Status::IoError(w.path + ": close: " + std::strerror(errno)));
  if (summary != nullptr) {
    summary->rows = w.rows;
    summary->bytes = w.file_pos;
    summary->columns.clear();
    for (const ColumnWriter& c : w.columns) {
      ColumnStats& s = summary->columns.emplace_back();
      s.min = c.file_stats.min_value(c.schema.physical);
      s.max = c.file_stats.max_value(c.schema.physical);
      s.null_count = c.file_stats.nulls;
    }
  }
  return Status::Ok();
}

}  // namespace pixguard::parquet
