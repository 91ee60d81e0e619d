#include "features/feature_spec.h"

#include <array>
#include <cstring>

namespace pixguard {
namespace {
constexpr std::array<const char*, 24> kNames = {
    "count",         "sum",         "mean",      "max",     "min",
    "distinct_counterparties",      "fraud_count", "fraud_rate", "seconds_since_previous",
    "amount_to_mean", "amount_robust_z", "first_time_counterparty", "new_device", "amount", "hour",
    "night",         "weekend",     "weekday",   "initiation", "channel", "key_type",
    "category",      "profile_value", "profile_age_days"};
}  // namespace

const char* feature_kind_name(FeatureKind kind) { return kNames[static_cast<std::size_t>(kind)]; }

bool parse_feature_kind(const std::string& name, FeatureKind* out) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (name == kNames[i]) {
      *out = static_cast<FeatureKind>(i);
      return true;
    }
  }
  return false;
}

bool feature_kind_needs_key(FeatureKind kind) { return kind <= FeatureKind::kNewDevice; }

bool feature_kind_needs_window(FeatureKind kind) { return kind <= FeatureKind::kFraudRate; }

}  // namespace pixguard
