#pragma once
// The model card written next to a trained model (MODEL.card.json for machines, MODEL.card.md
// for people): what the model reads, what it was trained on, how, and how well it fits its
// own training rows, so that a model file found later can be traced and retrained.
//
// Threading: pure functions.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "train/trainer.h"

namespace pixguard {

struct ModelCard {
  std::string model_path;
  std::string created_at;       // RFC 3339 UTC
  std::string command;          // the command line that made it
  std::string xgboost_version;  // the libxgboost that trained it
  std::vector<std::string> features;

  std::string input_path;
  std::string from_flag, to_flag;  // the requested window as given; empty = open
  int64_t first_event_us = 0;      // the rows actually used
  int64_t last_event_us = 0;
  std::size_t rows = 0;
  std::size_t frauds = 0;
  std::size_t rows_read = 0;
  std::size_t rows_outside_window = 0;
  std::size_t rows_unlabelled = 0;

  TrainParams params;
  // As libxgboost received them (balance_classes resolved); the others are XGBoost's defaults.
  std::vector<std::pair<std::string, std::string>> xgboost_params;
  int rounds_kept = 0;          // trees in the model (fewer than params.rounds after early stopping)
  std::string best_evaluation;  // early stopping: libxgboost's line for the round kept
  double train_auc = 0;
  double train_average_precision = 0;
  double training_seconds = 0;
};

// MODEL.json -> MODEL.card.json / MODEL.card.md (the ".json" suffix replaced).
std::string model_card_path(const std::string& model_path, const std::string& extension);

// Pretty-printed JSON (indent 2) when `pretty`, else one line.
std::string model_card_json(const ModelCard& card, bool pretty);
std::string model_card_markdown(const ModelCard& card);

}  // namespace pixguard
