#include "runtime/part_checkpoints.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace pixguard {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir = fs::path(::testing::TempDir()) / "pixguard_part_checkpoints_test" / info->name();
  fs::remove_all(dir);
  return dir.string();
}

PartCheckpoint make(const std::string& instance, uint64_t epoch, int64_t offset) {
  PartCheckpoint pc;
  pc.part = "pix.transactions/3";
  pc.next_position = offset;
  pc.writer = {instance, "run-" + instance, epoch, true};
  pc.state_shape = "payer retention 86400s";
  pc.state = "state of " + instance + " at " + std::to_string(offset);
  return pc;
}

const auto kAll = [](const PartWriter&) { return true; };

TEST(PartCheckpoints, TheNewestCheckpointOfAPartWinsWhoeverWroteIt) {
  PartCheckpoints store(fresh_dir(), "pix");
  ASSERT_TRUE(store.write(make("a", 4, 100)).ok());
  ASSERT_TRUE(store.write(make("b", 1, 250)).ok());  // b took the part over: its epochs count on their own
  PartCheckpoint got;
  bool found = false;
  ASSERT_TRUE(store.load_latest("pix.transactions/3", kAll, &got, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(got.next_position, 250);
  EXPECT_EQ(got.writer.instance, "b");
  EXPECT_EQ(got.writer.run, "run-b");
  EXPECT_EQ(got.writer.epoch, 1u);
  EXPECT_TRUE(got.writer.needs_commit_record);
  EXPECT_EQ(got.state, "state of b at 250");
  EXPECT_EQ(got.state_shape, "payer retention 86400s");
}

TEST(PartCheckpoints, AnEpochThatNeverCommittedFallsBackToTheOneBefore) {
  PartCheckpoints store(fresh_dir(), "pix");
  ASSERT_TRUE(store.write(make("a", 4, 100)).ok());
  ASSERT_TRUE(store.write(make("a", 5, 180)).ok());
  PartCheckpoint got;
  bool found = false;
  const auto committed = [](const PartWriter& w) { return w.epoch != 5; };
  ASSERT_TRUE(store.load_latest("pix.transactions/3", committed, &got, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(got.next_position, 100);
  EXPECT_EQ(got.state, "state of a at 100");
}

TEST(PartCheckpoints, KeepsTheNewestThreeAndSkipsADamagedOne) {
  const std::string dir = fresh_dir();
  PartCheckpoints store(dir, "pix");
  for (int64_t i = 1; i <= 5; ++i) ASSERT_TRUE(store.write(make("a", i, i * 10)).ok());
  const std::string part_dir = dir + "/pix.transactions.3";
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(part_dir)) files += e.path().extension() == ".ckpt";
  EXPECT_EQ(files, 3u);
  std::ofstream(part_dir + "/checkpoint-00000000000000000005.ckpt", std::ios::binary) << "torn";
  PartCheckpoints reopened(dir, "pix");
  PartCheckpoint got;
  bool found = false;
  ASSERT_TRUE(reopened.load_latest("pix.transactions/3", kAll, &got, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(got.next_position, 40);
}

TEST(PartCheckpoints, APartNeverCheckpointedIsNotFound) {
  PartCheckpoints store(fresh_dir(), "pix");
  PartCheckpoint got;
  bool found = true;
  ASSERT_TRUE(store.load_latest("pix.transactions/0", kAll, &got, &found).ok());
  EXPECT_FALSE(found);
}

TEST(PartCheckpoints, ACheckpointOfAnotherPipelineIsRefused) {
  const std::string dir = fresh_dir();
  ASSERT_TRUE(PartCheckpoints(dir, "other").write(make("a", 1, 10)).ok());
  PartCheckpoints store(dir, "pix");
  PartCheckpoint got;
  bool found = false;
  const Status s = store.load_latest("pix.transactions/3", kAll, &got, &found);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("belongs to pipeline 'other'"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace pixguard
