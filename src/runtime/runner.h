#pragma once
// The run loop: reads batches from a source into the pipeline and cuts the stream into
// epochs. An epoch ends every `epoch_interval` of wall time, at the end of the input and on
// stop; ending it prepares every sink and then commits every sink (sink.h's contract).
// The checkpoint coordinator slots in between prepare and commit: it records the source
// position and state for the epoch, so a crash after it replays nothing twice.
//
// Threading: run() occupies the calling thread; `stop` may be set from any thread or a
// signal handler, and is honoured between batches (in-flight work finishes).
#include <atomic>
#include <cstdint>
#include <functional>

#include "core/status.h"
#include "runtime/pipeline.h"
#include "score/model_watcher.h"
#include "sources/source.h"

namespace pixguard {

struct RunnerOptions {
  std::size_t batch_size = 1024;
  int64_t epoch_interval_us = 5'000'000;
  // Called after each epoch commit with the accounting so far (progress display).
  std::function<void(const Accounting&)> on_epoch;
  // When set, a model it accepts starts serving at the next batch boundary (hot reload).
  const ModelWatcher* model_watcher = nullptr;
};

class Runner {
 public:
  Runner(Source* source, Pipeline* pipeline, RunnerOptions options)
      : source_(source), pipeline_(pipeline), options_(std::move(options)) {}

  Status run(const std::atomic<bool>& stop);

  uint64_t last_epoch() const { return epoch_; }

 private:
  std::vector<Sink*> all_sinks() const;
  Status begin_epoch();
  Status end_epoch();

  Source* source_;
  Pipeline* pipeline_;
  RunnerOptions options_;
  void pick_up_new_model();

  uint64_t epoch_ = 0;
  uint64_t model_generation_ = 0;
  RecordBatch batch_;
};

}  // namespace pixguard
