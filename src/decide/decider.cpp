#include "decide/decider.h"

#include <cmath>
#include <cstring>

namespace pixguard {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kAllow:
      return "allow";
    case Outcome::kReview:
      return "review";
    case Outcome::kBlock:
      return "block";
  }
  return "allow";
}

namespace {
constexpr const char* kTextNames[5] = {"initiation", "channel", "payee.key_type", "payer.ispb", "payee.ispb"};
}  // namespace

Status Decider::create(DecisionOptions options, const std::vector<FeatureSpec>& features,
                       std::unique_ptr<Decider>* out) {
  if (options.rules.size() > kMaxRules) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxRules) + " rules are supported");
  }
  if (!(options.review_threshold <= options.block_threshold)) {
    return Status::InvalidArgument("decision.review_threshold must not exceed decision.block_threshold");
  }
  std::unique_ptr<Decider> d(new Decider());
  d->feature_count_ = features.size();
  const SymbolTable symbols = [&](std::string_view name) -> std::optional<Symbol> {
    for (std::size_t i = 0; i < features.size(); ++i) {
      if (features[i].name == name) return Symbol{SymbolKind::kNumber, static_cast<uint32_t>(i)};
    }
    if (name == "amount") return Symbol{SymbolKind::kNumber, static_cast<uint32_t>(features.size())};
    if (name == "score") return Symbol{SymbolKind::kNumber, static_cast<uint32_t>(features.size() + 1)};
    for (uint32_t i = 0; i < 5; ++i) {
      if (name == kTextNames[i]) return Symbol{SymbolKind::kText, i};
    }
    for (std::size_t i = 0; i < options.lists.size(); ++i) {
      if (name.starts_with("list.") && name.substr(5) == options.lists[i].name) {
        return Symbol{SymbolKind::kNumber, static_cast<uint32_t>(features.size() + 2 + i)};
      }
    }
    return std::nullopt;
  };
  for (RuleSpec& rule : options.rules) {
    Expression e;
    if (Status s = Expression::compile(rule.expression, symbols, &e); !s.ok()) {
      return Status::InvalidArgument("rule '" + rule.name + "': " + s.message());
    }
    d->compiled_.push_back(std::move(e));
    if (rule.score < 0) rule.score = rule.action == Outcome::kBlock ? 1.0 : rule.action == Outcome::kReview ? 0.5 : 0.0;
  }
  d->numbers_.resize(features.size() + 2 + options.lists.size());
  d->options_ = std::move(options);
  *out = std::move(d);
  return Status::Ok();
}

Decision Decider::decide(const Transaction& tx, const double* features, double model_score) {
  if (feature_count_ > 0) std::memcpy(numbers_.data(), features, feature_count_ * sizeof(double));
  numbers_[feature_count_] = static_cast<double>(tx.amount_cents) / 100.0;
  numbers_[feature_count_ + 1] = model_score;
  for (std::size_t i = 0; i < options_.lists.size(); ++i) {
    numbers_[feature_count_ + 2 + i] = lists_ != nullptr && lists_->contains(i, tx) ? 1.0 : 0.0;
  }
  texts_[0] = initiation_name(tx.initiation);
  texts_[1] = tx.channel;
  texts_[2] = key_type_name(tx.payee_key_type);
  texts_[3] = tx.payer.ispb;
  texts_[4] = tx.payee.ispb;
  const EvalContext ctx{numbers_.data(), texts_};

  Decision d;
  Outcome by_rules = Outcome::kAllow;
  double rules_score = 0;
  for (std::size_t i = 0; i < compiled_.size(); ++i) {
    if (!compiled_[i].evaluate(ctx)) continue;
    d.fired |= uint64_t{1} << i;
    const RuleSpec& r = options_.rules[i];
    if (r.action > by_rules) by_rules = r.action;
    if (r.score > rules_score) rules_score = r.score;
  }
  d.score = std::isnan(model_score) ? rules_score : model_score;
  Outcome by_score = Outcome::kAllow;
  if (d.score >= options_.block_threshold) {
    by_score = Outcome::kBlock;
  } else if (d.score >= options_.review_threshold) {
    by_score = Outcome::kReview;
  }
  // Without a model the score only restates the rules; it is not an independent reason.
  d.by_threshold = !std::isnan(model_score) && by_score != Outcome::kAllow;
  d.outcome = std::max(by_rules, d.by_threshold ? by_score : Outcome::kAllow);
  return d;
}

}  // namespace pixguard
