#include "sinks/delta_sink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "parquet/parquet_reader.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir = fs::path(::testing::TempDir()) / "pixguard_delta_sink_test" / info->name();
  fs::remove_all(dir);
  return dir.string();
}

DeltaSinkOptions options(const std::string& dir) {
  DeltaSinkOptions o;
  o.table_dir = dir;
  o.app_id = "pixguard-test-1";
  o.features.resize(2);
  o.features[0].name = "payer.count_5m";
  o.features[1].name = "tx.amount";
  o.thresholds.review_threshold = 0.5;
  o.thresholds.block_threshold = 0.9;
  return o;
}

// Writes `n` records whose ids are "<prefix><i>", two days apart by parity.
Status write_records(DeltaSink* sink, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string id = prefix + std::to_string(i);
    Transaction tx;
    tx.end_to_end_id = id;
    tx.event_time_us = 1'764'000'000'000'000 + int64_t{i} * 1'000'000;
    tx.amount_cents = 100 + i;
    tx.payer = {"393246", "65410049", ""};
    tx.channel = "APP";
    Enrichment e;
    e.local.days = 20'400 + i % 2;
    e.label = i % 3 == 0 ? 1 : -1;
    const double row[2] = {static_cast<double>(i), (100.0 + i) / 100};
    ScoredRecord r;
    r.tx = &tx;
    r.enrichment = &e;
    r.features = row;
    r.decision.score = 0.25;
    r.model_version = "m@1";
    if (Status s = sink->write({tx.payer.account, "{}", &r, Output::kScored}); !s.ok()) return s;
  }
  return Status::Ok();
}

// Every end_to_end_id in the table's active files, read back with our Parquet reader.
std::multiset<std::string> ids_in(const std::string& dir) {
  std::unique_ptr<delta::DeltaTable> table;
  EXPECT_TRUE(delta::DeltaTable::open(dir, &table).ok());
  delta::TableSnapshot snap;
  EXPECT_TRUE(table->snapshot(&snap).ok());
  std::multiset<std::string> ids;
  for (const auto& [path, add] : snap.files) {
    std::unique_ptr<parquet::ParquetReader> reader;
    EXPECT_TRUE(parquet::ParquetReader::open(dir + "/" + path, &reader).ok()) << path;
    parquet::ColumnData data;
    EXPECT_TRUE(reader->read_column(reader->find_column("end_to_end_id"), &data).ok());
    ids.insert(data.strings.begin(), data.strings.end());
    EXPECT_NE(add.stats.find("\"numRecords\":" + std::to_string(reader->num_rows())), std::string::npos) << add.stats;
    EXPECT_EQ(add.partition_values.count("event_date"), 1u);
  }
  return ids;
}

TEST(DeltaSink, EachEpochIsOneCommitWithItsTxn) {
  const std::string dir = fresh_dir();
  std::unique_ptr<DeltaSink> sink;
  ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
  ASSERT_TRUE(sink->recover(0).ok());
  for (uint64_t epoch = 1; epoch <= 2; ++epoch) {
    ASSERT_TRUE(sink->begin_epoch(epoch).ok());
    ASSERT_TRUE(write_records(sink.get(), "e" + std::to_string(epoch) + "-", 10).ok());
    ASSERT_TRUE(sink->prepare(epoch).ok());
    EXPECT_EQ(ids_in(dir).size(), (epoch - 1) * 10) << "visible before commit";
    ASSERT_TRUE(sink->commit(epoch).ok());
    EXPECT_EQ(ids_in(dir).size(), epoch * 10);
  }
  EXPECT_EQ(sink->last_committed_epoch(), 2u);
  EXPECT_EQ(sink->stats().commits, 2u);
  EXPECT_EQ(sink->stats().files, 4u);  // two event dates per epoch
  std::unique_ptr<delta::DeltaTable> table;
  ASSERT_TRUE(delta::DeltaTable::open(dir, &table).ok());
  delta::TableSnapshot snap;
  ASSERT_TRUE(table->snapshot(&snap).ok());
  EXPECT_EQ(snap.version, 2u);
  EXPECT_EQ(snap.txn_versions.at("pixguard-test-1"), 2);
  EXPECT_TRUE(fs::exists(dir + "/event_date=2025-11-08"));
}

