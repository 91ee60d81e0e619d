#include "ops/metrics_history.h"

#include <chrono>

#include "core/clock.h"

namespace pixguard {
namespace {

std::string number_or_null(double seconds) {
  return seconds < 0 ? std::string("null") : std::to_string(seconds * 1e6);
}

}  // namespace

double quantile_between(const WaitHistogram& older, const WaitHistogram& newer, double q) {
  const uint64_t n = newer.count - older.count;
  if (n == 0) return -1;
  uint64_t seen = 0;
  for (std::size_t b = 0; b < WaitHistogram::kBounds.size(); ++b) {
    seen += newer.counts[b] - older.counts[b];
    if (static_cast<double>(seen) >= q * static_cast<double>(n)) return WaitHistogram::kBounds[b];
  }
  return WaitHistogram::kBounds.back();  // in the overflow bucket: at least the top bound
}

MetricsHistory::~MetricsHistory() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MetricsHistory::start(std::function<void(const MetricsHistory&)> after_sample) {
  after_sample_ = std::move(after_sample);
  thread_ = std::thread([this] { loop(); });
}

void MetricsHistory::loop() {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  while (!stopping_) {
    MetricsSample sample;
    if (metrics_->snapshot(&sample)) {
      HistoryPoint p{unix_micros() / 1'000'000, sample.accounting, sample.decision, -1,
                     sample.checkpoint_written_unix_us};
      for (const SourceBacklog& b : sample.backlog) {
        if (b.messages >= 0) p.backlog = (p.backlog < 0 ? 0 : p.backlog) + b.messages;
      }
      {
        std::lock_guard<std::mutex> points_lock(mutex_);
        points_.push_back(std::move(p));
        if (points_.size() > kSeconds) points_.pop_front();
      }
      if (after_sample_) after_sample_(*this);
    }
    stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

std::vector<HistoryPoint> MetricsHistory::last(std::size_t seconds) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t from = points_.size() > seconds ? points_.size() - seconds : 0;
  return {points_.begin() + static_cast<std::ptrdiff_t>(from), points_.end()};
}

std::string MetricsHistory::recent_json(std::size_t seconds) const {
  const std::vector<HistoryPoint> points = last(seconds + 1);  // one more, for the first delta
  std::string body = "{\"points\":[";
  for (std::size_t i = points.size() > seconds ? 1 : 0; i < points.size(); ++i) {
    const HistoryPoint& p = points[i];
    const Accounting& a = p.accounting;
    // Quantiles of the transactions processed since the point before (null when none).
    const double p50 = i > 0 ? quantile_between(points[i - 1].decision, p.decision, 0.5) : -1;
    const double p99 = i > 0 ? quantile_between(points[i - 1].decision, p.decision, 0.99) : -1;
    if (body.back() != '[') body += ',';
    body += "{\"t\":" + std::to_string(p.unix_s) + ",\"in\":" + std::to_string(a.in) +
            ",\"scored\":" + std::to_string(a.scored) + ",\"dead_letters\":" + std::to_string(a.dead_letters) +
            ",\"duplicates\":" + std::to_string(a.duplicates) + ",\"allow\":" + std::to_string(a.outcomes[0]) +
            ",\"review\":" + std::to_string(a.outcomes[1]) + ",\"block\":" + std::to_string(a.outcomes[2]) +
            ",\"p50_us\":" + number_or_null(p50) + ",\"p99_us\":" + number_or_null(p99) + "}";
  }
  return body + "]}";
}

}  // namespace pixguard
