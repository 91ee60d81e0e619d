#include "ops/threshold_alerter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/json_writer.h"
#include "core/timestamp.h"

namespace pixguard {
namespace {

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kEventsKept = 100;

// The point `seconds` before the newest (or the oldest there is), as an index.
std::size_t back(const std::vector<HistoryPoint>& points, int64_t seconds) {
  const std::size_t newest = points.size() - 1;
  return static_cast<std::size_t>(seconds) >= newest ? 0 : newest - static_cast<std::size_t>(seconds);
}

double flagged_share(const HistoryPoint& from, const HistoryPoint& to) {
  const uint64_t scored = to.accounting.scored - from.accounting.scored;
  if (scored == 0) return kUnknown;
  const uint64_t flagged = (to.accounting.outcomes[1] + to.accounting.outcomes[2]) -
                           (from.accounting.outcomes[1] + from.accounting.outcomes[2]);
  return static_cast<double>(flagged) / static_cast<double>(scored);
}

std::string number(double v) {
  if (std::isnan(v)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

std::string utc_text(int64_t unix_s) {
  char text[40];
  return std::string(text, static_cast<std::size_t>(format_timestamp_utc(unix_s * 1'000'000, text)));
}

}  // namespace

const char* signal_name(ThresholdRule::Signal signal) {
  switch (signal) {
    case ThresholdRule::Signal::kLatencyP99: return "latency_p99_us";
    case ThresholdRule::Signal::kDeadLetterRate: return "dead_letter_rate";
    case ThresholdRule::Signal::kFraudRate: return "fraud_rate";
    case ThresholdRule::Signal::kFraudRateSpike: return "fraud_rate_spike";
    case ThresholdRule::Signal::kConsumerLag: return "consumer_lag";
    case ThresholdRule::Signal::kCheckpointAge: return "checkpoint_age_s";
  }
  return "?";
}

double signal_value(const ThresholdRule& rule, const std::vector<HistoryPoint>& points, int64_t now_unix_us) {
  if (points.empty()) return kUnknown;
  const HistoryPoint& newest = points.back();
  const HistoryPoint& start = points[back(points, rule.window_s)];
  switch (rule.signal) {
    case ThresholdRule::Signal::kLatencyP99: {
      const double q = quantile_between(start.decision, newest.decision, 0.99);
      return q < 0 ? kUnknown : q * 1e6;
    }
    case ThresholdRule::Signal::kDeadLetterRate: {
      const uint64_t in = newest.accounting.in - start.accounting.in;
      return in == 0 ? kUnknown
                     : static_cast<double>(newest.accounting.dead_letters - start.accounting.dead_letters) /
                           static_cast<double>(in);
    }
    case ThresholdRule::Signal::kFraudRate:
      return flagged_share(start, newest);
    case ThresholdRule::Signal::kFraudRateSpike: {
      const std::size_t window_start = back(points, rule.window_s);
      if (static_cast<int64_t>(window_start) < rule.baseline_s) return kUnknown;  // no full baseline yet
      const double baseline = flagged_share(points[window_start - static_cast<std::size_t>(rule.baseline_s)], start);
      const double now = flagged_share(start, newest);
      return std::isnan(baseline) || std::isnan(now) || baseline == 0 ? kUnknown : now / baseline;
    }
    case ThresholdRule::Signal::kConsumerLag:
      return newest.backlog < 0 ? kUnknown : static_cast<double>(newest.backlog);
    case ThresholdRule::Signal::kCheckpointAge:
      return newest.checkpoint_written_unix_us == 0
                 ? kUnknown
                 : static_cast<double>(now_unix_us - newest.checkpoint_written_unix_us) / 1e6;
  }
  return kUnknown;
}

ThresholdAlerter::ThresholdAlerter(std::vector<ThresholdRule> rules, std::vector<Output> outputs)
    : outputs_(std::move(outputs)) {
  for (ThresholdRule& r : rules) rules_.push_back({std::move(r), false, 0, kUnknown, 0});
}

std::size_t ThresholdAlerter::seconds_needed() const {
  int64_t longest = 1;
  for (const RuleState& s : rules_) {
    longest = std::max(longest, s.rule.window_s + (s.rule.signal == ThresholdRule::Signal::kFraudRateSpike
                                                       ? s.rule.baseline_s : 0));
  }
  return static_cast<std::size_t>(longest) + 1;
}

void ThresholdAlerter::evaluate(const std::vector<HistoryPoint>& points, int64_t now_unix_us) {
  std::vector<std::string> changes;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (RuleState& s : rules_) {
      s.value = signal_value(s.rule, points, now_unix_us);
      if (std::isnan(s.value)) continue;
      const bool past = s.firing ? s.value < s.rule.clear_below : s.value > s.rule.above;
      s.streak = past ? s.streak + 1 : 0;
      if (s.streak < s.rule.for_s) continue;
      s.firing = !s.firing;
      s.streak = 0;
      s.since_unix_s = now_unix_us / 1'000'000;
      std::string event;
      {
        JsonWriter w(&event);
        w.raw("{\"alert\":");
        w.string(s.rule.name);
        w.raw(",\"state\":");
        w.string(s.firing ? "firing" : "resolved");
        w.raw(",\"signal\":");
        w.string(signal_name(s.rule.signal));
        w.raw(",\"value\":" + number(s.value) + ",\"above\":" + number(s.rule.above) +
              ",\"clear_below\":" + number(s.rule.clear_below) + ",\"for_s\":" + std::to_string(s.rule.for_s) +
              ",\"window_s\":" + std::to_string(s.rule.window_s) + ",\"at\":\"" + utc_text(s.since_unix_s) + "\"}");
      }
      events_.push_front(event);
      if (events_.size() > kEventsKept) events_.pop_back();
      changes.push_back(std::move(event));
    }
  }
  // Outside the lock: a slow webhook must not hold up the API.
  for (const std::string& event : changes) {
    for (const Output& out : outputs_) out(event);
  }
}

std::string ThresholdAlerter::state_json() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string body = "{\"rules\":[";
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const RuleState& s = rules_[i];
    std::string name;
    {
      JsonWriter w(&name);
      w.string(s.rule.name);
    }
    body += (i > 0 ? "," : "");
    body += "{\"name\":" + name + ",\"signal\":\"" + signal_name(s.rule.signal) + "\",\"state\":\"" +
            (s.firing ? "firing" : "ok") + "\",\"value\":" + number(s.value) + ",\"above\":" + number(s.rule.above) +
            ",\"clear_below\":" + number(s.rule.clear_below) + ",\"since\":" +
            (s.since_unix_s == 0 ? std::string("null") : "\"" + utc_text(s.since_unix_s) + "\"") + "}";
  }
  body += "],\"events\":[";
  for (std::size_t i = 0; i < events_.size(); ++i) body += (i > 0 ? "," : "") + events_[i];
  return body + "]}";
}

}  // namespace pixguard
