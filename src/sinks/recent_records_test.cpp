#include "sinks/recent_records.h"

#include <gtest/gtest.h>

namespace pixguard {
namespace {

std::string record(const std::string& id, int n) {
  return "{\"end_to_end_id\":\"" + id + "\",\"n\":" + std::to_string(n) + "}";
}

TEST(RecentRecords, VisibleOnlyOnceTheEpochCommits) {
  RecentRecords store(10);
  RecentRecordsSink sink("recent", &store);
  ASSERT_TRUE(sink.begin_epoch(1).ok());
  const std::string json = record("E1", 1);
  ASSERT_TRUE(sink.write({"payer", json, nullptr, Output::kScored}).ok());
  EXPECT_FALSE(store.find("E1").has_value());
  ASSERT_TRUE(sink.prepare(1).ok());
  ASSERT_TRUE(sink.commit(1).ok());
  EXPECT_EQ(store.find("E1").value(), json);

  ASSERT_TRUE(sink.begin_epoch(2).ok());
  const std::string aborted = record("E2", 2);
  ASSERT_TRUE(sink.write({"payer", aborted, nullptr, Output::kScored}).ok());
  ASSERT_TRUE(sink.abort(2).ok());
  EXPECT_FALSE(store.find("E2").has_value());
}

TEST(RecentRecords, BoundedAndPagedNewestFirst) {
  RecentRecords store(3);
  store.add({record("A", 1), record("B", 2), record("C", 3), record("D", 4), record("B", 5)});
  EXPECT_EQ(store.total(), 5u);
  EXPECT_FALSE(store.find("A").has_value()) << "past the capacity the oldest is forgotten";
  EXPECT_EQ(store.find("B").value(), record("B", 5)) << "the newest record of an id";
  uint64_t next = 0;
  const std::vector<std::string> first = store.page(0, 2, &next);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0], record("B", 5));
  EXPECT_EQ(first[1], record("D", 4));
  ASSERT_NE(next, 0u);
  const std::vector<std::string> second = store.page(next, 2, &next);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0], record("C", 3));
  EXPECT_EQ(next, 0u) << "no page after the oldest";
  EXPECT_EQ(record_id("not json"), "");
}

}  // namespace
}  // namespace pixguard
