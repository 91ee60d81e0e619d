#pragma once
// The run loop and checkpoint coordinator: reads batches from a source into the pipeline
// and cuts the stream into epochs. An epoch ends every `epoch_interval` of wall time, at
// the end of the input and on stop. Ending epoch e is a two-phase commit:
//   1. every sink prepare(e)s: its output is durable but invisible;
//   2. the checkpoint of e is written (source position after e's last message, pipeline
//      state, accounting): this is the commit point;
//   3. every sink commit(e)s.
// A crash before 2 loses e's invisible output and re-reads its input from checkpoint e-1;
// a crash after 2 finishes e's commits at recovery (Sink::recover). Either way every
// message lands in exactly one committed epoch and in the state once. A sink whose commit
// does not survive a crash (Kafka: an open transaction is aborted when its producer is
// gone) commits first in step 3; when it missed epoch e, recovery resumes from checkpoint
// e-1 (which `checkpoint.keep` >= 2 keeps) and e is produced again, for every sink.
//
// Incremental checkpoints (`incremental_config` set, unpartitioned sources): the pipeline
// logs every state change; ending epoch e writes e's changes and a small checkpoint naming
// the base it builds on (the changes are written while the epoch runs, by a ChangesWriter,
// so ending it only waits for the last of them), so the pause does not grow with the
// state; a StateCompactor folds
// base + changes into a new base on its own thread once the changes since the base
// outweigh it (or 1M changes), and files no kept checkpoint reads are deleted.
//
// Recovery (start of run()): the newest valid checkpoint restores the state (a base and
// the changes after it, replayed epoch by epoch) and seeks the source; sinks settle to it. With no checkpoint, sinks that already hold committed output
// are refused (resuming without state would write every record twice).
//
// Partitioned sources (Kafka): the runner is the source's PartListener. The checkpoint
// holds a section per part held (position and state; runtime/part_checkpoints.h, in a
// directory the group's members share) beside the accounting. When parts are revoked, the
// records already read are processed and the epoch ends (prepare, checkpoint, commit)
// before they are given up, and their state is dropped; assigned parts are restored from
// the newest committed section any member wrote and resume at its position. So two or
// three members of one group produce what one would.
//
// Threading: run() occupies the calling thread; `stop` may be set from any thread or a
// signal handler, and is honoured between batches (in-flight work finishes, then the final
// epoch is committed and checkpointed).
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "runtime/checkpoint_store.h"
#include "runtime/part_checkpoints.h"
#include "runtime/live_metrics.h"
#include "runtime/changes_writer.h"
#include "runtime/pipeline.h"
#include "runtime/state_compactor.h"
#include "score/model_watcher.h"
#include "sources/source.h"

namespace pixguard {

struct RunnerOptions {
  std::size_t batch_size = 1024;
  int64_t epoch_interval_us = 5'000'000;
  // Null: no checkpoints (a batch job, or a run that may not resume after a crash).
  CheckpointStore* checkpoints = nullptr;
  std::string pipeline_id;  // recorded in checkpoints; a checkpoint of another id is refused
  // Called after each epoch commit with the accounting so far (progress display).
  std::function<void(const Accounting&)> on_epoch;
  // When set, a model it accepts starts serving at the next batch boundary (hot reload).
  const ModelWatcher* model_watcher = nullptr;
  // When set, the run's live picture is published there (the operations endpoint).
  LiveMetrics* metrics = nullptr;
  // Set: incremental checkpoints (unpartitioned sources; partitioned ones write each part's
  // whole state, as parts move between members).
  const Config* incremental_config = nullptr;
  // Partitioned sources: the members' checkpoints, to restore assigned parts from (null:
  // parts start afresh when assigned), who this run is as their writer (the runner fills in
  // the epoch), and which writers' epochs committed (null: all).
  PartCheckpoints* part_checkpoints = nullptr;
  PartWriter part_writer;
  std::function<bool(const PartWriter&)> part_committed;
  // Partitioned sources: a part read to its end this long counts as idle (it stops holding
  // the payee stage back).
  int64_t idle_after_us = 1'000'000;
  // state.payees: repartition: the payee topic, read by the same consumer as the input (its
  // partitions are parts too, runtime/payee_stage.h). A bounded run (the source ends) goes
  // on until what it sent there has come back and been scored.
  std::string payee_topic;
};

class Runner final : public PartListener {
 public:
  Runner(Source* source, Pipeline* pipeline, RunnerOptions options)
      : source_(source), pipeline_(pipeline), options_(std::move(options)) {}

