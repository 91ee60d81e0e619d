#include "delta/delta_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace pixguard::delta {
namespace {

using parquet::ColumnSchema;
using parquet::ColumnStats;
using parquet::FileSummary;
using parquet::LogicalKind;
using parquet::PhysicalType;

ColumnSchema col(std::string name, PhysicalType p, LogicalKind l = LogicalKind::kNone, int precision = 0, int scale = 0) {
  ColumnSchema c;
  c.name = std::move(name);
  c.physical = p;
  c.logical = l;
  c.precision = precision;
  c.scale = scale;
  return c;
}

TEST(DeltaStatsTest, EveryTypeInTheShapeDeltaReadersExpect) {
  const std::vector<ColumnSchema> columns = {
      col("id", PhysicalType::kByteArray, LogicalKind::kString),
      col("event_time", PhysicalType::kInt64, LogicalKind::kTimestampMicros),
      col("amount", PhysicalType::kInt64, LogicalKind::kDecimal, 18, 2),
      col("label", PhysicalType::kInt32),
      col("n", PhysicalType::kInt64),
      col("score", PhysicalType::kDouble),
      col("ratio", PhysicalType::kFloat),
      col("late", PhysicalType::kBoolean),
      col("reasons", PhysicalType::kByteArray, LogicalKind::kJson),
      col("day", PhysicalType::kInt32, LogicalKind::kDate),
      col("small", PhysicalType::kInt32, LogicalKind::kDecimal, 9, 3),
  };
  FileSummary s;
  s.rows = 10;
  s.columns = {
      {std::string("E0001"), std::string("E0099"), 0},
      // 2025-11-24T10:00:00.000123Z .. 2025-11-24T10:00:05.999001Z
      {int64_t{1763978400000123}, int64_t{1763978405999001}, 1},
      {int64_t{-5}, int64_t{123456}, 0},
      {int32_t{0}, int32_t{1}, 4},
      {int64_t{-7}, int64_t{9}, 0},
      {0.25, 0.5, 0},
      {0.5f, 1.5f, 0},
      {false, true, 0},
      {std::string("[]"), std::string("[{\"r\":1}]"), 0},
      {int32_t{20416}, int32_t{20416}, 0},  // 2025-11-24
      {int32_t{7}, int32_t{-1234}, 2},
  };
  const std::string json = file_stats_json(columns, s);
  EXPECT_EQ(json,
            R"({"numRecords":10,)"
            R"("minValues":{"id":"E0001","event_time":"2025-11-24T10:00:00.000Z","amount":-0.05,"label":0,"n":-7,)"
            R"("score":0.25,"ratio":0.5,"day":"2025-11-24","small":0.007},)"
            R"("maxValues":{"id":"E0099","event_time":"2025-11-24T10:00:06.000Z","amount":1234.56,"label":1,"n":9,)"
            R"("score":0.5,"ratio":1.5,"day":"2025-11-24","small":-1.234},)"
            R"("nullCount":{"id":0,"event_time":1,"amount":0,"label":4,"n":0,"score":0,"ratio":0,"late":0,)"
            R"("reasons":0,"day":0,"small":2}})");
  EXPECT_TRUE(nlohmann::json::accept(json));
}

TEST(DeltaStatsTest, TimestampBoundsRoundOutwardToTheMillisecond) {
  const std::vector<ColumnSchema> columns = {col("t", PhysicalType::kInt64, LogicalKind::kTimestampMicros),
                                             col("ns", PhysicalType::kInt64, LogicalKind::kTimestampNanos),
                                             col("ms", PhysicalType::kInt64, LogicalKind::kTimestampMillis)};
  FileSummary s;
  s.rows = 2;
  // Before 1970: rounding down is away from zero. An exact millisecond stays as it is.
  s.columns = {{int64_t{-1500}, int64_t{2000}, 0}, {int64_t{1}, int64_t{999999}, 0}, {int64_t{5}, int64_t{6}, 0}};
  const auto j = nlohmann::json::parse(file_stats_json(columns, s));
  EXPECT_EQ(j["minValues"]["t"], "1969-12-31T23:59:59.998Z");
  EXPECT_EQ(j["maxValues"]["t"], "1970-01-01T00:00:00.002Z");
  EXPECT_EQ(j["minValues"]["ns"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(j["maxValues"]["ns"], "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(j["minValues"]["ms"], "1970-01-01T00:00:00.005Z");
  EXPECT_EQ(j["maxValues"]["ms"], "1970-01-01T00:00:00.006Z");
}

TEST(DeltaStatsTest, LeavesOutWhatCannotBeABound) {
  const std::vector<ColumnSchema> columns = {
      col("long_text", PhysicalType::kByteArray, LogicalKind::kString),
      col("bad_utf8", PhysicalType::kByteArray, LogicalKind::kString),
      col("nan", PhysicalType::kDouble),
      col("inf", PhysicalType::kFloat),
      col("all_null", PhysicalType::kInt64),
      col("blob", PhysicalType::kByteArray),
      col("quoted", PhysicalType::kByteArray, LogicalKind::kString),
      col("exactly32", PhysicalType::kByteArray, LogicalKind::kString),
  };
  FileSummary s;
  s.rows = 3;
  s.columns = {
      {std::string("a"), std::string(33, 'z'), 0},
      {std::string("\xff"), std::string("ok"), 0},
      {std::numeric_limits<double>::quiet_NaN(), 1.0, 0},
      {-std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(), 0},
      {std::monostate{}, std::monostate{}, 3},
      {std::string("x"), std::string("y"), 0},
      {std::string("a\"b\n"), std::string("\xc3\xa9"), 0},
      {std::string(32, 'a'), std::string(32, 'b'), 0},
  };
  const std::string json = file_stats_json(columns, s);
  ASSERT_TRUE(nlohmann::json::accept(json)) << json;
  const auto j = nlohmann::json::parse(json);
  EXPECT_EQ(j["minValues"], nlohmann::json::parse(
                                R"({"long_text":"a","quoted":"a\"b\n","exactly32":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})"));
  EXPECT_EQ(j["maxValues"], nlohmann::json::parse(
                                R"({"bad_utf8":"ok","nan":1.0,"quoted":"é","exactly32":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"})"));
  EXPECT_EQ(j["nullCount"].size(), columns.size());
  EXPECT_EQ(j["nullCount"]["all_null"], 3);
}

TEST(DeltaStatsTest, DecimalExtremesAndNoColumns) {
  const std::vector<ColumnSchema> columns = {col("d", PhysicalType::kInt64, LogicalKind::kDecimal, 18, 4),
                                             col("whole", PhysicalType::kInt64, LogicalKind::kDecimal, 18, 0)};
  FileSummary s;
  s.rows = 1;
  s.columns = {{std::numeric_limits<int64_t>::min(), int64_t{1}, 0}, {int64_t{-42}, int64_t{42}, 0}};
  EXPECT_EQ(file_stats_json(columns, s),
            R"({"numRecords":1,"minValues":{"d":-922337203685477.5808,"whole":-42},)"
            R"("maxValues":{"d":0.0001,"whole":42},"nullCount":{"d":0,"whole":0}})");
  EXPECT_EQ(file_stats_json({}, FileSummary{}), R"({"numRecords":0,"minValues":{},"maxValues":{},"nullCount":{}})");
}

TEST(DeltaStatsTest, NumRecordsIsReadFromAnyWritersStats) {
  EXPECT_EQ(stats_num_records(R"({"numRecords":42,"minValues":{}})"), 42);
  EXPECT_EQ(stats_num_records(R"({"minValues":{"a":1},"numRecords":7})"), 7) << "key order is the writer's";
  EXPECT_EQ(stats_num_records(""), -1);
  EXPECT_EQ(stats_num_records(R"({"minValues":{}})"), -1);
  EXPECT_EQ(stats_num_records(R"({"numRecords":-3})"), -1);
  EXPECT_EQ(stats_num_records(R"({"numRecords":"9"})"), -1);
  EXPECT_EQ(stats_num_records("{not json"), -1);
}

}  // namespace
}  // namespace pixguard::delta
