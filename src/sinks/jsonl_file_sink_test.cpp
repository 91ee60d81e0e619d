#include "sinks/jsonl_file_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace pixguard {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPart1 = "part-00000000000000000001.jsonl";
constexpr const char* kPart2 = "part-00000000000000000002.jsonl";
constexpr const char* kPart3 = "part-00000000000000000003.jsonl";

// A fresh directory per test.
std::string fresh_dir() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir = fs::path(::testing::TempDir()) / "pixguard_jsonl_sink_test" / info->name();
  fs::remove_all(dir);
  return dir.string();
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// What a reader sees: the committed part files.
std::vector<std::string> visible_parts(const std::string& dir) {
  std::vector<std::string> parts;
  for (const std::string& name : files_in(dir)) {
    if (name.rfind("part-", 0) == 0 && name.size() > 6 && name.compare(name.size() - 6, 6, ".jsonl") == 0) {
      parts.push_back(name);
    }
  }
  return parts;
}

std::vector<std::string> pending_files(const std::string& dir) {
  std::vector<std::string> pending;
  for (const std::string& name : files_in(dir)) {
    if (name.find(".pending") != std::string::npos) pending.push_back(name);
  }
  return pending;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::unique_ptr<JsonlFileSink> open_sink(const std::string& dir) {
  std::unique_ptr<JsonlFileSink> sink;
  const Status s = JsonlFileSink::open("scored", dir, &sink);
  EXPECT_TRUE(s.ok()) << s.message();
  return sink;
}

Status write(JsonlFileSink& sink, std::string_view json) { return sink.write(SinkRecord{"payer", json, nullptr}); }

// One whole epoch: begin, the records, prepare, commit.
void commit_epoch(JsonlFileSink& sink, uint64_t epoch, const std::vector<std::string>& records) {
  ASSERT_TRUE(sink.begin_epoch(epoch).ok());
  for (const std::string& r : records) ASSERT_TRUE(write(sink, r).ok());
  ASSERT_TRUE(sink.prepare(epoch).ok());
  ASSERT_TRUE(sink.commit(epoch).ok());
}

TEST(JsonlFileSink, OpenCreatesTheDirectory) {
  const std::string dir = fresh_dir() + "/nested/scored";
  auto sink = open_sink(dir);
  ASSERT_NE(sink, nullptr);
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(sink->last_committed_epoch(), 0u);
  EXPECT_EQ(sink->name(), "scored");
  EXPECT_EQ(sink->dir(), dir);
}

TEST(JsonlFileSink, RecordsAreInvisibleUntilCommit) {
  const std::string dir = fresh_dir();
  auto sink = open_sink(dir);
  ASSERT_TRUE(sink->begin_epoch(1).ok());
  ASSERT_TRUE(write(*sink, R"({"n":1})").ok());
  ASSERT_TRUE(write(*sink, R"({"n":2})").ok());
  EXPECT_TRUE(visible_parts(dir).empty());
  ASSERT_TRUE(sink->prepare(1).ok());
  EXPECT_TRUE(visible_parts(dir).empty());  // durable, still invisible
  EXPECT_EQ(pending_files(dir), std::vector<std::string>{std::string(kPart1) + ".pending"});
  EXPECT_EQ(sink->last_committed_epoch(), 0u);

  ASSERT_TRUE(sink->commit(1).ok());
  EXPECT_EQ(visible_parts(dir), std::vector<std::string>{kPart1});
  EXPECT_TRUE(pending_files(dir).empty());
  EXPECT_EQ(read_file(dir + "/" + kPart1), "{\"n\":1}\n{\"n\":2}\n");
  EXPECT_EQ(sink->last_committed_epoch(), 1u);
}

TEST(JsonlFileSink, OneFilePerEpoch) {
  const std::string dir = fresh_dir();
  auto sink = open_sink(dir);
  commit_epoch(*sink, 1, {"a"});
  commit_epoch(*sink, 2, {"b", "c"});
  commit_epoch(*sink, 3, {"d"});
  EXPECT_EQ(visible_parts(dir), (std::vector<std::string>{kPart1, kPart2, kPart3}));
  EXPECT_EQ(read_file(dir + "/" + kPart1), "a\n");
  EXPECT_EQ(read_file(dir + "/" + kPart2), "b\nc\n");
  EXPECT_EQ(read_file(dir + "/" + kPart3), "d\n");
  EXPECT_EQ(sink->last_committed_epoch(), 3u);
}

TEST(JsonlFileSink, LargeEpochStaysInvisibleUntilCommit) {
  const std::string dir = fresh_dir();
  auto sink = open_sink(dir);
  ASSERT_TRUE(sink->begin_epoch(7).ok());
  std::string expected;
  const std::string record = "{\"pad\":\"" + std::string(1000, 'x') + "\"}";
  for (int i = 0; i < 3000; ++i) {  // about 3 MB: flushed to the pending file on the way
    ASSERT_TRUE(write(*sink, record).ok());
    expected += record + "\n";
  }
  EXPECT_TRUE(visible_parts(dir).empty());
  ASSERT_TRUE(sink->prepare(7).ok());
  EXPECT_TRUE(visible_parts(dir).empty());
  ASSERT_TRUE(sink->commit(7).ok());
  ASSERT_EQ(visible_parts(dir), std::vector<std::string>{"part-00000000000000000007.jsonl"});
  EXPECT_EQ(read_file(dir + "/part-00000000000000000007.jsonl"), expected);
}

TEST(JsonlFileSink, CommitIsIdempotent) {
  const std::string dir = fresh_dir();
  {
    auto sink = open_sink(dir);
    commit_epoch(*sink, 1, {"a", "b"});
    EXPECT_TRUE(sink->commit(1).ok());  // again
    EXPECT_EQ(visible_parts(dir), std::vector<std::string>{kPart1});
    EXPECT_EQ(read_file(dir + "/" + kPart1), "a\nb\n");
  }
  // After a restart, the replayed commit of the same epoch writes nothing twice.
  auto sink = open_sink(dir);
  EXPECT_EQ(sink->last_committed_epoch(), 1u);
  EXPECT_TRUE(sink->commit(1).ok());
  EXPECT_EQ(visible_parts(dir), std::vector<std::string>{kPart1});
  EXPECT_EQ(read_file(dir + "/" + kPart1), "a\nb\n");
  EXPECT_EQ(sink->last_committed_epoch(), 1u);
}

TEST(JsonlFileSink, ReplayedEpochIsNotWrittenTwice) {
  const std::string dir = fresh_dir();
  {
    auto sink = open_sink(dir);
    commit_epoch(*sink, 1, {"a", "b"});
  }
  // A restart from a checkpoint taken before epoch 1's commit reprocesses its input.
  auto sink = open_sink(dir);
  ASSERT_TRUE(sink->begin_epoch(1).ok());
  ASSERT_TRUE(write(*sink, "a").ok());
  ASSERT_TRUE(write(*sink, "b").ok());
  ASSERT_TRUE(sink->prepare(1).ok());
  ASSERT_TRUE(sink->commit(1).ok());
  EXPECT_EQ(visible_parts(dir), std::vector<std::string>{kPart1});
  EXPECT_EQ(read_file(dir + "/" + kPart1), "a\nb\n");
  // The replay's own pending copy must not be left behind.
  EXPECT_TRUE(pending_files(dir).empty()) << "left: " << pending_files(dir)[0];
  // The sink carries on with the next epoch.
  commit_epoch(*sink, 2, {"c"});
  EXPECT_EQ(visible_parts(dir), (std::vector<std::string>{kPart1, kPart2}));
}

TEST(JsonlFileSink, AbortRemovesThePendingFile) {
  const std::string dir = fresh_dir();
  auto sink = open_sink(dir);
  ASSERT_TRUE(sink->begin_epoch(1).ok());
  ASSERT_TRUE(write(*sink, "a").ok());
  ASSERT_TRUE(sink->prepare(1).ok());
  ASSERT_FALSE(pending_files(dir).empty());
  ASSERT_TRUE(sink->abort(1).ok());
  EXPECT_TRUE(files_in(dir).empty());
  EXPECT_EQ(sink->last_committed_epoch(), 0u);

  // Abort before prepare, with records still buffered, and with records already flushed.
  ASSERT_TRUE(sink->begin_epoch(2).ok());
  ASSERT_TRUE(write(*sink, "b").ok());
  ASSERT_TRUE(sink->abort(2).ok());
  EXPECT_TRUE(files_in(dir).empty());
  ASSERT_TRUE(sink->begin_epoch(3).ok());
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(write(*sink, std::string(1000, 'y')).ok());
  ASSERT_TRUE(sink->abort(3).ok());
  EXPECT_TRUE(files_in(dir).empty());

  // Nothing of the aborted epochs leaks into the next one.
  commit_epoch(*sink, 4, {"d"});
  EXPECT_EQ(visible_parts(dir), std::vector<std::string>{"part-00000000000000000004.jsonl"});
  EXPECT_EQ(read_file(dir + "/part-00000000000000000004.jsonl"), "d\n");
}

// The process dies after prepare(3), before commit(3).
void crash_after_prepare(const std::string& dir) {
  auto sink = open_sink(dir);
  commit_epoch(*sink, 1, {"a"});
  commit_epoch(*sink, 2, {"b"});
  ASSERT_TRUE(sink->begin_epoch(3).ok());
  ASSERT_TRUE(write(*sink, "c").ok());
  ASSERT_TRUE(sink->prepare(3).ok());
}

TEST(JsonlFileSink, RecoverDiscardsAPreparedEpochTheCheckpointDoesNotCover) {
  const std::string dir = fresh_dir();
  crash_after_prepare(dir);
  ASSERT_EQ(pending_files(dir), std::vector<std::string>{std::string(kPart3) + ".pending"});
  auto sink = open_sink(dir);
  ASSERT_TRUE(sink->recover(2).ok());  // checkpoint 3 was never written
  EXPECT_EQ(sink->last_committed_epoch(), 2u);
  EXPECT_TRUE(pending_files(dir).empty());
  EXPECT_EQ(visible_parts(dir), (std::vector<std::string>{kPart1, kPart2}));

  // Epoch 3 is redone from checkpoint 2.
  commit_epoch(*sink, 3, {"c2"});
  EXPECT_EQ(read_file(dir + "/" + kPart3), "c2\n");
}

TEST(JsonlFileSink, RecoverCommitsAPreparedEpochTheCheckpointCovers) {
  const std::string dir = fresh_dir();
  crash_after_prepare(dir);
  auto sink = open_sink(dir);
  EXPECT_EQ(sink->last_committed_epoch(), 2u);
  ASSERT_TRUE(sink->recover(3).ok());  // checkpoint 3 was written: epoch 3 is decided
  EXPECT_EQ(sink->last_committed_epoch(), 3u);
  EXPECT_TRUE(pending_files(dir).empty());
  EXPECT_EQ(visible_parts(dir), (std::vector<std::string>{kPart1, kPart2, kPart3}));
  EXPECT_EQ(read_file(dir + "/" + kPart3), "c\n");
}

TEST(JsonlFileSink, RecoverToAnOlderCheckpointMovesLaterEpochsAside) {
  const std::string dir = fresh_dir();
  crash_after_prepare(dir);
  auto sink = open_sink(dir);
  // The newest checkpoints were unreadable: recovery falls back to checkpoint 1, so epochs
  // 2 and 3 will be produced again and must not be visible twice.
  ASSERT_TRUE(sink->recover(1).ok());
  EXPECT_EQ(sink->last_committed_epoch(), 1u);
  EXPECT_EQ(visible_parts(dir), std::vector<std::string>{kPart1});
  EXPECT_TRUE(fs::exists(dir + "/" + kPart2 + ".rolled-back"));
  EXPECT_TRUE(pending_files(dir).empty());
  commit_epoch(*sink, 2, {"b2"});
  EXPECT_EQ(read_file(dir + "/" + kPart2), "b2\n");
}

TEST(JsonlFileSink, ReopenFindsTheHighestCommittedEpoch) {
  const std::string dir = fresh_dir();
  {
    auto sink = open_sink(dir);
    commit_epoch(*sink, 9, {"a"});
    commit_epoch(*sink, 12, {"b"});
  }
  std::ofstream(dir + "/notes.txt") << "not a part";
  std::ofstream(dir + "/part-abc.jsonl") << "not a part either";
  auto sink = open_sink(dir);
  EXPECT_EQ(sink->last_committed_epoch(), 12u);
  EXPECT_TRUE(sink->commit(10).ok());  // older than the last committed: nothing to do
  EXPECT_EQ(sink->last_committed_epoch(), 12u);
}

TEST(JsonlFileSink, EmptyEpochWritesNoFile) {
  const std::string dir = fresh_dir();
  auto sink = open_sink(dir);
  commit_epoch(*sink, 1, {});
  EXPECT_TRUE(files_in(dir).empty());
  EXPECT_EQ(sink->last_committed_epoch(), 1u);
  commit_epoch(*sink, 2, {"b"});
  EXPECT_EQ(visible_parts(dir), std::vector<std::string>{kPart2});
}

TEST(JsonlFileSink, PrepareOfAnotherEpochIsAnError) {
  const std::string dir = fresh_dir();
  auto sink = open_sink(dir);
  ASSERT_TRUE(sink->begin_epoch(5).ok());
  ASSERT_TRUE(write(*sink, "a").ok());
  EXPECT_EQ(sink->prepare(4).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(sink->prepare(5).ok());
}

TEST(JsonlFileSink, ClearRemovesEveryPartFile) {
  const std::string dir = fresh_dir();
  auto sink = open_sink(dir);
  commit_epoch(*sink, 1, {"a"});
  commit_epoch(*sink, 2, {"b"});
  ASSERT_TRUE(sink->begin_epoch(3).ok());
  ASSERT_TRUE(write(*sink, "c").ok());
  ASSERT_TRUE(sink->prepare(3).ok());
  std::ofstream(dir + "/keep.txt") << "someone else's file";
  ASSERT_TRUE(sink->clear().ok());
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(sink->last_committed_epoch(), 0u);

  // A new run starts from epoch 1 again.
  commit_epoch(*sink, 1, {"fresh"});
  EXPECT_EQ(read_file(dir + "/" + kPart1), "fresh\n");
  auto reopened = open_sink(dir);
  EXPECT_EQ(reopened->last_committed_epoch(), 1u);
}

}  // namespace
}  // namespace pixguard
