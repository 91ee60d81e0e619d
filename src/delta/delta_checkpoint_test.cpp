#include "delta/delta_checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "delta/delta_log.h"

namespace pixguard::delta {
namespace {

namespace fs = std::filesystem;

// The fixture was written by DuckDB (testdata/make_checkpoint.sh): version 2 of a table.
std::string fixture_dir() { return std::string(PIXGUARD_SOURCE_DIR) + "/src/delta/testdata/checkpoint_table"; }
constexpr const char* kCheckpoint = "/_delta_log/00000000000000000002.checkpoint.parquet";

class DeltaCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "delta_checkpoint_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/table";
    fs::copy(fixture_dir(), dir_, fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string root_, dir_;
};

TEST_F(DeltaCheckpointTest, ReadsEveryActionOfASparkShapedCheckpoint) {
  std::vector<Action> actions;
  const Status s = read_checkpoint(dir_ + kCheckpoint, &actions);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(actions.size(), 7u);

  const auto& p = std::get<Protocol>(actions[0]);
  EXPECT_EQ(p.min_reader_version, 1);
  EXPECT_EQ(p.min_writer_version, 2);

  const auto& m = std::get<Metadata>(actions[1]);
  EXPECT_EQ(m.id, "5b6f1f5e-8d0a-4c55-9d61-0e4b1c2a7f10");
  EXPECT_EQ(m.name, "decisions");
  EXPECT_TRUE(m.description.empty());
  EXPECT_EQ(m.format_provider, "parquet");
  EXPECT_TRUE(m.format_options.empty());
  EXPECT_TRUE(m.schema_string.starts_with(R"({"type":"struct","fields":[{"name":"end_to_end_id")"));
  EXPECT_EQ(m.partition_columns, std::vector<std::string>{"event_date"});
  EXPECT_EQ(m.configuration.size(), 2u);
  EXPECT_EQ(m.configuration.at("delta.checkpointInterval"), "2");
  EXPECT_EQ(m.created_time, 1763900000000);

  const auto& t = std::get<Txn>(actions[2]);
  EXPECT_EQ(t.app_id, "pipeline-1");
  EXPECT_EQ(t.version, 2);
  EXPECT_EQ(t.last_updated, 1764000200000);

  const auto& a = std::get<AddFile>(actions[3]);
  EXPECT_EQ(a.path, "event_date=2025-11-24/part-00000-a.c000.snappy.parquet");
  EXPECT_EQ(a.partition_values, (std::map<std::string, std::string>{{"event_date", "2025-11-24"}}));
  EXPECT_EQ(a.size, 4096);
  EXPECT_EQ(a.modification_time, 1764000100000);
  EXPECT_FALSE(a.data_change);
  EXPECT_EQ(a.stats, R"({"numRecords":100,"minValues":{"amount":1.5},"maxValues":{"amount":900.0},"nullCount":{"amount":0}})");
  EXPECT_EQ(std::get<AddFile>(actions[4]).path, "event_date=2025-11-25/part-00001%20b.c000.snappy.parquet");
  const auto& null_partition = std::get<AddFile>(actions[5]);
  EXPECT_EQ(null_partition.partition_values, (std::map<std::string, std::string>{{"event_date", ""}}));
  EXPECT_TRUE(null_partition.stats.empty());

  const auto& r = std::get<RemoveFile>(actions[6]);
  EXPECT_EQ(r.path, "event_date=2025-11-23/part-00000-old.c000.snappy.parquet");
  EXPECT_EQ(r.deletion_timestamp, 1764000150000);
  EXPECT_TRUE(r.data_change);
  EXPECT_TRUE(r.extended_file_metadata);
  EXPECT_EQ(r.partition_values.at("event_date"), "2025-11-23");
  EXPECT_EQ(r.size, 1000);
}

TEST_F(DeltaCheckpointTest, ReplayStartsAtTheCheckpointAndAddsLaterCommits) {
  std::unique_ptr<DeltaTable> table;
  Status s = DeltaTable::open(dir_, &table);
  ASSERT_TRUE(s.ok()) << s.message();
  TableSnapshot snap;
  ASSERT_TRUE(table->snapshot(&snap).ok());
  EXPECT_EQ(snap.version, 2u);
  EXPECT_EQ(snap.checkpoint_version, 2u);
  EXPECT_EQ(snap.files.size(), 3u);
  EXPECT_EQ(snap.tombstones.size(), 1u);
  EXPECT_EQ(snap.txn_versions.at("pipeline-1"), 2);
  EXPECT_EQ(snap.metadata.name, "decisions");

  // Later JSON commits (versions 0..2 exist only as the checkpoint).
  AddFile d;
  d.path = "event_date=2025-11-26/part-00000-d.c000.snappy.parquet";
  d.partition_values = {{"event_date", "2025-11-26"}};
  d.size = 100;
  d.modification_time = 1764000300000;
  CommitResult r;
  s = table->commit(2, {d, Txn{"pipeline-1", 3, std::nullopt}}, &r);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(r.version, 3u);
  RemoveFile rm;
  rm.path = "event_date=2025-11-24/part-00000-a.c000.snappy.parquet";
  rm.deletion_timestamp = 1764000400000;
  s = table->commit(3, {rm}, &r);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(r.version, 4u);
  // The same epoch again, planned from the checkpoint's version: already in the table.
  s = table->commit(2, {d, Txn{"pipeline-1", 3, std::nullopt}}, &r);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(r.outcome, CommitOutcome::kAlreadyCommitted);

  ASSERT_TRUE(table->snapshot(&snap).ok());
  EXPECT_EQ(snap.version, 4u);
  EXPECT_EQ(snap.checkpoint_version, 2u);
  EXPECT_EQ(snap.files.size(), 3u);
  EXPECT_TRUE(snap.files.contains(d.path));
  EXPECT_FALSE(snap.files.contains(rm.path));
  EXPECT_EQ(snap.tombstones.size(), 2u);
  EXPECT_EQ(snap.txn_versions.at("pipeline-1"), 3);
}

TEST_F(DeltaCheckpointTest, FoundByScanningWithoutLastCheckpoint) {
  fs::remove(dir_ + "/_delta_log/_last_checkpoint");
  std::unique_ptr<DeltaTable> table;
  ASSERT_TRUE(DeltaTable::open(dir_, &table).ok());
  TableSnapshot snap;
  ASSERT_TRUE(table->snapshot(&snap).ok());
  EXPECT_EQ(snap.checkpoint_version, 2u);
  EXPECT_EQ(snap.files.size(), 3u);
}

TEST_F(DeltaCheckpointTest, ADamagedCheckpointWithoutTheCommitsBeforeItIsCorruption) {
  const std::string path = dir_ + kCheckpoint;
  const auto size = fs::file_size(path);
  fs::resize_file(path, size / 2);
  std::vector<Action> actions;
  EXPECT_FALSE(read_checkpoint(path, &actions).ok());
  std::unique_ptr<DeltaTable> table;
  const Status s = DeltaTable::open(dir_, &table);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("00000000000000000000.json"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("checkpoint.parquet"), std::string::npos) << s.message();
  std::ofstream(path, std::ios::trunc) << "not parquet";
  EXPECT_EQ(DeltaTable::open(dir_, &table).code(), StatusCode::kCorruption);
}

TEST_F(DeltaCheckpointTest, ADamagedCheckpointFallsBackToTheJsonCommits) {
  // A log that has its JSON commits too: the checkpoint is only a shortcut.
  fs::remove_all(dir_);
  std::unique_ptr<DeltaTable> table;
  Metadata m;
  m.schema_string = R"({"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{}}]})";
  ASSERT_TRUE(DeltaTable::create(dir_, Protocol{}, m, &table).ok());
  AddFile a;
  a.path = "a.parquet";
  CommitResult r;
  ASSERT_TRUE(table->commit(0, {a}, &r).ok());
  ASSERT_TRUE(table->commit(1, {Txn{"x", 1, std::nullopt}}, &r).ok());
  fs::copy_file(fixture_dir() + kCheckpoint, dir_ + kCheckpoint);
  fs::resize_file(dir_ + kCheckpoint, 100);
  TableSnapshot snap;
  const Status s = table->snapshot(&snap);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(snap.checkpoint_version.has_value());
  EXPECT_EQ(snap.version, 2u);
  EXPECT_EQ(snap.files.size(), 1u);
}

}  // namespace
}  // namespace pixguard::delta
