#pragma once
// What the pipeline hands its sinks for each scored transaction: views of the transaction,
// its enrichment, its feature row and its decision. Valid only during Sink::write().
#include <cstdint>
#include <string_view>

#include "core/transaction.h"
#include "decide/decider.h"
#include "enrich/enricher.h"

namespace pixguard {

struct ScoredRecord {
  const Transaction* tx = nullptr;
  const Enrichment* enrichment = nullptr;
  const double* features = nullptr;  // FeatureEngine::specs() order
  // Each feature's contribution to the model's margin, same order, then the bias; null
  // when no model scored the record or the decision is allow (computed for alerts only).
  const double* contributions = nullptr;
  Decision decision;
  bool late = false;
  std::string_view model_version;  // of the model that scored it (empty: rules only)
  bool decided_by_api = false;     // answered to a pre-authorization request ("decided_by")
};

// A message that failed decoding or validation, with where it came from.
struct DeadLetter {
  std::string_view raw;     // the original bytes, unchanged (or their first bytes: raw_size)
  std::string_view source;  // e.g. "file:/data/in.jsonl" or "generator"
  int64_t position = 0;     // line number in a file, offset in a topic
  std::string_view field;   // empty when the message as a whole is at fault
  std::string_view rule;
  std::string_view detail;
  // The message's full length and content hash (core/hash.h) when `raw` is only its prefix
  // (a source that would not hold it whole); 0: `raw` is the whole message.
  uint64_t raw_size = 0;
  uint64_t raw_hash = 0;
};

}  // namespace pixguard
