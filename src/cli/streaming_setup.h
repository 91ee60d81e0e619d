#pragma once
// What `run` and `demo` both set up around a job: the checkpoint store and the output sinks
// of the config (the Kafka sink first, then the JSON-lines file sinks).
#include <memory>

#include "config/config.h"
#include "runtime/checkpoint_store.h"
#include "ops/ops_server.h"
#include "runtime/job.h"
#include "runtime/live_metrics.h"

namespace pixguard::cli {

// Opens the checkpoints (null without checkpoint.dir) and adds the sinks to `job`.
// `overwrite` starts over: checkpoints, file outputs and the Kafka commit log are cleared.
Status set_up_streaming(const Config& config, bool overwrite, Job* job, std::unique_ptr<CheckpointStore>* checkpoints);

// With http.listen set, starts the operations endpoint (/metrics, /health, /ready) over
// `metrics` and prints its address on stderr; otherwise leaves `server` null.
Status start_ops_server(const Config& config, const LiveMetrics* metrics, std::unique_ptr<OpsServer>* server);

}  // namespace pixguard::cli
