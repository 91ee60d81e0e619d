#pragma once
// ParquetWriter: writes rows of a flat schema to one Parquet file (format docs/parquet.md):
// row groups of data page v1 pages, PLAIN or dictionary encoded, SNAPPY/ZSTD/uncompressed,
// with column statistics in the footer.
//
// Threading: one writer is used by one thread at a time. Appending keeps columnar buffers
// that are reused across pages and row groups, so the steady state does not allocate.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "parquet/parquet_types.h"

namespace pixguard::parquet {

struct WriterOptions {
  Codec codec = Codec::kSnappy;
  int zstd_level = 3;
  int64_t row_group_bytes = 64 << 20;  // a row group ends when its buffered data reaches this
  int64_t page_bytes = 1 << 20;        // data pages are cut at about this size
  std::string created_by;              // "pixguard version 0.1.0 (build <hash or dev>)" form, default set by writer
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
};

class ParquetWriter {
 public:
  // Writes a flat schema to `path` (created/truncated). Nothing is valid to readers until
  // finish(). Fails on an empty schema, duplicate or empty names, a physical type we do not
  // write (INT96, FIXED_LEN_BYTE_ARRAY) or a logical type that does not fit its physical type.
  static Status create(const std::string& path, std::vector<ColumnSchema> schema, WriterOptions options,
                       std::unique_ptr<ParquetWriter>* out);
  ~ParquetWriter();  // closes the file without a footer if finish() was not called
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // One value per column per row, in column order; then end_row(). add_string serves
  // BYTE_ARRAY columns (STRING or not); the value is copied.
  void add_null();
  void add_bool(bool v);
  void add_int32(int32_t v);
  void add_int64(int64_t v);
  void add_float(float v);
  void add_double(double v);
  void add_string(std::string_view v);

  // Checks the row had exactly one value per column with the right type (the error names
  // the column; the row is then dropped and the writer stays usable). May write a full row
  // group to the file, so it can also fail with an I/O error, after which every call fails.
  Status end_row();

  int64_t rows() const;            // rows accepted so far
  int64_t buffered_bytes() const;  // encoded bytes not yet written to the file, for size-based rolling
  int64_t written_bytes() const;   // bytes already in the file (the row groups flushed so far)

  // Flushes the last row group, writes the footer, fsyncs, closes. `summary` (may be null)
  // gets the row count, the file size and per-column min/max/null counts over the file.
  Status finish(FileSummary* summary);

  struct Impl;

 private:
  explicit ParquetWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pixguard::parquet
