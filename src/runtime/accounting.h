#pragma once
// The run's accounting: every message read is scored, dead-lettered or a duplicate, or waits
// for the payee stage: in + received = scored + dead_letters + duplicates + held + forwarded
// (received and forwarded: the payee topic, runtime/payee_stage.h), plus what the operator
// wants next to it. And the sinks agree: after every epoch the runner checks that each sink
// that counts what it committed (Sink::committed_records) holds, per output, the scored
// records, alerts and dead letters this process counted; a sink that lost or added records
// is named in sink_mismatches, and the run is not balanced.
//
// Threading: owned by the pipeline thread; copy it to read it elsewhere.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/byte_io.h"
#include "core/histogram.h"

namespace pixguard {

// Wall time spent in each stage, summed over batches.
struct StageTimes {
  enum Stage : std::size_t { kDecode, kValidate, kDedupe, kEnrich, kFeatures, kScore, kDecide, kSink, kCount };
  static constexpr std::array<const char*, kCount> kNames = {"decode",   "validate", "dedupe", "enrich",
                                                             "features", "score",    "decide", "sink"};
  std::array<int64_t, kCount> nanos{};
};

// Model scores of scored transactions (without a model, none).
struct ScoreBuckets {
  static constexpr std::array<double, 10> kBounds = {0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99};
};
using ScoreHistogram = Histogram<ScoreBuckets>;

// What the state holds and what its memory bounds dropped (refreshed at each epoch end).
struct StateSummary {
  uint64_t payer_keys = 0;
  uint64_t payee_keys = 0;
  uint64_t events = 0;
  uint64_t approx_bytes = 0;
  uint64_t evicted_keys = 0;      // feature state: keys evicted at state.max_keys
  uint64_t dropped_events = 0;    // feature state: events dropped at state.max_events_per_key
  uint64_t dedupe_ids = 0;
  uint64_t dedupe_evictions = 0;  // ids forgotten at dedupe.max_entries
  uint64_t payee_topic_held = 0;  // held by the payee stages of payee topic partitions
};

struct Accounting {
  uint64_t in = 0;
  uint64_t scored = 0;
  uint64_t dead_letters = 0;
  uint64_t duplicates = 0;
  uint64_t late = 0;
  // Validated, not duplicates, waiting for the payee stage (runtime/part_merge.h); they are
  // in the checkpoint, and counted as scored once they are.
  uint64_t held = 0;
  // state.payees: repartition: transactions sent to the payee topic, and taken from it
  // (scored here). Summed over a group's members they agree once the topic is read.
  uint64_t forwarded = 0;
  uint64_t received = 0;
  // Data preparation: amounts rounded to the centavo (input.amount.decimals: round).
  uint64_t amounts_rounded = 0;
  std::array<uint64_t, 3> outcomes{};  // by Outcome: allow, review, block
  std::vector<uint64_t> rules_fired;   // by rule index
  // Dead letters by (field, rule); the views point at static rule names.
  std::map<std::pair<std::string_view, std::string_view>, uint64_t> dead_letters_by_reason;
  StateSummary state;
  uint64_t resumed_in = 0;  // of `in`, those counted before this process (from a checkpoint)
  // Of this process only (not carried over from a checkpoint).
  StageTimes stage_times;
  ScoreHistogram scores;
  double seconds = 0;  // wall time of the run

  // "<sink> <output>: committed N, expected M" for each sink whose committed records differ
  // from the counts above (this process's; not saved in checkpoints).
  std::vector<std::string> sink_mismatches;

  bool counts_add_up() const { return in + received == scored + dead_letters + duplicates + held + forwarded; }
  bool balanced() const { return counts_add_up() && sink_mismatches.empty(); }
};

// The counts of a checkpoint, so that a resumed run reports totals since the start (times
// and the state summary are not saved: they describe this process).
// Rule counts are matched by rule name, so a rule list edited between runs keeps its counts.
void save_accounting(const Accounting& a, const std::vector<std::string>& rule_names, ByteWriter* out);
bool load_accounting(ByteReader* in, const std::vector<std::string>& rule_names, Accounting* a);

// Renders for people (aligned text) or machines (one JSON object).
std::string accounting_text(const Accounting& a, const std::vector<std::string>& rule_names);
std::string accounting_json(const Accounting& a, const std::vector<std::string>& rule_names);

}  // namespace pixguard
