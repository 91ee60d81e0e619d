#pragma once
// GbdtModel: a gradient-boosted-tree model read from XGBoost's JSON model format, or its
// UBJSON encoding (what `Booster.save_model("m.json")` or `("m.ubj")` and XGBoosterSaveModel
// write), of XGBoost 1.x, 2.x and 3.x, scored by our own evaluator with XGBoost's exact
// arithmetic, so a probability equals XGBoost's to the last bit.
//
// Accepted: learner.gradient_booster.name "gbtree" (num_parallel_tree >= 1), objectives
// binary:logistic and reg:logistic (predict() returns the sigmoid of the margin) and
// binary:logitraw (predict() returns the margin), numerical splits, one output
// (num_class <= 1, num_target <= 1), and learner.feature_names present (pixguard binds model
// inputs to its features by name). Refused with a Status naming the file and the reason,
// never scored approximately: gblinear, dart (its per-tree weight_drop is not implemented),
// categorical splits, multi-class / multi-target models, vector leaves, other objectives,
// and files of a later major version. base_score is read as 1.x and 2.x write it (a number
// as text) and as 3.1 does (an array of one number per output, as text: "[5E-1]").
//
// Semantics reproduced from XGBoost 1.7 (verified against Debian's libxgboost 1.7.4 in
// gbdt_model_test.cpp and against python3-xgboost in tests/model/python_model_test.py):
// - a split sends a row left when `value < threshold` in float; a missing value (NaN) goes
//   to the node's default child; +-inf and values equal to the threshold compare normally;
// - the margin is accumulated in float, starting from base_score, adding each tree's leaf
//   value in the file's tree order (float addition is not associative: order matters);
// - base_score is stored as a probability for logistic objectives and enters the margin as
//   -logf(1/base_score - 1) computed in float; for binary:logitraw it is the margin itself;
// - the probability is the float sigmoid 1 / (expf(min(-margin, 88.7)) + 1);
// - leaf values are `split_conditions` of leaf nodes (which include the learning rate), not
//   `base_weights`.
//
// contributions() is exact TreeSHAP (Lundberg et al., the algorithm behind XGBoost's
// pred_contribs), computed in double: per-feature SHAP values plus the bias (base margin
// plus every tree's cover-weighted mean leaf value). It matches XGBoost's pred_contribs to
// about 1e-6 relative (XGBoost computes in float) and the values sum to the margin (to
// float rounding).
//
// version() is "<file name>@<12 hex digits>": the first 12 hex digits of the 64-bit
// stable_hash (core/hash.h, seed 0) of the file's bytes, so two different files of the same
// name get different versions and a re-saved identical model keeps its version.
//
// Threading: a loaded model is immutable; predict() and contributions() may run on many
// threads at once. predict() neither allocates nor throws. contributions() allocates only the
// first time a thread calls it (a thread-local scratch path).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "score/model.h"

namespace pixguard {

class GbdtModel final : public Model {
 public:
  enum class Objective : unsigned char {
    kLogistic,  // binary:logistic, reg:logistic: predict() = sigmoid(margin)
    kLogitRaw,  // binary:logitraw: predict() = margin
  };

  // Reads and checks the model in `path`. Loading parses JSON into a DOM and is not fast
  // (tens of milliseconds for hundreds of trees); scoring is. Never throws.
  static Status load(const std::string& path, std::shared_ptr<const GbdtModel>* out);
  // The same from bytes already in memory (JSON, or UBJSON: is_ubjson); `name` stands for
  // the file in messages and in version().
  static Status parse(std::string_view json, const std::string& name, std::shared_ptr<const GbdtModel>* out);

  // Whether `bytes` are UBJSON rather than JSON text.
  static bool is_ubjson(std::string_view bytes);

  const std::string& version() const override { return version_; }
  const std::vector<std::string>& feature_names() const override { return feature_names_; }
  double predict(const float* features) const override;
  void contributions(const float* features, Attribution method, double* out) const override;

  // The raw score before the objective's transform, exactly as XGBoost's output_margin.
  float margin(const float* features) const;
  // predict() for `row_count` rows stored row-major (feature_names().size() floats per row).
  void predict_batch(const float* rows, std::size_t row_count, double* out) const;

  Objective objective() const { return objective_; }
  std::size_t tree_count() const { return roots_.size(); }
  // The margin every prediction starts from (base_score after the objective's transform).
  float base_margin() const { return base_margin_; }

 private:
  // One tree node, 16 bytes, four to a cache line. Children are addressed by byte offset into
  // nodes_ (no index scaling in the step), and a split's children are adjacent: right = left
  // + sizeof(Node).
  //   split: `threshold` is never NaN; `aux` is 1 when a missing value goes right (XGBoost's
  //          default_left = 0), else 0.
  //   leaf:  `feature` 0, `threshold` NaN, `aux` holds the leaf value's float bits, and `left`
  //          is chosen so that the step lands on the leaf itself (see step() in the .cpp).
  // A leaf being a fixed point lets a walk run a fixed number of steps (its tree's depth)
  // with no data-dependent exit branch, so the CPU overlaps the walks of several trees.
  struct Node {
    uint32_t feature;
    float threshold;
    uint32_t left;
    uint32_t aux;
  };
  static_assert(sizeof(Node) == 16);
  static constexpr uint32_t kNodeBytes = sizeof(Node);
  static Node make_leaf(uint32_t offset, float value);
  static bool is_leaf(const Node& n);
  static float leaf_value(const Node& n);

  struct Loader;  // the JSON reading, in the .cpp
  friend struct Loader;

  GbdtModel() = default;
  // `error_name` prefixes messages (the path as given); `version_name` starts version().
  static Status parse_as(std::string_view json, const std::string& error_name, const std::string& version_name,
                         std::shared_ptr<const GbdtModel>* out);
  void tree_shap(uint32_t tree, const float* features, double* phi, void* path) const;
  void tree_shap_contributions(const float* features, double* out) const;
  void path_contributions(const float* features, double* out) const;

  std::string version_;
  std::vector<std::string> feature_names_;
  Objective objective_ = Objective::kLogistic;
  float base_margin_ = 0.0f;

  std::vector<Node> nodes_;             // every tree's nodes, tree by tree, breadth-first
  std::vector<uint32_t> roots_;         // byte offset of each tree's root in nodes_, file order
  std::vector<uint32_t> padded_roots_;  // roots_, padded to whole groups with a dummy leaf
  std::vector<uint32_t> depths_;        // each tree's depth (root to deepest leaf, in steps)
  // predict() walks the trees kTreeGroup at a time, interleaved, each group for its largest
  // depth in steps (shallower walks idle on their leaf).
  static constexpr std::size_t kTreeGroup = 8;
  std::vector<uint32_t> group_depths_;

  // TreeSHAP only (cold): per node the cover (XGBoost's sum_hessian) and the cover-weighted
  // mean of the leaf values below it, computed in float as XGBoost does.
  std::vector<float> covers_;
  std::vector<float> mean_values_;
  uint32_t max_depth_ = 0;
};

}  // namespace pixguard
