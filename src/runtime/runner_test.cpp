// The runner's recovery when a sink cannot commit an epoch after a crash (the Kafka sink):
// a failure between the checkpoint of epoch e and that sink's commit of e must make the
// next run resume from checkpoint e-1, so that e is produced again, and every message
// lands in exactly one committed epoch.
#include "runtime/runner.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "runtime/job.h"

namespace pixguard {
namespace {

std::string source_dir() {
  if (const char* env = std::getenv("PIXGUARD_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
  return PIXGUARD_SOURCE_DIR;
}

// Holds each epoch's records in memory; commits are lost with the "process" unless
// committed, like a Kafka transaction. `fail_commit_of` makes that epoch's commit fail,
// after the runner has written its checkpoint.
class TransactionalMemorySink final : public Sink {
 public:
  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t epoch) override {
    open_ = epoch;
    pending_.clear();
    return Status::Ok();
  }
  Status write(const SinkRecord& r) override {
    pending_.emplace_back(r.json);
    return Status::Ok();
  }
  Status prepare(uint64_t) override { return Status::Ok(); }
  Status commit(uint64_t epoch) override {
    if (epoch == fail_commit_of) return Status::IoError("injected: the process dies before the commit");
    (*committed)[epoch] = std::move(pending_);
    last_ = epoch;
    return Status::Ok();
  }
  Status abort(uint64_t) override {
    pending_.clear();
    return Status::Ok();
  }
  uint64_t last_committed_epoch() const override { return last_; }
  Status recover(uint64_t) override { return Status::Ok(); }
  bool commit_survives_crash() const override { return false; }

  std::map<uint64_t, std::vector<std::string>>* committed = nullptr;  // survives the "process"
  uint64_t fail_commit_of = 0;
  uint64_t last_ = 0;

 private:
  std::string name_ = "memory";
  uint64_t open_ = 0;
  std::vector<std::string> pending_;
};

struct Life {
  Accounting accounting;
  uint64_t resumed_from = 0;
  uint64_t base_epoch = 0;  // incremental checkpoints: the base of the last one
  Status status;
};

Life run_once(const Config& config, CheckpointStore* store, TransactionalMemorySink* sink, bool incremental = false) {
  Job job;
  Life life;
  if (life.status = build_job(config, &job); !life.status.ok()) return life;
  job.pipeline->add_sink(Output::kScored, sink);
  RunnerOptions o;
  o.batch_size = 100;
  o.epoch_interval_us = 1;  // an epoch per batch
  o.checkpoints = store;
  o.pipeline_id = config.pipeline_id;
  if (incremental) o.incremental_config = &config;
  Runner runner(job.source.get(), job.pipeline.get(), o);
  std::atomic<bool> stop{false};
  life.status = runner.run(stop);
  life.resumed_from = runner.resumed_from_epoch();
  life.base_epoch = runner.base_epoch();
  life.accounting = job.pipeline->accounting();
  return life;
}

// The shipped config on a generated stream of `count` messages.
Config shipped_config(uint64_t count) {
  Config config;
  EXPECT_TRUE(load_config(source_dir() + "/config/streaming_config.yaml", &config).ok());
  config.source.generator.count = count;
  config.model_path = source_dir() + "/model";
  return config;
}

// An empty checkpoint directory of this test's own.
std::string fresh_dir() {
  const std::string dir = (std::filesystem::path(::testing::TempDir()) /
                           ("pixguard_runner_test_" +
                            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())))
                              .string();
  std::filesystem::remove_all(dir);
  return dir;
}

// The committed records of every epoch, counted.
std::map<std::string, int> as_multiset(const std::map<uint64_t, std::vector<std::string>>& epochs) {
  std::map<std::string, int> out;
  for (const auto& [epoch, records] : epochs) {
    for (const std::string& r : records) ++out[r];
  }
  return out;
}

// A sink that counts what it commits (as the file, Delta and Kafka sinks do); `lose_every`
// makes it lose every n-th record it is handed, as a buggy sink would.
class CountingSink final : public Sink {
 public:
  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t) override {
    pending_ = {};
    return Status::Ok();
  }
  Status write(const SinkRecord& r) override {
    if (lose_every > 0 && ++handed_ % lose_every == 0) return Status::Ok();
    ++pending_[static_cast<std::size_t>(r.kind)];
    return Status::Ok();
  }
  Status prepare(uint64_t) override { return Status::Ok(); }
  Status commit(uint64_t epoch) override {
    for (std::size_t k = 0; k < kOutputCount; ++k) committed_[k] += pending_[k];
    pending_ = {};
    last_ = epoch;
    return Status::Ok();
  }
  Status abort(uint64_t) override { return Status::Ok(); }
  uint64_t last_committed_epoch() const override { return last_; }
  Status recover(uint64_t) override { return Status::Ok(); }
  bool counts_committed() const override { return true; }
  std::array<uint64_t, kOutputCount> committed_records() const override { return committed_; }

