#include "score/scorer.h"

#include <algorithm>
#include <limits>

namespace pixguard {

Status Scorer::bind(std::shared_ptr<const Model> model, const std::vector<FeatureSpec>& features, Scorer* out) {
  Scorer s;
  if (model) {
    for (const std::string& name : model->feature_names()) {
      std::size_t found = features.size();
      for (std::size_t i = 0; i < features.size(); ++i) {
        if (features[i].name == name) found = i;
      }
      if (found == features.size()) {
        return Status::InvalidArgument("model " + model->version() + " needs feature '" + name +
                                       "', which the config's features do not declare");
      }
      s.input_to_feature_.push_back(found);
    }
    s.row_.resize(s.input_to_feature_.size());
    s.model_contributions_.resize(s.input_to_feature_.size() + 1);
  }
  s.feature_count_ = features.size();
  s.model_ = std::move(model);
  *out = std::move(s);
  return Status::Ok();
}

const std::string& Scorer::model_version() const {
  static const std::string kNone = "rules-only";
  return model_ ? model_->version() : kNone;
}

void Scorer::contributions(const double* features, Attribution method, double* out) {
  for (std::size_t i = 0; i < row_.size(); ++i) row_[i] = static_cast<float>(features[input_to_feature_[i]]);
  model_->contributions(row_.data(), method, model_contributions_.data());
  std::fill(out, out + feature_count_ + 1, 0.0);
  for (std::size_t i = 0; i < row_.size(); ++i) out[input_to_feature_[i]] += model_contributions_[i];
  out[feature_count_] = model_contributions_.back();
}

double Scorer::score(const double* features) {
  if (!model_) return std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 0; i < row_.size(); ++i) row_[i] = static_cast<float>(features[input_to_feature_[i]]);
  return model_->predict(row_.data());
}

}  // namespace pixguard