TEST(DeltaSink, APreparedEpochIsCommittedAtRecoveryAndALaterOneDiscarded) {
  const std::string dir = fresh_dir();
  {
    std::unique_ptr<DeltaSink> sink;
    ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
    ASSERT_TRUE(sink->recover(0).ok());
    ASSERT_TRUE(sink->begin_epoch(1).ok());
    ASSERT_TRUE(write_records(sink.get(), "a", 5).ok());
    ASSERT_TRUE(sink->prepare(1).ok());
    ASSERT_TRUE(sink->commit(1).ok());
    ASSERT_TRUE(sink->begin_epoch(2).ok());
    ASSERT_TRUE(write_records(sink.get(), "b", 7).ok());
    ASSERT_TRUE(sink->prepare(2).ok());  // checkpoint 2 written, then the crash
  }
  {
    std::unique_ptr<DeltaSink> sink;
    ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
    EXPECT_EQ(sink->last_committed_epoch(), 1u);
    ASSERT_TRUE(sink->recover(2).ok());
    EXPECT_EQ(sink->last_committed_epoch(), 2u);
    EXPECT_EQ(ids_in(dir).size(), 12u);
    ASSERT_TRUE(sink->begin_epoch(3).ok());
    ASSERT_TRUE(write_records(sink.get(), "c", 4).ok());
    ASSERT_TRUE(sink->prepare(3).ok());  // crash before checkpoint 3
  }
  std::unique_ptr<DeltaSink> sink;
  ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
  ASSERT_TRUE(sink->recover(2).ok());
  EXPECT_EQ(ids_in(dir).size(), 12u);
  std::size_t data_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) data_files += e.path().extension() == ".parquet";
  EXPECT_EQ(data_files, 4u) << "epoch 3's files are deleted";
}

// A prepared epoch whose record cannot be read, or is damaged, or names a file that is gone,
// is an error naming the record at recovery: never an epoch committed without its rows.
TEST(DeltaSink, ADamagedPreparedEpochIsAnErrorNotAnEmptyCommit) {
  const std::string record = "/_pixguard/pixguard-test-1/epoch-1.json";
  const auto prepare_one = [](const std::string& dir) {
    std::unique_ptr<DeltaSink> sink;
    ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
    ASSERT_TRUE(sink->recover(0).ok());
    ASSERT_TRUE(sink->begin_epoch(1).ok());
    ASSERT_TRUE(write_records(sink.get(), "a", 5).ok());
    ASSERT_TRUE(sink->prepare(1).ok());  // checkpoint 1 written, then the crash
  };
  const std::vector<std::pair<std::string, std::function<void(const std::string&)>>> damages = {
      {"unreadable (a directory)", [&](const std::string& dir) {
         fs::remove(dir + record);
         fs::create_directory(dir + record);
       }},
      {"empty", [&](const std::string& dir) { fs::resize_file(dir + record, 0); }},
      {"cut short", [&](const std::string& dir) { fs::resize_file(dir + record, fs::file_size(dir + record) - 7); }},
      {"not actions", [&](const std::string& dir) { std::ofstream(dir + record) << "garbage\n"; }},
      {"a data file gone", [&](const std::string& dir) {
         for (const auto& e : fs::recursive_directory_iterator(dir)) {
           if (e.path().extension() == ".parquet") {
             fs::remove(e.path());
             break;
           }
         }
       }},
  };
  for (const auto& [what, damage] : damages) {
    const std::string dir = fresh_dir();
    prepare_one(dir);
    damage(dir);
    std::unique_ptr<DeltaSink> sink;
    ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
    const Status s = sink->recover(1);
    EXPECT_FALSE(s.ok()) << what;
    EXPECT_NE(s.message().find("epoch-1.json"), std::string::npos) << what << ": " << s.message();
    EXPECT_EQ(sink->last_committed_epoch(), 0u) << what;
    // After the checkpoint (its input is read again) the same damage is only a warning.
    const Status later = sink->recover(0);
    EXPECT_TRUE(later.ok()) << what << ": " << later.message();
  }
}

