// Writes files with ParquetWriter and reads them back with ParquetReader, comparing every
// value, level and statistic (the independent check against DuckDB is
// tests/parquet/duckdb_interop_test.py).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <random>

#include "parquet/parquet_reader.h"
#include "parquet/parquet_writer.h"

namespace pixguard::parquet {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("pixguard_parquet_" + std::to_string(::getpid()) + "_" + name)).string();
}

// One row of the test table; nullopt is null.
struct Row {
  int64_t id;
  std::optional<std::string> payer;   // dictionary, low cardinality
  std::optional<int64_t> amount;      // DECIMAL(18,2) centavos
  std::optional<int64_t> ts;          // TIMESTAMP micros UTC
  std::optional<bool> flag;
  std::optional<double> score;
  std::optional<int32_t> day;         // DATE
  std::optional<float> ratio;
  std::optional<std::string> note;    // PLAIN string, high cardinality
};

std::vector<ColumnSchema> table_schema() {
  return {
      {"id", PhysicalType::kInt64, LogicalKind::kNone, 0, 0, false, false},
      {"payer", PhysicalType::kByteArray, LogicalKind::kString, 0, 0, true, true},
      {"amount", PhysicalType::kInt64, LogicalKind::kDecimal, 18, 2, true, false},
      {"ts", PhysicalType::kInt64, LogicalKind::kTimestampMicros, 0, 0, true, false},
      {"flag", PhysicalType::kBoolean, LogicalKind::kNone, 0, 0, true, false},
      {"score", PhysicalType::kDouble, LogicalKind::kNone, 0, 0, true, false},
      {"day", PhysicalType::kInt32, LogicalKind::kDate, 0, 0, true, false},
      {"ratio", PhysicalType::kFloat, LogicalKind::kNone, 0, 0, true, false},
      {"note", PhysicalType::kByteArray, LogicalKind::kString, 0, 0, true, false},
  };
}

std::vector<Row> make_rows(std::size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Row> rows;
  for (std::size_t i = 0; i < n; ++i) {
    Row r;
    r.id = static_cast<int64_t>(i);
    auto maybe = [&](int null_one_in) { return rng() % static_cast<uint64_t>(null_one_in) != 0; };
    if (maybe(7)) r.payer = "payer-" + std::to_string(rng() % 37);
    if (maybe(5)) r.amount = static_cast<int64_t>(rng() % 2000000) - 1000000;
    if (maybe(9)) r.ts = 1700000000000000 + static_cast<int64_t>(rng() % 1000000000);
    if (maybe(4)) r.flag = rng() % 2 == 0;
    if (maybe(6)) r.score = static_cast<double>(rng() % 100000) / 1000.0 - 50.0;
    if (maybe(8)) r.day = 19000 + static_cast<int32_t>(rng() % 400);
    if (maybe(3)) r.ratio = static_cast<float>(rng() % 1000) / 8.0f;
    if (maybe(10)) r.note = "note " + std::to_string(rng()) + std::string(rng() % 30, 'x');
    rows.push_back(std::move(r));
  }
  return rows;
}

template <typename T, typename Add>
void add(ParquetWriter& w, const std::optional<T>& v, Add&& add_value) {
  if (v) add_value(*v);
  else w.add_null();
}

void write_rows(ParquetWriter& w, const std::vector<Row>& rows) {
  for (const Row& r : rows) {
    w.add_int64(r.id);
    add(w, r.payer, [&](const std::string& v) { w.add_string(v); });
    add(w, r.amount, [&](int64_t v) { w.add_int64(v); });
    add(w, r.ts, [&](int64_t v) { w.add_int64(v); });
    add(w, r.flag, [&](bool v) { w.add_bool(v); });
    add(w, r.score, [&](double v) { w.add_double(v); });
    add(w, r.day, [&](int32_t v) { w.add_int32(v); });
    add(w, r.ratio, [&](float v) { w.add_float(v); });
    add(w, r.note, [&](const std::string& v) { w.add_string(v); });
    ASSERT_TRUE(w.end_row().ok());
  }
}

// The column's values as optionals, rebuilt from definition levels and typed values.
template <typename T>
std::vector<std::optional<T>> with_nulls(const ColumnData& d, const std::vector<T>& values, bool nullable) {
  std::vector<std::optional<T>> out;
  if (!nullable) {
    for (const T& v : values) out.emplace_back(v);
    return out;
  }
  std::size_t next = 0;
  for (int16_t level : d.definition_levels) {
    if (level == 1) {
      EXPECT_LT(next, values.size());
      out.emplace_back(next < values.size() ? values[next] : T{});
      ++next;
    } else {
      out.emplace_back(std::nullopt);
    }
  }
  EXPECT_EQ(next, values.size());
  return out;
}

