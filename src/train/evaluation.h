#pragma once
// `pixguard evaluate`'s report: every metric of train/metrics.h for one scored table, as
// text for people and as one JSON object for machines.
//
// Threading: pure functions.
#include <cstdint>
#include <string>
#include <vector>

#include "core/time_zone.h"
#include "train/metrics.h"
#include "train/training_table.h"

namespace pixguard {

struct EvaluationOptions {
  std::size_t k = 100;
  double review_threshold = 0.5;
  double block_threshold = 0.9;
  TimeZone zone;  // local days for precision@k (America/Sao_Paulo in the CLI)
};

struct Evaluation {
  // Where the numbers come from, for the report.
  std::string model_path;
  std::string scorer;  // TableScorer::description()
  std::string input_path;
  std::string from_flag, to_flag;  // as given; empty = open
  std::string plot_path;           // empty = no plot written

  std::size_t rows = 0;
  std::size_t frauds = 0;
  std::size_t rows_read = 0;
  std::size_t rows_outside_window = 0;
  std::size_t rows_unlabelled = 0;
  // The standard protocol: accounts with a fraud before this time (a flag, as given) are
  // left out, with their rows: their later frauds are no longer to be found.
  std::string known_compromised_flag;
  std::size_t accounts_known_compromised = 0;
  std::size_t rows_known_compromised = 0;
  int64_t first_event_us = 0;
  int64_t last_event_us = 0;

  double auc = 0;
  double average_precision = 0;
  PrecisionAtK at_k;
  ThresholdMetrics review;
  ThresholdMetrics block;
  std::string zone_name;
};

// Computes the metrics of `scores` (one per row of `table`); the caller fills the
// provenance fields.
Evaluation evaluate_scores(const TrainingTable& table, const std::vector<float>& scores,
                           const EvaluationOptions& options);

// One JSON object (single line), with precision@k per day.
std::string evaluation_json(const Evaluation& e);
// Aligned lines for a terminal.
std::string evaluation_text(const Evaluation& e);

}  // namespace pixguard
