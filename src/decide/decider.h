#pragma once
// Decision stage: allow / review / block from the model score's thresholds and the rules'
// actions, whichever is stricter, with the reasons (docs/configuration.md,
// "rules and decision").
//
// Rules read features by name, `amount` (reais) and `score` (NaN without a model), the
// text fields `initiation`, `channel`, `payee.key_type`, `payer.ispb`, `payee.ispb`, and
// `list.<name>`: 1 when the transaction is on that block or allow list (lists/list_store.h).
// Without a model the score is the highest `score` among the rules that fired (by default
// 1.0 for block rules and 0.5 for review rules), 0 when none fired.
//
// Threading: one Decider per pipeline thread (it owns a scratch row).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/transaction.h"
#include "features/feature_spec.h"
#include "lists/list_store.h"
#include "score/rule_expression.h"

namespace pixguard {

enum class Outcome : unsigned char { kAllow, kReview, kBlock };
const char* outcome_name(Outcome o);

struct RuleSpec {
  std::string name;
  std::string expression;
  Outcome action = Outcome::kReview;
  std::string reason;
  double score = -1;  // rules-only score; < 0 = the action's default
};

struct DecisionOptions {
  double review_threshold = 0.5;
  double block_threshold = 0.9;
  std::vector<RuleSpec> rules;
  std::vector<ListSpec> lists;  // what `list.<name>` refers to
};

struct Decision {
  Outcome outcome = Outcome::kAllow;
  double score = 0;
  uint64_t fired = 0;            // bit i: rules()[i] fired
  bool by_threshold = false;     // the score crossed a threshold on its own
};

// A decision already given to a caller (a pre-authorization answered before a crash): the
// transaction, replayed, keeps it rather than being decided again, whatever model or lists
// serve by then.
struct PriorDecision {
  Decision decision;
  std::string model_version;
};

inline constexpr std::size_t kMaxRules = 64;

class Decider {
 public:
  // Compiles the rules; an error names the rule and the column in its expression.
  static Status create(DecisionOptions options, const std::vector<FeatureSpec>& features,
                       std::unique_ptr<Decider>* out);

  // `features` in engine order; `model_score` NaN when there is no model.
  Decision decide(const Transaction& tx, const double* features, double model_score);
  // The lists `list.<name>` reads from the next decide() on (null: every list empty). Not
  // owned; it must outlive the decisions made with it.
  void set_lists(const ListSnapshot* lists) { lists_ = lists; }

  const std::vector<RuleSpec>& rules() const { return options_.rules; }
  const DecisionOptions& options() const { return options_; }

 private:
  Decider() = default;

  DecisionOptions options_;
  std::vector<Expression> compiled_;
  std::size_t feature_count_ = 0;
  std::vector<double> numbers_;  // features, then amount, then score, then one per list
  const ListSnapshot* lists_ = nullptr;
  std::string_view texts_[5];
};

}  // namespace pixguard
