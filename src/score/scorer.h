#pragma once
// Scoring stage: feature row (engine order, doubles) -> model input (model order, floats, as
// XGBoost reads them) -> probability. Without a model the score is NaN and the decision
// comes from rules alone (see decide/decider.h).
//
// Threading: one Scorer per pipeline thread (it owns the input scratch row).
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "features/feature_spec.h"
#include "score/model.h"

namespace pixguard {

class Scorer {
 public:
  Scorer() = default;

  // Binds `model` to the engine's features; refuses a model that needs a feature the config
  // does not declare, naming it.
  static Status bind(std::shared_ptr<const Model> model, const std::vector<FeatureSpec>& features, Scorer* out);

  bool has_model() const { return model_ != nullptr; }
  const std::shared_ptr<const Model>& model() const { return model_; }
  const std::string& model_version() const;
  double score(const double* features);
  // Per-feature contributions to the margin in the engine's feature order (features the
  // model does not use get 0), then the bias: size() + 1 values into `out`. Needs a model.
  void contributions(const double* features, Attribution method, double* out);

 private:
  std::shared_ptr<const Model> model_;
  std::vector<std::size_t> input_to_feature_;  // model input i reads engine feature [i]
  std::vector<float> row_;
  std::vector<double> model_contributions_;  // model order, then bias
  std::size_t feature_count_ = 0;             // the engine's
};

}  // namespace pixguard
