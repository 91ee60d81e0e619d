#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>
#include <utility>

namespace pixguard {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// NaN would break every ordering below: a row without a score ranks below all others.
double rank_key(float score) {
  return std::isnan(score) ? -std::numeric_limits<double>::infinity() : static_cast<double>(score);
}

struct Scored {
  double score;
  bool fraud;
};

// Rows sorted by descending score; the order within a tie does not matter to any metric
// because every metric treats a tie group as one threshold.
std::vector<Scored> sorted_descending(const std::vector<float>& scores, const std::vector<float>& labels) {
  std::vector<Scored> rows(scores.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = {rank_key(scores[i]), labels[i] > 0.5f};
  std::sort(rows.begin(), rows.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
  return rows;
}

// Calls visit(true_positives, false_positives) after each group of equal scores, from the
// highest score down: the confusion counts of flagging score >= that group's score.
template <typename Visit>
void for_each_threshold(const std::vector<Scored>& rows, Visit visit) {
  std::size_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t j = i;
    for (; j < rows.size() && rows[j].score == rows[i].score; ++j) {
      if (rows[j].fraud) {
        ++tp;
      } else {
        ++fp;
      }
    }
    visit(tp, fp);
    i = j;
  }
}

std::pair<std::size_t, std::size_t> class_counts(const std::vector<float>& labels) {
  std::size_t positives = 0;
  for (const float l : labels) positives += l > 0.5f ? 1 : 0;
  return {positives, labels.size() - positives};
}

}  // namespace

double auc_roc(const std::vector<float>& scores, const std::vector<float>& labels) {
  const auto [positives, negatives] = class_counts(labels);
  if (positives == 0 || negatives == 0) return kNaN;
  std::vector<Scored> rows = sorted_descending(scores, labels);
  std::reverse(rows.begin(), rows.end());  // ascending: rank 1 = lowest score
  // Sum of the positives' ranks, a tie group sharing its average rank. Ranks are at most
  // n <= 2^32 and halves, so the double sum below stays exact far beyond any table size.
  double rank_sum = 0;
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t j = i, group_positives = 0;
    for (; j < rows.size() && rows[j].score == rows[i].score; ++j) group_positives += rows[j].fraud ? 1 : 0;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    rank_sum += average_rank * static_cast<double>(group_positives);
    i = j;
  }
  const double p = static_cast<double>(positives), n = static_cast<double>(negatives);
  return (rank_sum - p * (p + 1) / 2) / (p * n);
}

double average_precision(const std::vector<float>& scores, const std::vector<float>& labels) {
  const std::size_t positives = class_counts(labels).first;
  if (positives == 0) return kNaN;
  const double p = static_cast<double>(positives);
  double ap = 0, previous_recall = 0;
  for_each_threshold(sorted_descending(scores, labels), [&](std::size_t tp, std::size_t fp) {
    const double recall = static_cast<double>(tp) / p;
    const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    ap += (recall - previous_recall) * precision;
    previous_recall = recall;
  });
  return ap;
}

std::vector<CurvePoint> precision_recall_curve(const std::vector<float>& scores, const std::vector<float>& labels) {
  const std::size_t positives = class_counts(labels).first;
  std::vector<CurvePoint> curve;
  if (positives == 0) return curve;
  curve.push_back({0, 1});
  for_each_threshold(sorted_descending(scores, labels), [&](std::size_t tp, std::size_t fp) {
    curve.push_back({static_cast<double>(tp) / static_cast<double>(positives),
                     static_cast<double>(tp) / static_cast<double>(tp + fp)});
  });
  return curve;
}

std::vector<CurvePoint> roc_curve(const std::vector<float>& scores, const std::vector<float>& labels) {
  // Plain variables, not a structured binding: the lambda below captures them (clang 14
  // cannot capture structured bindings).
  const auto [positive_count, negative_count] = class_counts(labels);
  const std::size_t positives = positive_count, negatives = negative_count;
  std::vector<CurvePoint> curve;
  if (positives == 0 || negatives == 0) return curve;
  curve.push_back({0, 0});
  for_each_threshold(sorted_descending(scores, labels), [&](std::size_t tp, std::size_t fp) {
    curve.push_back({static_cast<double>(fp) / static_cast<double>(negatives),
                     static_cast<double>(tp) / static_cast<double>(positives)});
  });
  return curve;
}

