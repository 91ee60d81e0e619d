// TableScorer on pixguard's own evaluator: the scores `run` and `replay` would give.
#include <algorithm>
#include <utility>

#include "score/gbdt_model.h"
#include "train/table_scorer.h"

namespace pixguard {
namespace {

class PixguardTableScorer final : public TableScorer {
 public:
  explicit PixguardTableScorer(std::shared_ptr<const GbdtModel> model)
      : model_(std::move(model)), description_("pixguard gbdt evaluator, " + model_->version()) {}

  const std::vector<std::string>& feature_names() const override { return model_->feature_names(); }
  const std::string& description() const override { return description_; }

  Status score(const float* rows, std::size_t row_count, std::vector<float>* out) const override {
    // In blocks: predict_batch writes doubles, and a block keeps that scratch small.
    constexpr std::size_t kBlock = 4096;
    const std::size_t width = model_->feature_names().size();
    std::vector<double> block(std::min(row_count, kBlock));
    out->resize(row_count);
    for (std::size_t begin = 0; begin < row_count; begin += kBlock) {
      const std::size_t n = std::min(kBlock, row_count - begin);
      model_->predict_batch(rows + begin * width, n, block.data());
      // Exact: the probability is computed in float (see gbdt_model.h).
      for (std::size_t i = 0; i < n; ++i) (*out)[begin + i] = static_cast<float>(block[i]);
    }
    return Status::Ok();
  }

 private:
  std::shared_ptr<const GbdtModel> model_;
  std::string description_;
};

}  // namespace

Status load_pixguard_table_scorer(const std::string& model_path, std::unique_ptr<TableScorer>* out) {
  std::shared_ptr<const GbdtModel> model;
  if (Status s = GbdtModel::load(model_path, &model); !s.ok()) return s;
  *out = std::make_unique<PixguardTableScorer>(std::move(model));
  return Status::Ok();
}

}  // namespace pixguard
