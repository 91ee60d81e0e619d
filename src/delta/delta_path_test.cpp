#include "delta/delta_path.h"

#include <gtest/gtest.h>

namespace pixguard::delta {
namespace {

TEST(DeltaPath, EncodesLikeAUri) {
  EXPECT_EQ(encode_path("event_date=2025-11-24/part-00000-ab.c000.snappy.parquet"),
            "event_date=2025-11-24/part-00000-ab.c000.snappy.parquet");
  EXPECT_EQ(encode_path("kind=a b/x%y.parquet"), "kind=a%20b/x%25y.parquet");
  EXPECT_EQ(encode_path("c=\xc3\xa9/f.parquet"), "c=%C3%A9/f.parquet");
  std::string back;
  ASSERT_TRUE(decode_path("kind=a%20b/x%25y.parquet", &back).ok());
  EXPECT_EQ(back, "kind=a b/x%y.parquet");
  ASSERT_TRUE(decode_path("c=%c3%a9/f.parquet", &back).ok());
  EXPECT_EQ(back, "c=\xc3\xa9/f.parquet");
  EXPECT_EQ(decode_path("bad%2", &back).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_path("bad%zz", &back).code(), StatusCode::kInvalidArgument);
}

TEST(DeltaPath, PartitionDirectoriesEscapeLikeHive) {
  EXPECT_EQ(partition_directory({{"event_date", "2025-11-24"}}), "event_date=2025-11-24");
  EXPECT_EQ(partition_directory({{"ts", "2025-01-01 00:00"}, {"kind", ""}}),
            "ts=2025-01-01 00%3A00/kind=__HIVE_DEFAULT_PARTITION__");
  // Hive's escape is escaped again in the log, as Spark writes it.
  EXPECT_EQ(encode_path(partition_directory({{"ts", "00:00"}}) + "/f.parquet"), "ts=00%253A00/f.parquet");
}

TEST(DeltaPath, OnlyRelativePathsAreFilesOfTheTable) {
  EXPECT_EQ(table_relative_file("event_date=2025-11-24/part%201.parquet"), "event_date=2025-11-24/part 1.parquet");
  EXPECT_EQ(table_relative_file("f.parquet"), "f.parquet");
  EXPECT_EQ(table_relative_file("a%zz.parquet"), "a%zz.parquet") << "a malformed escape is taken literally";
  EXPECT_EQ(table_relative_file("/abs/f.parquet"), "");
  EXPECT_EQ(table_relative_file("s3://bucket/t/f.parquet"), "");
  EXPECT_EQ(table_relative_file("file:/t/f.parquet"), "");
  EXPECT_EQ(table_relative_file("d=a/f:1.parquet"), "d=a/f:1.parquet") << "a colon after the first '/' is no scheme";
  EXPECT_EQ(table_relative_file(""), "");
}

TEST(DeltaPath, PartitionKeysFollowTheColumnOrder) {
  const std::map<std::string, std::string> values{{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(partition_key({"a", "b"}, values), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(partition_key({"b", "c"}, values), (std::vector<std::string>{"2", ""}));
  EXPECT_TRUE(partition_key({}, values).empty());
}

}  // namespace
}  // namespace pixguard::delta
