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

}  // namespace
}  // namespace pixguard::delta