  uint64_t lose_every = 0;

 private:
  std::string name_ = "counting";
  uint64_t handed_ = 0, last_ = 0;
  std::array<uint64_t, kOutputCount> pending_{}, committed_{};
};

// `balanced` checks the sinks: one that committed fewer records than were counted makes the
// run unbalanced (exit code 3), naming the sink and the output.
TEST(Runner, ASinkThatLosesRecordsUnbalancesTheRun) {
  for (const uint64_t lose_every : {uint64_t{0}, uint64_t{500}}) {
    const Config config = shipped_config(2'000);
    Job job;
    ASSERT_TRUE(build_job(config, &job).ok());
    CountingSink sink;
    sink.lose_every = lose_every;
    for (const Output kind : {Output::kScored, Output::kAlerts, Output::kDeadLetters}) job.pipeline->add_sink(kind, &sink);
    RunnerOptions o;
    o.batch_size = 100;
    o.epoch_interval_us = 1;
    o.pipeline_id = config.pipeline_id;
    Runner runner(job.source.get(), job.pipeline.get(), o);
    std::atomic<bool> stop{false};
    ASSERT_TRUE(runner.run(stop).ok());
    const Accounting& a = job.pipeline->accounting();
    EXPECT_TRUE(a.counts_add_up());
    if (lose_every == 0) {
      EXPECT_TRUE(a.balanced()) << accounting_text(a, {});
      EXPECT_TRUE(a.sink_mismatches.empty());
      continue;
    }
    EXPECT_FALSE(a.balanced());
    ASSERT_FALSE(a.sink_mismatches.empty());
    EXPECT_NE(a.sink_mismatches[0].find("sink counting scored: committed"), std::string::npos) << a.sink_mismatches[0];
    EXPECT_NE(accounting_json(a, {}).find("\"balanced\":false"), std::string::npos);
  }
}

TEST(Runner, ResumesFromTheEpochASinkThatCannotRecommitLastCommitted) {
  const Config config = shipped_config(2'000);
  const std::string dir = fresh_dir();
  CheckpointStore store(dir, 2);
  ASSERT_TRUE(store.open().ok());

  std::map<uint64_t, std::vector<std::string>> committed;
  TransactionalMemorySink sink;
  sink.committed = &committed;
  sink.fail_commit_of = 7;
  const Life first = run_once(config, &store, &sink);
  ASSERT_FALSE(first.status.ok());
  EXPECT_EQ(sink.last_committed_epoch(), 6u);

  // The newest checkpoint is epoch 7 (written before the failed commit); the run must
  // resume from 6, which the sink committed.
  Checkpoint newest;
  bool found = false;
  ASSERT_TRUE(store.load_latest(&newest, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(newest.epoch, 7u);
  sink.fail_commit_of = 0;
  const Life second = run_once(config, &store, &sink);
  ASSERT_TRUE(second.status.ok()) << second.status.message();
  EXPECT_EQ(second.resumed_from, 6u);

  // Every scored record exactly once over the committed epochs, as in one clean run.
  const std::map<std::string, int> seen = as_multiset(committed);
  std::size_t total = 0;
  for (const auto& [epoch, records] : committed) total += records.size();
  EXPECT_EQ(second.accounting.in, 2'000u);
  EXPECT_TRUE(second.accounting.balanced());
  EXPECT_EQ(total, second.accounting.scored);
  EXPECT_EQ(seen.size(), total) << "a record was committed twice";

  std::map<uint64_t, std::vector<std::string>> clean;
  TransactionalMemorySink clean_sink;
  clean_sink.committed = &clean;
  std::filesystem::remove_all(dir);
  CheckpointStore clean_store(dir, 2);
  ASSERT_TRUE(clean_store.open().ok());
  ASSERT_TRUE(run_once(config, &clean_store, &clean_sink).status.ok());
  EXPECT_EQ(seen, as_multiset(clean));
  std::filesystem::remove_all(dir);
}

// Incremental checkpoints with compactions all along: a run that dies at epoch 40 resumes
// from a base and the changes after it, and commits what one clean run commits.
TEST(Runner, IncrementalCheckpointsResumeFromABaseAndItsChanges) {
  Config config = shipped_config(6'000);
  config.checkpoint.compact_after = 300;
  const std::string dir = fresh_dir();
  CheckpointStore store(dir, 2);
  ASSERT_TRUE(store.open().ok());
  std::map<uint64_t, std::vector<std::string>> committed;
  TransactionalMemorySink sink;
  sink.committed = &committed;
  sink.fail_commit_of = 40;
  const Life first = run_once(config, &store, &sink, true);
  ASSERT_FALSE(first.status.ok());
  EXPECT_GT(first.base_epoch, 0u) << "no compaction finished in 40 epochs";
  EXPECT_LT(first.base_epoch, 40u);
  sink.fail_commit_of = 0;
  const Life second = run_once(config, &store, &sink, true);
  ASSERT_TRUE(second.status.ok()) << second.status.message();
  EXPECT_EQ(second.resumed_from, 39u);
  EXPECT_TRUE(second.accounting.balanced());
  // The files the newest checkpoints build on are all still there: a third start restores.
  const Life third = run_once(config, &store, &sink, true);
  ASSERT_TRUE(third.status.ok()) << third.status.message();
  EXPECT_GT(third.resumed_from, 40u);
  EXPECT_EQ(third.accounting.in, 6'000u);

  std::map<uint64_t, std::vector<std::string>> clean;
  TransactionalMemorySink clean_sink;
  clean_sink.committed = &clean;
  std::filesystem::remove_all(dir);
  CheckpointStore clean_store(dir, 2);
  ASSERT_TRUE(clean_store.open().ok());
  const Life reference = run_once(config, &clean_store, &clean_sink);  // full checkpoints
  ASSERT_TRUE(reference.status.ok());
  EXPECT_EQ(as_multiset(committed), as_multiset(clean));
  EXPECT_EQ(second.accounting.state.events, reference.accounting.state.events);
  EXPECT_EQ(second.accounting.state.payee_keys, reference.accounting.state.payee_keys);
  std::filesystem::remove_all(dir);
}

TEST(Runner, RefusesASinkThatLostItsCommitRecord) {
  const Config config = shipped_config(1'000);
  const std::string dir = fresh_dir();
  CheckpointStore store(dir, 2);
  ASSERT_TRUE(store.open().ok());
  std::map<uint64_t, std::vector<std::string>> committed;
  TransactionalMemorySink sink;
  sink.committed = &committed;
  ASSERT_TRUE(run_once(config, &store, &sink).status.ok());
  sink.last_ = 0;  // its record of commits is gone, the checkpoints are not
  const Life again = run_once(config, &store, &sink);
  ASSERT_FALSE(again.status.ok());
  EXPECT_NE(again.status.message().find("commit record is missing"), std::string::npos) << again.status.message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pixguard
