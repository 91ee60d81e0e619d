#pragma once
// Stateful, point-in-time-correct features (PRODUCT.md section 4).
//
// State: per payer and per payee, the history of their transactions in event-time order
// (time, amount, counterparty, device, when its fraud became known), kept for the scope's
// retention = its longest window + delay. A feature of a transaction at time t reads only
// history with time <= t and only fraud reports known at t; then the transaction joins the
// history. Out-of-order arrivals are inserted in time order, so they never corrupt state;
// history older than watermark - retention is dropped, and expire() drops idle keys.
//
// Values are doubles; NaN means missing (models and rules treat it so). Amounts in reais.
//
// Memory bound (StateLimits): at most `max_keys` keys per scope. A new key arriving at the
// limit first evicts the eighth of the keys whose newest event is oldest (ties by key, so
// the choice does not depend on hash order); an evicted key that comes back starts with an
// empty history. A key keeps at most `max_events_per_key` events; beyond that its oldest
// event is dropped. Both are counted (stats()) so that an operator sees the bound bite.
//
// Threading: not thread-safe; one engine per pipeline (per partition set).
#include <cstdint>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/byte_io.h"
#include "core/transaction.h"
#include "enrich/enricher.h"
#include "features/feature_spec.h"

namespace pixguard {

struct ContextOptions {
  int night_start_minute = 20 * 60;  // local, inclusive
  int night_end_minute = 6 * 60;     // local, exclusive; may wrap past midnight
};

struct StateLimits {
  std::size_t max_keys = 5'000'000;           // per scope (payers, payees)
  std::size_t max_events_per_key = 100'000;
};

struct FeatureStateStats {
  std::size_t payer_keys = 0;
  std::size_t payee_keys = 0;
  std::size_t events = 0;
  std::size_t approx_bytes = 0;
  uint64_t evicted_keys = 0;
  uint64_t dropped_events = 0;
};

class FeatureEngine {
 public:
  FeatureEngine(std::vector<FeatureSpec> specs, ContextOptions context, StateLimits limits = {});

  std::size_t size() const { return specs_.size(); }
  const std::vector<FeatureSpec>& specs() const { return specs_; }

  // Writes size() values for `tx` as of its event time into `out`, then adds it to state
  // (unless it is older than watermark - retention, where state no longer reaches).
  void process(const Transaction& tx, const Enrichment& e, int64_t watermark_us, double* out);

  // Hints that `e`'s keys are needed soon: the batch loop calls it a few transactions
  // ahead, so that the hash-table cache misses overlap instead of adding up.
  void prefetch(const Enrichment& e) const {
    if (uses_payer_) payers_.prefetch(e.payer_id);
    if (uses_payee_) payees_.prefetch(e.payee_id);
  }

  // Drops history older than watermark - retention and keys left without history.
  void expire(int64_t watermark_us);

  FeatureStateStats stats() const;

  // Snapshot for checkpoints: every key's live history and the eviction counters. load()
  // replaces the current state; false (state left empty) on a malformed snapshot.
  void save(ByteWriter* out) const;
  bool load(ByteReader* in);

  int64_t retention_us(KeyScope scope) const { return scope == KeyScope::kPayer ? payer_retention_us_ : payee_retention_us_; }

 private:
  struct Event {
    int64_t time_us;
    int64_t amount_cents;
    uint64_t counterparty;
    uint64_t device;
    int64_t fraud_known_us;
  };
  struct History {
    // Ascending time, equal times in arrival order; live events are [head, size). Expired
    // ones are dropped by moving `head` and compacted only once they are half the vector,
    // so that a busy key does not shift its whole history for every expiry.
    std::vector<Event> events;
    std::size_t head = 0;
    std::size_t size() const { return events.size() - head; }
  };
  using HistoryMap = absl::flat_hash_map<uint64_t, History>;

  double compute(const FeatureSpec& spec, const Transaction& tx, const Enrichment& e, const History* h,
                 uint64_t counterparty, std::size_t lo, std::size_t hi);
  static void prune(History* h, int64_t cutoff_us);
  // The key's history, creating it (and evicting old keys at the limit) when new.
  History& history_of(HistoryMap& map, uint64_t key);
  void evict_oldest_keys(HistoryMap& map);

  struct Window {
    KeyScope scope;
    int64_t length_us;
    int64_t delay_us;
  };
  struct Bounds {
    std::size_t lo = 0, hi = 0;  // history index range of the window
  };
  static constexpr std::size_t kNoWindow = ~std::size_t{0};

  std::vector<FeatureSpec> specs_;
  std::vector<Window> windows_;        // distinct windows of the keyed features
  std::vector<std::size_t> window_of_; // per feature: index in windows_, or kNoWindow
  std::vector<Bounds> bounds_;         // per window, for the transaction being processed
  ContextOptions context_;
  StateLimits limits_;
  uint64_t evicted_keys_ = 0;
  uint64_t dropped_events_ = 0;
  bool uses_payer_ = false;
  bool uses_payee_ = false;
  int64_t payer_retention_us_ = 0;
  int64_t payee_retention_us_ = 0;
  HistoryMap payers_;
  HistoryMap payees_;
  std::vector<uint64_t> scratch_;  // distinct counts
};

}  // namespace pixguard
