#pragma once
// The last ten minutes of a run, one point a second: the counts (cumulative), the
// decision latency histogram, the consumer backlog and the checkpoint time, sampled from
// LiveMetrics on a thread of its own. It feeds /api/metrics/recent and the threshold
// alerts, which it evaluates after each sample.
//
// Threading: one sampling thread; every method may be called from any thread.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/live_metrics.h"

namespace pixguard {

struct HistoryPoint {
  int64_t unix_s = 0;
  Accounting accounting;
  WaitHistogram decision;
  int64_t backlog = -1;                  // messages behind, summed over partitions; -1 unknown
  int64_t checkpoint_written_unix_us = 0;
};

class MetricsHistory {
 public:
  static constexpr std::size_t kSeconds = 600;

  explicit MetricsHistory(const LiveMetrics* metrics) : metrics_(metrics) {}
  ~MetricsHistory();
  // Starts sampling; `after_sample` (may be empty) runs on the sampling thread after each.
  void start(std::function<void(const MetricsHistory&)> after_sample);

  // The newest `seconds` points, oldest first.
  std::vector<HistoryPoint> last(std::size_t seconds) const;
  // {"points":[{"t","in","scored",...,"p50_us","p99_us"}]} for the API.
  std::string recent_json(std::size_t seconds) const;

 private:
  void loop();

  const LiveMetrics* metrics_;
  std::function<void(const MetricsHistory&)> after_sample_;
  mutable std::mutex mutex_;
  std::deque<HistoryPoint> points_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// The q-quantile (0..1) of the histogram difference `newer - older`, as a bucket bound in
// seconds; negative when no transaction was observed in between.
double quantile_between(const WaitHistogram& older, const WaitHistogram& newer, double q);

}  // namespace pixguard