template <typename T, typename Get>
void expect_column(const ParquetReader& reader, const std::string& name, const std::vector<Row>& rows,
                   Get&& get, const std::vector<T>& (*values)(const ColumnData&)) {
  const int index = reader.find_column(name);
  ASSERT_GE(index, 0) << name;
  ColumnData data;
  ASSERT_TRUE(reader.read_column(index, &data).ok()) << name;
  const bool nullable = reader.columns()[static_cast<std::size_t>(index)].max_definition_level == 1;
  const auto got = with_nulls(data, values(data), nullable);
  ASSERT_EQ(got.size(), rows.size()) << name;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::optional<T> want = get(rows[i]);
    ASSERT_EQ(got[i], want) << name << " row " << i;
  }
}

const std::vector<int32_t>& int32s(const ColumnData& d) { return d.int32s; }
const std::vector<int64_t>& int64s(const ColumnData& d) { return d.int64s; }
const std::vector<double>& doubles(const ColumnData& d) { return d.doubles; }
const std::vector<float>& floats(const ColumnData& d) { return d.floats; }
const std::vector<std::string>& strings(const ColumnData& d) { return d.strings; }
const std::vector<uint8_t>& booleans(const ColumnData& d) { return d.booleans; }

void expect_table(const ParquetReader& reader, const std::vector<Row>& rows) {
  ASSERT_EQ(reader.num_rows(), static_cast<int64_t>(rows.size()));
  expect_column<int64_t>(reader, "id", rows, [](const Row& r) { return std::optional<int64_t>(r.id); }, int64s);
  expect_column<std::string>(reader, "payer", rows, [](const Row& r) { return r.payer; }, strings);
  expect_column<int64_t>(reader, "amount", rows, [](const Row& r) { return r.amount; }, int64s);
  expect_column<int64_t>(reader, "ts", rows, [](const Row& r) { return r.ts; }, int64s);
  expect_column<uint8_t>(reader, "flag", rows, [](const Row& r) {
    return r.flag ? std::optional<uint8_t>(*r.flag ? 1 : 0) : std::nullopt;
  }, booleans);
  expect_column<double>(reader, "score", rows, [](const Row& r) { return r.score; }, doubles);
  expect_column<int32_t>(reader, "day", rows, [](const Row& r) { return r.day; }, int32s);
  expect_column<float>(reader, "ratio", rows, [](const Row& r) { return r.ratio; }, floats);
  expect_column<std::string>(reader, "note", rows, [](const Row& r) { return r.note; }, strings);
}

class RoundTrip : public ::testing::TestWithParam<Codec> {};

TEST_P(RoundTrip, EveryValueLevelAndStatisticSurvives) {
  const std::string path = temp_path("roundtrip_" + std::to_string(static_cast<int>(GetParam())) + ".parquet");
  const std::vector<Row> rows = make_rows(30000, 7);
  WriterOptions options;
  options.codec = GetParam();
  options.page_bytes = 4096;           // many pages per chunk
  options.row_group_bytes = 256 << 10; // several row groups
  options.key_value_metadata = {{"pixguard.table", "decisions"}};
  std::unique_ptr<ParquetWriter> writer;
  ASSERT_TRUE(ParquetWriter::create(path, table_schema(), options, &writer).ok());
  write_rows(*writer, rows);
  EXPECT_EQ(writer->rows(), 30000);
  FileSummary summary;
  ASSERT_TRUE(writer->finish(&summary).ok());
  EXPECT_EQ(summary.rows, 30000);
  EXPECT_EQ(summary.bytes, static_cast<int64_t>(std::filesystem::file_size(path)));

  std::unique_ptr<ParquetReader> reader;
  const Status opened = ParquetReader::open(path, &reader);
  ASSERT_TRUE(opened.ok()) << opened.message();
  EXPECT_GT(reader->row_groups(), 1);
  EXPECT_EQ(reader->created_by().rfind("pixguard version ", 0), 0u);
  ASSERT_EQ(reader->key_value_metadata().size(), 1u);
  EXPECT_EQ(reader->key_value_metadata()[0].second, "decisions");
  const auto& cols = reader->columns();
  ASSERT_EQ(cols.size(), 9u);
  EXPECT_EQ(cols[0].max_definition_level, 0);
  EXPECT_EQ(cols[1].max_definition_level, 1);
  EXPECT_EQ(cols[1].logical, LogicalKind::kString);
  EXPECT_EQ(cols[2].logical, LogicalKind::kDecimal);
  EXPECT_EQ(cols[2].precision, 18);
  EXPECT_EQ(cols[2].scale, 2);
  EXPECT_EQ(cols[3].logical, LogicalKind::kTimestampMicros);
  EXPECT_TRUE(cols[3].adjusted_to_utc);
  EXPECT_EQ(cols[6].logical, LogicalKind::kDate);
  expect_table(*reader, rows);

  // File statistics: min, max and nulls of the amount column as computed from the rows.
  int64_t lo = INT64_MAX, hi = INT64_MIN, nulls = 0;
  for (const Row& r : rows) {
    if (!r.amount) { ++nulls; continue; }
    lo = std::min(lo, *r.amount);
    hi = std::max(hi, *r.amount);
  }
  ASSERT_EQ(summary.columns.size(), 9u);
  EXPECT_EQ(std::get<int64_t>(summary.columns[2].min), lo);
  EXPECT_EQ(std::get<int64_t>(summary.columns[2].max), hi);
  EXPECT_EQ(summary.columns[2].null_count, nulls);
  EXPECT_EQ(std::get<int64_t>(summary.columns[0].min), 0);
  EXPECT_EQ(std::get<int64_t>(summary.columns[0].max), 29999);
  EXPECT_EQ(std::get<std::string>(summary.columns[1].min), "payer-0");
  EXPECT_EQ(std::get<std::string>(summary.columns[1].max), "payer-9");
  // Footer statistics per row group agree with the rows of that group.
  int64_t first = 0, footer_nulls = 0;
  for (int g = 0; g < reader->row_groups(); ++g) {
    ColumnStats st;
    ASSERT_TRUE(reader->column_stats(g, 0, &st).ok());
    EXPECT_EQ(std::get<int64_t>(st.min), first);
    EXPECT_EQ(std::get<int64_t>(st.max), first + reader->row_group_rows(g) - 1);
    first += reader->row_group_rows(g);
    ASSERT_TRUE(reader->column_stats(g, 2, &st).ok());
    footer_nulls += st.null_count;
  }
  EXPECT_EQ(footer_nulls, nulls);
  std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Codecs, RoundTrip, ::testing::Values(Codec::kUncompressed, Codec::kSnappy, Codec::kZstd));

