#pragma once
// ParquetReader: reads the footer of a Parquet file and whole leaf columns, ours and other
// writers' (DuckDB, Spark, parquet-mr): nested schemas as leaf columns with their
// definition and repetition levels; PLAIN, dictionary, RLE, DELTA_* and BYTE_STREAM_SPLIT
// encodings; data page v1 and v2; UNCOMPRESSED, SNAPPY, GZIP, ZSTD (docs/parquet.md).
//
// Every length and offset is checked against the file before use, and sizes are capped, so
// a corrupt, truncated or unsupported file gives a Status, never a crash or a huge allocation.
//
// Threading: after open() the reader is immutable; read_column may be called from several
// threads at once (each call uses its own buffers and pread).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "parquet/parquet_types.h"

namespace pixguard::parquet {

struct LeafColumn {
  std::string path;  // dotted path of the leaf, e.g. "amount" or "add.path" or "add.partitionValues.key_value.key"
  PhysicalType physical = PhysicalType::kInt64;
  LogicalKind logical = LogicalKind::kNone;
  int precision = 0, scale = 0;
  int type_length = 0;
  int max_definition_level = 0, max_repetition_level = 0;
  bool adjusted_to_utc = false;  // timestamps: isAdjustedToUTC (true for the ConvertedType forms)
};

struct ColumnData {
  std::vector<int16_t> definition_levels;  // one per value slot; empty when max_definition_level == 0
  std::vector<int16_t> repetition_levels;  // empty when max_repetition_level == 0
  // The non-null values in order, in the vector matching the physical type
  // (INT96 -> int64s as micros UTC; FIXED_LEN_BYTE_ARRAY -> strings):
  std::vector<uint8_t> booleans;
  std::vector<int32_t> int32s;
  std::vector<int64_t> int64s;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::vector<std::string> strings;
};

class ParquetReader {
 public:
  // Reads and checks the footer: magic, length, schema, row groups (offsets inside the file,
  // one chunk per leaf, row counts adding up).
  static Status open(const std::string& path, std::unique_ptr<ParquetReader>* out);
  ~ParquetReader();
  ParquetReader(const ParquetReader&) = delete;
  ParquetReader& operator=(const ParquetReader&) = delete;

  int64_t num_rows() const;
  const std::vector<LeafColumn>& columns() const;
  int find_column(std::string_view path) const;  // -1 when absent
  const std::string& created_by() const;
  const std::vector<std::pair<std::string, std::string>>& key_value_metadata() const;
  int row_groups() const;
  int64_t row_group_rows(int row_group) const;

  // Every row group of leaf `index`, appended to `out` in order (out is not cleared).
  Status read_column(int index, ColumnData* out) const;

  // The footer statistics of one column chunk (typed as the leaf's physical type); NotFound
  // when the chunk has none or they cannot be interpreted (INT96, a missing bound).
  Status column_stats(int row_group, int index, ColumnStats* out) const;

  struct Impl;

 private:
  explicit ParquetReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pixguard::parquet
