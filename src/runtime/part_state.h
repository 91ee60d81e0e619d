#pragma once
// The event-time state of the source's parts (a Kafka partition; a file or the generator is
// part 0): per part, its watermark, dedupe ids and payer histories; and, shared by all the
// parts, the payee histories with their own watermark (a payee is paid from every part:
// runtime/part_merge.h gives the order in which they see the parts' transactions). A part's
// state moves with the part (save / load). What one validated message did is a StateChange:
// the changelog of incremental checkpoints (a single part) records those, and apply() redoes
// them exactly, so a base snapshot plus the changes since equals the state that wrote them.
//
// Threading: not thread-safe; the pipeline's thread, or the compactor's on its own copy.
#include <cstdint>
#include <memory>
#include <vector>

#include "config/config.h"
#include "core/byte_io.h"
#include "core/watermark.h"
#include "dedupe/deduplicator.h"
#include "features/feature_engine.h"

namespace pixguard {

// One validated message's effect on its part (duplicates included: they move the watermark).
struct StateChange {
  uint32_t part = 0;
  uint32_t unused = 0;
  int64_t event_time_us = 0;
  Deduplicator::Fingerprint id{};
  int64_t amount_cents = 0;
  uint64_t payer_id = 0;
  uint64_t payee_id = 0;
  uint64_t device_id = 0;
  int64_t fraud_known_us = 0;
};
static_assert(sizeof(StateChange) == 72);

struct PartState {
  explicit PartState(const Config& config);

  // The snapshot of one part (a layout version first).
  void save(ByteWriter* out) const;
  bool load(ByteReader* in);  // false on a malformed snapshot

  Watermark watermark;
  Deduplicator dedupe;
  FeatureEngine features;  // its payer scope (the payee scope is the shared one)
};

class PartStates {
 public:
  explicit PartStates(const Config& config);

  PartState& part(uint32_t id);  // created empty on first use
  bool has(uint32_t id) const { return id < parts_.size() && parts_[id] != nullptr; }
  const PartState& get(uint32_t id) const { return *parts_[id]; }  // has(id)
  void drop(uint32_t id);
  void clear();  // no parts, no payees
  const std::vector<std::unique_ptr<PartState>>& all() const { return parts_; }  // null: not held
  bool dedupe_enabled() const { return dedupe_enabled_; }

  // The payee histories of every part, and their watermark: the latest merge order time
  // (PartMerge) released to them, minus the allowed lateness.
  FeatureEngine& payees() { return payees_; }
  const FeatureEngine& payees() const { return payees_; }
  Watermark& payee_watermark() { return payee_watermark_; }

  // Housekeeping between epochs: each part drops expired payer keys at its watermark, the
  // payees at theirs.
  void expire();
  // Redoes what the pipeline did for the change's message (a single part, whose messages
  // reach the payees in arrival order).
  void apply(const StateChange& change);

  // Every part held: u32 count, then (u32 id, PartState::save) each; then the payees.
  // load() replaces all. save_payees() / load_payees(): the payees alone.
  void save(ByteWriter* out) const;
  bool load(ByteReader* in);
  void save_payees(ByteWriter* out) const;
  bool load_payees(ByteReader* in);

 private:
  const Config* config_;  // outlives this (it is the job's)
  bool dedupe_enabled_;
  std::vector<std::unique_ptr<PartState>> parts_;  // by part id
  FeatureEngine payees_;
  Watermark payee_watermark_;
};

}  // namespace pixguard
