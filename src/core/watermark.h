#pragma once
// Event-time progress. The watermark trails the highest event time seen by the allowed
// lateness: an event older than the watermark is "late". Late events are still scored and
// still update state (within retention); they are counted so that disorder is visible.
//
// Threading: not thread-safe; owned by the pipeline thread.
#include <cstdint>
#include <limits>

namespace pixguard {

class Watermark {
 public:
  explicit Watermark(int64_t allowed_lateness_us) : allowed_lateness_us_(allowed_lateness_us) {}

  // Records an accepted event; returns true when it is late.
  bool observe(int64_t event_time_us) {
    const bool late = started() && event_time_us < current();
    if (event_time_us > max_event_time_us_) max_event_time_us_ = event_time_us;
    return late;
  }

  bool started() const { return max_event_time_us_ != kNone; }
  int64_t max_event_time() const { return max_event_time_us_; }
  // Before the first event there is no watermark: nothing is late and nothing expires.
  int64_t current() const { return started() ? max_event_time_us_ - allowed_lateness_us_ : kNone; }
  void restore(int64_t max_event_time_us) { max_event_time_us_ = max_event_time_us; }

  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();

 private:
  int64_t allowed_lateness_us_;
  int64_t max_event_time_us_ = kNone;
};

}  // namespace pixguard
