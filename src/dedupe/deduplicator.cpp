#include "dedupe/deduplicator.h"

#include <algorithm>
#include <bit>

#include "core/hash.h"

namespace pixguard {

Deduplicator::Fingerprint Deduplicator::fingerprint(std::string_view id) {
  return {stable_hash(id, 0x5151), stable_hash(id, 0xa7a7)};
}

bool Deduplicator::seen_before(const Fingerprint& fp, int64_t event_time_us) {
  if (!ids_.insert(fp).second) return true;
  // `while`: a snapshot taken under a larger bound may hold more than this one allows.
  while (count_ > 0 && count_ >= options_.max_entries) {
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

std::size_t Deduplicator::snapshot_bytes(std::string_view rest) {
  ByteReader r(rest);
  r.get<uint64_t>();  // evictions
  r.skip(r.get_count(sizeof(Remembered)) * sizeof(Remembered));
  return r.failed() ? 0 : rest.size() - r.remaining();
}

void Deduplicator::save(ByteWriter* out) const {
  out->put<uint64_t>(evictions_);
  out->put<uint64_t>(count_);
  // The ring is contiguous in at most two runs: [head, end) and [0, rest).
  const std::size_t first = std::min(count_, ring_.size() - head_);
  out->reserve_more(count_ * sizeof(Remembered));
  for (std::size_t i = 0; i < first; ++i) out->put(ring_[head_ + i]);
  for (std::size_t i = 0; i < count_ - first; ++i) out->put(ring_[i]);
}

bool Deduplicator::load(ByteReader* in) {
  ids_.clear();
  ring_.clear();
  head_ = count_ = 0;
  evictions_ = in->get<uint64_t>();
  const uint64_t n = in->get_count(sizeof(Remembered));
  ring_.resize(std::max<std::size_t>(1024, std::bit_ceil(n)));
  ids_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const Remembered r = in->get<Remembered>();
    if (!ids_.insert(r.id).second) in->fail();  // a snapshot never holds an id twice
    ring_[i] = r;
  }
  count_ = n;
  if (in->failed()) {
    ids_.clear();
    ring_.clear();
    head_ = count_ = 0;
    return false;
  }
  return true;
}

void Deduplicator::pop_oldest() {
  ids_.erase(ring_[head_].id);
  head_ = (head_ + 1) % ring_.size();
  --count_;
}

}  // namespace pixguard
