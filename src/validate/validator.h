#pragma once
// Validation: FieldValues (text) -> Transaction (typed), applying the type rules always and
// the Pix format rules (docs/configuration.md, "input") per field where switched on.
//
// Rule names (the dead-letter `rule` and the metrics label) are stable snake_case strings:
// missing, wrong_type, invalid_timestamp, too_far_in_future, too_far_in_past, invalid_amount,
// too_many_decimals, amount_overflow, not_positive, empty, invalid_end_to_end_id, invalid_ispb,
// invalid_cpf, invalid_cnpj, invalid_document_length, unknown_key_type, invalid_pix_key,
// unknown_initiation, too_long, invalid_label.
//
// Threading: immutable after construction; validate() may run on many threads.
#include <array>
#include <bitset>
#include <cstdint>

#include "core/field.h"
#include "core/timestamp.h"
#include "core/transaction.h"
#include "decode/field_mapping.h"
#include "decode/field_values.h"

namespace pixguard {

struct ValidationOptions {
  FieldMapping mapping = FieldMapping::identity();
  std::bitset<kFieldCount> pix_rules = std::bitset<kFieldCount>().set();  // per field
  TimestampFormat time_format = TimestampFormat::kAuto;
  TimeZone zone;                                 // for timestamps without an offset
  int64_t max_future_us = 86'400'000'000;        // ahead of the highest event time seen
  int64_t max_past_us = 400 * 86'400'000'000LL;  // behind the highest event time seen
  // Amounts (input.amount): digits below the centavo rejected (too_many_decimals) or rounded
  // to the nearest centavo (counted: Transaction::amount_rounded); a zero amount rejected
  // (not_positive) or accepted. Negative amounts are always rejected.
  bool round_amounts = false;
  bool accept_zero_amount = false;
  // input.normalize: per field, NormalizeOp bits (validate/normalizer.h), applied before
  // the rules by the pipeline.
  std::array<uint8_t, kFieldCount> normalize{};
};

// Whether `f` has a Pix format rule that input.pix_rules switches (the end-to-end id, ISPBs,
// documents, the payee key and its type, the initiation, the description's length).
bool has_pix_rule(Field f);

class Validator {
 public:
  explicit Validator(ValidationOptions options);

  // Fills `tx` (views into `in`'s text) or names the first rule broken. `max_event_time_us`
  // is the highest event time accepted so far (INT64_MIN before the first), the anchor of
  // the "not absurdly far" rule.
  bool validate(const FieldValues& in, int64_t max_event_time_us, Transaction* tx, Rejection* why) const;

  // validate() in two steps, so that the first can run on many threads and only the second
  // in arrival order: every rule but the time window, then the time window. A message
  // broke the first rule in validate()'s order that either step names: a rejection for
  // which precedes_time_window() holds comes before the window, any other after it.
  bool validate_fields(const FieldValues& in, Transaction* tx, Rejection* why) const;
  bool within_time_window(int64_t event_time_us, int64_t max_event_time_us, Rejection* why) const;
  static bool precedes_time_window(const Rejection& why) {
    return why.field == static_cast<int>(Field::kEndToEndId) || why.field == static_cast<int>(Field::kEventTime);
  }

  const ValidationOptions& options() const { return options_; }

 private:
  bool required(Field f) const { return required_.test(static_cast<std::size_t>(f)); }
  bool pix(Field f) const { return options_.pix_rules.test(static_cast<std::size_t>(f)); }

  ValidationOptions options_;
  std::bitset<kFieldCount> required_;
};

}  // namespace pixguard
