// Truncated and bit-flipped copies of a valid file must give a Status, never a crash, a
// sanitizer report or a runaway allocation (this runs under ASan + UBSan in CI).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "parquet/parquet_metadata.h"
#include "parquet/parquet_reader.h"
#include "parquet/parquet_writer.h"

namespace pixguard::parquet {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("pixguard_parquet_fuzz_" + std::to_string(::getpid()) + "_" + name)).string();
}

std::string valid_file(Codec codec) {
  const std::string path = temp_path("valid.parquet");
  WriterOptions options;
  options.codec = codec;
  options.page_bytes = 256;
  options.row_group_bytes = 2048;
  std::unique_ptr<ParquetWriter> w;
  EXPECT_TRUE(ParquetWriter::create(path, {{"id", PhysicalType::kInt64, LogicalKind::kNone, 0, 0, false, false},
                                           {"s", PhysicalType::kByteArray, LogicalKind::kString, 0, 0, true, true},
                                           {"b", PhysicalType::kBoolean},
                                           {"d", PhysicalType::kDouble}},
                                    options, &w).ok());
  for (int i = 0; i < 300; ++i) {
    w->add_int64(i * 31);
    if (i % 5 == 0) w->add_null(); else w->add_string("k" + std::to_string(i % 4));
    w->add_bool(i % 3 == 0);
    if (i % 7 == 0) w->add_null(); else w->add_double(i * 0.25);
    EXPECT_TRUE(w->end_row().ok());
  }
  EXPECT_TRUE(w->finish(nullptr).ok());
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(path);
  return ss.str();
}

// Opens and reads every column; returns whether everything succeeded.
bool read_all(const std::string& bytes) {
  const std::string path = temp_path("mutant.parquet");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::unique_ptr<ParquetReader> reader;
  bool ok = ParquetReader::open(path, &reader).ok();
  if (ok) {
    for (int i = 0; i < static_cast<int>(reader->columns().size()); ++i) {
      ColumnData data;
      ok = reader->read_column(i, &data).ok() && ok;
      ColumnStats st;
      for (int g = 0; g < reader->row_groups(); ++g) (void)reader->column_stats(g, i, &st);
    }
  }
  std::filesystem::remove(path);
  return ok;
}

TEST(ParquetReaderRobustness, ValidFileReads) {
  EXPECT_TRUE(read_all(valid_file(Codec::kSnappy)));
}

TEST(ParquetReaderRobustness, EveryTruncationFails) {
  const std::string file = valid_file(Codec::kSnappy);
  for (std::size_t n = 0; n < file.size(); ++n) {
    EXPECT_FALSE(read_all(file.substr(0, n))) << "truncated to " << n << " of " << file.size();
  }
}

TEST(ParquetReaderRobustness, BitFlipsGiveErrorsNotCrashes) {
  for (Codec codec : {Codec::kUncompressed, Codec::kSnappy, Codec::kZstd}) {
    const std::string file = valid_file(codec);
    std::mt19937 rng(1234);
    int failures = 0;
    const int trials = 1500;
    for (int t = 0; t < trials; ++t) {
      std::string mutant = file;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) {
        const std::size_t at = rng() % mutant.size();
        mutant[at] = static_cast<char>(mutant[at] ^ (1 << (rng() % 8)));
      }
      failures += read_all(mutant) ? 0 : 1;
    }
    // Flips in data values can leave a valid file, but most flips must be caught.
    EXPECT_GT(failures, trials / 10) << "codec " << static_cast<int>(codec);
  }
}

TEST(ParquetReaderRobustness, FooterFlipsAreAllSurvived) {
  // Every single-bit flip in the footer (where lengths and offsets live).
  const std::string file = valid_file(Codec::kSnappy);
  uint32_t footer_len;
  std::memcpy(&footer_len, file.data() + file.size() - 8, 4);
  for (std::size_t at = file.size() - 8 - footer_len; at < file.size(); ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string mutant = file;
      mutant[at] = static_cast<char>(mutant[at] ^ (1 << bit));
      (void)read_all(mutant);
    }
  }
}

TEST(ParquetReaderRobustness, SpecificCorruptionsNameTheProblem) {
  const std::string file = valid_file(Codec::kSnappy);
  const std::string path = temp_path("specific.parquet");
  auto open_status = [&](const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::unique_ptr<ParquetReader> reader;
    return ParquetReader::open(path, &reader);
  };
  std::string bad_len = file;
  const uint32_t huge = 0x7fffffff;
  std::memcpy(bad_len.data() + bad_len.size() - 8, &huge, 4);
  Status s = open_status(bad_len);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("footer length"), std::string::npos) << s.message();
  std::string bad_magic = file;
  bad_magic[0] = 'X';
  EXPECT_NE(open_status(bad_magic).message().find("magic"), std::string::npos);
  std::string encrypted = file;
  encrypted[encrypted.size() - 1] = 'E';
  EXPECT_EQ(open_status(encrypted).code(), StatusCode::kUnsupported);
  std::unique_ptr<ParquetReader> reader;
  EXPECT_EQ(ParquetReader::open(temp_path("does_not_exist.parquet"), &reader).code(), StatusCode::kNotFound);
  std::filesystem::remove(path);
}

