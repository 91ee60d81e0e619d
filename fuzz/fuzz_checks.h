#pragma once
// Invariants shared by the decoder fuzzers: what the validator promises about a decoded
// message, whatever bytes it came from. A broken invariant prints what failed and traps, so
// libFuzzer saves the input as a crash like any sanitizer report.
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string_view>

#include "core/field.h"
#include "core/time_zone.h"
#include "core/transaction.h"
#include "decode/field_values.h"
#include "validate/pix_rules.h"
#include "validate/validator.h"

#define PIXGUARD_FUZZ_CHECK(cond)                                                   \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_trap();                                                             \
    }                                                                               \
  } while (0)

namespace pixguard::fuzz {

// Sao Paulo, as the default config reads zone-less timestamps (UTC if tzdata is missing).
inline const TimeZone& sao_paulo() {
  static const TimeZone zone = [] {
    TimeZone z;
    (void)TimeZone::load("America/Sao_Paulo", &z);
    return z;
  }();
  return zone;
}

// The rule names validator.h lists: nothing else may reach the dead letters from validation.
inline bool is_validation_rule(std::string_view rule) {
  constexpr std::string_view kRules[] = {
      "missing",        "wrong_type",        "invalid_timestamp", "too_far_in_future", "too_far_in_past",
      "invalid_amount", "too_many_decimals", "amount_overflow",   "not_positive",      "empty",
      "invalid_end_to_end_id", "invalid_ispb", "invalid_cpf",    "invalid_cnpj",     "invalid_document_length",
      "unknown_key_type", "invalid_pix_key", "unknown_initiation", "too_long",       "invalid_label"};
  for (const std::string_view r : kRules) {
    if (r == rule) return true;
  }
  return false;
}

inline bool is_optional(Field f) {
  return f == Field::kChannel || f == Field::kDeviceId || f == Field::kIp || f == Field::kDescription ||
         f == Field::kLabel;
}

inline std::size_t utf8_code_points(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// UTF-8 as RFC 3629 defines it (no overlong forms, no surrogates, nothing above U+10FFFF),
// byte by byte: the reference for the decoders' SIMD validation.
inline bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      n = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      n = 2;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      n = 3;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

// Independent reading of the simplest amounts ("123", "45.6", "7.89"): -1 for anything else.
inline int64_t simple_amount_cents(std::string_view s) {
  if (s.empty() || s.size() > 15) return -1;
  int64_t units = 0, cents = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) units = units * 10 + (s[i] - '0');
  if (i == 0) return -1;
  if (i == s.size()) return units * 100;
  if (s[i] != '.' || s.size() - i - 1 == 0 || s.size() - i - 1 > 2) return -1;
  int scale = 10;
  for (++i; i < s.size(); ++i, scale /= 10) {
    if (s[i] < '0' || s[i] > '9') return -1;
    cents += (s[i] - '0') * scale;
  }
  return units * 100 + cents;
}

// 2200-01-01T00:00:00Z: timestamps are accepted from 1970 up to the end of 2199.
inline constexpr int64_t kEndOfTimeUs = 7'258'118'400LL * 1'000'000;

// Validates `in` and checks the outcome against the rules' promises. Returns whether the
// message was valid.
inline bool check_validation(const Validator& validator, const FieldValues& in) {
  const ValidationOptions& options = validator.options();
  const auto mapped = [&](Field f) { return options.mapping.mapped(f); };
  const auto required = [&](Field f) {
    return (mapped(f) && !is_optional(f)) || f == Field::kEventTime || f == Field::kAmount ||
           f == Field::kPayerAccount;
  };

  Transaction tx;
  Rejection why;
  if (!validator.validate(in, std::numeric_limits<int64_t>::min(), &tx, &why)) {
    // A rejection from validation always names the field and a documented rule, and the
    // rule fits what the field held.
    PIXGUARD_FUZZ_CHECK(why.field >= 0 && static_cast<std::size_t>(why.field) < kFieldCount);
    PIXGUARD_FUZZ_CHECK(is_validation_rule(why.rule));
    PIXGUARD_FUZZ_CHECK(why.rule != "too_far_in_future" && why.rule != "too_far_in_past");  // no anchor yet
    const FieldValue& v = in[static_cast<Field>(why.field)];
    if (why.rule == "missing") {
      PIXGUARD_FUZZ_CHECK(v.kind == ValueKind::kAbsent || v.kind == ValueKind::kNull);
      PIXGUARD_FUZZ_CHECK(required(static_cast<Field>(why.field)));
    }
    if (why.rule == "wrong_type") PIXGUARD_FUZZ_CHECK(v.kind == ValueKind::kBool || v.kind == ValueKind::kOther);
    if (why.rule == "empty") PIXGUARD_FUZZ_CHECK(v.text.empty());
    if (v.kind == ValueKind::kAbsent || v.kind == ValueKind::kNull) PIXGUARD_FUZZ_CHECK(why.rule == "missing");
    return false;
  }

  // Valid: every required field is there, and every Pix rule in force holds.
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto f = static_cast<Field>(i);
    if (required(f) && f != Field::kLabel) {
      PIXGUARD_FUZZ_CHECK(in[f].kind == ValueKind::kString || in[f].kind == ValueKind::kNumber);
      PIXGUARD_FUZZ_CHECK(!in[f].text.empty());
    }
  }
  PIXGUARD_FUZZ_CHECK(tx.amount_cents > 0);
  if (const int64_t simple = simple_amount_cents(in[Field::kAmount].text); simple >= 0) {
    PIXGUARD_FUZZ_CHECK(tx.amount_cents == simple);
  }
  PIXGUARD_FUZZ_CHECK(tx.event_time_us >= 0 && tx.event_time_us < kEndOfTimeUs);
  PIXGUARD_FUZZ_CHECK(tx.payer.account == in[Field::kPayerAccount].text);
  if (mapped(Field::kEndToEndId)) PIXGUARD_FUZZ_CHECK(is_valid_end_to_end_id(tx.end_to_end_id));
  for (const Party* p : {&tx.payer, &tx.payee}) {
    PIXGUARD_FUZZ_CHECK(p->ispb.empty() || is_valid_ispb(p->ispb));
    PIXGUARD_FUZZ_CHECK(p->document.empty() || is_valid_document(p->document));
  }
  if (mapped(Field::kPayeeKeyType)) PIXGUARD_FUZZ_CHECK(tx.payee_key_type != KeyType::kNone);
  if (mapped(Field::kPayeeKeyType) && mapped(Field::kPayeeKey)) {
    PIXGUARD_FUZZ_CHECK(is_valid_pix_key(tx.payee_key_type, tx.payee_key));
  }
  if (mapped(Field::kInitiation)) PIXGUARD_FUZZ_CHECK(tx.initiation != Initiation::kNone);
  if (mapped(Field::kDescription)) PIXGUARD_FUZZ_CHECK(utf8_code_points(tx.description) <= 140);
  const FieldValue& label = in[Field::kLabel];
  if (label.kind == ValueKind::kAbsent || label.kind == ValueKind::kNull) {
    PIXGUARD_FUZZ_CHECK(tx.label == -1);
  } else {
    PIXGUARD_FUZZ_CHECK(tx.label == 0 || tx.label == 1);
  }

  // The "not absurdly far" window around the latest event time, at its exact edges.
  const int64_t t = tx.event_time_us;
  Transaction again;
  PIXGUARD_FUZZ_CHECK(validator.validate(in, t, &again, &why));
  PIXGUARD_FUZZ_CHECK(again.event_time_us == t && again.amount_cents == tx.amount_cents);
  PIXGUARD_FUZZ_CHECK(validator.validate(in, t + options.max_past_us, &again, &why));
  PIXGUARD_FUZZ_CHECK(validator.validate(in, t - options.max_future_us, &again, &why));
  PIXGUARD_FUZZ_CHECK(!validator.validate(in, t + options.max_past_us + 1, &again, &why));
  PIXGUARD_FUZZ_CHECK(why.rule == "too_far_in_past" && why.field == static_cast<int>(Field::kEventTime));
  PIXGUARD_FUZZ_CHECK(!validator.validate(in, t - options.max_future_us - 1, &again, &why));
  PIXGUARD_FUZZ_CHECK(why.rule == "too_far_in_future" && why.field == static_cast<int>(Field::kEventTime));
  return true;
}

}  // namespace pixguard::fuzz
