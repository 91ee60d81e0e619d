#include "parquet/parquet_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "parquet/page_codec.h"
#include "parquet/parquet_metadata.h"
#include "parquet/rle_hybrid.h"
#include "parquet/uleb128.h"

namespace pixguard::parquet {
namespace {

// Caps that bound what a corrupt file can make us allocate; far above real files.
constexpr uint32_t kMaxFooterBytes = 256u << 20;
constexpr int32_t kMaxPageBytes = 512 << 20;
constexpr int32_t kMaxPageValues = 1 << 24;
constexpr int64_t kMaxChunkBytes = int64_t{1} << 31;
constexpr int kMaxSchemaDepth = 64;
constexpr int32_t kMaxTypeLength = 1 << 20;
// Bounds relative to the file's own bytes, so that a small file cannot claim a large
// allocation: a page decompresses to at most kMaxExpansion times its compressed bytes (or
// kSmallPageBytes, above the writer's 1 MiB pages, whatever they compress to), and a file
// holds at most kMaxValuesPerByte values per byte (constant columns compress that well; a
// claim beyond it would allocate gigabytes of levels from a few kilobytes).
constexpr int64_t kSmallPageBytes = 8 << 20;
constexpr int64_t kMaxValuesPerByte = 4096;
constexpr int64_t kMinValueCap = 1 << 20;

// How many times its compressed size a page of this codec can decompress to: snappy's
// format cannot exceed about 21 (a 64-byte copy in a 3-byte tag); deflate's 1032; zstd has no
// bound of its own, so the same one as deflate (with the kSmallPageBytes floor).
int64_t max_expansion(int32_t codec) {
  switch (codec) {
    case format::kUncompressed: return 1;
    case format::kSnappy: return 32;
    default: return 1032;
  }
}

// Julian day of 1970-01-01, for INT96 timestamps (8 bytes nanos of day, 4 bytes julian day).
constexpr int64_t kJulianUnixEpoch = 2440588;

Status corrupt(const std::string& what) { return Status::Corruption(what); }

template <typename T>
T load_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A leaf's dictionary, decoded once per column chunk.
struct Dictionary {
  bool present = false;
  std::vector<uint8_t> booleans;
  std::vector<int32_t> int32s;
  std::vector<int64_t> int64s;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::vector<std::string> strings;
  std::size_t size = 0;
};

// Bounded view of a page's bytes.
class Cursor {
 public:
  explicit Cursor(std::string_view in) : in_(in) {}
  std::size_t left() const { return in_.size() - pos_; }
  const char* here() const { return in_.data() + pos_; }
  bool take(std::size_t n, std::string_view* out) {
    if (n > left()) return false;
    *out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool u32(uint32_t* v) {
    if (left() < 4) return false;
    *v = load_le<uint32_t>(here());
    pos_ += 4;
    return true;
  }
  bool varint(uint64_t* v) { return get_uleb128(in_, &pos_, v); }
  bool zigzag(int64_t* v) {
    uint64_t u;
    if (!varint(&u)) return false;
    *v = zigzag_decode(u);
    return true;
  }
  std::string_view rest() const { return in_.substr(pos_); }
  void skip_all() { pos_ = in_.size(); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

// DELTA_BINARY_PACKED: appends exactly `n` values (as uint64, wrapping) to `out`.
bool decode_delta_binary(Cursor& c, std::size_t n, std::vector<uint64_t>* out) {
  uint64_t block_size, miniblocks, total;
  int64_t first;
  if (!c.varint(&block_size) || !c.varint(&miniblocks) || !c.varint(&total) || !c.zigzag(&first)) return false;
  if (block_size == 0 || block_size % 128 != 0 || block_size > (1u << 20) || miniblocks == 0 ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0 || total != n) {
    return false;
  }
  out->clear();
  if (n == 0) return true;
  out->reserve(n);
  const uint64_t per_mini = block_size / miniblocks;
  uint64_t value = static_cast<uint64_t>(first);
  out->push_back(value);
  std::string_view widths;
  while (out->size() < n) {
    int64_t min_delta;
    if (!c.zigzag(&min_delta) || !c.take(miniblocks, &widths)) return false;
    for (uint64_t m = 0; m < miniblocks && out->size() < n; ++m) {
      const int bw = static_cast<uint8_t>(widths[m]);
      if (bw > 64) return false;
      std::string_view bits;
      if (!c.take(per_mini * static_cast<uint64_t>(bw) / 8, &bits)) return false;
      for (uint64_t k = 0; k < per_mini && out->size() < n; ++k) {
        uint64_t delta = 0;
        const uint64_t bit = k * static_cast<uint64_t>(bw);
        for (int b = 0; b < bw; ++b) {
          const uint64_t at = bit + static_cast<uint64_t>(b);
          if ((static_cast<uint8_t>(bits[at / 8]) >> (at % 8)) & 1) delta |= uint64_t{1} << b;
        }
        value += delta + static_cast<uint64_t>(min_delta);
        out->push_back(value);
      }
    }
  }
  return true;
}

struct LeafDecoder {
  const LeafColumn& leaf;
  int32_t codec;
  ColumnData* out;
  Dictionary dict;
  std::string page_buf, values_buf;
  std::vector<uint32_t> indices;
  std::vector<uint64_t> deltas, lengths;

  // Appends `n` PLAIN values to the typed vectors of `d` (a ColumnData or a Dictionary).
  template <typename D>
  Status decode_plain(Cursor& c, std::size_t n, D* d) {
    std::string_view bytes;
    switch (leaf.physical) {
      case PhysicalType::kBoolean:
        if (!c.take((n + 7) / 8, &bytes)) return corrupt("PLAIN booleans: page too short");
        for (std::size_t i = 0; i < n; ++i) d->booleans.push_back((static_cast<uint8_t>(bytes[i / 8]) >> (i % 8)) & 1);
        return Status::Ok();
      case PhysicalType::kInt32: return fixed(c, n, &d->int32s);
      case PhysicalType::kInt64: return fixed(c, n, &d->int64s);
      case PhysicalType::kFloat: return fixed(c, n, &d->floats);
      case PhysicalType::kDouble: return fixed(c, n, &d->doubles);
      case PhysicalType::kInt96: {
        if (n > c.left() / 12 || !c.take(n * 12, &bytes)) return corrupt("PLAIN INT96: page too short");
        for (std::size_t i = 0; i < n; ++i) {
          const int64_t nanos = load_le<int64_t>(bytes.data() + 12 * i);
          const int64_t day = static_cast<int64_t>(load_le<uint32_t>(bytes.data() + 12 * i + 8)) - kJulianUnixEpoch;
          int64_t micros;
          if (__builtin_mul_overflow(day, int64_t{86400000000}, &micros) || __builtin_add_overflow(micros, nanos / 1000, &micros)) {
            return corrupt("INT96 timestamp out of range");
          }
          d->int64s.push_back(micros);
        }
        return Status::Ok();
      }
      case PhysicalType::kByteArray:
        for (std::size_t i = 0; i < n; ++i) {
          uint32_t len;
          if (!c.u32(&len) || !c.take(len, &bytes)) return corrupt("PLAIN BYTE_ARRAY: page too short");
          d->strings.emplace_back(bytes);
        }
        return Status::Ok();
      case PhysicalType::kFixedLenByteArray: {
        const auto w = static_cast<std::size_t>(leaf.type_length);
        if (n > c.left() / w) return corrupt("PLAIN FIXED_LEN_BYTE_ARRAY: page too short");
        for (std::size_t i = 0; i < n; ++i) {
          (void)c.take(w, &bytes);
          d->strings.emplace_back(bytes);
        }
        return Status::Ok();
      }
    }
    return Status::Unsupported("physical type");
  }

  template <typename T>
  static Status fixed(Cursor& c, std::size_t n, std::vector<T>* v) {
    std::string_view bytes;
    if (n > c.left() / sizeof(T) || !c.take(n * sizeof(T), &bytes)) return corrupt("PLAIN values: page too short");
    const std::size_t old = v->size();
    v->resize(old + n);
    if (n > 0) std::memcpy(v->data() + old, bytes.data(), n * sizeof(T));
    return Status::Ok();
  }

  Status decode_dictionary_indices(Cursor& c, std::size_t n) {
    if (!dict.present) return corrupt("dictionary-encoded page without a dictionary page");
    std::string_view width_byte;
    if (!c.take(1, &width_byte)) return corrupt("dictionary page data: no bit width");
    const int width = static_cast<uint8_t>(width_byte[0]);
    if (width > 32) return corrupt("dictionary indices: bit width " + std::to_string(width));
    indices.resize(n);
    RleHybridDecoder decoder(c.rest(), width);
    if (n > 0 && !decoder.get(indices.data(), n)) return corrupt("dictionary indices: malformed RLE");
    c.skip_all();
    for (uint32_t i : indices) {
      if (i >= dict.size) return corrupt("dictionary index " + std::to_string(i) + " >= " + std::to_string(dict.size));
    }
    switch (leaf.physical) {
      case PhysicalType::kBoolean: for (uint32_t i : indices) out->booleans.push_back(dict.booleans[i]); break;
      case PhysicalType::kInt32: for (uint32_t i : indices) out->int32s.push_back(dict.int32s[i]); break;
      case PhysicalType::kInt96:
      case PhysicalType::kInt64: for (uint32_t i : indices) out->int64s.push_back(dict.int64s[i]); break;
      case PhysicalType::kFloat: for (uint32_t i : indices) out->floats.push_back(dict.floats[i]); break;
      case PhysicalType::kDouble: for (uint32_t i : indices) out->doubles.push_back(dict.doubles[i]); break;
      case PhysicalType::kByteArray:
      case PhysicalType::kFixedLenByteArray: for (uint32_t i : indices) out->strings.push_back(dict.strings[i]); break;
    }
    return Status::Ok();
  }

  Status decode_values(int32_t encoding, Cursor& c, std::size_t n) {
    switch (encoding) {
      case format::kPlain: return decode_plain(c, n, out);
      case format::kPlainDictionary:
      case format::kRleDictionary: return decode_dictionary_indices(c, n);
      case format::kRle: {
        if (leaf.physical != PhysicalType::kBoolean) break;
        uint32_t len;
        std::string_view bytes;
        if (!c.u32(&len) || !c.take(len, &bytes)) return corrupt("RLE booleans: bad length");
        const std::size_t old = out->booleans.size();
        out->booleans.resize(old + n);
        RleHybridDecoder decoder(bytes, 1);
        if (n > 0 && !decoder.get(out->booleans.data() + old, n)) return corrupt("RLE booleans: malformed");
        return Status::Ok();
      }
      case format::kDeltaBinaryPacked: {
        if (leaf.physical != PhysicalType::kInt32 && leaf.physical != PhysicalType::kInt64) break;
        if (!decode_delta_binary(c, n, &deltas)) return corrupt("DELTA_BINARY_PACKED: malformed");
        for (uint64_t v : deltas) {
          if (leaf.physical == PhysicalType::kInt32) out->int32s.push_back(static_cast<int32_t>(static_cast<uint32_t>(v)));
          else out->int64s.push_back(static_cast<int64_t>(v));
        }
        return Status::Ok();
      }
      case format::kDeltaLengthByteArray: {
        if (leaf.physical != PhysicalType::kByteArray) break;
        if (!decode_delta_binary(c, n, &lengths)) return corrupt("DELTA_LENGTH_BYTE_ARRAY: malformed lengths");
        for (uint64_t len : lengths) {
          std::string_view bytes;
          if (!c.take(len, &bytes)) return corrupt("DELTA_LENGTH_BYTE_ARRAY: page too short");
          out->strings.emplace_back(bytes);
        }
        return Status::Ok();
      }
      case format::kDeltaByteArray: {
        if (leaf.physical != PhysicalType::kByteArray && leaf.physical != PhysicalType::kFixedLenByteArray) break;
        std::vector<uint64_t> prefixes;
        if (!decode_delta_binary(c, n, &prefixes)) return corrupt("DELTA_BYTE_ARRAY: malformed prefix lengths");
        if (!decode_delta_binary(c, n, &lengths)) return corrupt("DELTA_BYTE_ARRAY: malformed suffix lengths");
        std::string previous;
        for (std::size_t i = 0; i < n; ++i) {
          std::string_view suffix;
          if (prefixes[i] > previous.size() || !c.take(lengths[i], &suffix)) return corrupt("DELTA_BYTE_ARRAY: malformed");
          previous.resize(prefixes[i]);
          previous.append(suffix);
          out->strings.push_back(previous);
        }
        return Status::Ok();
      }
      case format::kByteStreamSplit: {
        const std::size_t w = leaf.physical == PhysicalType::kFloat || leaf.physical == PhysicalType::kInt32 ? 4
                              : leaf.physical == PhysicalType::kDouble || leaf.physical == PhysicalType::kInt64 ? 8
                              : leaf.physical == PhysicalType::kFixedLenByteArray ? static_cast<std::size_t>(leaf.type_length)
                                                                                   : 0;
        if (w == 0) break;
        std::string_view bytes;
        if (n > c.left() / w || !c.take(n * w, &bytes)) return corrupt("BYTE_STREAM_SPLIT: page too short");
        values_buf.resize(n * w);
        for (std::size_t i = 0; i < n; ++i) {
          for (std::size_t b = 0; b < w; ++b) values_buf[i * w + b] = bytes[b * n + i];
        }
        Cursor plain(values_buf);
        return decode_plain(plain, n, out);
      }
      default: break;
    }
    return Status::Unsupported("encoding " + std::to_string(encoding) + " for this column type");
  }

  // Appends the page's levels; *non_null is how many values the page stores.
  Status decode_levels(std::string_view rep, std::string_view def, std::size_t n, std::size_t* non_null) {
    if (leaf.max_repetition_level > 0) {
      const std::size_t old = out->repetition_levels.size();
      out->repetition_levels.resize(old + n);
      RleHybridDecoder d(rep, bit_width_for(static_cast<uint64_t>(leaf.max_repetition_level)));
      if (n > 0 && !d.get(out->repetition_levels.data() + old, n)) return corrupt("repetition levels: malformed RLE");
      for (std::size_t i = old; i < old + n; ++i) {
        if (out->repetition_levels[i] < 0 || out->repetition_levels[i] > leaf.max_repetition_level) {
          return corrupt("repetition level out of range");
        }
      }
    }
    *non_null = n;
    if (leaf.max_definition_level > 0) {
      const std::size_t old = out->definition_levels.size();
      out->definition_levels.resize(old + n);
      RleHybridDecoder d(def, bit_width_for(static_cast<uint64_t>(leaf.max_definition_level)));
      if (n > 0 && !d.get(out->definition_levels.data() + old, n)) return corrupt("definition levels: malformed RLE");
      *non_null = 0;
      for (std::size_t i = old; i < old + n; ++i) {
        const int16_t level = out->definition_levels[i];
        if (level < 0 || level > leaf.max_definition_level) return corrupt("definition level out of range");
        if (level == leaf.max_definition_level) ++*non_null;
      }
    }
    return Status::Ok();
  }

  // v1 level sections: a 4-byte length, then the RLE hybrid bytes.
  static Status v1_levels(Cursor& c, int max_level, int32_t encoding, std::string_view* out) {
    if (max_level == 0) return Status::Ok();
    if (encoding != format::kRle) return Status::Unsupported("level encoding " + std::to_string(encoding) + " (RLE only)");
    uint32_t len;
    if (!c.u32(&len) || !c.take(len, out)) return corrupt("data page: level section longer than the page");
    return Status::Ok();
  }

  Status page(const format::PageHeader& h, std::string_view body, int64_t* values_left) {
    if (h.uncompressed_page_size < 0 || h.compressed_page_size < 0) return corrupt("negative page size");
    if (h.uncompressed_page_size > kMaxPageBytes) return corrupt("page larger than the 512 MiB cap");
    const int64_t expands_to = std::max<int64_t>(static_cast<int64_t>(body.size()) * max_expansion(codec), kSmallPageBytes);
    if (h.uncompressed_page_size > expands_to) {
      return corrupt("page of " + std::to_string(body.size()) + " compressed bytes claims " +
                     std::to_string(h.uncompressed_page_size) + " uncompressed (more than the codec can expand)");
    }
    if (!h.has_page_header) return corrupt("page header lacks its type's header");
    if (h.type == format::kDictionaryPage) {
      if (dict.present) return corrupt("second dictionary page in a column chunk");
      if (h.encoding != format::kPlain && h.encoding != format::kPlainDictionary) {
        return Status::Unsupported("dictionary page encoding " + std::to_string(h.encoding));
      }
      if (Status s = decompress_page(codec, body, static_cast<std::size_t>(h.uncompressed_page_size), &page_buf); !s.ok()) return s;
      Cursor c(page_buf);
      if (static_cast<std::size_t>(h.num_values) > page_buf.size() * 8 + 8) return corrupt("dictionary: too many values");
      if (Status s = decode_plain(c, static_cast<std::size_t>(h.num_values), &dict); !s.ok()) return s.with_context("dictionary");
      dict.present = true;
      dict.size = static_cast<std::size_t>(h.num_values);
      return Status::Ok();
    }
    if (h.type != format::kDataPage && h.type != format::kDataPageV2) return Status::Ok();  // index pages: skipped
    if (h.num_values > kMaxPageValues) return corrupt("page holds more than 2^24 values");
    if (h.num_values > *values_left) return corrupt("pages hold more values than the column chunk");
    *values_left -= h.num_values;
    const auto n = static_cast<std::size_t>(h.num_values);
    std::string_view rep, def;
    std::size_t non_null = 0;
    if (h.type == format::kDataPage) {
      if (Status s = decompress_page(codec, body, static_cast<std::size_t>(h.uncompressed_page_size), &page_buf); !s.ok()) return s;
      Cursor c(page_buf);
      if (Status s = v1_levels(c, leaf.max_repetition_level, h.repetition_level_encoding, &rep); !s.ok()) return s;
      if (Status s = v1_levels(c, leaf.max_definition_level, h.definition_level_encoding, &def); !s.ok()) return s;
      if (Status s = decode_levels(rep, def, n, &non_null); !s.ok()) return s;
      return decode_values(h.encoding, c, non_null);
    }
    // v2: the levels come first, never compressed, without length prefixes.
    const auto rep_len = static_cast<std::size_t>(h.repetition_levels_byte_length);
    const auto def_len = static_cast<std::size_t>(h.definition_levels_byte_length);
    if (rep_len > body.size() || def_len > body.size() - rep_len ||
        rep_len + def_len > static_cast<std::size_t>(h.uncompressed_page_size)) {
      return corrupt("data page v2: level lengths exceed the page");
    }
    rep = body.substr(0, rep_len);
    def = body.substr(rep_len, def_len);
    if (Status s = decode_levels(rep, def, n, &non_null); !s.ok()) return s;
    const std::string_view data = body.substr(rep_len + def_len);
    const std::size_t data_size = static_cast<std::size_t>(h.uncompressed_page_size) - rep_len - def_len;
    if (h.is_compressed) {
      if (Status s = decompress_page(codec, data, data_size, &page_buf); !s.ok()) return s;
    } else {
      if (data.size() != data_size) return corrupt("data page v2: sizes differ");
      page_buf.assign(data);
    }
    Cursor c(page_buf);
    return decode_values(h.encoding, c, non_null);
  }
};

// Walks the depth-first schema list below element `*at` (a group with `children` members).
Status build_leaves(const std::vector<format::SchemaElement>& schema, std::size_t* at, int32_t children,
                    const std::string& prefix, int def, int rep, int depth, std::vector<LeafColumn>* leaves) {
  if (depth > kMaxSchemaDepth) return corrupt("schema nested deeper than 64 levels");
  for (int32_t i = 0; i < children; ++i) {
    if (*at >= schema.size()) return corrupt("schema: a group has more children than elements remain");
    const format::SchemaElement& e = schema[(*at)++];
    int d = def, r = rep;
    if (e.repetition == format::kOptional) ++d;
    else if (e.repetition == format::kRepeated) ++d, ++r;
    else if (e.repetition != format::kRequired) return corrupt("schema: '" + e.name + "' lacks a valid repetition");
    const std::string path = prefix.empty() ? e.name : prefix + "." + e.name;
    if (e.type < 0) {
      if (e.num_children < 0) return corrupt("schema: group '" + path + "' lacks num_children");
      if (Status s = build_leaves(schema, at, e.num_children, path, d, r, depth + 1, leaves); !s.ok()) return s;
      continue;
    }
    if (e.type > format::kFixedLenByteArray) return corrupt("schema: '" + path + "' has unknown type " + std::to_string(e.type));
    LeafColumn leaf;
    leaf.path = path;
    leaf.physical = static_cast<PhysicalType>(e.type);
    leaf.max_definition_level = d;
    leaf.max_repetition_level = r;
    leaf.type_length = e.type_length;
    if (leaf.physical == PhysicalType::kFixedLenByteArray && (e.type_length <= 0 || e.type_length > kMaxTypeLength)) {
      return corrupt("schema: '" + path + "' has FIXED_LEN_BYTE_ARRAY length " + std::to_string(e.type_length));
    }
    leaf.precision = e.precision;
    leaf.scale = e.scale;
    switch (e.logical) {
      case format::kLogicalString:
      case format::kLogicalEnum: leaf.logical = LogicalKind::kString; break;
      case format::kLogicalJson: leaf.logical = LogicalKind::kJson; break;
      case format::kLogicalDate: leaf.logical = LogicalKind::kDate; break;
      case format::kLogicalDecimal:
        leaf.logical = LogicalKind::kDecimal;
        leaf.precision = e.logical_precision;
        leaf.scale = e.logical_scale;
        break;
      case format::kLogicalTimestamp:
        leaf.logical = e.logical_unit == format::kMillis ? LogicalKind::kTimestampMillis
                       : e.logical_unit == format::kNanos ? LogicalKind::kTimestampNanos : LogicalKind::kTimestampMicros;
        leaf.adjusted_to_utc = e.logical_utc;
        break;
      case format::kLogicalNone:
        switch (e.converted_type) {
          case format::kUtf8:
          case format::kEnum: leaf.logical = LogicalKind::kString; break;
          case format::kJson: leaf.logical = LogicalKind::kJson; break;
          case format::kDate: leaf.logical = LogicalKind::kDate; break;
          case format::kDecimal: leaf.logical = LogicalKind::kDecimal; break;
          case format::kTimestampMicros: leaf.logical = LogicalKind::kTimestampMicros; leaf.adjusted_to_utc = true; break;
          case format::kTimestampMillis: leaf.logical = LogicalKind::kTimestampMillis; leaf.adjusted_to_utc = true; break;
          case -1: break;
          default: leaf.logical = LogicalKind::kOther; break;
        }
        break;
      case format::kLogicalInteger: break;  // the physical type carries the value
      default: leaf.logical = LogicalKind::kOther; break;
    }
    leaves->push_back(std::move(leaf));
  }
  return Status::Ok();
}

}  // namespace

struct ParquetReader::Impl {
  std::string path;
  int fd = -1;
  int64_t data_end = 0;  // where the footer starts
  format::FileMetaData meta;
  std::vector<LeafColumn> leaves;

  ~Impl() {
    if (fd >= 0) ::close(fd);
  }

  Status pread_exact(int64_t offset, std::size_t n, std::string* out) const {
    out->resize(n);
    std::size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd, out->data() + done, n - done, static_cast<off_t>(offset) + static_cast<off_t>(done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Status::IoError(path + ": read: " + std::strerror(errno));
      if (r == 0) return corrupt(path + ": file shorter than its footer says");
      done += static_cast<std::size_t>(r);
    }
    return Status::Ok();
  }

  Status check_row_groups() {
    int64_t rows = 0;
    for (std::size_t g = 0; g < meta.row_groups.size(); ++g) {
      const format::RowGroup& group = meta.row_groups[g];
      const std::string where = "row group " + std::to_string(g);
      if (group.num_rows < 0) return corrupt(where + ": negative num_rows");
      if (group.columns.size() != leaves.size()) {
        return corrupt(where + ": " + std::to_string(group.columns.size()) + " column chunks for " +
                       std::to_string(leaves.size()) + " leaf columns");
      }
      rows += group.num_rows;
      if (rows < 0 || rows > INT64_MAX / 2) return corrupt("row counts overflow");
      for (std::size_t i = 0; i < leaves.size(); ++i) {
        const format::ColumnChunk& chunk = group.columns[i];
        const std::string col = where + ", column '" + leaves[i].path + "'";
        if (!chunk.has_meta_data) return Status::Unsupported(col + ": no meta_data (external column chunks)");
        const format::ColumnMetaData& m = chunk.meta_data;
        if (m.type != static_cast<int32_t>(leaves[i].physical)) return corrupt(col + ": type differs from the schema");
        if (m.num_values < 0 || m.total_compressed_size <= 0 || m.total_compressed_size > kMaxChunkBytes) {
          return corrupt(col + ": bad num_values or total_compressed_size");
        }
        if (leaves[i].max_repetition_level == 0 && m.num_values != group.num_rows) {
          return corrupt(col + ": num_values differs from the row group's num_rows");
        }
        const int64_t start = chunk_start(m);
        if (start < 4 || start > data_end || m.total_compressed_size > data_end - start) {
          return corrupt(col + ": pages lie outside the file");
        }
      }
    }
    if (rows != meta.num_rows) return corrupt("row groups hold " + std::to_string(rows) + " rows, footer says " + std::to_string(meta.num_rows));
    return Status::Ok();
  }

  // What reading the file may allocate for values and levels is bounded by its size.
  Status check_value_counts() const {
    const int64_t cap = std::max(kMinValueCap, data_end > INT64_MAX / kMaxValuesPerByte ? INT64_MAX : data_end * kMaxValuesPerByte);
    for (const format::RowGroup& group : meta.row_groups) {
      for (const format::ColumnChunk& chunk : group.columns) {
        if (chunk.meta_data.num_values > cap) {
          return corrupt("column '" + (chunk.meta_data.path_in_schema.empty() ? std::string() : chunk.meta_data.path_in_schema.back()) +
                         "' claims " + std::to_string(chunk.meta_data.num_values) + " values in a file of " +
                         std::to_string(data_end) + " bytes of data");
        }
      }
    }
    return Status::Ok();
  }

  static int64_t chunk_start(const format::ColumnMetaData& m) {
    // Some writers put 0 in dictionary_page_offset when there is none.
    if (m.has_dictionary_page_offset && m.dictionary_page_offset > 0 && m.dictionary_page_offset < m.data_page_offset) {
      return m.dictionary_page_offset;
    }
    return m.data_page_offset;
  }
};

ParquetReader::ParquetReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ParquetReader::~ParquetReader() = default;

Status ParquetReader::open(const std::string& path, std::unique_ptr<ParquetReader>* out) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl->fd < 0) {
    return errno == ENOENT ? Status::NotFound(path + ": no such file") : Status::IoError(path + ": open: " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(impl->fd, &st) != 0) return Status::IoError(path + ": stat: " + std::strerror(errno));
  const int64_t size = st.st_size;
  if (size < 12) return corrupt(path + ": too short for a Parquet file (" + std::to_string(size) + " bytes)");
  std::string head, tail;
  if (Status s = impl->pread_exact(0, 4, &head); !s.ok()) return s;
  if (Status s = impl->pread_exact(size - 8, 8, &tail); !s.ok()) return s;
  if (head != "PAR1") return corrupt(path + ": no PAR1 magic at the start");
  if (tail.compare(4, 4, "PAR1") != 0) {
    return tail.compare(4, 4, "PARE") == 0 ? Status::Unsupported(path + ": encrypted footer")
                                           : corrupt(path + ": no PAR1 magic at the end (truncated or unfinished file?)");
  }
  const uint32_t footer_len = load_le<uint32_t>(tail.data());
  if (footer_len == 0 || footer_len > kMaxFooterBytes || footer_len > static_cast<uint64_t>(size - 12)) {
    return corrupt(path + ": footer length " + std::to_string(footer_len) + " does not fit the file");
  }
  impl->data_end = size - 8 - footer_len;
  std::string footer;
  if (Status s = impl->pread_exact(impl->data_end, footer_len, &footer); !s.ok()) return s;
  if (Status s = format::decode_file_metadata(footer, &impl->meta); !s.ok()) return s.with_context(path);
  const auto& schema = impl->meta.schema;
  if (schema.empty() || schema[0].num_children < 0) return corrupt(path + ": schema has no root group");
  std::size_t at = 1;
  if (Status s = build_leaves(schema, &at, schema[0].num_children, "", 0, 0, 0, &impl->leaves); !s.ok()) return s.with_context(path);
  if (at != schema.size()) return corrupt(path + ": schema has elements outside the root");
  if (impl->meta.num_rows < 0) return corrupt(path + ": negative num_rows");
  if (Status s = impl->check_row_groups(); !s.ok()) return s.with_context(path);
  if (Status s = impl->check_value_counts(); !s.ok()) return s.with_context(path);
  out->reset(new ParquetReader(std::move(impl)));
  return Status::Ok();
}

int64_t ParquetReader::num_rows() const { return impl_->meta.num_rows; }
const std::vector<LeafColumn>& ParquetReader::columns() const { return impl_->leaves; }
const std::string& ParquetReader::created_by() const { return impl_->meta.created_by; }
const std::vector<std::pair<std::string, std::string>>& ParquetReader::key_value_metadata() const {
  return impl_->meta.key_value_metadata;
}
int ParquetReader::row_groups() const { return static_cast<int>(impl_->meta.row_groups.size()); }
int64_t ParquetReader::row_group_rows(int row_group) const {
  if (row_group < 0 || row_group >= row_groups()) return 0;
  return impl_->meta.row_groups[static_cast<std::size_t>(row_group)].num_rows;
}

int ParquetReader::find_column(std::string_view path) const {
  for (std::size_t i = 0; i < impl_->leaves.size(); ++i) {
    if (impl_->leaves[i].path == path) return static_cast<int>(i);
  }
  return -1;
}

Status ParquetReader::read_column(int index, ColumnData* out) const {
  if (index < 0 || static_cast<std::size_t>(index) >= impl_->leaves.size()) {
    return Status::InvalidArgument("parquet reader: no column " + std::to_string(index));
  }
  const LeafColumn& leaf = impl_->leaves[static_cast<std::size_t>(index)];
  std::string chunk;
  for (std::size_t g = 0; g < impl_->meta.row_groups.size(); ++g) {
    const format::ColumnMetaData& m = impl_->meta.row_groups[g].columns[static_cast<std::size_t>(index)].meta_data;
    const std::string where = impl_->path + ": row group " + std::to_string(g) + ", column '" + leaf.path + "'";
    const int64_t start = Impl::chunk_start(m);
    if (Status s = impl_->pread_exact(start, static_cast<std::size_t>(m.total_compressed_size), &chunk); !s.ok()) return s;
    LeafDecoder decoder{leaf, m.codec, out, {}, {}, {}, {}, {}, {}};
    int64_t values_left = m.num_values;
    std::size_t pos = 0;
    while (values_left > 0) {
      if (pos >= chunk.size()) return corrupt(where + ": pages end " + std::to_string(values_left) + " values early");
      format::PageHeader h;
      std::size_t header_size = 0;
      if (Status s = format::decode_page_header(std::string_view(chunk).substr(pos), &h, &header_size); !s.ok()) {
        return s.with_context(where);
      }
      pos += header_size;
      if (static_cast<std::size_t>(h.compressed_page_size) > chunk.size() - pos) return corrupt(where + ": page runs past the column chunk");
      const std::string_view body = std::string_view(chunk).substr(pos, static_cast<std::size_t>(h.compressed_page_size));
      pos += static_cast<std::size_t>(h.compressed_page_size);
      if (Status s = decoder.page(h, body, &values_left); !s.ok()) return s.with_context(where);
    }
  }
  return Status::Ok();
}

Status ParquetReader::column_stats(int row_group, int index, ColumnStats* out) const {
  if (row_group < 0 || row_group >= row_groups() || index < 0 || static_cast<std::size_t>(index) >= impl_->leaves.size()) {
    return Status::InvalidArgument("parquet reader: no such row group or column");
  }
  const format::ColumnMetaData& m =
      impl_->meta.row_groups[static_cast<std::size_t>(row_group)].columns[static_cast<std::size_t>(index)].meta_data;
  if (!m.has_statistics) return Status::NotFound("no statistics");
  const format::Statistics& s = m.statistics;
  const PhysicalType t = impl_->leaves[static_cast<std::size_t>(index)].physical;
  if (t == PhysicalType::kInt96) return Status::NotFound("INT96 statistics are not interpreted");
  // The deprecated min/max are signed-ordered: fine for numbers, not for byte arrays.
  const bool bytes = t == PhysicalType::kByteArray || t == PhysicalType::kFixedLenByteArray;
  const std::string* lo = s.has_min_value ? &s.min_value : (s.has_min && !bytes ? &s.min : nullptr);
  const std::string* hi = s.has_max_value ? &s.max_value : (s.has_max && !bytes ? &s.max : nullptr);
  out->null_count = s.has_null_count ? s.null_count : -1;
  out->min = std::monostate{};
  out->max = std::monostate{};
  auto decode = [&](const std::string& b, Value* v) -> bool {
    switch (t) {
      case PhysicalType::kBoolean: if (b.size() != 1) return false; *v = b[0] != 0; return true;
      case PhysicalType::kInt32: if (b.size() != 4) return false; *v = load_le<int32_t>(b.data()); return true;
      case PhysicalType::kInt64: if (b.size() != 8) return false; *v = load_le<int64_t>(b.data()); return true;
      case PhysicalType::kFloat: if (b.size() != 4) return false; *v = load_le<float>(b.data()); return true;
      case PhysicalType::kDouble: if (b.size() != 8) return false; *v = load_le<double>(b.data()); return true;
      default: *v = b; return true;
    }
  };
  if (lo == nullptr && hi == nullptr) {
    if (!s.has_null_count) return Status::NotFound("no statistics");
    return Status::Ok();  // all null, or bounds not recorded
  }
  if (lo == nullptr || hi == nullptr || !decode(*lo, &out->min) || !decode(*hi, &out->max)) {
    return Status::NotFound("statistics bounds missing or malformed");
  }
  return Status::Ok();
}

}  // namespace pixguard::parquet
