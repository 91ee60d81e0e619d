#pragma once
// Fraud reports from the labels input (MED claims, DICT fraud marks, chargebacks):
// end_to_end_id -> when the report became known, and its verdict. A feature consults it
// only through Enrichment::fraud_known_us, so no feature sees a report before reported_at.
//
// Threading: filled before the run starts; read-only afterwards.
#include <cstdint>
#include <string_view>

#include <absl/container/flat_hash_map.h>

#include "core/hash.h"
#include "core/status.h"
#include "core/time_zone.h"

namespace pixguard {

struct LabelReport {
  int64_t reported_at_us = 0;
  bool fraud = false;
};

class LabelStore {
 public:
  // Later reports for the same id replace earlier ones only if they are later in time.
  void add(std::string_view end_to_end_id, LabelReport report);
  const LabelReport* find(std::string_view end_to_end_id) const;
  std::size_t size() const { return reports_.size(); }

  // Loads a JSON-lines labels file ({"end_to_end_id", "reported_at", "fraud"}). A bad line
  // stops the load with an error naming the file and line: labels steer training, so a
  // half-read file must not pass silently.
  Status load_jsonl(const std::string& path, const TimeZone& zone);

 private:
  absl::flat_hash_map<uint64_t, LabelReport> reports_;  // keyed by stable_hash of the id
};

}  // namespace pixguard