TEST(DeltaSink, AnEpochAlreadyInTheTableIsNotCommittedTwice) {
  const std::string dir = fresh_dir();
  {
    std::unique_ptr<DeltaSink> sink;
    ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
    ASSERT_TRUE(sink->recover(0).ok());
    ASSERT_TRUE(sink->begin_epoch(1).ok());
    ASSERT_TRUE(write_records(sink.get(), "a", 5).ok());
    ASSERT_TRUE(sink->prepare(1).ok());
    ASSERT_TRUE(sink->commit(1).ok());
  }
  // Another process of the same app id, replaying epoch 1 (as after a lost checkpoint).
  std::unique_ptr<DeltaSink> sink;
  ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
  ASSERT_TRUE(sink->begin_epoch(1).ok());
  ASSERT_TRUE(write_records(sink.get(), "a", 5).ok());
  ASSERT_TRUE(sink->prepare(1).ok());
  ASSERT_TRUE(sink->commit(1).ok());
  EXPECT_EQ(ids_in(dir).size(), 5u);
}

// Recovery fell back to checkpoint 1 (checkpoint 2 was damaged) after epoch 2 committed:
// epoch 2 is produced again, and its new boundaries need not match the old ones.
TEST(DeltaSink, EpochsAfterTheCheckpointRecoveryUsesAreRolledBack) {
  const std::string dir = fresh_dir();
  {
    std::unique_ptr<DeltaSink> sink;
    ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
    ASSERT_TRUE(sink->recover(0).ok());
    for (uint64_t epoch = 1; epoch <= 3; ++epoch) {
      ASSERT_TRUE(sink->begin_epoch(epoch).ok());
      ASSERT_TRUE(write_records(sink.get(), "e" + std::to_string(epoch) + "-", 4).ok());
      ASSERT_TRUE(sink->prepare(epoch).ok());
      ASSERT_TRUE(sink->commit(epoch).ok());
    }
  }
  std::unique_ptr<DeltaSink> sink;
  ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
  EXPECT_EQ(sink->last_committed_epoch(), 3u);
  ASSERT_TRUE(sink->recover(1).ok());
  EXPECT_EQ(sink->last_committed_epoch(), 1u);
  EXPECT_EQ(ids_in(dir), (std::multiset<std::string>{"e1-0", "e1-1", "e1-2", "e1-3"}));
  // Epoch 2 again, holding what the old epochs 2 and 3 held: committed, not skipped.
  ASSERT_TRUE(sink->begin_epoch(2).ok());
  ASSERT_TRUE(write_records(sink.get(), "e2-", 4).ok());
  ASSERT_TRUE(write_records(sink.get(), "e3-", 4).ok());
  ASSERT_TRUE(sink->prepare(2).ok());
  ASSERT_TRUE(sink->commit(2).ok());
  EXPECT_EQ(ids_in(dir).size(), 12u);
  EXPECT_EQ(ids_in(dir).count("e3-0"), 1u);
  std::unique_ptr<delta::DeltaTable> table;
  delta::TableSnapshot snap;
  ASSERT_TRUE(delta::DeltaTable::open(dir, &table, &snap).ok());
  EXPECT_EQ(snap.txn_versions.at("pixguard-test-1"), 2);
  EXPECT_FALSE(snap.tombstones.empty()) << "the rolled-back files stay for readers of older versions";

  // A second fallback, further back than the first: the log now holds the old epochs 2-3,
  // the rollback to 1 and the new epoch 2; only the new epoch's files are still to go.
  sink.reset();
  ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
  ASSERT_TRUE(sink->recover(0).ok());
  EXPECT_EQ(sink->last_committed_epoch(), 0u);
  EXPECT_TRUE(ids_in(dir).empty());
}

TEST(DeltaSink, ATableOfOtherFeaturesIsRefused) {
  const std::string dir = fresh_dir();
  std::unique_ptr<DeltaSink> sink;
  ASSERT_TRUE(DeltaSink::open(options(dir), &sink).ok());
  DeltaSinkOptions other = options(dir);
  other.features[1].name = "payee.count_1h";
  const Status s = DeltaSink::open(other, &sink);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("schema"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace pixguard
