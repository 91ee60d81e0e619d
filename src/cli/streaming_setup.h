#pragma once
// What `run` and `demo` both set up around a job: the checkpoint store and the output sinks
// of the config (the Kafka sink first, then the JSON-lines file sinks, then the Delta table).
#include <functional>
#include <memory>

#include "config/config.h"
#include "runtime/checkpoint_store.h"
#include "runtime/part_checkpoints.h"
#include "ops/alert_outputs.h"
#include "ops/metrics_history.h"
#include "ops/ops_server.h"
#include "ops/threshold_alerter.h"
#include "runtime/job.h"
#include "runtime/live_metrics.h"
#include "sinks/recent_records.h"

namespace pixguard::cli {

// Where a streaming run's checkpoints go. Reading a file or the generator:
//   <checkpoint.dir>/checkpoint-*.ckpt, <checkpoint.dir>/kafka-commits.log
// Reading Kafka, the directory is shared by the members of the consumer group:
//   <checkpoint.dir>/instances/<kafka.instance>/   this member's checkpoints (with its
//       partitions' state), commit log and adopted partitions (runtime/part_checkpoints.h)
struct Checkpointing {
  std::unique_ptr<CheckpointStore> store;  // null without checkpoint.dir
  std::unique_ptr<PartCheckpoints> parts;  // Kafka source only: every member's, to restore parts
  PartWriter writer;                       // this run, as the writer of part checkpoints
  // Whether a part checkpoint's epoch committed (by its instance's Kafka commit log).
  std::function<bool(const PartWriter&)> committed;
};

// Opens the checkpoints and adds the sinks to `job`. `overwrite` starts over: checkpoints,
// file outputs, the Delta table and the Kafka commit log are cleared; reading Kafka, every
// member's checkpoints (start them all over together).
Status set_up_streaming(const Config& config, bool overwrite, Job* job, Checkpointing* checkpoints);

// The operations endpoint of a run and what it reads. Declare it after the Job: the
// server stops first, and the job's API sinks only point into it.
struct Operations {
  LiveMetrics metrics;
  std::unique_ptr<RecentRecords> decisions;
  std::unique_ptr<RecentRecords> alerts;
  std::unique_ptr<KafkaAlertOutput> alert_topic;
  std::unique_ptr<ThresholdAlerter> alerter;
  std::unique_ptr<MetricsHistory> history;  // its thread runs the alerter
  std::unique_ptr<OpsServer> server;
};

// With threshold alerts configured: samples the run once a second and evaluates them. With
// http.listen set: also adds the sinks that feed the API (recent decisions and alerts, as
// their epochs commit) to `job`, starts the server and prints its address on stderr.
// `preauth` (pixguard serve): the server also answers POST /v1/score from it.
Status start_operations(const Config& config, Job* job, Operations* ops, PreauthSource* preauth = nullptr);

}  // namespace pixguard::cli
