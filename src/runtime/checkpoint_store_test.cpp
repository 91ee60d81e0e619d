#include "runtime/checkpoint_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace pixguard {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir = fs::path(::testing::TempDir()) / "pixguard_checkpoint_store_test" / info->name();
  fs::remove_all(dir);
  return dir.string();
}

Checkpoint make(uint64_t epoch) {
  Checkpoint c;
  c.epoch = epoch;
  c.pipeline_id = "pix";
  c.source_name = "file:/in.jsonl";
  c.source_position = std::to_string(epoch * 1000) + ":" + std::to_string(epoch * 10);
  c.state_shape = "payer retention 86400s";
  c.model_version = "m@1";
  c.written_at_us = 1'700'000'000'000'000;
  c.state = std::string(10'000 + epoch, static_cast<char>('a' + epoch));
  return c;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void overwrite(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

TEST(CheckpointStore, WritesAndLoadsTheNewest) {
  CheckpointStore store(fresh_dir(), 2);
  ASSERT_TRUE(store.open().ok());
  bool found = true;
  Checkpoint loaded;
  ASSERT_TRUE(store.load_latest(&loaded, &found).ok());
  EXPECT_FALSE(found);

  CheckpointWriteStats stats;
  for (uint64_t e = 1; e <= 3; ++e) ASSERT_TRUE(store.write(make(e), &stats).ok());
  EXPECT_GT(stats.bytes, 10'000u);
  ASSERT_TRUE(store.load_latest(&loaded, &found).ok());
  ASSERT_TRUE(found);
  const Checkpoint expected = make(3);
  EXPECT_EQ(loaded.epoch, 3u);
  EXPECT_EQ(loaded.pipeline_id, expected.pipeline_id);
  EXPECT_EQ(loaded.source_name, expected.source_name);
  EXPECT_EQ(loaded.source_position, expected.source_position);
  EXPECT_EQ(loaded.state_shape, expected.state_shape);
  EXPECT_EQ(loaded.model_version, expected.model_version);
  EXPECT_EQ(loaded.written_at_us, expected.written_at_us);
  EXPECT_EQ(loaded.state, expected.state);
  // Only the newest two are kept.
  EXPECT_FALSE(fs::exists(store.path_of(1)));
  EXPECT_TRUE(fs::exists(store.path_of(2)));
}

TEST(CheckpointStore, FallsBackPastAFlippedBit) {
  CheckpointStore store(fresh_dir(), 2);
  ASSERT_TRUE(store.open().ok());
  ASSERT_TRUE(store.write(make(1)).ok());
  ASSERT_TRUE(store.write(make(2)).ok());
  std::string bytes = read(store.path_of(2));
  bytes[bytes.size() / 2] ^= 0x01;
  overwrite(store.path_of(2), bytes);
  Checkpoint loaded;
  bool found = false;
  ASSERT_TRUE(store.load_latest(&loaded, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(loaded.epoch, 1u);
  EXPECT_EQ(loaded.state, make(1).state);
}

TEST(CheckpointStore, FallsBackPastATruncatedFile) {
  CheckpointStore store(fresh_dir(), 3);
  ASSERT_TRUE(store.open().ok());
  ASSERT_TRUE(store.write(make(4)).ok());
  ASSERT_TRUE(store.write(make(5)).ok());
  const std::string bytes = read(store.path_of(5));
  overwrite(store.path_of(5), bytes.substr(0, bytes.size() - 100));
  Checkpoint loaded;
  bool found = false;
  ASSERT_TRUE(store.load_latest(&loaded, &found).ok());
  EXPECT_EQ(loaded.epoch, 4u);
}

TEST(CheckpointStore, AllCorruptIsAnErrorNamingEachFile) {
  CheckpointStore store(fresh_dir(), 2);
  ASSERT_TRUE(store.open().ok());
  ASSERT_TRUE(store.write(make(1)).ok());
  ASSERT_TRUE(store.write(make(2)).ok());
  overwrite(store.path_of(1), "garbage");
  overwrite(store.path_of(2), "");
  Checkpoint loaded;
  bool found = true;
  const Status s = store.load_latest(&loaded, &found);
  EXPECT_FALSE(found);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find(store.path_of(1)), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(store.path_of(2)), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--overwrite"), std::string::npos) << s.message();
}

TEST(CheckpointStore, ACheckpointRenamedToAnotherEpochIsRefused) {
  CheckpointStore store(fresh_dir(), 2);
  ASSERT_TRUE(store.open().ok());
  ASSERT_TRUE(store.write(make(1)).ok());
  fs::rename(store.path_of(1), store.path_of(7));
  Checkpoint loaded;
  bool found = false;
  EXPECT_EQ(store.load_latest(&loaded, &found).code(), StatusCode::kCorruption);
}

TEST(CheckpointStore, OpenRemovesLeftoversOfAnInterruptedWrite) {
  const std::string dir = fresh_dir();
  CheckpointStore store(dir, 2);
  ASSERT_TRUE(store.open().ok());
  ASSERT_TRUE(store.write(make(1)).ok());
  overwrite(store.path_of(2) + ".tmp", "half a checkpoint");
  ASSERT_TRUE(store.open().ok());
  EXPECT_FALSE(fs::exists(store.path_of(2) + ".tmp"));
  Checkpoint loaded;
  bool found = false;
  ASSERT_TRUE(store.load_latest(&loaded, &found).ok());
  EXPECT_EQ(loaded.epoch, 1u);
}

TEST(CheckpointStore, ClearDeletesEveryCheckpoint) {
  CheckpointStore store(fresh_dir(), 5);
  ASSERT_TRUE(store.open().ok());
  for (uint64_t e = 1; e <= 3; ++e) ASSERT_TRUE(store.write(make(e)).ok());
  ASSERT_TRUE(store.clear().ok());
  Checkpoint loaded;
  bool found = true;
  ASSERT_TRUE(store.load_latest(&loaded, &found).ok());
  EXPECT_FALSE(found);
}

TEST(CheckpointStoreStateFiles, ChangesAndBasesRoundTripAndRefuseDamage) {
  CheckpointStore store(fresh_dir(), 2);
  ASSERT_TRUE(store.open().ok());
  std::vector<StateChange> changes(3);
  for (std::size_t i = 0; i < changes.size(); ++i) {
    changes[i].part = static_cast<uint32_t>(i);
    changes[i].event_time_us = 1'000 * static_cast<int64_t>(i);
    changes[i].payer_id = 7 + i;
  }
  uint64_t bytes = 0;
  ASSERT_TRUE(store.write_changes(4, changes, &bytes).ok());
  EXPECT_GT(bytes, changes.size() * sizeof(StateChange));
  std::vector<StateChange> back;
  ASSERT_TRUE(store.read_changes(4, &back).ok());
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[2].payer_id, 9u);
  EXPECT_EQ(back[1].event_time_us, 1'000);
  EXPECT_EQ(store.read_changes(5, &back).code(), StatusCode::kNotFound);

  ASSERT_TRUE(store.write_base(4, "the parts", &bytes).ok());
  std::string base;
  ASSERT_TRUE(store.read_base(4, &base).ok());
  EXPECT_EQ(base, "the parts");

  // One flipped byte in either file is refused, never read as state.
  const std::string changes_path = store.dir() + "/changes-00000000000000000004.log";
  std::string damaged = read(changes_path);
  damaged[damaged.size() - 5] ^= 0x01;
  overwrite(changes_path, damaged);
  const Status s = store.read_changes(4, &back);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("checksum"), std::string::npos) << s.message();
  const std::string base_path = store.dir() + "/parts-00000000000000000004.base";
  overwrite(base_path, read(base_path).substr(0, 20));
  EXPECT_EQ(store.read_base(4, &base).code(), StatusCode::kCorruption);
}

TEST(CheckpointStoreStateFiles, RemovesWhatNoCheckpointReadsAndClearsAll) {
  CheckpointStore store(fresh_dir(), 2);
  ASSERT_TRUE(store.open().ok());
  uint64_t bytes = 0;
  for (uint64_t e = 1; e <= 6; ++e) ASSERT_TRUE(store.write_changes(e, {}, &bytes).ok());
  ASSERT_TRUE(store.write_base(2, "b2", &bytes).ok());
  ASSERT_TRUE(store.write_base(5, "b5", &bytes).ok());
  store.remove_state_before(5);  // checkpoints read base 5 and the changes after it
  std::vector<StateChange> back;
  EXPECT_FALSE(store.read_changes(5, &back).ok());
  EXPECT_TRUE(store.read_changes(6, &back).ok());
  std::string base;
  EXPECT_FALSE(store.read_base(2, &base).ok());
  EXPECT_TRUE(store.read_base(5, &base).ok());
  ASSERT_TRUE(store.write(make(6)).ok());
  ASSERT_TRUE(store.clear().ok());
  EXPECT_FALSE(store.read_changes(6, &back).ok());
  EXPECT_FALSE(store.read_base(5, &base).ok());
  EXPECT_TRUE(store.epochs_on_disk().empty());
}

// A checkpoint directory that cannot be listed is not an empty one: starting afresh would
// score the input again (and the file sinks would take back what they committed).
TEST(CheckpointStoreTest, AnUnlistableDirectoryIsAnErrorNotNoCheckpoint) {
  const std::string dir = fresh_dir();
  fs::create_directories(fs::path(dir).parent_path());
  std::ofstream(dir) << "not a directory";
  const CheckpointStore store(dir, 2);
  Checkpoint c;
  bool found = true;
  const Status s = store.load_latest(&c, &found);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(found);
  EXPECT_NE(s.message().find(dir), std::string::npos) << s.message();
  fs::remove(dir);
}

TEST(IncrementalStateTest, EncodesAndTellsFullStatesApart) {
  IncrementalState inc;
  inc.accounting = std::string("acc\0ounting", 11);
  inc.base_epoch = 42;
  IncrementalState back;
  bool incremental = false;
  ASSERT_TRUE(IncrementalState::decode(inc.encode(), &back, &incremental).ok());
  EXPECT_TRUE(incremental);
  EXPECT_EQ(back.base_epoch, 42u);
  EXPECT_EQ(back.accounting, inc.accounting);
  ASSERT_TRUE(IncrementalState::decode("a full state", &back, &incremental).ok());
  EXPECT_FALSE(incremental);
  std::string cut = inc.encode();
  cut.pop_back();
  EXPECT_EQ(IncrementalState::decode(cut, &back, &incremental).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace pixguard
