#include "ops/prometheus_text.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace pixguard {
namespace {

MetricsSample sample() {
  MetricsSample s;
  s.accounting.in = 10;
  s.accounting.scored = 7;
  s.accounting.dead_letters = 2;
  s.accounting.duplicates = 1;
  s.accounting.outcomes = {5, 1, 1};
  s.accounting.rules_fired = {3, 0};
  s.accounting.dead_letters_by_reason[{"amount", "not_positive"}] = 2;
  s.rule_names = {"burst_5m", "odd \"name\"\\x"};
  s.model_version = "m.json@abc";
  s.decision.observe(3e-6, 4);
  s.decision.observe(20, 1);  // above every bound
  s.checkpoint_seconds = 0.25;
  s.checkpoint_written_unix_us = 1'000'000;
  s.backlog = {{"pix.transactions/0", 12}, {"pix.transactions/1", -1}};
  s.ready = true;
  s.watermark_us = 2'000'000;
  s.accounting.scores.observe(0.001);
  s.accounting.scores.observe(0.6);
  s.accounting.scores.observe(0.999);
  return s;
}

// name{labels} -> value, for every sample line; and the TYPE of each family.
struct Parsed {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  std::vector<std::string> order;  // sample names in order
};

Parsed parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  std::string family;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      family = rest.substr(0, rest.find(' '));
      p.types[family] = rest.substr(rest.find(' ') + 1);
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    const std::size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    const std::string series = line.substr(0, space);
    EXPECT_EQ(series.rfind(family, 0), 0u) << "sample " << series << " outside its family " << family;
    EXPECT_EQ(p.samples.count(series), 0u) << "series twice: " << series;
    p.samples[series] = std::stod(line.substr(space + 1));
    p.order.push_back(series);
  }
  return p;
}

TEST(PrometheusText, CountersGaugesAndLabels) {
  const Parsed p = parse(prometheus_text(sample(), 3'000'000));
  EXPECT_EQ(p.types.at("pixguard_transactions_in_total"), "counter");
  EXPECT_EQ(p.samples.at("pixguard_transactions_in_total"), 10);
  EXPECT_EQ(p.samples.at("pixguard_decisions_total{outcome=\"review\"}"), 1);
  EXPECT_EQ(p.samples.at("pixguard_dead_letters_total{field=\"amount\",rule=\"not_positive\"}"), 2);
  EXPECT_EQ(p.samples.at("pixguard_rule_fired_total{rule=\"burst_5m\"}"), 3);
  EXPECT_EQ(p.samples.count("pixguard_rule_fired_total{rule=\"odd \\\"name\\\"\\\\x\"}"), 1u) << "label escaping";
  EXPECT_EQ(p.samples.at("pixguard_model_info{version=\"m.json@abc\"}"), 1);
  EXPECT_EQ(p.samples.at("pixguard_checkpoint_age_seconds"), 2);
  EXPECT_EQ(p.samples.at("pixguard_watermark_delay_seconds"), 1) << "3 s now, watermark at 2 s";
  EXPECT_EQ(p.samples.at("pixguard_consumer_lag_messages{partition=\"pix.transactions/0\"}"), 12);
  EXPECT_EQ(p.samples.count("pixguard_consumer_lag_messages{partition=\"pix.transactions/1\"}"), 0u)
      << "an unknown lag is left out, not reported as -1";
  EXPECT_EQ(p.samples.at("pixguard_ready"), 1);
  EXPECT_EQ(p.samples.at("pixguard_accounting_balanced"), 1);
}

TEST(PrometheusText, HistogramIsCumulative) {
  const Parsed p = parse(prometheus_text(sample(), 0));
  EXPECT_EQ(p.types.at("pixguard_decision_latency_seconds"), "histogram");
  EXPECT_EQ(p.types.at("pixguard_commit_latency_seconds"), "histogram");
  double previous = 0;
  int buckets = 0;
  for (const std::string& series : p.order) {
    if (series.rfind("pixguard_decision_latency_seconds_bucket", 0) != 0) continue;
    EXPECT_GE(p.samples.at(series), previous) << series;
    previous = p.samples.at(series);
    ++buckets;
  }
  EXPECT_EQ(buckets, 20);
  EXPECT_EQ(p.samples.at("pixguard_decision_latency_seconds_bucket{le=\"1e-05\"}"), 4);
  EXPECT_EQ(p.samples.at("pixguard_decision_latency_seconds_bucket{le=\"10\"}"), 4);
  EXPECT_EQ(p.samples.at("pixguard_decision_latency_seconds_bucket{le=\"+Inf\"}"), 5);
  EXPECT_EQ(p.samples.at("pixguard_decision_latency_seconds_count"), 5);
  EXPECT_NEAR(p.samples.at("pixguard_decision_latency_seconds_sum"), 20.000012, 1e-9);
}

TEST(PrometheusText, StageAndEndToEndHistograms) {
  MetricsSample s = sample();
  s.stages[4].observe(3e-6, 10);  // features
  s.end_to_end.observe(0.004, 2);
  s.end_to_end.observe(30, 1);    // above every bound
  const Parsed p = parse(prometheus_text(s, 0));
  EXPECT_EQ(p.types.at("pixguard_stage_latency_seconds"), "histogram");
  EXPECT_EQ(p.samples.at("pixguard_stage_latency_seconds_bucket{stage=\"features\",le=\"5e-06\"}"), 10);
  EXPECT_EQ(p.samples.at("pixguard_stage_latency_seconds_count{stage=\"features\"}"), 10);
  EXPECT_EQ(p.samples.at("pixguard_stage_latency_seconds_count{stage=\"decode\"}"), 0);
  EXPECT_EQ(p.samples.at("pixguard_end_to_end_latency_seconds_bucket{le=\"0.005\"}"), 2);
  EXPECT_EQ(p.samples.at("pixguard_end_to_end_latency_seconds_bucket{le=\"5\"}"), 2);
  EXPECT_EQ(p.samples.at("pixguard_end_to_end_latency_seconds_bucket{le=\"+Inf\"}"), 3);
}

TEST(PrometheusText, ScoreHistogram) {
  const Parsed p = parse(prometheus_text(sample(), 0));
  EXPECT_EQ(p.types.at("pixguard_score"), "histogram");
  EXPECT_EQ(p.samples.at("pixguard_score_bucket{le=\"0.01\"}"), 1);
  EXPECT_EQ(p.samples.at("pixguard_score_bucket{le=\"0.5\"}"), 1);
  EXPECT_EQ(p.samples.at("pixguard_score_bucket{le=\"0.7\"}"), 2);
  EXPECT_EQ(p.samples.at("pixguard_score_bucket{le=\"0.99\"}"), 2);
  EXPECT_EQ(p.samples.at("pixguard_score_bucket{le=\"+Inf\"}"), 3);
  EXPECT_EQ(p.samples.at("pixguard_score_count"), 3);
  EXPECT_NEAR(p.samples.at("pixguard_score_sum"), 1.6, 1e-12);
}

TEST(PrometheusText, NoCheckpointNoCheckpointSeries) {
  MetricsSample s = sample();
  s.checkpoint_written_unix_us = 0;
  const Parsed p = parse(prometheus_text(s, 0));
  EXPECT_EQ(p.samples.count("pixguard_checkpoint_age_seconds"), 0u);
}

}  // namespace
}  // namespace pixguard
