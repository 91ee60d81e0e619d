#pragma once
// Encodes output records as JSON objects (one line each in JSON-lines sinks, one message
// value in Kafka sinks). Field names follow the input's canonical names
// (docs/configuration.md, "input"); times are RFC 3339 UTC; amounts are decimal strings, exact.
//
// Threading: immutable after construction; encode calls append to caller-owned buffers.
#include <string>
#include <vector>

#include "decide/decider.h"
#include "features/feature_spec.h"
#include "privacy/privacy.h"
#include "sinks/scored_record.h"

namespace pixguard {

class RecordEncoder {
 public:
  // `privacy` (may be null: bytes kept clear) says what a dead letter keeps of the message.
  RecordEncoder(const std::vector<FeatureSpec>& features, const std::vector<RuleSpec>& rules,
                const DecisionOptions& thresholds, const Privacy* privacy = nullptr);

  // Every field of the transaction, its features, score, decision, reasons, model version,
  // whether it is late and what decided it (`decided_by`: "stream" or "api").
  void scored(const ScoredRecord& r, std::string_view model_version, std::string* out) const;
  // The compact record an analyst acts on (review and block only).
  void alert(const ScoredRecord& r, std::string_view model_version, std::string* out) const;
  // Where the message came from, the field and rule, and its bytes as privacy.dead_letters
  // says: redacted (`raw_redacted`), encrypted (`raw_encrypted`) or clear (`raw` when valid
  // UTF-8, else `raw_base64`), with `raw_bytes` (the length) unless clear and whole. A
  // message over kDeadLetterRawBytes (core/limits.h) keeps only that many first bytes (cut
  // back to a whole UTF-8 character), with `raw_truncated` and `raw_hash` (16 hex digits of
  // its content_hash), so that a dead letter always encodes under kDeadLetterMaxBytes.
  // Fails only when encryption cannot run.
  Status dead_letter(const DeadLetter& d, std::string* out) const;
  // The answer to a pre-authorization request: end_to_end_id, decision, score, reasons,
  // model_version, decided_by, then the features; `*features_at` is where the features member
  // starts (cut there and close the object to leave it out). No personal field.
  void answer(const ScoredRecord& r, std::string_view model_version, std::string* out,
              std::size_t* features_at) const;
  // The reasons array of the scored record alone, as JSON: `[{"rule":...}, ...]`.
  void reasons_array(const ScoredRecord& r, std::string* out) const;

 private:
  void reasons(const ScoredRecord& r, class JsonWriter& w, bool with_key = true) const;
  void features(const ScoredRecord& r, class JsonWriter& w) const;

  static constexpr std::size_t kTopContributions = 3;
  std::vector<std::string> feature_names_;
  std::vector<std::string> feature_keys_;  // '"name":', with a leading comma after the first
  std::vector<RuleSpec> rules_;
  double review_threshold_;
  double block_threshold_;
  const Privacy* privacy_;
};

}  // namespace pixguard
