#pragma once
// Trains a gradient-boosted-tree fraud model with Debian's libxgboost (C API) on a table
// read by train/training_table.h, and saves it in XGBoost's JSON model format, the format
// pixguard scores (score/gbdt_model.h).
//
// The model carries the table's feature names (learner.feature_names): the scorer binds
// model inputs to the engine's features by name, never by position.
//
// Deterministic: the same table, parameters and seed give the same model bytes (row
// subsampling draws from the seeded generator; the `hist` tree method sums histograms in a
// fixed order for a given thread count).
//
// Threading: train_gbdt() uses `threads` libxgboost threads and may run concurrently with
// other calls on other tables.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "train/training_table.h"

namespace pixguard {

struct TrainParams {
  int rounds = 100;  // trees (num_round), at most: early stopping may keep fewer
  // Booster parameters: an unset one keeps XGBoost's own default (libxgboost 1.7: eta 0.3,
  // max_depth 6, subsample 1, colsample_bytree 1, min_child_weight 1, gamma 0, lambda 1,
  // alpha 0, scale_pos_weight 1, max_bin 256, tree_method auto: exact on small tables,
  // approx on large ones), so a model trained here equals Python's `xgb.train` with the
  // same parameters.
  std::optional<std::string> tree_method;  // exact, approx, hist or auto
  std::optional<int> max_depth;
  std::optional<double> eta;               // learning rate
  std::optional<double> subsample;         // share of rows drawn for each tree
  std::optional<double> colsample_bytree;  // share of features drawn for each tree
  std::optional<double> min_child_weight;
  std::optional<double> gamma;             // minimum loss reduction to split
  std::optional<double> lambda;            // L2 regularisation of leaf weights
  std::optional<double> alpha;             // L1 regularisation of leaf weights
  std::optional<int> max_bin;              // hist and approx
  // Weight of a fraud row relative to a legitimate one; frauds are rare (about 1%), and a
  // weight near legit/fraud moves the scores up without changing the ranking much.
  // balance_classes sets it to the training rows' legitimate / fraud ratio.
  std::optional<double> scale_pos_weight;
  bool balance_classes = false;
  // Early stopping: with a validation table, training stops once its aucpr has not improved
  // for this many rounds, and the model keeps the rounds up to the best one. 0: off.
  int early_stopping_rounds = 0;
  uint64_t seed = 0;  // XGBoost's default
  // libxgboost threads (0 = all cores). One by default: the same command then gives the same
  // model bytes on any machine, and OpenMP's spinning threads slow training badly on busy
  // shared cores (measured: 0.5 s with one thread, 9 s with two, for 28k rows x 100 trees).
  int threads = 1;
  std::string eval_metric = "aucpr";  // reported in progress (aucpr suits rare fraud best)
};

// Checks the ranges; the message names the parameter as the CLI flag spells it.
Status check_train_params(const TrainParams& params);

// The parameters as libxgboost receives them (name, value), in the order they are set: what
// a model card records (parameters not listed keep XGBoost's defaults). `table` gives the
// class ratio of balance_classes (null: not resolved yet).
std::vector<std::pair<std::string, std::string>> xgboost_params(const TrainParams& params,
                                                                const TrainingTable* table = nullptr);

struct TrainResult {
  std::string model_json;          // XGBoost's JSON model format
  std::vector<float> train_scores;  // the model's predictions on the training rows
  int rounds = 0;                   // in the model (the best one, with early stopping)
  std::string best_evaluation;      // early stopping: libxgboost's line for the best round
};

// Called every `progress_every` rounds (and after the last) with the 1-based round and
// libxgboost's evaluation line for it ("[9]\ttrain-aucpr:0.91").
using TrainProgress = std::function<void(int round, const std::string& evaluation)>;

// Trains on every row of `table`; `validation` (may be null) is evaluated every round beside
// it, and drives early stopping. Refuses an empty table or one with a single class (nothing
// to learn), naming the counts, and early stopping without validation rows. libxgboost
// errors come back as InvalidArgument with its text.
Status train_gbdt(const TrainingTable& table, const TrainingTable* validation, const TrainParams& params,
                  const TrainProgress& progress, int progress_every, TrainResult* out);

// "1.7.4": the libxgboost this binary runs with.
std::string xgboost_version();

}  // namespace pixguard
