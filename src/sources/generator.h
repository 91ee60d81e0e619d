#pragma once
// A synthetic Pix stream for demos, tests and benchmarks: realistic fields that pass the Pix
// validation rules, normal behaviour with daily seasonality, and labelled fraud patterns
// (README, "Commands": generate). Deterministic: the same options give the same bytes, on any
// machine and standard library (no std:: distributions, no libm in the draws; our own RNG).
//
// The stream (what consumers may rely on):
// - Messages are JSON objects in the default shape (docs/configuration.md, "input"), keys in the order
//   end_to_end_id, event_time, amount, payer{account,ispb,document},
//   payee{key,key_type,account,ispb,document}, initiation, channel, device_id,
//   description (optional, about 40% of messages), label. No whitespace, no newline.
// - amount is a JSON string with exactly two decimals ("1956.04"); accounts are 8 digits;
//   device_id is "dev-<n>"; event_time is "YYYY-MM-DDTHH:MM:SS[.mmm]-03:00" (milliseconds
//   mostly on channel API), and end_to_end_id carries the same instant in UTC to the minute.
// - Event time follows a daily curve (quiet at night, lighter on weekends) over
//   [start_time_us, start_time_us + days); it never decreases except for the late_share of
//   messages, whose time lies up to max_lateness_us before the latest time emitted so far.
// - Fraud (label 1) appears only inside the patterns listed in GeneratedInfo::pattern; the
//   share of fraud among valid messages is about fraud_share. Invalid messages rotate
//   through the defects named in GeneratedInfo::defect; duplicates are byte-identical
//   copies of one of the last 16 valid messages.
//
// Threading: one Generator per thread.
#include <cstdint>
#include <string>
#include <vector>
#include <string_view>

namespace pixguard {

struct GeneratorOptions {
  uint64_t seed = 42;
  uint64_t count = 1'000'000;                  // messages to produce (including bad/duplicates)
  int64_t start_time_us = 1'763'953'200'000'000;  // 2025-11-24T00:00:00-03:00 (a Monday)
  uint32_t days = 7;                           // span of event time (0 is read as 1)
  uint32_t payers = 50'000;                    // customer accounts of the institution
  uint32_t payees = 80'000;                    // counterparties
  double fraud_share = 0.01;                   // share of valid messages inside fraud patterns
  double invalid_share = 0.001;                // messages that must fail validation or decoding
  double duplicate_share = 0.001;              // exact re-sends of an earlier message
  double late_share = 0.01;                    // valid messages delivered out of event-time order
  int64_t max_lateness_us = 120'000'000;       // how far back a late message's time goes
  uint32_t label_delay_days = 3;               // fraud reports arrive this long after the fact
};

// What the generator knows about a message it produced (for tests and the labels output).
struct GeneratedInfo {
  enum class Kind : unsigned char { kValid, kInvalid, kDuplicate } kind = Kind::kValid;
  bool fraud = false;
  bool late = false;            // event time earlier than an already emitted one (valid only)
  const char* pattern = "";     // "", "account_takeover", "mule_fan_in", "night_large",
                                // "first_time_payee_large", "compromised_payee"
  const char* defect = "";      // kInvalid only: "truncated_json", "bad_cpf_check_digit",
                                // "bad_end_to_end_id", "negative_amount",
                                // "amount_three_decimals", "unknown_key_type", "bad_email_key",
                                // "invalid_json_syntax", "missing_field", "wrong_type"
  int64_t event_time_us = 0;    // exactly the instant written in event_time
  int64_t reported_at_us = 0;   // when the fraud becomes known (fraud only)
};
// A duplicate's info repeats the original's (fraud, pattern, times) with kind kDuplicate.

// The payer account of a message the generator wrote (its fixed key order), "" for an
// invalid one without it: the key a generated stream is partitioned by in Kafka.
std::string_view generated_payer_account(std::string_view message);

// Every message of a stream, in order (tests and benches: the whole stream in memory).
std::vector<std::string> generate_messages(const GeneratorOptions& options);

class Generator {
 public:
  explicit Generator(const GeneratorOptions& options);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Appends the next message (one JSON object in the default shape, docs/configuration.md
  // "input", with the inline "label" field, no trailing newline) to `out`. Returns false, appending
  // nothing, once `count` messages have been produced. No allocation in the steady state
  // beyond `out` growing.
  bool next(std::string* out, GeneratedInfo* info = nullptr);

  // Appends the labels-input line for the last message produced when it was a valid fraud
  // message ({"end_to_end_id":"...","reported_at":"<RFC 3339, -03:00>","fraud":1});
  // false, appending nothing, otherwise (duplicates included: their label was already given).
  bool last_label(std::string* out) const;

  uint64_t produced() const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace pixguard
