#include "runtime/payee_stage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pixguard {
namespace {

Config two_features() {
  Config c;
  c.features.resize(2);
  c.features[0].name = "a";
  c.features[1].name = "b";
  return c;
}

std::string transaction(uint32_t part, int64_t order_time, int64_t position) {
  const double row[2] = {1.5, 2.5};
  std::string out;
  encode_payee_transaction({order_time, part, position}, -1, 0, false, "{}", row, 2, &out);
  return out;
}

std::string clock(uint32_t part, int64_t order_time, int64_t next_position, bool idle) {
  std::string out;
  encode_payee_clock(part, order_time, next_position, idle, &out);
  return out;
}

std::vector<int64_t> take_positions(PayeeStage& stage, bool all = false) {
  std::vector<HeldTransaction> out;
  stage.take(&out, all);
  std::vector<int64_t> positions;
  for (const HeldTransaction& h : out) positions.push_back(h.key.position);
  return positions;
}

// A transaction is taken once every other input partition's clock has passed it (or is
// idle); copies of transactions and of older clocks change nothing.
TEST(PayeeStage, TakesInMergeOrderBehindTheClocks) {
  const Config config = two_features();
  PayeeStage stage(config, 2, nullptr);
  ASSERT_TRUE(stage.receive(transaction(0, 100, 1)).ok());
  ASSERT_TRUE(stage.receive(transaction(0, 200, 2)).ok());
  ASSERT_TRUE(stage.receive(transaction(0, 200, 2)).ok());  // a copy
  EXPECT_EQ(stage.copies_dropped(), 1u);
  EXPECT_TRUE(take_positions(stage).empty());  // partition 1 has said nothing yet
  ASSERT_TRUE(stage.receive(clock(1, 150, 7, false)).ok());
  EXPECT_EQ(take_positions(stage), std::vector<int64_t>{1});
  ASSERT_TRUE(stage.receive(clock(1, 120, 5, false)).ok());  // older: ignored
  ASSERT_TRUE(stage.receive(transaction(1, 180, 7)).ok());
  EXPECT_TRUE(take_positions(stage).empty());  // 180 < 200, but partition 0 may still send below 180
  ASSERT_TRUE(stage.receive(clock(0, 300, 3, false)).ok());
  EXPECT_EQ(take_positions(stage), std::vector<int64_t>{7});
  EXPECT_FALSE(stage.drained());
  ASSERT_TRUE(stage.receive(clock(1, 180, 8, true)).ok());  // idle: not waited for
  EXPECT_EQ(take_positions(stage), std::vector<int64_t>{2});
  EXPECT_FALSE(stage.drained());  // partition 0 is not idle
  ASSERT_TRUE(stage.receive(clock(0, 300, 3, true)).ok());
  EXPECT_TRUE(stage.drained());
}

TEST(PayeeStage, StateMovesWithItsPartition) {
  const Config config = two_features();
  PayeeStage stage(config, 2, nullptr);
  ASSERT_TRUE(stage.receive(transaction(0, 100, 1)).ok());
  ASSERT_TRUE(stage.receive(clock(1, 50, 4, false)).ok());
  std::string snapshot;
  ByteWriter w(&snapshot);
  stage.save(&w);
  PayeeStage moved(config, 2, nullptr);
  ByteReader in(snapshot);
  ASSERT_TRUE(moved.load(&in));
  EXPECT_TRUE(in.at_end());
  EXPECT_EQ(moved.held(), 1u);
  ASSERT_TRUE(moved.receive(transaction(0, 100, 1)).ok());  // still known: a copy
  EXPECT_EQ(moved.copies_dropped(), 1u);
  EXPECT_TRUE(take_positions(moved).empty());
  ASSERT_TRUE(moved.receive(clock(1, 150, 5, false)).ok());
  EXPECT_EQ(take_positions(moved), std::vector<int64_t>{1});
  // A truncated snapshot is refused.
  PayeeStage broken(config, 2, nullptr);
  ByteReader cut(std::string_view(snapshot).substr(0, snapshot.size() - 3));
  EXPECT_FALSE(broken.load(&cut));
}

// Under a privacy key a checkpoint holds the waiting messages sealed, never in clear; without
// the key they cannot be restored.
TEST(PayeeStage, CheckpointsSealHeldMessagesUnderAKey) {
  const Config config = two_features();
  std::array<unsigned char, 32> key{};
  key[3] = 7;
  const MessageCipher cipher(key);
  const std::string message = R"({"payer":{"document":"52998224725"}})";
  const double row[2] = {1.5, 2.5};
  std::string t;
  encode_payee_transaction({100, 0, 1}, -1, 0, false, message, row, 2, &t);
  PayeeStage stage(config, 2, &cipher);
  ASSERT_TRUE(stage.receive(t).ok());
  ASSERT_TRUE(stage.receive(clock(1, 50, 4, false)).ok());
  std::string snapshot;
  ByteWriter w(&snapshot);
  stage.save(&w);
  EXPECT_EQ(snapshot.find("52998224725"), std::string::npos);
  PayeeStage moved(config, 2, &cipher);
  ByteReader in(snapshot);
  ASSERT_TRUE(moved.load(&in));
  EXPECT_EQ(moved.held(), 1u);
  ASSERT_TRUE(moved.receive(clock(1, 150, 5, false)).ok());
  std::vector<HeldTransaction> taken;
  moved.take(&taken, false);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].message, message);
  PayeeStage keyless(config, 2, nullptr);
  ByteReader again(snapshot);
  EXPECT_FALSE(keyless.load(&again));
}

TEST(PayeeStage, RefusesRecordsItCannotRead) {
  const Config config = two_features();
  PayeeStage stage(config, 2, nullptr);
  EXPECT_EQ(stage.receive("").code(), StatusCode::kCorruption);
  std::string t = transaction(0, 100, 1);
  EXPECT_EQ(stage.receive(std::string_view(t).substr(0, t.size() - 1)).code(), StatusCode::kCorruption);
  t[0] = 9;  // a format this build does not know
  EXPECT_EQ(stage.receive(t).code(), StatusCode::kUnsupported);
  std::string c = clock(0, 1, 1, false);
  c[1] = 'X';
  EXPECT_EQ(stage.receive(c).code(), StatusCode::kCorruption);
  const double three[3] = {1, 2, 3};  // a row of another feature list
  std::string wrong;
  encode_payee_transaction({1, 0, 1}, -1, 0, false, "{}", three, 3, &wrong);
  EXPECT_EQ(stage.receive(wrong).code(), StatusCode::kCorruption);
  EXPECT_EQ(stage.held(), 0u);
}

}  // namespace
}  // namespace pixguard
