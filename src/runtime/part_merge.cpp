#include "runtime/part_merge.h"

#include <stdexcept>

#include <algorithm>
#include <tuple>

namespace pixguard {

void PartMerge::set_clocks(const std::vector<PartClock>& clocks) {
  first_ = second_ = Bound{kOpen, 0};
  const auto less = [](const Bound& a, const Bound& b) { return std::tie(a.order_time_us, a.part) < std::tie(b.order_time_us, b.part); };
  for (const PartClock& c : clocks) {
    if (c.idle) continue;
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
  const uint32_t part = t.key.part;
  if (part >= by_part_.size()) by_part_.resize(part + 1);
  by_part_[part].push_back(std::move(t));
  ++held_;
}

void PartMerge::take(std::vector<HeldTransaction>* out, bool all) {
  // A merge of the parts' queues, smallest head first. What may be taken is a prefix: a
  // key below one that may be taken may be taken too.
  while (held_ > 0) {
    std::deque<HeldTransaction>* smallest = nullptr;
    for (std::deque<HeldTransaction>& q : by_part_) {
      if (!q.empty() && (smallest == nullptr || q.front().key < smallest->front().key)) smallest = &q;
    }
    if (!all && !may_take(smallest->front().key)) break;
    out->push_back(std::move(smallest->front()));
    smallest->pop_front();
    --held_;
  }
}

void save_held(const MergeKey& key, int64_t timestamp_ms, int64_t arrival_us, bool late, std::string_view message,
               const double* features, std::size_t feature_count, ByteWriter* out, const MessageCipher* cipher) {
  out->put(key.order_time_us);
  out->put(key.part);
  out->put(key.position);
  out->put(timestamp_ms);
  out->put(arrival_us);
  out->put<uint8_t>(late ? 1 : 0);
  out->put<uint8_t>(cipher != nullptr ? 1 : 0);
  if (cipher != nullptr) {
    std::string sealed;
    // Only a failing random source stops sealing: no checkpoint then, rather than one in clear.
    if (Status s = cipher->seal(message, &sealed); !s.ok()) throw std::runtime_error("checkpoint: " + s.message());
    out->put_string(sealed);
  } else {
    out->put_string(message);
  }
  out->put_array(features, feature_count);
}

bool load_held(ByteReader* in, std::size_t feature_count, HeldTransaction* h, const MessageCipher* cipher) {
  h->key.order_time_us = in->get<int64_t>();
  h->key.part = in->get<uint32_t>();
  h->key.position = in->get<int64_t>();
  h->timestamp_ms = in->get<int64_t>();
  h->arrival_us = in->get<int64_t>();
  h->late = in->get<uint8_t>() != 0;
  const bool sealed = in->get<uint8_t>() != 0;
  h->message = in->get_string();
  if (sealed && !in->failed()) {
    std::string plain;
    if (cipher == nullptr || !cipher->open(h->message, &plain).ok()) {
      in->fail();
      return false;
    }
    h->message = std::move(plain);
  }
  in->get_array(&h->features);
  if (!in->failed() && (h->features.size() != feature_count || h->key.part > (1u << 20))) in->fail();
  return !in->failed();
}

void PartMerge::save(ByteWriter* out, const MessageCipher* cipher) const {
  out->put<uint64_t>(held_);
  for (const std::deque<HeldTransaction>& q : by_part_) {
    for (const HeldTransaction& h : q) {
      save_held(h.key, h.timestamp_ms, h.arrival_us, h.late, h.message, h.features.data(), h.features.size(), out,
                cipher);
    }
  }
}

bool PartMerge::load(ByteReader* in, std::size_t feature_count, const MessageCipher* cipher) {
  by_part_.clear();
  held_ = 0;
  const uint64_t n = in->get_count(3 * sizeof(uint64_t));
  for (uint64_t i = 0; i < n && !in->failed(); ++i) {
    HeldTransaction h;
    if (!load_held(in, feature_count, &h, cipher)) break;
    const bool in_order = h.key.part >= by_part_.size() || by_part_[h.key.part].empty() ||
                          by_part_[h.key.part].back().key < h.key;
    if (!in_order) {
      in->fail();
      break;
    }
    hold(std::move(h));
  }
  if (in->failed()) {
    by_part_.clear();
    held_ = 0;
  }
  return !in->failed();
}

}  // namespace pixguard