ThresholdMetrics metrics_at_threshold(const std::vector<float>& scores, const std::vector<float>& labels,
                                      double threshold) {
  ThresholdMetrics m;
  m.threshold = threshold;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool fraud = labels[i] > 0.5f;
    positives += fraud ? 1 : 0;
    if (static_cast<double>(scores[i]) >= threshold) {  // NaN never compares >=: not flagged
      ++m.flagged;
      m.true_positives += fraud ? 1 : 0;
    }
  }
  m.precision = m.flagged == 0 ? kNaN : static_cast<double>(m.true_positives) / static_cast<double>(m.flagged);
  m.recall = positives == 0 ? kNaN : static_cast<double>(m.true_positives) / static_cast<double>(positives);
  return m;
}

PrecisionAtK precision_at_k_per_day(const std::vector<float>& scores, const std::vector<float>& labels,
                                    const std::vector<int64_t>& event_time_us, const std::vector<uint32_t>& account,
                                    std::size_t k, const TimeZone& zone) {
  PrecisionAtK result;
  result.k = k;
  result.mean = kNaN;

  // One entry per row: (local day, account, score, fraud); sorted by day then account, the
  // rows of one account-day are adjacent and fold into one daily entry.
  struct Row {
    int64_t day;
    uint32_t account;
    double score;
    bool fraud;
  };
  std::vector<Row> rows(scores.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i] = {to_local_time(event_time_us[i], zone).days, account[i], rank_key(scores[i]), labels[i] > 0.5f};
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.day != b.day ? a.day < b.day : a.account < b.account;
  });

  std::unordered_set<uint32_t> caught;
  std::vector<Row> daily;  // one per account active on the current day
  std::vector<uint32_t> caught_today;
  double precision_sum = 0;
  std::size_t days_counted = 0;
  for (std::size_t i = 0; i < rows.size();) {
    const int64_t day = rows[i].day;
    DayPrecision d;
    d.local_day = day;
    daily.clear();
    for (; i < rows.size() && rows[i].day == day; ++i) {
      if (!daily.empty() && daily.back().account == rows[i].account) {
        daily.back().score = std::max(daily.back().score, rows[i].score);
        daily.back().fraud = daily.back().fraud || rows[i].fraud;
      } else {
        daily.push_back(rows[i]);
      }
    }
    d.accounts = daily.size();
    // Caught accounts leave the queue before ranking: the k slots go to accounts not yet known.
    const auto eligible_end = std::stable_partition(
        daily.begin(), daily.end(), [&](const Row& r) { return caught.count(r.account) == 0; });
    d.excluded = static_cast<std::size_t>(daily.end() - eligible_end);
    const std::size_t eligible = static_cast<std::size_t>(eligible_end - daily.begin());
    for (auto it = daily.begin(); it != eligible_end; ++it) d.fraud_accounts += it->fraud ? 1 : 0;
    d.taken = std::min(k, eligible);
    std::partial_sort(daily.begin(), daily.begin() + static_cast<std::ptrdiff_t>(d.taken), eligible_end,
                      [](const Row& a, const Row& b) {
                        return a.score != b.score ? a.score > b.score : a.account < b.account;
                      });
    caught_today.clear();
    for (std::size_t r = 0; r < d.taken; ++r) {
      if (!daily[r].fraud) continue;
      ++d.frauds_taken;
      caught_today.push_back(daily[r].account);
    }
    // Caught from tomorrow on: today's own ranking is already done.
    caught.insert(caught_today.begin(), caught_today.end());
    if (d.taken > 0) {
      d.precision = static_cast<double>(d.frauds_taken) / static_cast<double>(d.taken);
      precision_sum += d.precision;
      ++days_counted;
    } else {
      d.precision = kNaN;
    }
    result.days.push_back(d);
  }
  if (days_counted > 0) result.mean = precision_sum / static_cast<double>(days_counted);
  return result;
}

}  // namespace pixguard
