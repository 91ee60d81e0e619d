#pragma once
// Stateful, point-in-time-correct features (docs/configuration.md, "features").
//
// State: per payer and per payee, the history of their transactions in event-time order
// (features/key_history.h), kept for the scope's retention = its longest window + delay. A
// feature of a transaction at time t reads only history with time <= t and only fraud
// reports known at t; then the transaction joins the history. Out-of-order arrivals are
// inserted in time order, so they never corrupt state; history older than watermark -
// retention is dropped, and expire() drops idle keys.
//
// Cost: a key with few events (KeyHistory::kIndexFrom) is scanned; for a busier one every
// feature costs O(1) amortized per transaction not older than the key's newest one, whatever
// the key's activity (window edges advance with event time; sums by prefix; max/min by
// staircase; distinct counterparties by a running count; first-time counterparty and new
// device by a last-seen map). A late transaction reads its windows by binary search; its
// distinct counts, and max/min or distinct over a window with a delay, scan that window
// (docs/architecture.md, "Time and state").
//
// Values are doubles; NaN means missing (models and rules treat it so). Amounts in reais.
//
// Shards: each scope's keys are split by key into `shards` independent parts, so that
// workers can process the shards of a batch at once (worker w: the payers and the payees
// of shard w). A key lives in one shard, and its values depend on its own transactions
// only, so the values are the same for any shard count. Snapshots do not depend on it.
//
// Memory bound (StateLimits): at most `max_keys` keys per scope (split evenly over the
// shards: with several shards the bound is per shard). A new key arriving at the
// limit first evicts the eighth of the keys whose newest event is oldest (ties by key, so
// the choice does not depend on hash order); an evicted key that comes back starts with an
// empty history. A key keeps at most `max_events_per_key` events; beyond that its oldest
// event is dropped. Both are counted (stats()) so that an operator sees the bound bite.
//
// Threading: one engine per pipeline part; distinct shards may be processed on distinct
// threads at once (process_keyed, prefetch); everything else from one thread. load() runs a
// second thread of its own while it loads.
#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/byte_io.h"
#include "core/transaction.h"
#include "enrich/enricher.h"
#include "features/feature_spec.h"
#include "features/key_history.h"

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

// kCategory: the text of field `f` in `tx` ("" when absent), and the fields it may encode
// (channel, initiation, payee.key_type, payer.ispb, payee.ispb, device_id).
std::string_view category_text(Field f, const Transaction& tx);
bool categorical_field(Field f);

class FeatureEngine {
 public:
  FeatureEngine(std::vector<FeatureSpec> specs, ContextOptions context, StateLimits limits = {},
                std::size_t shards = 1);

  std::size_t size() const { return specs_.size(); }
  const std::vector<FeatureSpec>& specs() const { return specs_; }
  std::size_t shard_count() const { return shards_; }
  std::size_t shard_of(uint64_t key) const { return shards_ == 1 ? 0 : key % shards_; }
  bool uses(KeyScope s) const { return scope_of(s).used; }

  // Writes size() values for `tx` as of its event time into `out`, then adds it to state
  // (unless it is older than watermark - retention, where state no longer reaches). With
  // `out` null, only the state changes (a replay): the same state, whatever feature values
  // were or were not read before.
  void process(const Transaction& tx, const Enrichment& e, int64_t watermark_us, double* out);
  // process() in parts, for workers: the values that need no state, and each key scope's
  // (on the thread that owns the key's shard).
  void process_context(const Transaction& tx, const Enrichment& e, double* out) const;
  void process_keyed(KeyScope s, const Transaction& tx, const Enrichment& e, int64_t watermark_us, double* out);

