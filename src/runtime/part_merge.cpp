#include "runtime/part_merge.h"

#include <algorithm>
#include <tuple>

namespace pixguard {

void PartMerge::set_clocks(const std::vector<PartClock>& clocks) {
  first_ = second_ = Bound{kOpen, 0};
  const auto less = [](const Bound& a, const Bound& b) { return std::tie(a.order_time_us, a.part) < std::tie(b.order_time_us, b.part); };
  for (const PartClock& c : clocks) {
    if (c.quiet) continue;
    const Bound b{c.order_time_us, c.part};
    if (less(b, first_)) {
      second_ = first_;
      first_ = b;
    } else if (less(b, second_)) {
      second_ = b;
    }
  }
}

bool PartMerge::may_take(const MergeKey& key) const {
  const Bound& bound = first_.order_time_us != kOpen && first_.part == key.part ? second_ : first_;
  if (bound.order_time_us == kOpen) return true;
  return std::tie(key.order_time_us, key.part) < std::tie(bound.order_time_us, bound.part);
}

void PartMerge::hold(HeldTransaction t) {
  // Kept sorted; a batch's transactions mostly arrive in key order already.
  const auto at = std::upper_bound(held_.begin(), held_.end(), t.key,
                                   [](const MergeKey& k, const HeldTransaction& h) { return k < h.key; });
  held_.insert(at, std::move(t));
}

void PartMerge::take(std::vector<HeldTransaction>* out, bool all) {
  // What may be taken is a prefix: a key below one that may be taken may be taken too.
  std::size_t n = 0;
  while (n < held_.size() && (all || may_take(held_[n].key))) ++n;
  for (std::size_t i = 0; i < n; ++i) out->push_back(std::move(held_[i]));
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
}

void PartMerge::save(ByteWriter* out) const {
  out->put<uint64_t>(held_.size());
  for (const HeldTransaction& h : held_) {
    out->put(h.key.order_time_us);
    out->put(h.key.part);
    out->put(h.key.position);
    out->put(h.timestamp_ms);
    out->put<uint8_t>(h.late ? 1 : 0);
    out->put_string(h.message);
    out->put_array(h.features.data(), h.features.size());
  }
}

bool PartMerge::load(ByteReader* in, std::size_t feature_count) {
  held_.clear();
  const uint64_t n = in->get_count(3 * sizeof(uint64_t));
  for (uint64_t i = 0; i < n && !in->failed(); ++i) {
    HeldTransaction h;
    h.key.order_time_us = in->get<int64_t>();
    h.key.part = in->get<uint32_t>();
    h.key.position = in->get<int64_t>();
    h.timestamp_ms = in->get<int64_t>();
    h.late = in->get<uint8_t>() != 0;
    h.message = in->get_string();
    in->get_array(&h.features);
    if (h.features.size() != feature_count || (!held_.empty() && !(held_.back().key < h.key))) in->fail();
    held_.push_back(std::move(h));
  }
  if (in->failed()) held_.clear();
  return !in->failed();
}

}  // namespace pixguard
