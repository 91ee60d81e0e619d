#include "train/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "core/timestamp.h"

namespace pixguard {
namespace {

// The definition itself: over all (fraud, legitimate) pairs, 1 when the fraud scores
// higher, 1/2 on a tie.
double brute_force_auc(const std::vector<float>& s, const std::vector<float>& l) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (l[i] != 1) continue;
    for (std::size_t j = 0; j < s.size(); ++j) {
      if (l[j] != 0) continue;
      pairs += 1;
      wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

// scikit-learn's sum over distinct thresholds, each precision and recall counted from
// scratch (quadratic, obviously right).
double brute_force_ap(const std::vector<float>& s, const std::vector<float>& l) {
  std::set<float, std::greater<>> thresholds(s.begin(), s.end());
  double positives = 0;
  for (const float v : l) positives += v;
  double ap = 0, previous_recall = 0;
  for (const float t : thresholds) {
    double tp = 0, flagged = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] >= t) {
        flagged += 1;
        tp += l[i];
      }
    }
    const double recall = tp / positives;
    ap += (recall - previous_recall) * (tp / flagged);
    previous_recall = recall;
  }
  return ap;
}

TEST(AucRoc, HandComputedCases) {
  // scikit-learn's documentation example: roc_auc_score = 0.75.
  EXPECT_DOUBLE_EQ(auc_roc({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), 0.75);
  // Perfect and inverted rankings.
  EXPECT_DOUBLE_EQ(auc_roc({0.1f, 0.2f, 0.8f, 0.9f}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(auc_roc({0.9f, 0.8f, 0.2f, 0.1f}, {0, 0, 1, 1}), 0.0);
  // A tie between a fraud and a legitimate row counts one half: pairs (0.9 vs 0.5, 0.9 vs
  // 0.1, 0.5 vs 0.5, 0.5 vs 0.1) = (1 + 1 + 0.5 + 1) / 4.
  EXPECT_DOUBLE_EQ(auc_roc({0.9f, 0.5f, 0.5f, 0.1f}, {1, 1, 0, 0}), 0.875);
  // All scores equal: no information.
  EXPECT_DOUBLE_EQ(auc_roc({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 1}), 0.5);
}

TEST(AucRoc, UndefinedWithOneClass) {
  EXPECT_TRUE(std::isnan(auc_roc({0.1f, 0.2f}, {0, 0})));
  EXPECT_TRUE(std::isnan(auc_roc({0.1f, 0.2f}, {1, 1})));
  EXPECT_TRUE(std::isnan(auc_roc({}, {})));
}

TEST(AveragePrecision, HandComputedCases) {
  // scikit-learn's documentation example: 0.8333...
  // thresholds 0.8 (R 0.5, P 1), 0.4 (R 0.5, P 0.5), 0.35 (R 1, P 2/3), 0.1 (R 1, P 0.5).
  EXPECT_NEAR(average_precision({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), 0.5 * 1 + 0.5 * 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(average_precision({0.1f, 0.2f, 0.8f, 0.9f}, {0, 0, 1, 1}), 1.0);
  // A tie is one threshold, not interpolated inside: 0.9 (R .5, P 1), then 0.5 (R 1, P 2/3).
  EXPECT_NEAR(average_precision({0.9f, 0.5f, 0.5f, 0.1f}, {1, 1, 0, 0}), 0.5 + 0.5 * 2.0 / 3, 1e-12);
  // All tied: one threshold flagging everything = the fraud rate.
  EXPECT_DOUBLE_EQ(average_precision({0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 0}), 0.25);
  EXPECT_TRUE(std::isnan(average_precision({0.1f, 0.2f}, {0, 0})));
}

TEST(Metrics, MatchBruteForceOnRandomDataWithTies) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t n = 50 + static_cast<std::size_t>(trial) * 37;
    std::vector<float> scores(n), labels(n);
    std::uniform_int_distribution<int> level(0, trial % 2 == 0 ? 9 : 1000);  // few levels = many ties
    std::bernoulli_distribution fraud(0.2);
    for (std::size_t i = 0; i < n; ++i) {
      labels[i] = fraud(rng) ? 1.0f : 0.0f;
      // Informative but noisy: frauds lean high.
      scores[i] = static_cast<float>(level(rng) + (labels[i] > 0 ? 3 : 0)) / 1000.0f;
    }
    labels[0] = 1;  // both classes present
    labels[1] = 0;
    EXPECT_NEAR(auc_roc(scores, labels), brute_force_auc(scores, labels), 1e-12) << "trial " << trial;
    EXPECT_NEAR(average_precision(scores, labels), brute_force_ap(scores, labels), 1e-12) << "trial " << trial;
  }
}

TEST(Curves, EndpointsAndMonotoneRecall) {
  const std::vector<float> s = {0.1f, 0.4f, 0.35f, 0.8f, 0.4f};
  const std::vector<float> l = {0, 0, 1, 1, 1};
  const std::vector<CurvePoint> pr = precision_recall_curve(s, l);
  ASSERT_EQ(pr.size(), 5u);  // (0, 1) then one point per distinct score (4)
  EXPECT_EQ(pr.front().x, 0);
  EXPECT_EQ(pr.front().y, 1);
  EXPECT_DOUBLE_EQ(pr.back().x, 1);
  EXPECT_DOUBLE_EQ(pr.back().y, 0.6);  // everything flagged: 3 frauds of 5
  for (std::size_t i = 1; i < pr.size(); ++i) EXPECT_GE(pr[i].x, pr[i - 1].x);
  const std::vector<CurvePoint> roc = roc_curve(s, l);
  ASSERT_EQ(roc.size(), 5u);
  EXPECT_EQ(roc.front().x, 0);
  EXPECT_EQ(roc.front().y, 0);
  EXPECT_DOUBLE_EQ(roc.back().x, 1);
  EXPECT_DOUBLE_EQ(roc.back().y, 1);
  // 0.4 is one threshold for a fraud and a legitimate row together.
  EXPECT_DOUBLE_EQ(roc[2].x, 0.5);
  EXPECT_DOUBLE_EQ(roc[2].y, 2.0 / 3);
}

TEST(Thresholds, PrecisionAndRecallOfFlaggingAtOrAbove) {
  const std::vector<float> s = {0.95f, 0.9f, 0.6f, 0.5f, 0.2f, 0.1f};
  const std::vector<float> l = {1, 0, 1, 0, 1, 0};
  const ThresholdMetrics review = metrics_at_threshold(s, l, 0.5);  // 0.5 itself is flagged, as the decider does
  EXPECT_EQ(review.flagged, 4u);
  EXPECT_EQ(review.true_positives, 2u);
  EXPECT_DOUBLE_EQ(review.precision, 0.5);
  EXPECT_DOUBLE_EQ(review.recall, 2.0 / 3);
  const ThresholdMetrics none = metrics_at_threshold(s, l, 0.99);
  EXPECT_EQ(none.flagged, 0u);
  EXPECT_TRUE(std::isnan(none.precision));
  EXPECT_DOUBLE_EQ(none.recall, 0);
}

int64_t at(const char* rfc3339) {
  int64_t t = 0;
  EXPECT_EQ(parse_timestamp(rfc3339, TimestampFormat::kRfc3339, TimeZone(), &t), TimestampError::kOk) << rfc3339;
  return t;
}

TEST(PrecisionAtK, ExcludesAccountsCaughtOnEarlierDays) {
  enum : uint32_t { A, B, C, D };
  struct Row {
    const char* time;
    uint32_t account;
    float score;
    float label;
  };
  // k = 2, UTC days.
  const Row rows[] = {
      // Day 1: top 2 = A (fraud), B (legitimate): 0.5. A is caught; C and D are frauds but
      // outside the top 2, so they are not.
      {"2025-11-24T10:00:00Z", A, 0.9f, 1}, {"2025-11-24T11:00:00Z", B, 0.8f, 0},
      {"2025-11-24T12:00:00Z", C, 0.7f, 1}, {"2025-11-24T13:00:00Z", D, 0.1f, 1},
      // Day 2: A is excluded; B was in the top 2 but no fraud, so it stays eligible.
      // Top 2 of C, B, D = C (fraud), B: 0.5. C is caught.
      {"2025-11-25T10:00:00Z", A, 0.95f, 1}, {"2025-11-25T11:00:00Z", C, 0.6f, 1},
      {"2025-11-25T12:00:00Z", B, 0.5f, 0}, {"2025-11-25T13:00:00Z", D, 0.4f, 0},
      // Day 3: A and C excluded (without the rule they would fill the top 2 with no fraud).
      // D's daily score is its max (0.8) and it is a fraud that day through its other row.
      // Only D is eligible: 1 of 1.
      {"2025-11-26T10:00:00Z", A, 0.99f, 0}, {"2025-11-26T11:00:00Z", C, 0.9f, 0},
      {"2025-11-26T12:00:00Z", D, 0.2f, 1}, {"2025-11-26T13:00:00Z", D, 0.8f, 0},
  };
  std::vector<float> scores, labels;
  std::vector<int64_t> times;
  std::vector<uint32_t> accounts;
  for (const Row& r : rows) {
    scores.push_back(r.score);
    labels.push_back(r.label);
    times.push_back(at(r.time));
    accounts.push_back(r.account);
  }
  const PrecisionAtK p = precision_at_k_per_day(scores, labels, times, accounts, 2, TimeZone());
  ASSERT_EQ(p.days.size(), 3u);
  EXPECT_EQ(p.days[0].accounts, 4u);
  EXPECT_EQ(p.days[0].excluded, 0u);
  EXPECT_EQ(p.days[0].taken, 2u);
  EXPECT_EQ(p.days[0].frauds_taken, 1u);
  EXPECT_EQ(p.days[0].fraud_accounts, 3u);
  EXPECT_DOUBLE_EQ(p.days[0].precision, 0.5);
  EXPECT_EQ(p.days[1].excluded, 1u);
  EXPECT_EQ(p.days[1].taken, 2u);
  EXPECT_EQ(p.days[1].frauds_taken, 1u);
  EXPECT_DOUBLE_EQ(p.days[1].precision, 0.5);
  EXPECT_EQ(p.days[2].accounts, 3u);
  EXPECT_EQ(p.days[2].excluded, 2u);
  EXPECT_EQ(p.days[2].taken, 1u);
  EXPECT_EQ(p.days[2].frauds_taken, 1u);
  EXPECT_DOUBLE_EQ(p.days[2].precision, 1.0);
  EXPECT_NEAR(p.mean, (0.5 + 0.5 + 1.0) / 3, 1e-12);
  EXPECT_EQ(p.days[1].local_day - p.days[0].local_day, 1);
}

TEST(PrecisionAtK, DaysAreLocalToTheZone) {
  TimeZone sao_paulo;
  ASSERT_TRUE(TimeZone::load("America/Sao_Paulo", &sao_paulo).ok());
  // 02:00Z on the 25th is 23:00 on the 24th in Sao Paulo (UTC-3): the same local day as the
  // morning row, so the account's day is one fraud with daily score 0.9.
  const std::vector<float> scores = {0.9f, 0.1f, 0.5f};
  const std::vector<float> labels = {0, 1, 0};
  const std::vector<int64_t> times = {at("2025-11-24T12:00:00Z"), at("2025-11-25T02:00:00Z"),
                                      at("2025-11-25T12:00:00Z")};
  const std::vector<uint32_t> accounts = {7, 7, 7};
  const PrecisionAtK local = precision_at_k_per_day(scores, labels, times, accounts, 1, sao_paulo);
  ASSERT_EQ(local.days.size(), 2u);
  EXPECT_EQ(local.days[0].frauds_taken, 1u);
  EXPECT_EQ(local.days[1].excluded, 1u);  // caught on the 24th
  EXPECT_TRUE(std::isnan(local.days[1].precision));
  EXPECT_DOUBLE_EQ(local.mean, 1.0);  // days without an eligible account do not count
  const PrecisionAtK utc = precision_at_k_per_day(scores, labels, times, accounts, 1, TimeZone());
  ASSERT_EQ(utc.days.size(), 2u);
  EXPECT_EQ(utc.days[0].frauds_taken, 0u);  // in UTC the fraud row falls on the 25th
  EXPECT_EQ(utc.days[1].frauds_taken, 1u);
  EXPECT_DOUBLE_EQ(utc.mean, 0.5);
}

TEST(PrecisionAtK, TiesRankLowerAccountFirstAndEmptyInput) {
  const PrecisionAtK p = precision_at_k_per_day({0.5f, 0.5f}, {0, 1}, {at("2025-11-24T12:00:00Z"),
                                                                       at("2025-11-24T13:00:00Z")},
                                                {9, 3}, 1, TimeZone());
  ASSERT_EQ(p.days.size(), 1u);
  EXPECT_EQ(p.days[0].frauds_taken, 1u);  // account 3 wins the tie
  const PrecisionAtK empty = precision_at_k_per_day({}, {}, {}, {}, 10, TimeZone());
  EXPECT_TRUE(empty.days.empty());
  EXPECT_TRUE(std::isnan(empty.mean));
}

}  // namespace
}  // namespace pixguard
