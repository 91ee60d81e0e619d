#pragma once
// A feature as declared in the config (`features:`, docs/configuration.md). Windowed kinds
// read the key's history over the event-time window (t - delay - window, t - delay]; the
// current transaction counts only when include_current and delay == 0.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/field.h"

namespace pixguard {

enum class FeatureKind : unsigned char {
  // Aggregates over the key's history in the window.
  kCount,                    // transactions
  kSum,                      // amount, reais
  kMean,                     // amount, reais (missing when the window is empty)
  kMax,                      // amount, reais (missing when the window is empty)
  kMin,                      // amount, reais (missing when the window is empty)
  kDistinctCounterparties,   // payer: distinct payees; payee: distinct payers
  kFraudCount,               // transactions whose fraud report is known at t
  kFraudRate,                // fraud_count / count (missing when the window is empty)
  // Relations to the key's history (window = retention unless given).
  kSecondsSincePrevious,     // t - latest earlier event time (missing when none)
  kAmountToMean,             // amount / mean over the window, excluding the current one
  kAmountRobustZ,            // (amount - median) / (1.4826 x MAD) over the window, excluding the
                             // current one: an outlier flag robust to the outliers themselves
                             // (missing with fewer than 3 events, or a MAD of 0)
  kFirstTimeCounterparty,    // 1 when the key never dealt with this counterparty before
  kNewDevice,                // 1 when the key never used this device_id before
  // The transaction itself and its context (no key, no state).
  kAmount,                   // reais
  kHour,                     // local hour 0-23 in the context time zone
  kNight,                    // 1 inside the night window (default 20:00-06:00)
  kWeekend,                  // 1 on local Saturday or Sunday
  kWeekday,                  // 0 = Sunday ... 6 = Saturday
  kInitiation,               // 1 MANU, 2 DICT, 3 QRES, 4 QRDN, 5 INIC, 6 APDN, 7 AUTO
  kChannel,                  // index in `categories`; categories.size() when unknown
  kKeyType,                  // 1 CPF, 2 CNPJ, 3 PHONE, 4 EMAIL, 5 EVP
  kCategory,                 // a text field's index in `categories` (categories.size() when
                             // unknown): the channel kind for any categorical field
  // Reference data (enrich/profile_store.h), the row that applies at the event time.
  kProfileValue,             // a column as a number (true/false: 1/0)
  kProfileAgeDays,           // days from a column's date or time to the event time
};

enum class KeyScope : unsigned char { kNone, kPayer, kPayee };

struct FeatureSpec {
  std::string name;  // as rules and models refer to it, e.g. "payer.count_5m"
  FeatureKind kind = FeatureKind::kCount;
  KeyScope scope = KeyScope::kNone;
  int64_t window_us = 0;  // 0 = the scope's retention (relation kinds) or none (context)
  int64_t delay_us = 0;
  bool include_current = true;
  std::vector<std::string> categories;  // kChannel
  Field field = Field::kChannel;  // kCategory: the text field it encodes
  std::string profile{};  // profile kinds: the profile (profiles[].name) and its column
  std::string column{};
  // The value when the feature is missing (an empty window's mean or fraud rate, no
  // previous event, ...); NaN: left missing, as models trained by XGBoost expect.
  double fill = std::numeric_limits<double>::quiet_NaN();
};

// Config names of the kinds ("count", "distinct_counterparties", ...).
const char* feature_kind_name(FeatureKind kind);
bool parse_feature_kind(const std::string& name, FeatureKind* out);
bool feature_kind_needs_key(FeatureKind kind);
bool feature_kind_needs_window(FeatureKind kind);

}  // namespace pixguard
