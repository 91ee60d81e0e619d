// Fuzzes the Parquet reader (parquet/parquet_reader, page_codec, the Thrift footer) with the
// input as a whole file: open, every column read, every row group's statistics. Checked
// beyond "no sanitizer report, no runaway allocation" (-rss_limit_mb):
//  - a file that opens has columns whose reads, when they succeed, hold one definition level
//    per value slot for an optional column, and no more values than slots;
//  - reading a column twice gives the same result (no state leaks between reads).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "fuzz/fuzz_checks.h"
#include "parquet/parquet_reader.h"

namespace pixguard::fuzz {
namespace {

const std::string& temp_path() {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("pixguard_parquet_fuzz_" + std::to_string(::getpid()) + ".parquet"))
          .string();
  return path;
}

std::size_t values_in(const parquet::ColumnData& d) {
  return d.booleans.size() + d.int32s.size() + d.int64s.size() + d.floats.size() + d.doubles.size() + d.strings.size();
}

}  // namespace
}  // namespace pixguard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace pixguard;
  using namespace pixguard::fuzz;
  {
    std::ofstream out(temp_path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    PIXGUARD_FUZZ_CHECK(out.good());
  }
  std::unique_ptr<parquet::ParquetReader> reader;
  if (!parquet::ParquetReader::open(temp_path(), &reader).ok()) return 0;
  for (int i = 0; i < static_cast<int>(reader->columns().size()); ++i) {
    parquet::ColumnData first;
    if (reader->read_column(i, &first).ok()) {
      const parquet::LeafColumn& leaf = reader->columns()[static_cast<std::size_t>(i)];
      if (leaf.max_repetition_level == 0) {
        const auto rows = static_cast<std::size_t>(reader->num_rows());
        PIXGUARD_FUZZ_CHECK(values_in(first) <= rows);
        if (leaf.max_definition_level > 0) PIXGUARD_FUZZ_CHECK(first.definition_levels.size() == rows);
      }
      parquet::ColumnData second;
      PIXGUARD_FUZZ_CHECK(reader->read_column(i, &second).ok());
      PIXGUARD_FUZZ_CHECK(values_in(second) == values_in(first) &&
                          second.definition_levels == first.definition_levels &&
                          second.repetition_levels == first.repetition_levels);
    }
    parquet::ColumnStats stats;
    for (int g = 0; g < reader->row_groups(); ++g) (void)reader->column_stats(g, i, &stats);
  }
  return 0;
}
