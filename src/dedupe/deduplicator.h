#pragma once
// Deduplication by end-to-end id over an event-time horizon, in bounded memory.
//
// An id is remembered as a 128-bit fingerprint (two independent 64-bit hashes: a false
// duplicate among 10^8 ids has probability ~10^-23) for `horizon` of event time behind the
// watermark, and at most `max_entries` ids: beyond that the oldest-remembered id is evicted
// and counted, so a re-send arriving later than that is no longer caught (the trade-off of a
// memory bound; evictions are reported so that the bound can be raised).
//
// Threading: not thread-safe; one per pipeline (per partition set).
#include <cstdint>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_set.h>

#include "core/byte_io.h"

namespace pixguard {

struct DedupeOptions {
  int64_t horizon_us = 24LL * 3600 * 1'000'000;
  std::size_t max_entries = 10'000'000;
};

class Deduplicator {
 public:
  struct Fingerprint {
    uint64_t a, b;
    bool operator==(const Fingerprint&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Fingerprint& f) { return H::combine(std::move(h), f.a); }
  };

  explicit Deduplicator(DedupeOptions options) : options_(options) {}

  static Fingerprint fingerprint(std::string_view id);
  // True when `id` was already seen (the message is a duplicate); otherwise remembers it.
  bool seen_before(std::string_view id, int64_t event_time_us) { return seen_before(fingerprint(id), event_time_us); }
  bool seen_before(const Fingerprint& id, int64_t event_time_us);

  // Forgets ids whose event time is older than `watermark_us - horizon`, oldest first.
  void expire(int64_t watermark_us);

  std::size_t size() const { return ids_.size(); }
  uint64_t evictions() const { return evictions_; }

  // Snapshot for checkpoints: the remembered ids in arrival order and the eviction count.
  // load() replaces the current state; it returns false (state left empty) on a malformed
  // snapshot.
  void save(ByteWriter* out) const;
  bool load(ByteReader* in);
  // The bytes of the snapshot at the start of `rest` (so that what follows it can be read
  // meanwhile); 0 when its count does not fit.
  static std::size_t snapshot_bytes(std::string_view rest);

 private:
  struct Remembered {
    Fingerprint id;
    int64_t event_time_us;
  };

  void pop_oldest();

  DedupeOptions options_;
  absl::flat_hash_set<Fingerprint> ids_;
  // Arrival-ordered ring of remembered ids: grows by doubling, never shrinks, so the steady
  // state does not allocate.
  std::vector<Remembered> ring_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace pixguard
