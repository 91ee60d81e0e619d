#pragma once
// What the operations endpoint shows, published by the pipeline thread and read by the HTTP
// thread: the accounting and the rest of a run's live picture, as of the latest publish.
// The runner publishes after an epoch and at most every 100 ms between (a copy of the
// accounting), so the hot path only pays for histogram increments.
//
// Threading: publish() from the pipeline thread, snapshot() from any thread.
#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/histogram.h"
#include "runtime/accounting.h"
#include "sources/source.h"

namespace pixguard {

// A stage's time per transaction (its time on a batch over the batch's transactions).
struct PipelineBuckets {
  static constexpr std::array<double, 12> kBounds = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5,
                                                     1e-4, 2e-4, 5e-4, 1e-3, 1e-2, 1e-1};
};
// One transaction's wait, from its arrival (read from the source) to its decision handed to
// the sinks, or to its epoch's commit: 10 microseconds to 10 seconds.
struct WaitBuckets {
  static constexpr std::array<double, 19> kBounds = {1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2,
                                                     2e-2, 5e-2, 0.1,  0.2,  0.5,  1,    2,    5,    10};
};
// From entering the source (the Kafka message timestamp) to the decision: milliseconds.
struct DeliveryBuckets {
  static constexpr std::array<double, 12> kBounds = {1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2,
                                                     0.1,  0.2,  0.5,  1,    2,    5};
};
using LatencyHistogram = Histogram<PipelineBuckets>;
using DeliveryHistogram = Histogram<DeliveryBuckets>;
using WaitHistogram = Histogram<WaitBuckets>;

struct MetricsSample {
  Accounting accounting;
  std::vector<std::string> rule_names;
  std::string model_version;
  uint64_t epoch = 0;
  int64_t watermark_us = 0;             // event time; 0 before the first message
  double checkpoint_seconds = -1;       // the last checkpoint's duration; -1: none yet
  uint64_t checkpoint_bytes = 0;
  int64_t checkpoint_written_unix_us = 0;
  std::vector<SourceBacklog> backlog;   // per partition, for Kafka
  // Per transaction: from its arrival to its decision handed to the sinks (held ones
  // included: their wait for the payee merge counts), and to its epoch's commit.
  WaitHistogram decision;
  WaitHistogram commit;
  std::array<LatencyHistogram, StageTimes::kCount> stages;  // each stage (StageTimes::kNames)
  DeliveryHistogram end_to_end;  // source timestamp -> decision; only sources with timestamps
  int64_t started_unix_us = 0;
  int64_t progress_unix_us = 0;         // when the run loop last went round (a stall stops it)
  bool ready = false;                   // state restored and the source serving input
  bool restoring = false;               // loading the checkpoint (no progress expected)
  bool epoch_failed = false;            // the run stopped on an epoch that could not commit
  std::string not_ready_reason;
};

class LiveMetrics {
 public:
  void publish(const MetricsSample& sample) {
    std::lock_guard<std::mutex> lock(mutex_);
    sample_ = sample;
    published_ = true;
  }
  // False before the first publish.
  bool snapshot(MetricsSample* out) const {
    std::lock_guard<std::mutex> lock(mutex_);
    *out = sample_;
    return published_;
  }

 private:
  mutable std::mutex mutex_;
  MetricsSample sample_;
  bool published_ = false;
};

}  // namespace pixguard
