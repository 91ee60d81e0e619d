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

// A member's checkpoint of `epoch` holding `parts` (name, position).
void write_checkpoint(const std::string& dir, const std::string& instance, uint64_t epoch,
                      const std::vector<std::pair<std::string, int64_t>>& parts, std::size_t keep = 3) {
  CheckpointStore store(dir + "/" + instance, keep);
  ASSERT_TRUE(store.open().ok());
  std::vector<PartSection> sections;
  for (const auto& [name, position] : parts) {
    sections.push_back({name, position, instance + "@" + std::to_string(position)});
  }
  Checkpoint c;
  c.epoch = epoch;
  c.pipeline_id = "pix";
  c.state = encode_partitioned_state("counts", {instance, "run-" + instance, epoch, true}, sections);
  ASSERT_TRUE(store.write(c).ok());
}

const auto kAll = [](const PartWriter&) { return true; };

TEST(PartCheckpoints, StateRoundTripsThroughTheCheckpointBlob) {
  const PartWriter writer{"a", "r1", 7, true};
  const std::string blob = encode_partitioned_state("acct", writer, {{"t/0", 5, "s0"}, {"t/1", 9, "s1"}});
  std::string accounting;
  PartWriter got;
  std::vector<PartSection> parts;
  ASSERT_TRUE(decode_partitioned_state(blob, &accounting, &got, &parts).ok());
  EXPECT_EQ(accounting, "acct");
  EXPECT_EQ(got.instance, "a");
  EXPECT_EQ(got.run, "r1");
  EXPECT_EQ(got.epoch, 7u);
  EXPECT_TRUE(got.needs_commit_record);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].part, "t/1");
  EXPECT_EQ(parts[1].next_position, 9);
  EXPECT_EQ(parts[1].state, "s1");
  EXPECT_EQ(decode_partitioned_state(blob.substr(0, blob.size() - 1), &accounting, &got, &parts).code(),
            StatusCode::kCorruption);
}

TEST(PartCheckpoints, ThePartsNewestStateWinsWhicheverMemberWroteIt) {
  const std::string dir = fresh_dir();
  write_checkpoint(dir, "a", 4, {{"t/0", 100}, {"t/1", 40}});
  write_checkpoint(dir, "b", 2, {{"t/0", 250}});  // b took t/0 over from a
  std::map<std::string, FoundPart> found;
  ASSERT_TRUE(PartCheckpoints(dir, "c", "pix").find({"t/0", "t/1", "t/2"}, kAll, &found).ok());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found.at("t/0").section.next_position, 250);
  EXPECT_EQ(found.at("t/0").section.state, "b@250");
  EXPECT_EQ(found.at("t/0").writer.instance, "b");
  EXPECT_EQ(found.at("t/1").section.state, "a@40");
  EXPECT_EQ(found.count("t/2"), 0u);
}

TEST(PartCheckpoints, AnEpochThatNeverCommittedFallsBackToTheOneBefore) {
  const std::string dir = fresh_dir();
  write_checkpoint(dir, "a", 4, {{"t/0", 100}});
  write_checkpoint(dir, "a", 5, {{"t/0", 180}});
  std::map<std::string, FoundPart> found;
  const auto committed = [](const PartWriter& w) { return w.epoch != 5; };
  ASSERT_TRUE(PartCheckpoints(dir, "b", "pix").find({"t/0"}, committed, &found).ok());
  EXPECT_EQ(found.at("t/0").section.next_position, 100);
}

TEST(PartCheckpoints, AnAdoptedCopyOutlivesTheCheckpointItCameFrom) {
  const std::string dir = fresh_dir();
  write_checkpoint(dir, "a", 4, {{"t/0", 100}}, /*keep=*/1);
  PartCheckpoints b(dir, "b", "pix");
  std::map<std::string, FoundPart> found;
  ASSERT_TRUE(b.find({"t/0"}, kAll, &found).ok());
  ASSERT_TRUE(b.adopt(found.at("t/0")).ok());
  write_checkpoint(dir, "a", 5, {{"t/9", 1}}, /*keep=*/1);  // a's epoch 4 is gone
  ASSERT_TRUE(b.find({"t/0"}, [](const PartWriter&) { return false; }, &found).ok());
  ASSERT_EQ(found.count("t/0"), 1u) << "the adopted copy needs no commit record";
  EXPECT_EQ(found.at("t/0").section.state, "a@100");
  b.release_adopted({"t/0"});
  ASSERT_TRUE(b.find({"t/0"}, kAll, &found).ok());
  EXPECT_EQ(found.count("t/0"), 0u);
}

// A member killed before its own checkpoint held an adopted part leaves the copy behind;
// the member that held the part later must not take that stale copy for its successor's.
TEST(PartCheckpoints, OnlyACopyAtLeastAsNewSupersedesAnotherMembersSection) {
  const std::string dir = fresh_dir();
  write_checkpoint(dir, "b", 4, {{"t/0", 100}});
  PartCheckpoints c(dir, "c", "pix");
  std::map<std::string, FoundPart> found;
  ASSERT_TRUE(c.find({"t/0"}, kAll, &found).ok());
  ASSERT_TRUE(c.adopt(found.at("t/0")).ok());  // then c dies, the copy stays
  const PartCheckpoints a(dir, "a", "pix");
  EXPECT_TRUE(a.adopted_elsewhere("t/0", 100));
  EXPECT_TRUE(a.adopted_elsewhere("t/0", 60));
  EXPECT_FALSE(a.adopted_elsewhere("t/0", 101)) << "a read t/0 beyond the copy: its section is the newest";
  EXPECT_FALSE(c.adopted_elsewhere("t/0", 0)) << "a member's own copy is not elsewhere";
  EXPECT_FALSE(a.adopted_elsewhere("t/1", 0));
}

TEST(PartCheckpoints, ADamagedCheckpointIsSkippedAndAnotherPipelinesRefused) {
  const std::string dir = fresh_dir();
  write_checkpoint(dir, "a", 4, {{"t/0", 100}});
  write_checkpoint(dir, "a", 5, {{"t/0", 180}});
  std::ofstream(dir + "/a/checkpoint-00000000000000000005.ckpt", std::ios::binary) << "torn";
  std::map<std::string, FoundPart> found;
  ASSERT_TRUE(PartCheckpoints(dir, "b", "pix").find({"t/0"}, kAll, &found).ok());
  EXPECT_EQ(found.at("t/0").section.next_position, 100);
  const Status s = PartCheckpoints(dir, "b", "other").find({"t/0"}, kAll, &found);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("belongs to pipeline 'pix'"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace pixguard
