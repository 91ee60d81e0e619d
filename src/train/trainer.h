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
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "train/training_table.h"

namespace pixguard {

struct TrainParams {
  int rounds = 100;            // trees (num_round)
  int max_depth = 6;
  double eta = 0.1;            // learning rate
  double subsample = 0.8;      // share of rows drawn for each tree
  double min_child_weight = 1;
  // Weight of a fraud row relative to a legitimate one; frauds are rare (about 1%), and a
  // weight near legit/fraud moves the scores up without changing the ranking much.
  double scale_pos_weight = 1;
  uint64_t seed = 42;
  // libxgboost threads (0 = all cores). One by default: the same command then gives the same
  // model bytes on any machine, and OpenMP's spinning threads slow training badly on busy
  // shared cores (measured: 0.5 s with one thread, 9 s with two, for 28k rows x 100 trees).
  int threads = 1;
  std::string eval_metric = "aucpr";  // reported in progress (aucpr suits rare fraud best)
  std::string tree_method = "hist";
};

// Checks the ranges; the message names the parameter as the CLI flag spells it.
Status check_train_params(const TrainParams& params);

// The parameters as libxgboost receives them (name, value), in the order they are set: what
// a model card records.
std::vector<std::pair<std::string, std::string>> xgboost_params(const TrainParams& params);

struct TrainResult {
  std::string model_json;          // XGBoost's JSON model format
  std::vector<float> train_scores;  // the model's predictions on the training rows
};

// Called every `progress_every` rounds (and after the last) with the 1-based round and
// libxgboost's evaluation line for it ("[9]\ttrain-aucpr:0.91").
using TrainProgress = std::function<void(int round, const std::string& evaluation)>;

// Trains on every row of `table`. Refuses an empty table or one with a single class (nothing
// to learn), naming the counts. libxgboost errors come back as InvalidArgument with its text.
Status train_gbdt(const TrainingTable& table, const TrainParams& params, const TrainProgress& progress,
                  int progress_every, TrainResult* out);

// "1.7.4": the libxgboost this binary runs with.
std::string xgboost_version();

}  // namespace pixguard