TEST(ParquetWriter, DictionaryFallsBackToPlainWhenItOutgrowsItsCap) {
  const std::string path = temp_path("fallback.parquet");
  std::unique_ptr<ParquetWriter> writer;
  ASSERT_TRUE(ParquetWriter::create(path, {{"k", PhysicalType::kByteArray, LogicalKind::kString, 0, 0, false, true}},
                                    WriterOptions{}, &writer).ok());
  std::vector<std::string> want;
  for (int i = 0; i < 100000; ++i) {  // more distinct values than the 64k-entry dictionary holds
    want.push_back("key-" + std::to_string(i * 7919 % 100003));
    writer->add_string(want.back());
    ASSERT_TRUE(writer->end_row().ok());
  }
  ASSERT_TRUE(writer->finish(nullptr).ok());
  std::unique_ptr<ParquetReader> reader;
  ASSERT_TRUE(ParquetReader::open(path, &reader).ok());
  EXPECT_EQ(reader->row_groups(), 1);
  ColumnData data;
  ASSERT_TRUE(reader->read_column(0, &data).ok());
  EXPECT_EQ(data.strings, want);
  std::filesystem::remove(path);
}

TEST(ParquetWriter, RowErrorsNameTheColumnAndDropOnlyThatRow) {
  const std::string path = temp_path("errors.parquet");
  std::unique_ptr<ParquetWriter> writer;
  ASSERT_TRUE(ParquetWriter::create(path, {{"id", PhysicalType::kInt64, LogicalKind::kNone, 0, 0, false, false},
                                           {"name", PhysicalType::kByteArray, LogicalKind::kString, 0, 0, true, false}},
                                    WriterOptions{}, &writer).ok());
  writer->add_int64(1);
  writer->add_string("a");
  ASSERT_TRUE(writer->end_row().ok());
  writer->add_int32(2);  // wrong type
  writer->add_string("b");
  Status s = writer->end_row();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'id'"), std::string::npos) << s.message();
  writer->add_null();  // REQUIRED
  writer->add_null();
  s = writer->end_row();
  EXPECT_NE(s.message().find("REQUIRED"), std::string::npos) << s.message();
  writer->add_int64(3);  // too few values
  s = writer->end_row();
  EXPECT_NE(s.message().find("1 values"), std::string::npos) << s.message();
  writer->add_int64(4);
  writer->add_null();
  ASSERT_TRUE(writer->end_row().ok());
  EXPECT_EQ(writer->rows(), 2);
  ASSERT_TRUE(writer->finish(nullptr).ok());

  std::unique_ptr<ParquetReader> reader;
  ASSERT_TRUE(ParquetReader::open(path, &reader).ok());
  ColumnData ids, names;
  ASSERT_TRUE(reader->read_column(0, &ids).ok());
  ASSERT_TRUE(reader->read_column(1, &names).ok());
  EXPECT_EQ(ids.int64s, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(names.strings, (std::vector<std::string>{"a"}));
  EXPECT_EQ(names.definition_levels, (std::vector<int16_t>{1, 0}));
  std::filesystem::remove(path);
}

TEST(ParquetWriter, RejectsSchemasItCannotWrite) {
  std::unique_ptr<ParquetWriter> writer;
  const std::string path = temp_path("bad_schema.parquet");
  EXPECT_FALSE(ParquetWriter::create(path, {}, WriterOptions{}, &writer).ok());
  EXPECT_FALSE(ParquetWriter::create(path, {{"a"}, {"a"}}, WriterOptions{}, &writer).ok());
  EXPECT_EQ(ParquetWriter::create(path, {{"a", PhysicalType::kInt96}}, WriterOptions{}, &writer).code(), StatusCode::kUnsupported);
  EXPECT_FALSE(ParquetWriter::create(path, {{"a", PhysicalType::kInt32, LogicalKind::kDecimal, 12, 2}}, WriterOptions{}, &writer).ok());
  EXPECT_FALSE(ParquetWriter::create(path, {{"a", PhysicalType::kInt64, LogicalKind::kString}}, WriterOptions{}, &writer).ok());
  std::filesystem::remove(path);
}

TEST(ParquetWriter, FileWithoutFinishIsNotReadable) {
  const std::string path = temp_path("unfinished.parquet");
  {
    std::unique_ptr<ParquetWriter> writer;
    ASSERT_TRUE(ParquetWriter::create(path, {{"a"}}, WriterOptions{}, &writer).ok());
    writer->add_int64(1);
    ASSERT_TRUE(writer->end_row().ok());
  }
  std::unique_ptr<ParquetReader> reader;
  EXPECT_EQ(ParquetReader::open(path, &reader).code(), StatusCode::kCorruption);
  std::filesystem::remove(path);
}

TEST(ParquetWriter, BufferedBytesGrowsAndRowGroupsRollBySize) {
  const std::string path = temp_path("rolling.parquet");
  WriterOptions options;
  options.row_group_bytes = 64 << 10;
  std::unique_ptr<ParquetWriter> writer;
  ASSERT_TRUE(ParquetWriter::create(path, {{"a"}, {"s", PhysicalType::kByteArray}}, options, &writer).ok());
  int64_t peak = 0;
  for (int i = 0; i < 20000; ++i) {
    writer->add_int64(i);
    writer->add_string("value number " + std::to_string(i));
    ASSERT_TRUE(writer->end_row().ok());
    peak = std::max(peak, writer->buffered_bytes());
  }
  EXPECT_GT(peak, 32 << 10);
  EXPECT_LT(peak, 80 << 10);  // flushed near row_group_bytes, never far past it
  ASSERT_TRUE(writer->finish(nullptr).ok());
  std::unique_ptr<ParquetReader> reader;
  ASSERT_TRUE(ParquetReader::open(path, &reader).ok());
  EXPECT_GT(reader->row_groups(), 5);
  ColumnData data;
  ASSERT_TRUE(reader->read_column(1, &data).ok());
  ASSERT_EQ(data.strings.size(), 20000u);
  EXPECT_EQ(data.strings[12345], "value number 12345");
  std::filesystem::remove(path);
}

TEST(ParquetWriter, LongStringStatisticsAreTruncatedToValidBounds) {
  const std::string path = temp_path("long_stats.parquet");
  std::unique_ptr<ParquetWriter> writer;
  ASSERT_TRUE(ParquetWriter::create(path, {{"s", PhysicalType::kByteArray}}, WriterOptions{}, &writer).ok());
  const std::string low = std::string(100, 'a'), high = std::string(100, 'z');
  writer->add_string(low);
  ASSERT_TRUE(writer->end_row().ok());
  writer->add_string(high);
  ASSERT_TRUE(writer->end_row().ok());
  FileSummary summary;
  ASSERT_TRUE(writer->finish(&summary).ok());
  EXPECT_EQ(std::get<std::string>(summary.columns[0].max), high);  // the summary is exact
  std::unique_ptr<ParquetReader> reader;
  ASSERT_TRUE(ParquetReader::open(path, &reader).ok());
  ColumnStats st;
  ASSERT_TRUE(reader->column_stats(0, 0, &st).ok());
  const std::string& min = std::get<std::string>(st.min);
  const std::string& max = std::get<std::string>(st.max);
  EXPECT_LE(min.size(), 64u);
  EXPECT_LE(max.size(), 64u);
  EXPECT_LE(min, low);
  EXPECT_GE(max, high);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pixguard::parquet
