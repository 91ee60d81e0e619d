#include "train/trainer.h"

#include <charconv>
#include <cmath>

#include "train/xgboost_handles.h"

namespace pixguard {
namespace {

// Shortest text that reads back as the same double: what the user typed, for the card.
std::string number_text(double v) {
  char buf[32];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, ptr) : std::string("nan");
}

}  // namespace

Status check_train_params(const TrainParams& p) {
  auto bad = [](const char* flag, const std::string& rule, double v) {
    return Status::InvalidArgument(std::string(flag) + ": must be " + rule + ", got " + number_text(v));
  };
  if (p.rounds < 1 || p.rounds > 100000) return bad("--rounds", "between 1 and 100000", p.rounds);
  // pixguard's evaluator walks trees of any depth, but deeper than 20 is overfitting, not a model.
  if (p.max_depth < 1 || p.max_depth > 20) return bad("--max-depth", "between 1 and 20", p.max_depth);
  if (!(p.eta > 0 && p.eta <= 1)) return bad("--eta", "in (0, 1]", p.eta);
  if (!(p.subsample > 0 && p.subsample <= 1)) return bad("--subsample", "in (0, 1]", p.subsample);
  if (!(p.min_child_weight >= 0) || std::isinf(p.min_child_weight)) {
    return bad("--min-child-weight", "a finite number >= 0", p.min_child_weight);
  }
  if (!(p.scale_pos_weight > 0) || std::isinf(p.scale_pos_weight)) {
    return bad("--scale-pos-weight", "a finite number > 0", p.scale_pos_weight);
  }
  if (p.threads < 0) return bad("--threads", ">= 0 (0 = all cores)", p.threads);
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> xgboost_params(const TrainParams& p) {
  return {
      {"objective", "binary:logistic"},
      {"tree_method", p.tree_method},
      {"max_depth", std::to_string(p.max_depth)},
      {"eta", number_text(p.eta)},
      {"subsample", number_text(p.subsample)},
      {"min_child_weight", number_text(p.min_child_weight)},
      {"scale_pos_weight", number_text(p.scale_pos_weight)},
      {"seed", std::to_string(p.seed)},
      {"nthread", std::to_string(p.threads)},
      {"eval_metric", p.eval_metric},
      // A misspelt parameter is an error, not silently ignored.
      {"validate_parameters", "1"},
  };
}

Status train_gbdt(const TrainingTable& table, const TrainParams& params, const TrainProgress& progress,
                  int progress_every, TrainResult* out) {
  if (Status s = check_train_params(params); !s.ok()) return s;
  const std::size_t rows = table.rows(), frauds = table.frauds();
  if (rows == 0) return Status::InvalidArgument("no training rows (check --from/--to and the input's labels)");
  if (frauds == 0 || frauds == rows) {
    return Status::InvalidArgument("training rows are all of one class (" + std::to_string(rows) + " rows, " +
                                   std::to_string(frauds) + " frauds): nothing to learn");
  }
  if (table.columns() == 0) return Status::InvalidArgument("no feature columns to train on");

  xgb::DMatrix dtrain;
  // Missing values are NaN, as in the table and at scoring time.
  if (XGDMatrixCreateFromMat(table.features.data(), rows, table.columns(), std::nanf(""), dtrain.out()) != 0) {
    return xgb::error("creating the training matrix");
  }
  if (XGDMatrixSetFloatInfo(dtrain.get(), "label", table.labels.data(), rows) != 0) {
    return xgb::error("setting labels");
  }
  // The matrix and the booster carry the same names, as when the Python package trains.
  std::vector<const char*> names;
  for (const std::string& n : table.feature_names) names.push_back(n.c_str());
  if (XGDMatrixSetStrFeatureInfo(dtrain.get(), "feature_name", names.data(), names.size()) != 0) {
    return xgb::error("setting feature names");
  }

  xgb::Booster booster;
  DMatrixHandle cache[] = {dtrain.get()};
  if (XGBoosterCreate(cache, 1, booster.out()) != 0) return xgb::error("creating the booster");
  // The saved model's learner.feature_names are the booster's: libxgboost 1.7 does not copy
  // them from the training matrix (the Python package sets them on the booster itself).
  if (XGBoosterSetStrFeatureInfo(booster.get(), "feature_name", names.data(), names.size()) != 0) {
    return xgb::error("setting the model's feature names");
  }
  for (const auto& [name, value] : xgboost_params(params)) {
    if (XGBoosterSetParam(booster.get(), name.c_str(), value.c_str()) != 0) {
      return xgb::error("parameter " + name + "=" + value);
    }
  }
  const char* eval_names[] = {"train"};
  for (int round = 0; round < params.rounds; ++round) {
    if (XGBoosterUpdateOneIter(booster.get(), round, dtrain.get()) != 0) {
      return xgb::error("round " + std::to_string(round + 1));
    }
    const bool report = progress && progress_every > 0 &&
                        ((round + 1) % progress_every == 0 || round + 1 == params.rounds);
    if (report) {
      const char* evaluation = nullptr;
      if (XGBoosterEvalOneIter(booster.get(), round, cache, eval_names, 1, &evaluation) != 0) {
        return xgb::error("evaluating round " + std::to_string(round + 1));
      }
      progress(round + 1, evaluation != nullptr ? evaluation : "");
    }
  }

  TrainResult result;
  bst_ulong length = 0;
  const char* bytes = nullptr;
  // To memory first: XGBoosterSaveModel picks the format from the file name, so it cannot
  // write the temporary file of an atomic replace as JSON.
  if (XGBoosterSaveModelToBuffer(booster.get(), R"({"format":"json"})", &length, &bytes) != 0) {
    return xgb::error("saving the model");
  }
  result.model_json.assign(bytes, length);

  const char* predict_config =
      R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* predictions = nullptr;
  if (XGBoosterPredictFromDMatrix(booster.get(), dtrain.get(), predict_config, &shape, &dims, &predictions) != 0) {
    return xgb::error("predicting the training rows");
  }
  result.train_scores.assign(predictions, predictions + rows);
  *out = std::move(result);
  return Status::Ok();
}

std::string xgboost_version() { return xgb::version(); }

}  // namespace pixguard
