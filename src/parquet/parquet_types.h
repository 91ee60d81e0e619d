#pragma once
// The vocabulary shared by the Parquet writer and reader: physical and logical types, a
// flat column's schema, codecs and statistics.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace pixguard::parquet {

enum class PhysicalType : unsigned char { kBoolean, kInt32, kInt64, kInt96, kFloat, kDouble, kByteArray, kFixedLenByteArray };

// "INT64", "BYTE_ARRAY": the names of parquet.thrift, for messages.
inline const char* physical_type_name(PhysicalType t) {
  switch (t) {
    case PhysicalType::kBoolean: return "BOOLEAN";
    case PhysicalType::kInt32: return "INT32";
    case PhysicalType::kInt64: return "INT64";
    case PhysicalType::kInt96: return "INT96";
    case PhysicalType::kFloat: return "FLOAT";
    case PhysicalType::kDouble: return "DOUBLE";
    case PhysicalType::kByteArray: return "BYTE_ARRAY";
    case PhysicalType::kFixedLenByteArray: return "FIXED_LEN_BYTE_ARRAY";
  }
  return "?";
}

// kTimestampMicros is adjusted to UTC when written by us; the reader reports any
// TIMESTAMP(MICROS) as kTimestampMicros (LeafColumn::adjusted_to_utc tells which) and the
// other units as the values added after kDate.
enum class LogicalKind : unsigned char { kNone, kString, kTimestampMicros, kDecimal, kDate,
                                         kTimestampMillis, kTimestampNanos, kJson, kOther };

struct ColumnSchema {
  std::string name;
  PhysicalType physical = PhysicalType::kInt64;
  LogicalKind logical = LogicalKind::kNone;
  int precision = 0, scale = 0;   // kDecimal (physical kInt64 or kInt32)
  bool nullable = true;           // OPTIONAL (definition levels) vs REQUIRED
  bool dictionary = false;        // dictionary page + RLE_DICTIONARY (for low-cardinality strings)
  // Personal data: no min/max of it in a Delta log, which outlives the data files an
  // erasure rewrites (delta/delta_stats.h).
  bool personal = false;
};

enum class Codec : unsigned char { kUncompressed, kSnappy, kZstd };

// A statistics value, typed as the column's physical type (INT96 read as int64 micros UTC).
using Value = std::variant<std::monostate, bool, int32_t, int64_t, float, double, std::string>;

struct ColumnStats {
  Value min, max;  // monostate when all null
  int64_t null_count = 0;
};

struct FileSummary {
  int64_t rows = 0;
  int64_t bytes = 0;  // the file's size
  std::vector<ColumnStats> columns;
};

}  // namespace pixguard::parquet
