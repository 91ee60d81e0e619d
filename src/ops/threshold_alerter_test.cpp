#include "ops/threshold_alerter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace pixguard {
namespace {

// Points one second apart whose dead-letter share per second is `rates[i]` (1,000 in a second).
std::vector<HistoryPoint> points_with_dead_letter_rates(const std::vector<double>& rates) {
  std::vector<HistoryPoint> out(1);
  out[0].unix_s = 1000;
  for (const double r : rates) {
    HistoryPoint p = out.back();
    ++p.unix_s;
    p.accounting.in += 1000;
    p.accounting.dead_letters += static_cast<uint64_t>(r * 1000);
    out.push_back(p);
  }
  return out;
}

ThresholdRule dead_letter_rule() {
  ThresholdRule r;
  r.name = "dead letters";
  r.signal = ThresholdRule::Signal::kDeadLetterRate;
  r.above = 0.05;
  r.clear_below = 0.02;
  r.for_s = 3;
  r.window_s = 1;
  return r;
}

TEST(ThresholdAlerter, FiresAfterForSecondsAndClearsWithHysteresis) {
  std::vector<std::string> events;
  ThresholdAlerter alerter({dead_letter_rule()}, {[&](const std::string& e) { events.push_back(e); }});
  // Per second: low, three high (fires on the third), in the hysteresis band (stays),
  // two low (not yet), one back up (resets the streak), three low (clears on the third).
  const std::vector<double> rates = {0.0, 0.1, 0.1, 0.1, 0.03, 0.01, 0.01, 0.03, 0.01, 0.01, 0.01};
  const std::vector<HistoryPoint> all = points_with_dead_letter_rates(rates);
  std::vector<std::size_t> event_after;  // how many seconds in each event came
  for (std::size_t n = 2; n <= all.size(); ++n) {
    const std::size_t before = events.size();
    alerter.evaluate({all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)}, all[n - 1].unix_s * 1'000'000);
    if (events.size() > before) event_after.push_back(n - 1);
  }
  ASSERT_EQ(events.size(), 2u) << alerter.state_json();
  EXPECT_EQ(event_after, (std::vector<std::size_t>{4, 11}));
  EXPECT_NE(events[0].find("\"state\":\"firing\""), std::string::npos) << events[0];
  EXPECT_NE(events[0].find("\"alert\":\"dead letters\""), std::string::npos) << events[0];
  EXPECT_NE(events[1].find("\"state\":\"resolved\""), std::string::npos) << events[1];
  const std::string state = alerter.state_json();
  EXPECT_NE(state.find("\"state\":\"ok\""), std::string::npos) << state;
  EXPECT_EQ(state.find("\"events\":[" + events[1]), state.find("\"events\":[")) << "events newest first: " << state;
}

TEST(ThresholdAlerter, NoDataChangesNothing) {
  std::vector<std::string> events;
  ThresholdAlerter alerter({dead_letter_rule()}, {[&](const std::string& e) { events.push_back(e); }});
  std::vector<HistoryPoint> still(5);  // nothing read: no rate
  for (std::size_t i = 0; i < still.size(); ++i) still[i].unix_s = static_cast<int64_t>(i);
  for (int i = 0; i < 5; ++i) alerter.evaluate(still, 0);
  EXPECT_TRUE(events.empty());
  EXPECT_NE(alerter.state_json().find("\"value\":null"), std::string::npos);
}

TEST(ThresholdAlerter, Signals) {
  std::vector<HistoryPoint> p(3);
  for (int i = 0; i < 3; ++i) {
    p[i].unix_s = i;
    p[i].accounting.in = p[i].accounting.scored = 1000 * static_cast<uint64_t>(i);
    p[i].accounting.outcomes[1] = 10 * static_cast<uint64_t>(i) * static_cast<uint64_t>(i);  // review share grows
  }
  p[2].backlog = 42;
  p[2].checkpoint_written_unix_us = 1'500'000;
  p[2].decision.observe(30e-6, 99);
  p[2].decision.observe(2e-3, 1);
  ThresholdRule r;
  r.window_s = 1;
  r.signal = ThresholdRule::Signal::kFraudRate;
  EXPECT_DOUBLE_EQ(signal_value(r, p, 0), 0.03);  // (40 - 10) / 1000
  r.signal = ThresholdRule::Signal::kFraudRateSpike;
  r.baseline_s = 1;
  EXPECT_DOUBLE_EQ(signal_value(r, p, 0), 3.0);  // 0.03 against 0.01
  r.signal = ThresholdRule::Signal::kConsumerLag;
  EXPECT_EQ(signal_value(r, p, 0), 42);
  r.signal = ThresholdRule::Signal::kCheckpointAge;
  EXPECT_DOUBLE_EQ(signal_value(r, p, 4'000'000), 2.5);
  r.signal = ThresholdRule::Signal::kLatencyP99;
  EXPECT_DOUBLE_EQ(signal_value(r, p, 0), 50.0) << "99 of 100 at 30 us: the 50 us bucket";
  r.window_s = 2;
  r.signal = ThresholdRule::Signal::kFraudRateSpike;
  EXPECT_TRUE(std::isnan(signal_value(r, p, 0))) << "no baseline before the window";
}

}  // namespace
}  // namespace pixguard