// A one-column file (INT64, optional) whose only data page has header `h` and bytes `body`,
// compressed with `codec`, the footer claiming `rows` rows.
std::string one_page_file(format::PageHeader h, const std::string& body, int32_t codec, int64_t rows) {
  std::string file = "PAR1";
  format::encode_page_header(h, &file);
  file += body;
  format::FileMetaData m;
  m.schema.resize(2);
  m.schema[0].name = "schema";
  m.schema[0].num_children = 1;
  m.schema[1].name = "v";
  m.schema[1].type = format::kInt64;
  m.schema[1].repetition = format::kOptional;
  m.num_rows = rows;
  format::RowGroup& g = m.row_groups.emplace_back();
  g.num_rows = rows;
  format::ColumnChunk& c = g.columns.emplace_back();
  c.has_meta_data = true;
  c.meta_data.type = format::kInt64;
  c.meta_data.codec = codec;
  c.meta_data.path_in_schema = {"v"};
  c.meta_data.num_values = rows;
  c.meta_data.data_page_offset = 4;
  c.meta_data.total_compressed_size = c.meta_data.total_uncompressed_size = static_cast<int64_t>(file.size() - 4);
  std::string footer;
  format::encode_file_metadata(m, &footer);
  const auto len = static_cast<uint32_t>(footer.size());
  file += footer;
  file.append(reinterpret_cast<const char*>(&len), 4);
  file += "PAR1";
  return file;
}

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// A page header's sizes are the file's word: a few bytes claiming a 500 MiB page must be
// refused before anything that large is allocated, whatever the codec.
TEST(ParquetReaderRobustness, APageCannotClaimMoreThanItsBytesCanHold) {
  const long before = peak_rss_kib();
  for (const int32_t codec : {format::kGzip, format::kSnappy, format::kZstd}) {
    format::PageHeader h;
    h.type = format::kDataPage;
    h.has_page_header = true;
    h.num_values = 1;
    h.encoding = format::kPlain;
    const std::string body(24, '\x01');
    h.compressed_page_size = static_cast<int32_t>(body.size());
    h.uncompressed_page_size = 500 << 20;
    const std::string path = temp_path("claims.parquet");
    const std::string file = one_page_file(h, body, codec, 1);
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(file.data(), static_cast<std::streamsize>(file.size()));
    std::unique_ptr<ParquetReader> reader;
    ASSERT_TRUE(ParquetReader::open(path, &reader).ok());
    ColumnData data;
    const Status s = reader->read_column(0, &data);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << codec;
    EXPECT_NE(s.message().find("claims"), std::string::npos) << codec << ": " << s.message();
    std::filesystem::remove(path);
  }
  const long grown_mib = (peak_rss_kib() - before) / 1024;
  EXPECT_LT(grown_mib, 64) << "peak RSS grew by " << grown_mib << " MiB reading three tiny files";
}

TEST(ParquetReaderRobustness, AFileCannotClaimMoreValuesThanItsSizeAllows) {
  format::PageHeader h;
  h.type = format::kDataPage;
  h.has_page_header = true;
  h.num_values = 1;
  h.encoding = format::kPlain;
  h.compressed_page_size = h.uncompressed_page_size = 8;
  const std::string file = one_page_file(h, std::string(8, '\0'), format::kUncompressed, int64_t{1} << 40);
  const std::string path = temp_path("rows.parquet");
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(file.data(), static_cast<std::streamsize>(file.size()));
  std::unique_ptr<ParquetReader> reader;
  const Status s = ParquetReader::open(path, &reader);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("claims"), std::string::npos) << s.message();
  std::filesystem::remove(path);
}

// Spark's INT96 timestamps (8 bytes nanos of day, 4 bytes julian day), in a file built by
// hand since our writer does not write INT96.
TEST(ParquetReaderInt96, DecodesToUtcMicros) {
  std::string body;
  auto put = [&](int64_t nanos, uint32_t julian) {
    body.append(reinterpret_cast<const char*>(&nanos), 8);
    body.append(reinterpret_cast<const char*>(&julian), 4);
  };
  put(0, 2440588);                     // 1970-01-01T00:00:00Z
  put(3723000001000, 2440589);         // 1970-01-02T01:02:03.000001Z
  put(86399999999000, 2440587);        // 1969-12-31T23:59:59.999999Z
  format::PageHeader h;
  h.type = format::kDataPage;
  h.num_values = 3;
  h.encoding = format::kPlain;
  h.uncompressed_page_size = h.compressed_page_size = static_cast<int32_t>(body.size());
  std::string file = "PAR1";
  format::encode_page_header(h, &file);
  file += body;
  format::FileMetaData m;
  m.schema.resize(2);
  m.schema[0].name = "spark_schema";
  m.schema[0].num_children = 1;
  m.schema[1].name = "ts";
  m.schema[1].type = format::kInt96;
  m.schema[1].repetition = format::kRequired;
  m.num_rows = 3;
  format::RowGroup& g = m.row_groups.emplace_back();
  g.num_rows = 3;
  format::ColumnChunk& c = g.columns.emplace_back();
  c.has_meta_data = true;
  c.meta_data.type = format::kInt96;
  c.meta_data.path_in_schema = {"ts"};
  c.meta_data.num_values = 3;
  c.meta_data.data_page_offset = 4;
  c.meta_data.total_compressed_size = c.meta_data.total_uncompressed_size = static_cast<int64_t>(file.size() - 4);
  std::string footer;
  format::encode_file_metadata(m, &footer);
  const auto len = static_cast<uint32_t>(footer.size());
  file += footer;
  file.append(reinterpret_cast<const char*>(&len), 4);
  file += "PAR1";
  const std::string path = temp_path("int96.parquet");
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(file.data(), static_cast<std::streamsize>(file.size()));
  std::unique_ptr<ParquetReader> reader;
  const Status s = ParquetReader::open(path, &reader);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(reader->columns()[0].physical, PhysicalType::kInt96);
  ColumnData data;
  ASSERT_TRUE(reader->read_column(0, &data).ok());
  EXPECT_EQ(data.int64s, (std::vector<int64_t>{0, 86400000000 + 3723000001, -1}));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pixguard::parquet
