#include "train/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/timestamp.h"

namespace pixguard {
namespace {

using Json = nlohmann::ordered_json;

std::string local_date(int64_t days) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

Json number_or_null(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

Json threshold_json(const ThresholdMetrics& m) {
  Json j;
  j["threshold"] = m.threshold;
  j["flagged"] = m.flagged;
  j["true_positives"] = m.true_positives;
  j["precision"] = number_or_null(m.precision);
  j["recall"] = number_or_null(m.recall);
  return j;
}

std::string threshold_text(const char* name, const ThresholdMetrics& m) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%-6s >= %-6s precision %s  recall %s  (%zu flagged, %zu frauds)\n", name,
                fixed(m.threshold, 2).c_str(), fixed(m.precision, 4).c_str(), fixed(m.recall, 4).c_str(), m.flagged,
                m.true_positives);
  return buf;
}

}  // namespace

Evaluation evaluate_scores(const TrainingTable& table, const std::vector<float>& scores,
                           const EvaluationOptions& options) {
  Evaluation e;
  e.rows = table.rows();
  e.frauds = table.frauds();
  e.rows_read = table.rows_read;
  e.rows_outside_window = table.rows_outside_window;
  e.rows_unlabelled = table.rows_unlabelled;
  e.rows_known_compromised = table.rows_known_compromised;
  if (!table.event_time_us.empty()) {
    const auto [lo, hi] = std::minmax_element(table.event_time_us.begin(), table.event_time_us.end());
    e.first_event_us = *lo;
    e.last_event_us = *hi;
  }
  e.auc = auc_roc(scores, table.labels);
  e.average_precision = average_precision(scores, table.labels);
  e.at_k = precision_at_k_per_day(scores, table.labels, table.event_time_us, table.payer, options.k, options.zone);
  e.review = metrics_at_threshold(scores, table.labels, options.review_threshold);
  e.block = metrics_at_threshold(scores, table.labels, options.block_threshold);
  e.zone_name = options.zone.name();
  return e;
}

std::string evaluation_json(const Evaluation& e) {
  Json j;
  j["model"] = e.model_path;
  j["scorer"] = e.scorer;
  j["input"] = e.input_path;
  Json& w = j["window"];
  w["from"] = e.from_flag.empty() ? Json(nullptr) : Json(e.from_flag);
  w["to"] = e.to_flag.empty() ? Json(nullptr) : Json(e.to_flag);
  w["first_event_time"] = e.rows > 0 ? Json(format_timestamp_utc(e.first_event_us)) : Json(nullptr);
  w["last_event_time"] = e.rows > 0 ? Json(format_timestamp_utc(e.last_event_us)) : Json(nullptr);
  j["rows"] = e.rows;
  j["frauds"] = e.frauds;
  j["fraud_rate"] = e.rows > 0 ? Json(static_cast<double>(e.frauds) / static_cast<double>(e.rows)) : Json(nullptr);
  j["rows_read"] = e.rows_read;
  j["rows_outside_window"] = e.rows_outside_window;
  j["rows_unlabelled"] = e.rows_unlabelled;
  if (!e.known_compromised_flag.empty()) {
    j["known_compromised_before"] = e.known_compromised_flag;
    j["accounts_known_compromised"] = e.accounts_known_compromised;
    j["rows_known_compromised"] = e.rows_known_compromised;
  }
  j["auc_roc"] = number_or_null(e.auc);
  j["average_precision"] = number_or_null(e.average_precision);
  Json& k = j["precision_at_k"];
  k["k"] = e.at_k.k;
  k["per"] = "payer account and local day";
  k["time_zone"] = e.zone_name;
  k["mean"] = number_or_null(e.at_k.mean);
  Json days = Json::array();
  for (const DayPrecision& d : e.at_k.days) {
    Json day;
    day["date"] = local_date(d.local_day);
    day["accounts"] = d.accounts;
    day["excluded_already_caught"] = d.excluded;
    day["taken"] = d.taken;
    day["frauds_taken"] = d.frauds_taken;
    day["fraud_accounts"] = d.fraud_accounts;
    day["precision"] = number_or_null(d.precision);
    days.push_back(std::move(day));
  }
  k["days"] = std::move(days);
  j["review"] = threshold_json(e.review);
  j["block"] = threshold_json(e.block);
  j["plot"] = e.plot_path.empty() ? Json(nullptr) : Json(e.plot_path);
  return j.dump() + "\n";
}

std::string evaluation_text(const Evaluation& e) {
  std::string s;
  char buf[256];
  auto line = [&](const std::string& name, const std::string& value) {
    s += name;
    s.append(name.size() < 19 ? 19 - name.size() : 1, ' ');
    s += value;
    s += '\n';
  };
  line("model", e.model_path);
  line("scorer", e.scorer);
  line("input", e.input_path);
  line("window", (e.from_flag.empty() ? std::string("start") : e.from_flag) + " .. " +
                     (e.to_flag.empty() ? std::string("end") : e.to_flag) + " (end excluded)");
  if (e.rows > 0) line("event times", format_timestamp_utc(e.first_event_us) + " .. " + format_timestamp_utc(e.last_event_us));
  line("rows", std::to_string(e.rows) + "  (" + std::to_string(e.rows_outside_window) + " outside the window, " +
                   std::to_string(e.rows_unlabelled) + " unlabelled, left out)");
  if (!e.known_compromised_flag.empty()) {
    line("known compromised", std::to_string(e.accounts_known_compromised) + " accounts with a fraud before " +
                                  e.known_compromised_flag + ": their " + std::to_string(e.rows_known_compromised) +
                                  " rows left out");
  }
  line("frauds", std::to_string(e.frauds) + "  (" +
                     fixed(e.rows > 0 ? 100.0 * static_cast<double>(e.frauds) / static_cast<double>(e.rows) : NAN, 2) +
                     "%)");
  line("AUC ROC", fixed(e.auc, 4));
  line("average precision", fixed(e.average_precision, 4));
  std::size_t days_counted = 0;
  for (const DayPrecision& d : e.at_k.days) days_counted += d.taken > 0 ? 1 : 0;
  line("precision@" + std::to_string(e.at_k.k), fixed(e.at_k.mean, 4) + "  (mean over " + std::to_string(days_counted) +
                " days; top payer accounts per " + e.zone_name + " day, already-caught excluded)");
  for (const DayPrecision& d : e.at_k.days) {
    std::snprintf(buf, sizeof buf, "  %s  %s  (%zu of %zu; %zu fraud accounts, %zu excluded)\n",
                  local_date(d.local_day).c_str(), fixed(d.precision, 4).c_str(), d.frauds_taken, d.taken,
                  d.fraud_accounts, d.excluded);
    s += buf;
  }
  s += threshold_text("review", e.review);
  s += threshold_text("block", e.block);
  if (!e.plot_path.empty()) line("plot", e.plot_path);
  return s;
}

}  // namespace pixguard
