#pragma once
// The model interface: a probability of fraud from a feature row. The gradient-boosted-tree
// evaluator (XGBoost JSON models) implements it; the scorer maps the engine's features onto
// the model's own feature order by name.
//
// Threading: a loaded Model is immutable; predict() may run on many threads.
#include <string>
#include <vector>

namespace pixguard {

// How a decision's features are credited for its score (the alert reasons):
//   kPath      Saabas path attribution, XGBoost's approx_contribs: along each tree's decision
//              path, the split's feature gets the change of the subtree's mean value. O(depth)
//              per tree: cheap enough for every alert.
//   kTreeShap  exact TreeSHAP (Lundberg et al., XGBoost's pred_contribs): consistent Shapley
//              values, O(leaves x depth^2) per tree: about 100 times the cost.
enum class Attribution : unsigned char { kPath, kTreeShap };

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
  virtual void contributions(const float* features, Attribution method, double* out) const = 0;
};

}  // namespace pixguard
