#include "dedupe/deduplicator.h"

#include "core/hash.h"

namespace pixguard {

bool Deduplicator::seen_before(std::string_view id, int64_t event_time_us) {
  const Fingerprint fp{stable_hash(id, 0x5151), stable_hash(id, 0xa7a7)};
  if (!ids_.insert(fp).second) return true;
  if (count_ == options_.max_entries) {
    pop_oldest();
    ++evictions_;
  }
  if (count_ == ring_.size()) {
    // Grow, unrolling the ring so that the oldest entry is at index 0.
    std::vector<Remembered> bigger;
    bigger.reserve(std::max<std::size_t>(1024, ring_.size() * 2));
    for (std::size_t i = 0; i < count_; ++i) bigger.push_back(ring_[(head_ + i) % ring_.size()]);
    bigger.resize(bigger.capacity());
    ring_.swap(bigger);
    head_ = 0;
  }
  ring_[(head_ + count_) % ring_.size()] = {fp, event_time_us};
  ++count_;
  return false;
}

void Deduplicator::expire(int64_t watermark_us) {
  const int64_t cutoff = watermark_us - options_.horizon_us;
  while (count_ > 0 && ring_[head_].event_time_us < cutoff) pop_oldest();
}

void Deduplicator::pop_oldest() {
  ids_.erase(ring_[head_].id);
  head_ = (head_ + 1) % ring_.size();
  --count_;
}

}  // namespace pixguard
