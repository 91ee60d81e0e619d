#pragma once
// What `run` and `demo` both set up around a job: the checkpoint store and the output sinks
// of the config (the Kafka sink first, then the JSON-lines file sinks).
#include <memory>

#include "config/config.h"
#include "runtime/checkpoint_store.h"
#include "ops/alert_outputs.h"
#include "ops/metrics_history.h"
#include "ops/ops_server.h"
#include "ops/threshold_alerter.h"
#include "runtime/job.h"
#include "runtime/live_metrics.h"
#include "sinks/recent_records.h"

namespace pixguard::cli {

// Opens the checkpoints (null without checkpoint.dir) and adds the sinks to `job`.
// `overwrite` starts over: checkpoints, file outputs and the Kafka commit log are cleared.
Status set_up_streaming(const Config& config, bool overwrite, Job* job, std::unique_ptr<CheckpointStore>* checkpoints);

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
Status start_operations(const Config& config, Job* job, Operations* ops);

}  // namespace pixguard::cli
