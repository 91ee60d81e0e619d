#include "train/trainer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

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
  const auto share = [&](const std::optional<double>& v, const char* flag) {
    return v && !(*v > 0 && *v <= 1) ? bad(flag, "in (0, 1]", *v) : Status::Ok();
  };
  const auto non_negative = [&](const std::optional<double>& v, const char* flag) {
    return v && (!(*v >= 0) || std::isinf(*v)) ? bad(flag, "a finite number >= 0", *v) : Status::Ok();
  };
  if (p.rounds < 1 || p.rounds > 100000) return bad("--rounds", "between 1 and 100000", p.rounds);
  if (p.tree_method && *p.tree_method != "exact" && *p.tree_method != "approx" && *p.tree_method != "hist" &&
      *p.tree_method != "auto") {
    return Status::InvalidArgument("--tree-method: must be exact, approx, hist or auto, got " + *p.tree_method);
  }
  // pixguard's evaluator walks trees of any depth, but deeper than 20 is overfitting, not a model.
  if (p.max_depth && (*p.max_depth < 1 || *p.max_depth > 20)) return bad("--max-depth", "between 1 and 20", *p.max_depth);
  if (Status s = share(p.eta, "--eta"); !s.ok()) return s;
  if (Status s = share(p.subsample, "--subsample"); !s.ok()) return s;
  if (Status s = share(p.colsample_bytree, "--colsample-bytree"); !s.ok()) return s;
  for (const auto& [v, flag] : {std::pair{&p.min_child_weight, "--min-child-weight"}, {&p.gamma, "--gamma"},
                                {&p.lambda, "--lambda"}, {&p.alpha, "--alpha"}}) {
    if (Status s = non_negative(*v, flag); !s.ok()) return s;
  }
  if (p.max_bin && (*p.max_bin < 2 || *p.max_bin > 65536)) return bad("--max-bin", "between 2 and 65536", *p.max_bin);
  if (p.scale_pos_weight && (!(*p.scale_pos_weight > 0) || std::isinf(*p.scale_pos_weight))) {
    return bad("--scale-pos-weight", "a finite number > 0", *p.scale_pos_weight);
  }
  if (p.scale_pos_weight && p.balance_classes) {
    return Status::InvalidArgument("--scale-pos-weight and --balance-classes: give one or the other");
  }
  if (p.early_stopping_rounds < 0) return bad("--early-stopping-rounds", ">= 0 (0 = off)", p.early_stopping_rounds);
  if (p.threads < 0) return bad("--threads", ">= 0 (0 = all cores)", p.threads);
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> xgboost_params(const TrainParams& p, const TrainingTable* table) {
  std::vector<std::pair<std::string, std::string>> out = {{"objective", "binary:logistic"}};
  if (p.tree_method) out.emplace_back("tree_method", *p.tree_method);
  if (p.max_depth) out.emplace_back("max_depth", std::to_string(*p.max_depth));
  for (const auto& [name, v] : {std::pair{"eta", &p.eta}, {"subsample", &p.subsample},
                                {"colsample_bytree", &p.colsample_bytree}, {"min_child_weight", &p.min_child_weight},
                                {"gamma", &p.gamma}, {"lambda", &p.lambda}, {"alpha", &p.alpha}}) {
    if (*v) out.emplace_back(name, number_text(**v));
  }
  if (p.max_bin) out.emplace_back("max_bin", std::to_string(*p.max_bin));
  if (p.scale_pos_weight) {
    out.emplace_back("scale_pos_weight", number_text(*p.scale_pos_weight));
  } else if (p.balance_classes && table != nullptr && table->frauds() > 0) {
    out.emplace_back("scale_pos_weight", number_text(static_cast<double>(table->rows() - table->frauds()) /
                                                     static_cast<double>(table->frauds())));
  }
  out.emplace_back("seed", std::to_string(p.seed));
  out.emplace_back("nthread", std::to_string(p.threads));
  out.emplace_back("eval_metric", p.eval_metric);
  // A misspelt parameter is an error, not silently ignored.
  out.emplace_back("validate_parameters", "1");
  return out;
}

namespace {

// A matrix of the table's rows: missing values are NaN, as in the table and at scoring time;
// the matrix and the booster carry the same names, as when the Python package trains.
Status make_matrix(const TrainingTable& table, std::vector<const char*>& names, xgb::DMatrix* out) {
  if (XGDMatrixCreateFromMat(table.features.data(), table.rows(), table.columns(), std::nanf(""), out->out()) != 0) {
    return xgb::error("creating a matrix");
  }
  if (XGDMatrixSetFloatInfo(out->get(), "label", table.labels.data(), table.rows()) != 0) {
    return xgb::error("setting labels");
  }
  if (XGDMatrixSetStrFeatureInfo(out->get(), "feature_name", names.data(), names.size()) != 0) {
    return xgb::error("setting feature names");
  }
  return Status::Ok();
}

// The value of "<set>-<metric>:<value>" in libxgboost's evaluation line; NaN when absent.
double metric_in(const std::string& evaluation, const std::string& key) {
  const std::size_t at = evaluation.find(key + ":");
  if (at == std::string::npos) return std::nan("");
  return std::strtod(evaluation.c_str() + at + key.size() + 1, nullptr);
}

}  // namespace