  // Hints that `key`'s state is needed soon: the batch loop calls it a few transactions
  // ahead, so that the hash-table cache misses overlap instead of adding up.
  void prefetch(KeyScope s, uint64_t key) const {
    const Scope& scope = scope_of(s);
    if (scope.used) scope.shards[shard_of(key)].keys.prefetch(key);
  }
  // The second step, once prefetch() has brought the slot in: the key's history.
  void prefetch_history(KeyScope s, uint64_t key) const {
    const Scope& scope = scope_of(s);
    if (!scope.used) return;
    const HistoryMap& keys = scope.shards[shard_of(key)].keys;
    if (const auto it = keys.find(key); it != keys.end()) it->second.prefetch();
  }

  // Drops the keys left without history at watermark - retention (their newest event is
  // older), in O(keys dropped): an expiry queue holds each key at newest + retention. The
  // keys dropped depend on the watermark only, not on when expire() ran before.
  void expire(int64_t watermark_us);

  FeatureStateStats stats() const;

  // Snapshot for checkpoints: every key's live history and the eviction counters. load()
  // replaces the current state; false (state left empty) on a malformed snapshot. It loads
  // the payee keys on a second thread while the payer keys load.
  void save(ByteWriter* out) const;
  bool load(ByteReader* in);

  int64_t retention_us(KeyScope scope) const { return scope_of(scope).retention_us; }

 private:
  using HistoryMap = absl::flat_hash_map<uint64_t, KeyHistory>;
  struct Expiry {
    int64_t at_us;  // the key's newest event time + retention, when queued
    uint64_t key;
    bool operator>(const Expiry& o) const { return at_us != o.at_us ? at_us > o.at_us : key > o.key; }
  };

  struct Bounds {
    std::size_t lo = 0, hi = 0;  // history index range of a window
  };
  // One shard of a key scope: its keys and everything kept about them.
  struct Shard {
    HistoryMap keys;
    std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiry;  // one live entry per key
    std::size_t events = 0;                                                 // live, over its keys
    uint64_t evicted_keys = 0;
    uint64_t dropped_events = 0;
    std::vector<Bounds> bounds;  // scratch: per window of the transaction being processed
  };
  // The state of one key scope (payers or payees).
  struct Scope {
    bool used = false;
    int64_t retention_us = 0;
    KeyHistory::Shape shape;            // its distinct windows
    std::vector<std::size_t> features;  // indices of its keyed features
    std::vector<Shard> shards;
  };

  Scope& scope_of(KeyScope s) { return s == KeyScope::kPayer ? payers_ : payees_; }
  const Scope& scope_of(KeyScope s) const { return s == KeyScope::kPayer ? payers_ : payees_; }
  void process_scope(Scope& scope, uint64_t key, uint64_t counterparty, const Transaction& tx, const Enrichment& e,
                     int64_t watermark_us, double* out);
  void compute_scope(const Scope& scope, Shard& shard, KeyHistory& h, uint64_t counterparty, const Transaction& tx,
                     const Enrichment& e, double* out) const;
  double compute(const FeatureSpec& spec, std::size_t window, const Transaction& tx, const Enrichment& e,
                 const KeyHistory& h, uint64_t counterparty, bool in_order, std::size_t lo, std::size_t hi) const;
  // The key's history, creating it (and evicting old keys at the limit) when new; a new key
  // is queued to expire at `time_us` + retention.
  KeyHistory& history_of(const Scope& scope, Shard& shard, uint64_t key, int64_t time_us) const;
  static void queue_expiry(Shard& shard, uint64_t key, KeyHistory& h, int64_t at_us);
  void evict_oldest_keys(Shard& shard) const;
  static void clear(Scope& scope);
  bool load_scope(Scope& scope, ByteReader* in) const;

  std::vector<FeatureSpec> specs_;
  std::vector<std::size_t> window_of_;  // per feature: index in its scope's shape, or kNoWindow
  static constexpr std::size_t kNoWindow = ~std::size_t{0};
  ContextOptions context_;
  StateLimits limits_;
  std::size_t shards_;
  std::size_t max_keys_per_shard_;
  Scope payers_;
  Scope payees_;
};

}  // namespace pixguard
