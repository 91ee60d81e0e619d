// TableScorer on libxgboost's predictor.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "train/table_scorer.h"
#include "train/xgboost_handles.h"

namespace pixguard {
namespace {

class XgboostTableScorer final : public TableScorer {
 public:
  const std::vector<std::string>& feature_names() const override { return feature_names_; }
  const std::string& description() const override { return description_; }

  Status score(const float* rows, std::size_t row_count, std::vector<float>* out) const override {
    out->clear();
    if (row_count == 0) return Status::Ok();
    // The dense input is described by NumPy's __array_interface__: address, shape, float32.
    const std::string values = "{\"data\":[" + std::to_string(reinterpret_cast<uintptr_t>(rows)) +
                               ",true],\"shape\":[" + std::to_string(row_count) + "," +
                               std::to_string(feature_names_.size()) + "],\"typestr\":\"<f4\",\"version\":3}";
    // libxgboost 1.7.4 fails with "Invalid cast, from Null to Integer" without cache_id.
    const char* config =
        R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,)"
        R"("missing":NaN,"cache_id":0})";
    const bst_ulong* shape = nullptr;
    bst_ulong dims = 0;
    const float* result = nullptr;
    if (XGBoosterPredictFromDense(booster_.get(), values.c_str(), config, nullptr, &shape, &dims, &result) != 0) {
      return xgb::error("predicting");
    }
    out->assign(result, result + row_count);
    return Status::Ok();
  }

  xgb::Booster booster_;
  std::vector<std::string> feature_names_;
  std::string description_;
};

}  // namespace

Status load_xgboost_table_scorer(const std::string& model_path, std::unique_ptr<TableScorer>* out) {
  // libxgboost reports a missing file only as a parse error: say it plainly first.
  if (std::FILE* f = std::fopen(model_path.c_str(), "rb")) {
    std::fclose(f);
  } else {
    return Status::IoError(model_path + ": " + std::strerror(errno));
  }
  auto scorer = std::make_unique<XgboostTableScorer>();
  if (XGBoosterCreate(nullptr, 0, scorer->booster_.out()) != 0) return xgb::error("creating a booster");
  if (XGBoosterLoadModel(scorer->booster_.get(), model_path.c_str()) != 0) {
    return xgb::error("loading " + model_path);
  }
  bst_ulong count = 0;
  const char** names = nullptr;
  if (XGBoosterGetStrFeatureInfo(scorer->booster_.get(), "feature_name", &count, &names) != 0) {
    return xgb::error("reading the feature names of " + model_path);
  }
  if (count == 0) {
    return Status::InvalidArgument(model_path + ": the model has no feature names (learner.feature_names); "
                                   "pixguard matches model inputs to table columns by name");
  }
  for (bst_ulong i = 0; i < count; ++i) scorer->feature_names_.emplace_back(names[i]);
  scorer->description_ = "libxgboost " + xgb::version() + " predictor, " + model_path;
  *out = std::move(scorer);
  return Status::Ok();
}

}  // namespace pixguard