Status train_gbdt(const TrainingTable& table, const TrainingTable* validation, const TrainParams& params,
                  const TrainProgress& progress, int progress_every, TrainResult* out) {
  if (Status s = check_train_params(params); !s.ok()) return s;
  const std::size_t rows = table.rows(), frauds = table.frauds();
  if (rows == 0) return Status::InvalidArgument("no training rows (check --from/--to and the input's labels)");
  if (frauds == 0 || frauds == rows) {
    return Status::InvalidArgument("training rows are all of one class (" + std::to_string(rows) + " rows, " +
                                   std::to_string(frauds) + " frauds): nothing to learn");
  }
  if (table.columns() == 0) return Status::InvalidArgument("no feature columns to train on");
  const bool validating = validation != nullptr && validation->rows() > 0;
  if (params.early_stopping_rounds > 0 && !validating) {
    return Status::InvalidArgument("--early-stopping-rounds needs validation rows (--valid-from/--valid-to)");
  }

  std::vector<const char*> names;
  for (const std::string& n : table.feature_names) names.push_back(n.c_str());
  xgb::DMatrix dtrain, dvalid;
  if (Status s = make_matrix(table, names, &dtrain); !s.ok()) return s;
  if (validating) {
    if (Status s = make_matrix(*validation, names, &dvalid); !s.ok()) return s;
  }

  xgb::Booster booster;
  DMatrixHandle cache[] = {dtrain.get(), dvalid.get()};
  const bst_ulong sets = validating ? 2 : 1;
  if (XGBoosterCreate(cache, sets, booster.out()) != 0) return xgb::error("creating the booster");
  // The saved model's learner.feature_names are the booster's: libxgboost 1.7 does not copy
  // them from the training matrix (the Python package sets them on the booster itself).
  if (XGBoosterSetStrFeatureInfo(booster.get(), "feature_name", names.data(), names.size()) != 0) {
    return xgb::error("setting the model's feature names");
  }
  for (const auto& [name, value] : xgboost_params(params, &table)) {
    if (XGBoosterSetParam(booster.get(), name.c_str(), value.c_str()) != 0) {
      return xgb::error("parameter " + name + "=" + value);
    }
  }
  const char* eval_names[] = {"train", "valid"};
  const std::string stop_metric = "valid-" + params.eval_metric;
  double best = -std::numeric_limits<double>::infinity();
  int best_round = 0, round = 0;
  std::string best_evaluation;
  for (; round < params.rounds; ++round) {
    if (XGBoosterUpdateOneIter(booster.get(), round, dtrain.get()) != 0) {
      return xgb::error("round " + std::to_string(round + 1));
    }
    const bool report = progress && progress_every > 0 &&
                        ((round + 1) % progress_every == 0 || round + 1 == params.rounds);
    if (!report && params.early_stopping_rounds == 0) continue;
    const char* evaluation = nullptr;
    if (XGBoosterEvalOneIter(booster.get(), round, cache, eval_names, sets, &evaluation) != 0) {
      return xgb::error("evaluating round " + std::to_string(round + 1));
    }
    const std::string line = evaluation != nullptr ? evaluation : "";
    if (report) progress(round + 1, line);
    if (params.early_stopping_rounds > 0) {
      // Higher is better for aucpr, the metric pixguard trains with.
      const double v = metric_in(line, stop_metric);
      if (v > best) {
        best = v;
        best_round = round + 1;
        best_evaluation = line;
      } else if (round + 1 - best_round >= params.early_stopping_rounds) {
        ++round;
        break;
      }
    }
  }

  TrainResult result;
  result.rounds = round;
  xgb::Booster sliced;
  BoosterHandle model = booster.get();
  if (params.early_stopping_rounds > 0 && best_round < round) {
    // The rounds up to the best one (a forest per round: layers).
    if (XGBoosterSlice(booster.get(), 0, best_round, 1, sliced.out()) != 0) return xgb::error("keeping the best rounds");
    if (XGBoosterSetStrFeatureInfo(sliced.get(), "feature_name", names.data(), names.size()) != 0) {
      return xgb::error("setting the model's feature names");
    }
    model = sliced.get();
    result.rounds = best_round;
  }
  result.best_evaluation = best_evaluation;
  bst_ulong length = 0;
  const char* bytes = nullptr;
  // To memory first: XGBoosterSaveModel picks the format from the file name, so it cannot
  // write the temporary file of an atomic replace as JSON.
  if (XGBoosterSaveModelToBuffer(model, R"({"format":"json"})", &length, &bytes) != 0) {
    return xgb::error("saving the model");
  }
  result.model_json.assign(bytes, length);

  const char* predict_config =
      R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* predictions = nullptr;
  if (XGBoosterPredictFromDMatrix(model, dtrain.get(), predict_config, &shape, &dims, &predictions) != 0) {
    return xgb::error("predicting the training rows");
  }
  result.train_scores.assign(predictions, predictions + rows);
  *out = std::move(result);
  return Status::Ok();
}

std::string xgboost_version() { return xgb::version(); }

}  // namespace pixguard
