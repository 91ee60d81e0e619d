#include "train/model_card.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/timestamp.h"

namespace pixguard {
namespace {

using Json = nlohmann::ordered_json;  // keys in the order written: the card reads top-down

// NaN (a metric undefined for these rows) becomes null rather than an invalid JSON token.
Json number_or_null(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string model_card_path(const std::string& model_path, const std::string& extension) {
  const std::string stem = model_path.size() > 5 && model_path.compare(model_path.size() - 5, 5, ".json") == 0
                               ? model_path.substr(0, model_path.size() - 5)
                               : model_path;
  return stem + ".card." + extension;
}

std::string model_card_json(const ModelCard& c, bool pretty) {
  Json j;
  j["model"] = c.model_path;
  j["created_at"] = c.created_at;
  j["command"] = c.command;
  j["libxgboost"] = c.xgboost_version;
  j["objective"] = "binary:logistic";
  j["features"] = c.features;
  Json& t = j["training_data"];
  t["input"] = c.input_path;
  t["from"] = c.from_flag.empty() ? Json(nullptr) : Json(c.from_flag);
  t["to"] = c.to_flag.empty() ? Json(nullptr) : Json(c.to_flag);
  t["first_event_time"] = c.rows > 0 ? Json(format_timestamp_utc(c.first_event_us)) : Json(nullptr);
  t["last_event_time"] = c.rows > 0 ? Json(format_timestamp_utc(c.last_event_us)) : Json(nullptr);
  t["rows"] = c.rows;
  t["frauds"] = c.frauds;
  t["fraud_rate"] = c.rows > 0 ? Json(static_cast<double>(c.frauds) / static_cast<double>(c.rows)) : Json(nullptr);
  t["rows_read"] = c.rows_read;
  t["rows_outside_window"] = c.rows_outside_window;
  t["rows_unlabelled"] = c.rows_unlabelled;
  Json& p = j["parameters"];
  p["rounds"] = c.params.rounds;
  p["rounds_kept"] = c.rounds_kept;
  if (c.params.early_stopping_rounds > 0) {
    p["early_stopping_rounds"] = c.params.early_stopping_rounds;
    p["best_evaluation"] = c.best_evaluation;
  }
  for (const auto& [name, value] : c.xgboost_params) p[name] = value;
  p["defaults"] = "XGBoost's own for every parameter not listed";
  Json& m = j["training_metrics"];
  m["auc_roc"] = number_or_null(c.train_auc);
  m["average_precision"] = number_or_null(c.train_average_precision);
  j["training_seconds"] = c.training_seconds;
  return j.dump(pretty ? 2 : -1) + "\n";
}

std::string model_card_markdown(const ModelCard& c) {
  std::string md = "# Model card: " + c.model_path + "\n\n";
  md += "Gradient-boosted trees (XGBoost `binary:logistic`, libxgboost " + c.xgboost_version +
        ") predicting the probability that a Pix transfer is fraud.\n\n";
  md += "- Created: " + c.created_at + "\n";
  md += "- Command: `" + c.command + "`\n\n";
  md += "## Training data\n\n";
  md += "- Input: `" + c.input_path + "`\n";
  md += "- Requested window: " + (c.from_flag.empty() ? std::string("start") : c.from_flag) + " to " +
        (c.to_flag.empty() ? std::string("end") : c.to_flag) + " (end excluded)\n";
  if (c.rows > 0) md += "- Event times used: " + format_timestamp_utc(c.first_event_us) + " to " + format_timestamp_utc(c.last_event_us) + "\n";
  md += "- Rows: " + std::to_string(c.rows) + ", frauds: " + std::to_string(c.frauds) + " (" +
        fixed(c.rows > 0 ? 100.0 * static_cast<double>(c.frauds) / static_cast<double>(c.rows) : NAN, 2) + "%)\n";
  md += "- Left out: " + std::to_string(c.rows_outside_window) + " rows outside the window, " +
        std::to_string(c.rows_unlabelled) + " without a label\n\n";
  md += "## Features (" + std::to_string(c.features.size()) + ", matched by name when scoring)\n\n";
  for (const std::string& f : c.features) md += "- `" + f + "`\n";
  md += "\n## Parameters\n\n| parameter | value |\n|---|---|\n";
  md += "| rounds | " + std::to_string(c.params.rounds) + " (kept: " + std::to_string(c.rounds_kept) + ") |\n";
  if (c.params.early_stopping_rounds > 0) {
    md += "| early_stopping_rounds | " + std::to_string(c.params.early_stopping_rounds) + " (best: `" +
          c.best_evaluation + "`) |\n";
  }
  for (const auto& [name, value] : c.xgboost_params) md += "| " + name + " | " + value + " |\n";
  md += "\nEvery parameter not listed has XGBoost's own default (libxgboost " + c.xgboost_version + ").\n";
  md += "\n## Fit on the training rows\n\n";
  md += "- AUC ROC: " + fixed(c.train_auc, 4) + "\n";
  md += "- Average precision: " + fixed(c.train_average_precision, 4) + "\n\n";
  md += "These are measured on the rows the model was trained on and overstate its quality: judge it with "
        "`pixguard evaluate` on a later window.\n";
  return md;
}

}  // namespace pixguard
