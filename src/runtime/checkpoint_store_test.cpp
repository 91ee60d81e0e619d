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

}  // namespace
}  // namespace pixguard
