#pragma once
// The model interface: a probability of fraud from a feature row. The gradient-boosted-tree
// evaluator (XGBoost JSON models) implements it; the scorer maps the engine's features onto
// the model's own feature order by name.
//
// Threading: a loaded Model is immutable; predict() may run on many threads.
#include <string>
#include <vector>

namespace pixguard {

class Model {
 public:
  virtual ~Model() = default;
  // Identifies the model in every scored record (file name and content hash, for example).
  virtual const std::string& version() const = 0;
  // Input names, in the order predict() reads them.
  virtual const std::vector<std::string>& feature_names() const = 0;
  // `features` holds feature_names().size() values, NaN = missing. Returns a probability.
  virtual double predict(const float* features) const = 0;
  // Why: each input's contribution to the score's margin (log-odds), written to
  // out[0 .. feature_names().size()), plus the bias (expected margin) in
  // out[feature_names().size()]. They sum to the margin. Called for alerts only.
  virtual void contributions(const float* features, double* out) const = 0;
};

}  // namespace pixguard
