#pragma once
// The run's accounting: every message read is scored, dead-lettered or a duplicate
// (in = scored + dead_letters + duplicates), plus what the operator wants next to it.
//
// Threading: owned by the pipeline thread; copy it to read it elsewhere.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pixguard {

// Wall time spent in each stage, summed over batches.
struct StageTimes {
  static constexpr std::size_t kCount = 8;
  static constexpr std::array<const char*, kCount> kNames = {"decode",   "validate", "dedupe", "enrich",
                                                             "features", "score",    "decide", "sink"};
  std::array<int64_t, kCount> nanos{};
};

struct Accounting {
  uint64_t in = 0;
  uint64_t scored = 0;
  uint64_t dead_letters = 0;
  uint64_t duplicates = 0;
  uint64_t late = 0;
  std::array<uint64_t, 3> outcomes{};  // by Outcome: allow, review, block
  std::vector<uint64_t> rules_fired;   // by rule index
  // Dead letters by (field, rule); the views point at static rule names.
  std::map<std::pair<std::string_view, std::string_view>, uint64_t> dead_letters_by_reason;
  StageTimes stage_times;
  double seconds = 0;  // wall time of the run

  bool balanced() const { return in == scored + dead_letters + duplicates; }
};

// Renders for people (aligned text) or machines (one JSON object).
std::string accounting_text(const Accounting& a, const std::vector<std::string>& rule_names);
std::string accounting_json(const Accounting& a, const std::vector<std::string>& rule_names);

}  // namespace pixguard