  Status run(const std::atomic<bool>& stop);

  uint64_t last_epoch() const { return epoch_; }
  uint64_t resumed_from_epoch() const { return resumed_from_; }  // 0 = started fresh
  const CheckpointWriteStats& last_checkpoint() const { return last_checkpoint_; }
  // Incremental checkpoints: the base the last checkpoint builds on.
  uint64_t base_epoch() const { return base_epoch_; }

 private:
  std::vector<Sink*> all_sinks() const;
  Status recover();
  // Moves `c` back one epoch, to what a sink that cannot commit after a crash last committed.
  Status step_back_for_uncommitted_sinks(Checkpoint* c, bool* found);
  Status begin_epoch();
  Status end_epoch();
  // The records of `kind` the accounting says the sinks of that output received (scored,
  // alerts: review and block decisions, dead letters), since the run began.
  uint64_t expected_records(Output kind) const;
  // After an epoch's commits: each counting sink committed what the accounting expects
  // (Accounting::sink_mismatches otherwise).
  void check_sinks();
  Status write_checkpoint();
  // Incremental checkpoints: finishes the epoch's changes file and fills `state`; then (after the
  // checkpoint) adopts a finished compaction, deletes files no kept checkpoint reads, and
  // starts a compaction when due.
  Status write_changes(std::string* state);
  Status after_incremental_checkpoint();
  Status restore_incremental(const Checkpoint& c, const IncrementalState& inc);
  Status write_base_now(uint64_t epoch);
  Status parts_revoked(const std::vector<SourcePart>& parts) override;
  Status parts_assigned(std::vector<SourcePart>* parts) override;
  // The input parts held, each idle once it has been read to its end for idle_after_us.
  std::vector<Pipeline::InputPart> input_parts();
  // Runs the batch through the pipeline (and the metrics).
  Status process_batch();
  void pick_up_new_model();
  // Records a processed batch in the histograms of the published sample.
  // Metrics of what the pipeline just handed to the sinks: stage times, latencies.
  void observe_released();
  // Publishes to options_.metrics: always when `force`, else at most every 100 ms.
  void publish_metrics(bool force);

  Source* source_;
  Pipeline* pipeline_;
  RunnerOptions options_;

  uint64_t epoch_ = 0;
  uint64_t resumed_from_ = 0;
  std::array<uint64_t, kOutputCount> expected_at_start_{};  // expected_records() after recovery
  uint64_t model_generation_ = 0;
  CheckpointWriteStats last_checkpoint_;
  int64_t last_checkpoint_unix_us_ = 0;
  RecordBatch batch_;
  MetricsSample sample_;  // what is published; its histograms accumulate between publishes
  std::array<int64_t, StageTimes::kCount> stage_nanos_before_{};
  // The epoch's transactions handed to the sinks, as (arrival, count) runs: their commit
  // latency is observed when the epoch commits.
  std::vector<std::pair<int64_t, uint64_t>> arrivals_in_epoch_;
  std::chrono::steady_clock::time_point last_publish_{};
  bool recovered_ = false;
  bool partitioned_ = false;
  std::vector<std::string> checkpointed_parts_;  // partitioned: the parts held at the last checkpoint
  // Partitioned: the last sections of parts not held (given up, or not given back yet after
  // a restart), carried forward in every checkpoint until another member has adopted them.
  std::map<std::string, PartSection> orphans_;
  std::map<uint32_t, std::chrono::steady_clock::time_point> quiet_since_;  // by part id
  bool input_ended_ = false;  // state.payees: repartition: the source said it ended

  // Incremental checkpoints.
  bool incremental_ = false;
  std::vector<StateChange> changes_;  // of the epoch in progress, not yet handed to the writer
  std::unique_ptr<ChangesWriter> changes_writer_;
  uint64_t base_epoch_ = 0;
  uint64_t changes_since_base_ = 0;
  uint64_t changes_in_epoch_ = 0;
  uint64_t base_bytes_ = 0;
  uint64_t done_changes_ = 0;  // changes_since_base_ when the running compaction started
  uint64_t retry_compaction_at_ = 0;  // after a failed compaction: changes since the base to wait for
  bool stopping_ = false;             // the final epoch is ending
  std::deque<std::pair<uint64_t, uint64_t>> kept_;  // (epoch, base) of the checkpoints kept
  std::unique_ptr<StateCompactor> compactor_;
  uint64_t changes_bytes_ = 0;  // the last changes file written
};

}  // namespace pixguard
