#pragma once
// Model quality metrics for `pixguard train` and `pixguard evaluate` (README, "Commands").
//
// Scores are probabilities (higher = more likely fraud); labels are 0 or 1. Every function
// takes parallel arrays of equal length. Ties between scores are handled the way the usual
// references do (scikit-learn for AUC and average precision), so that our figures can be
// checked against theirs.
//
// Threading: pure functions.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/time_zone.h"

namespace pixguard {

// Area under the ROC curve: the probability that a random fraud scores above a random
// legitimate row, ties counting one half (Mann-Whitney U from average ranks). NaN when
// either class is absent.
double auc_roc(const std::vector<float>& scores, const std::vector<float>& labels);

// Average precision, scikit-learn's definition: sum over distinct score thresholds t, from
// high to low, of (R(t) - R(previous t)) * P(t), where P and R are the precision and recall
// of flagging score >= t. No interpolation. NaN when there is no fraud.
double average_precision(const std::vector<float>& scores, const std::vector<float>& labels);

// One point per distinct score threshold, from the highest score down (flagging score >= t).
struct CurvePoint {
  double x = 0;
  double y = 0;
};
// Precision-recall curve: x = recall, y = precision; starts at (0, 1) like scikit-learn's.
std::vector<CurvePoint> precision_recall_curve(const std::vector<float>& scores, const std::vector<float>& labels);
// ROC curve: x = false-positive rate, y = true-positive rate, from (0, 0) to (1, 1).
std::vector<CurvePoint> roc_curve(const std::vector<float>& scores, const std::vector<float>& labels);

// Flagging every row with score >= threshold (the decider's rule for review and block).
struct ThresholdMetrics {
  double threshold = 0;
  std::size_t flagged = 0;
  std::size_t true_positives = 0;
  double precision = 0;  // NaN when nothing is flagged
  double recall = 0;     // NaN when there is no fraud
};
ThresholdMetrics metrics_at_threshold(const std::vector<float>& scores, const std::vector<float>& labels,
                                      double threshold);

// Precision@k per day per account, as fraud teams measure an alert queue with room for k
// investigations a day (the "card precision top-k" of the Fraud Detection Handbook, with
// payer accounts for cards):
//  - each row belongs to the local day (in `zone`) of its event time, and to its account;
//  - an account's daily score is its highest score that day; it is a fraud that day when at
//    least one of its rows that day has label 1;
//  - each day, in date order, the accounts are ranked by daily score (ties: the lower account
//    index first, so the result is deterministic) and the top k are taken, leaving out the
//    accounts already caught: in the top k of an earlier day and a fraud on that day (a
//    caught account is blocked, so counting it again would flatter the model);
//  - the day's precision is the share of the accounts taken that are frauds that day (the
//    divisor is k, or fewer when the day has fewer eligible accounts);
//  - the result is the mean over the days that had at least one eligible account.
struct DayPrecision {
  int64_t local_day = 0;           // days since 1970-01-01 in the zone
  std::size_t accounts = 0;        // accounts active that day
  std::size_t excluded = 0;        // of them, caught on an earlier day
  std::size_t taken = 0;           // min(k, accounts - excluded)
  std::size_t frauds_taken = 0;    // of the taken accounts, frauds that day
  std::size_t fraud_accounts = 0;  // eligible accounts with a fraud that day (the most k could find)
  double precision = 0;            // frauds_taken / taken
};
struct PrecisionAtK {
  std::size_t k = 0;
  std::vector<DayPrecision> days;  // ascending by day
  double mean = 0;                 // NaN when no day had an eligible account
};
// `account[i]` identifies row i's account (any dense or sparse ids).
PrecisionAtK precision_at_k_per_day(const std::vector<float>& scores, const std::vector<float>& labels,
                                    const std::vector<int64_t>& event_time_us, const std::vector<uint32_t>& account,
                                    std::size_t k, const TimeZone& zone);

}  // namespace pixguard
