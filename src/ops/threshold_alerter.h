#pragma once
// Threshold alerts on the run's operational signals (alerting.rules in the config),
// evaluated once a second over the sliding windows of MetricsHistory. A rule fires once its
// signal has stayed above `above` for `for` consecutive seconds and clears once it has
// stayed below `clear_below` as long; between the two nothing changes (hysteresis, so an
// alert does not flap). Each change is an event, sent to every output: the log, and when
// configured a webhook (HTTP POST of the JSON) and a Kafka topic (keyed by rule name).
// A signal without data (no transactions in the window, no checkpoint yet) changes nothing.
//
// Threading: evaluate() runs on the history thread; state_json() from any thread.
// The outputs are in ops/alert_outputs.h.
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/metrics_history.h"

namespace pixguard {

// The value of `rule`'s signal over the newest points (oldest first); NaN without data.
double signal_value(const ThresholdRule& rule, const std::vector<HistoryPoint>& points, int64_t now_unix_us);
const char* signal_name(ThresholdRule::Signal signal);

class ThresholdAlerter {
 public:
  using Output = std::function<void(const std::string& event_json)>;

  ThresholdAlerter(std::vector<ThresholdRule> rules, std::vector<Output> outputs);

  // The points evaluate() needs: the longest window (+ baseline), plus one.
  std::size_t seconds_needed() const;
  // One evaluation over the newest points (oldest first).
  void evaluate(const std::vector<HistoryPoint>& points, int64_t now_unix_us);
  // {"rules":[{"name","signal","state","value",...}],"events":[newest first]}
  std::string state_json() const;

 private:
  struct RuleState {
    ThresholdRule rule;
    bool firing = false;
    int64_t streak = 0;    // consecutive seconds past the threshold that would change the state
    double value = 0;      // the latest value; NaN when unknown
    int64_t since_unix_s = 0;
  };

  std::vector<Output> outputs_;
  mutable std::mutex mutex_;
  std::vector<RuleState> rules_;
  std::deque<std::string> events_;  // the last 100, newest first
};

}  // namespace pixguard
