#pragma once
// Scores the rows of a training table with a saved model, for `pixguard evaluate`.
//
// Two implementations behind one interface, so the choice is one line in the caller:
// pixguard's own evaluator (score/gbdt_model.h: what `run` and `replay` score with, so the
// evaluation measures the serving path) and libxgboost's predictor (the reference).
//
// Threading: score() may be called from several threads at once.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace pixguard {

class TableScorer {
 public:
  virtual ~TableScorer() = default;
  // The model's inputs, in the order score() reads a row's columns.
  virtual const std::vector<std::string>& feature_names() const = 0;
  // Which predictor and model, for reports: "pixguard gbdt m.json@0123456789ab".
  virtual const std::string& description() const = 0;
  // `rows` holds row_count rows of feature_names().size() floats (NaN = missing); writes one
  // probability per row to `out`.
  virtual Status score(const float* rows, std::size_t row_count, std::vector<float>* out) const = 0;
};

// pixguard's evaluator (GbdtModel), bit-compatible with XGBoost.
Status load_pixguard_table_scorer(const std::string& model_path, std::unique_ptr<TableScorer>* out);
// libxgboost's own predictor (XGBoosterPredictFromDense).
Status load_xgboost_table_scorer(const std::string& model_path, std::unique_ptr<TableScorer>* out);

}  // namespace pixguard
