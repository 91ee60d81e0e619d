#include "features/key_history.h"

#include <algorithm>

namespace pixguard {
namespace {

// Window edges for a query at t: (t - delay - length, t - delay].
int64_t window_start(const KeyHistory::Shape& s, std::size_t w, int64_t t) {
  return t - s.window_delay_us[w] - s.window_length_us[w];
}
int64_t window_end(const KeyHistory::Shape& s, std::size_t w, int64_t t) { return t - s.window_delay_us[w]; }

bool is_huge(int64_t amount_cents) { return amount_cents < 0 || amount_cents >= (int64_t{1} << 40); }

}  // namespace

WideSum KeyHistory::amount_sum(std::size_t lo, std::size_t hi) const {
  if (huge_amounts_ == 0) return static_cast<int64_t>(prefix_at(hi) - prefix_at(lo));
  WideSum sum = 0;
  for (std::size_t i = lo; i < hi; ++i) sum += events_[i].amount_cents;
  return sum;
}

int64_t KeyHistory::extreme(std::size_t lo, std::size_t hi, bool is_max) const {
  if (index_ != nullptr && hi == events_.size()) {
    // Every live event is at or before a step no smaller (larger) than it, so the first step
    // at or after the window's first event is the extreme of a window reaching the newest.
    const std::vector<Step>& stair = is_max ? index_->max_stair : index_->min_stair;
    const auto it = std::lower_bound(stair.begin(), stair.end(), events_[lo].time_us,
                                     [](const Step& s, int64_t time) { return s.time_us < time; });
    return it->amount_cents;
  }
  int64_t best = events_[lo].amount_cents;
  for (std::size_t i = lo + 1; i < hi; ++i) {
    const int64_t a = events_[i].amount_cents;
    if (is_max ? a > best : a < best) best = a;
  }
  return best;
}

std::size_t KeyHistory::distinct_between(std::size_t lo, std::size_t hi) const {
  if (lo == hi) return 0;
  // A counterparty counts at its first occurrence inside the window.
  const int64_t first = events_[lo].time_us;
  std::size_t n = 0;
  for (std::size_t i = lo; i < hi; ++i) n += events_[i].prev_same_us < first ? 1 : 0;
  return n;
}

std::size_t KeyHistory::frauds_known(std::size_t lo, std::size_t hi, int64_t t) const {
  if (lo == hi) return 0;
  std::size_t n = 0;
  if (index_ == nullptr) {
    for (std::size_t i = lo; i < hi; ++i) n += events_[i].fraud_known_us <= t ? 1 : 0;
    return n;
  }
  // Events at the window's first and last times are all inside it (windows cut by time).
  const auto& marks = index_->frauds;
  const int64_t last = events_[hi - 1].time_us;
  auto it = std::lower_bound(marks.begin(), marks.end(), events_[lo].time_us,
                             [](const FraudMark& m, int64_t x) { return m.time_us < x; });
  for (; it != marks.end() && it->time_us <= last; ++it) n += it->known_us <= t ? 1 : 0;
  return n;
}

int64_t KeyHistory::last_seen(uint64_t other, bool device, std::size_t* at) const {
  if (index_ != nullptr) {
    const auto& seen = device ? index_->last_device : index_->last_counterparty;
    const auto it = seen.find(other);
    if (it == seen.end()) return kNoTime;
    if (at != nullptr) {
      const uint64_t i = it->second.seq - erased_;
      *at = it->second.seq >= erased_ && i >= head_ && i < events_.size() ? static_cast<std::size_t>(i) : events_.size();
    }
    return it->second.time_us;
  }
  for (std::size_t i = events_.size(); i > head_; --i) {
    if ((device ? events_[i - 1].device : events_[i - 1].counterparty) == other) return events_[i - 1].time_us;
  }
  return kNoTime;
}

bool KeyHistory::occurs(uint64_t other, bool device, std::size_t lo, std::size_t hi) const {
  if (lo == hi) return false;
  if (index_ != nullptr) {
    const int64_t last = last_seen(other, device);
    if (last == kNoTime || last < events_[lo].time_us) return false;
    if (last <= events_[hi - 1].time_us) return true;
  }
  for (std::size_t i = hi; i > lo; --i) {
    if ((device ? events_[i - 1].device : events_[i - 1].counterparty) == other) return true;
  }
  return false;
}

void KeyHistory::advance(const Shape& shape, int64_t t) {
  Index& x = *index_;
  const std::size_t n = events_.size();
  if (x.cursor_time_us == kNoTime) {
    // First query in order since the index was built: place the edges by search.
    for (std::size_t w = 0; w < x.cursors.size(); ++w) {
      Cursor& c = x.cursors[w];
      const auto by_time = [](int64_t v, const Event& e) { return v < e.time_us; };
      const auto live = events_.begin() + static_cast<std::ptrdiff_t>(head_);
      c.lo = static_cast<uint32_t>(std::upper_bound(live, events_.end(), window_start(shape, w, t), by_time) - events_.begin());
      c.hi = static_cast<uint32_t>(std::upper_bound(live, events_.end(), window_end(shape, w, t), by_time) - events_.begin());
      c.distinct = 0;
      if (shape.window_delay_us[w] == 0) {
        for (std::size_t i = c.lo; i < n; ++i) c.distinct += events_[i].has_next ? 0 : 1;
      }
    }
    x.cursor_time_us = t;
    return;
  }
  for (std::size_t w = 0; w < x.cursors.size(); ++w) {
    Cursor& c = x.cursors[w];
    const int64_t end = window_end(shape, w, t);
    while (c.hi < n && events_[c.hi].time_us <= end) ++c.hi;
    const int64_t start = window_start(shape, w, t);
    const bool counts = shape.window_delay_us[w] == 0;
    // A counterparty leaves the window with its last occurrence.
    while (c.lo < n && events_[c.lo].time_us <= start) {
      if (counts && !events_[c.lo].has_next) --c.distinct;
      ++c.lo;
    }
  }
  x.cursor_time_us = t;
}

std::size_t KeyHistory::find_same(int64_t time_us, uint64_t counterparty, std::size_t before) const {
  const auto live = events_.begin() + static_cast<std::ptrdiff_t>(head_);
  const auto end = events_.begin() + static_cast<std::ptrdiff_t>(before);
  auto it = std::lower_bound(live, end, time_us, [](const Event& e, int64_t time) { return e.time_us < time; });
  std::size_t found = events_.size();
  for (; it != end && it->time_us == time_us; ++it) {
    if (it->counterparty == counterparty) found = static_cast<std::size_t>(it - events_.begin());
  }
  return found;
}

void KeyHistory::insert(const Shape& shape, int64_t time_us, int64_t amount_cents, uint64_t counterparty,
                        uint64_t device, int64_t fraud_known_us) {
  const std::size_t n = events_.size();
  std::size_t pos = n;
  if (head_ < n && events_.back().time_us > time_us) {
    pos = static_cast<std::size_t>(std::upper_bound(events_.begin() + static_cast<std::ptrdiff_t>(head_), events_.end(),
                                                    time_us, [](int64_t x, const Event& e) { return x < e.time_us; }) -
                                   events_.begin());
  }

  Event ev{time_us, amount_cents, counterparty, device, fraud_known_us, 0, kNoTime, false};
  std::size_t hint = n;
  const int64_t last_same = last_seen(counterparty, false, &hint);
  if (last_same != kNoTime && last_same > time_us) {
    // The counterparty appears later: the new event slips in before its next occurrence
    // and takes over that one's previous occurrence.
    std::size_t next = pos;
    while (next < n && events_[next].counterparty != counterparty) ++next;
    if (next < n) {
      ev.prev_same_us = events_[next].prev_same_us;
      ev.has_next = true;
      events_[next].prev_same_us = time_us;
    }
  } else if (last_same != kNoTime) {
    ev.prev_same_us = last_same;
    // The index remembers where the newest occurrence was; it is still there when it is the
    // last event of its time before the insertion point.
    const bool hint_holds = hint < pos && events_[hint].time_us == last_same && events_[hint].counterparty == counterparty &&
                            (hint + 1 == pos || events_[hint + 1].time_us > last_same);
    const std::size_t prev = hint_holds ? hint : find_same(last_same, counterparty, pos);
    if (prev < n) events_[prev].has_next = true;
  }

  // Edges at or after the insertion point move with it; a window that covers its time
  // gains it (and, without delay, its counterparty when new to the window).
  if (index_ != nullptr && index_->cursor_time_us != kNoTime) {
    const int64_t at = index_->cursor_time_us;
    for (std::size_t w = 0; w < index_->cursors.size(); ++w) {
      Cursor& c = index_->cursors[w];
      if (time_us <= window_start(shape, w, at)) {
        ++c.lo;
      } else if (shape.window_delay_us[w] == 0) {
        const bool present = ev.has_next || (ev.prev_same_us != kNoTime && c.lo < n && ev.prev_same_us >= events_[c.lo].time_us);
        if (!present) ++c.distinct;
      }
      if (time_us <= window_end(shape, w, at)) ++c.hi;
    }
  }

  ev.amount_prefix = prefix_at(pos) + static_cast<uint64_t>(amount_cents);
  events_.insert(events_.begin() + static_cast<std::ptrdiff_t>(pos), ev);
  for (std::size_t i = pos + 1; i < events_.size(); ++i) events_[i].amount_prefix += static_cast<uint64_t>(amount_cents);
  if (is_huge(amount_cents)) ++huge_amounts_;

  if (index_ != nullptr) {
    index_event(shape, pos);
  } else if (size() > kIndexFrom) {
    build_index(shape);
  }
}

void KeyHistory::build_index(const Shape& shape) {
  index_ = std::make_unique<Index>();
  index_->cursors.resize(shape.window_length_us.size());
  for (std::size_t i = head_; i < events_.size(); ++i) index_event(shape, i);
}

void KeyHistory::index_event(const Shape& shape, std::size_t i) {
  Index& x = *index_;
  const Event& ev = events_[i];
  const Seen seen_now{ev.time_us, erased_ + i};
  if (shape.staircases) {
    add_step(&x.max_stair, true, ev.time_us, ev.amount_cents);
    add_step(&x.min_stair, false, ev.time_us, ev.amount_cents);
  }
  if (ev.fraud_known_us != kNotFraud) {
    const auto at = std::upper_bound(x.frauds.begin(), x.frauds.end(), ev.time_us,
                                     [](int64_t v, const FraudMark& m) { return v < m.time_us; });
    x.frauds.insert(at, FraudMark{ev.time_us, ev.fraud_known_us});
  }
  // Equal times: the later insertion is the later event.
  auto [seen, fresh] = x.last_counterparty.try_emplace(ev.counterparty, seen_now);
  if (!fresh && ev.time_us >= seen->second.time_us) seen->second = seen_now;
  if (ev.device != 0) {
    auto [dev, new_device] = x.last_device.try_emplace(ev.device, seen_now);
    if (!new_device && ev.time_us >= dev->second.time_us) dev->second = seen_now;
  }
}

void KeyHistory::add_step(std::vector<Step>* stair, bool is_max, int64_t time_us, int64_t amount) {
  const auto beats = [is_max](int64_t a, int64_t b) { return is_max ? a > b : a < b; };
  auto p = std::upper_bound(stair->begin(), stair->end(), time_us, [](int64_t x, const Step& s) { return x < s.time_us; });
  // A later step at least as large (small) keeps the new event off the staircase.
  if (p != stair->end() && !beats(amount, p->amount_cents)) return;
  // Earlier steps no larger (smaller) than the new one are no longer suffix extremes: they
  // form a run just before p, since steps strictly fall (rise) towards the end.
  auto q = p;
  while (q != stair->begin() && !beats((q - 1)->amount_cents, amount)) --q;
  q = stair->erase(q, p);
  stair->insert(q, Step{time_us, amount});
}

std::size_t KeyHistory::prune(const Shape& shape, int64_t cutoff_us) {
  std::size_t h = head_;
  while (h < events_.size() && events_[h].time_us < cutoff_us) ++h;
  const std::size_t dropped = h - head_;
  if (dropped > 0) drop_front_to(shape, h);
  return dropped;
}

std::size_t KeyHistory::truncate(const Shape& shape, std::size_t max_events) {
  if (size() <= max_events) return 0;
  // Events of one time go together (the key may keep a few more than max_events), so that
  // what is dropped leaves no step, mark or link behind at a time still held.
  std::size_t new_head = head_ + (size() - max_events);
  while (new_head > head_ && events_[new_head - 1].time_us == events_[new_head].time_us) --new_head;
  const std::size_t dropped = new_head - head_;
  if (dropped > 0) drop_front_to(shape, new_head);
  return dropped;
}

void KeyHistory::drop_front_to(const Shape& shape, std::size_t new_head) {
  const std::size_t n = events_.size();
  for (std::size_t i = head_; i < new_head; ++i) huge_amounts_ -= is_huge(events_[i].amount_cents) ? 1 : 0;
  if (new_head == n) {
    erased_ += n;
    events_.clear();
    head_ = 0;
    prefix_base_ = 0;
    index_.reset();
    return;
  }
  if (index_ != nullptr) {
    Index& x = *index_;
    if (x.cursor_time_us != kNoTime) {
      for (std::size_t w = 0; w < x.cursors.size(); ++w) {
        Cursor& c = x.cursors[w];
        const bool counts = shape.window_delay_us[w] == 0;
        for (; c.lo < new_head; ++c.lo) c.distinct -= (counts && !events_[c.lo].has_next) ? 1 : 0;
        c.hi = std::max<uint32_t>(c.hi, static_cast<uint32_t>(new_head));
      }
    }
    // Steps and marks of dropped events go with them (events of one time always go together).
    const int64_t keep_from = events_[new_head].time_us;
    const auto before_step = [keep_from](const Step& s) { return s.time_us < keep_from; };
    for (std::vector<Step>* stair : {&x.max_stair, &x.min_stair}) {
      stair->erase(stair->begin(), std::find_if_not(stair->begin(), stair->end(), before_step));
    }
    x.frauds.erase(x.frauds.begin(), std::find_if_not(x.frauds.begin(), x.frauds.end(),
                                                      [keep_from](const FraudMark& m) { return m.time_us < keep_from; }));
  }
  head_ = new_head;
  // Dropped events are compacted away only once they are half the vector, so that a busy
  // key does not shift its whole history for every expiry.
  if (head_ >= 16 && head_ * 2 >= n) compact();
  if (index_ != nullptr) {
    Index& x = *index_;
    if (size() < kIndexFrom / 4) {
      index_.reset();  // a key gone quiet is scanned again
    } else if (x.last_counterparty.size() + x.last_device.size() > 4 * size() + kIndexFrom) {
      // Most entries are of dropped events: rebuild them from the live ones.
      x.last_counterparty.clear();
      x.last_device.clear();
      for (std::size_t i = head_; i < events_.size(); ++i) {
        const Event& ev = events_[i];
        x.last_counterparty[ev.counterparty] = Seen{ev.time_us, erased_ + i};  // time order: the newest stays
        if (ev.device != 0) x.last_device[ev.device] = Seen{ev.time_us, erased_ + i};
      }
    }
  }
}

void KeyHistory::compact() {
  prefix_base_ = events_[head_ - 1].amount_prefix;
  erased_ += head_;
  events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(head_));
  if (index_ != nullptr) {
    for (Cursor& c : index_->cursors) {
      c.lo -= static_cast<uint32_t>(head_);
      c.hi -= static_cast<uint32_t>(head_);
    }
  }
  head_ = 0;
}

}  // namespace pixguard
