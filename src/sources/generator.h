#pragma once
// A synthetic Pix stream for demos, tests and benchmarks: realistic fields that pass the Pix
// validation rules, normal behaviour with daily seasonality, and labelled fraud patterns
// (PRODUCT.md section 9). Deterministic: the same options give the same bytes, on any
// machine and standard library (no std:: distributions; our own RNG).
//
// Threading: one Generator per thread.
#include <cstdint>
#include <string>

namespace pixguard {

struct GeneratorOptions {
  uint64_t seed = 42;
  uint64_t count = 1'000'000;                  // messages to produce (including bad/duplicates)
  int64_t start_time_us = 1'763'953'200'000'000;  // 2025-11-24T00:00:00-03:00
  uint32_t days = 7;                           // span of event time
  uint32_t payers = 50'000;                    // customer accounts of the institution
  uint32_t payees = 80'000;                    // counterparties
  double fraud_share = 0.01;                   // share of transactions inside fraud patterns
  double invalid_share = 0.001;                // messages that must fail validation or decoding
  double duplicate_share = 0.001;              // exact re-sends of an earlier message
  double late_share = 0.01;                    // messages delivered out of event-time order
  int64_t max_lateness_us = 120'000'000;       // how far back a late message's time goes
  uint32_t label_delay_days = 3;               // fraud reports arrive this long after the fact
};

// What the generator knows about a message it produced (for tests and the labels output).
struct GeneratedInfo {
  enum class Kind : unsigned char { kValid, kInvalid, kDuplicate } kind = Kind::kValid;
  bool fraud = false;
  const char* pattern = "";     // "", "account_takeover", "mule_fan_in", "night_large",
                                // "first_time_payee_large", "compromised_payee"
  int64_t event_time_us = 0;
  int64_t reported_at_us = 0;   // when the fraud becomes known (fraud only)
};

class Generator {
 public:
  explicit Generator(const GeneratorOptions& options);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Appends the next message (one JSON object in the default shape of PRODUCT.md section 3,
  // with the inline "label" field, no trailing newline) to `out`. Returns false, appending
  // nothing, once `count` messages have been produced. No allocation in the steady state
  // beyond `out` growing.
  bool next(std::string* out, GeneratedInfo* info = nullptr);

  // Appends the labels-input line for the last fraud message produced
  // ({"end_to_end_id":..., "reported_at":..., "fraud":1}); false when the last one was not fraud.
  bool last_label(std::string* out) const;

  uint64_t produced() const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace pixguard
