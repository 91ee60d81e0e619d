#include "features/key_history.h"

#include <algorithm>

namespace pixguard {
namespace {

// Window edges for a query at t: (t - delay - length, t - delay].
int64_t window_start(const KeyHistory::Shape& s, std::size_t w, int64_t t) {
  return t - s.window_delay_us[w] - s.window_length_us[w];
}
int64_t window_end(const KeyHistory::Shape& s, std::size_t w, int64_t t) { return t - s.window_delay_us[w]; }

}  // namespace

int64_t KeyHistory::extreme_from(std::size_t lo, bool is_max) const {
  const std::vector<Step>& stair = is_max ? max_stair_ : min_stair_;
  // Every live event is at or before some step no smaller (larger) than it, so the first
  // step at or after the window's first event is the window's extreme.
  const auto it = std::lower_bound(stair.begin(), stair.end(), events_[lo].time_us,
                                   [](const Step& s, int64_t time) { return s.time_us < time; });
  return it->amount_cents;
}

void KeyHistory::advance(const Shape& shape, int64_t t) {
  const std::size_t n = events_.size();
  if (cursor_time_us_ == kNoTime) {
    // First query (or the first after a restore): place the edges by search, count afresh.
    for (std::size_t w = 0; w < cursors_.size(); ++w) {
      Cursor& c = cursors_[w];
      const auto by_time = [](int64_t x, const Event& e) { return x < e.time_us; };
      const auto live = events_.begin() + static_cast<std::ptrdiff_t>(head_);
      c.lo = static_cast<uint32_t>(std::upper_bound(live, events_.end(), window_start(shape, w, t), by_time) - events_.begin());
      c.hi = static_cast<uint32_t>(std::upper_bound(live, events_.end(), window_end(shape, w, t), by_time) - events_.begin());
      c.distinct = 0;
      if (shape.window_delay_us[w] == 0) {
        for (std::size_t i = c.lo; i < n; ++i) c.distinct += events_[i].has_next ? 0 : 1;
      }
    }
    cursor_time_us_ = t;
    return;
  }
  for (std::size_t w = 0; w < cursors_.size(); ++w) {
    Cursor& c = cursors_[w];
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
  cursor_time_us_ = t;
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

std::size_t KeyHistory::insert(const Shape& shape, int64_t time_us, int64_t amount_cents, uint64_t counterparty,
                               uint64_t device, int64_t fraud_known_us, int64_t last_same_us) {
  const std::size_t n = events_.size();
  std::size_t pos = n;
  if (head_ < n && events_.back().time_us > time_us) {
    pos = static_cast<std::size_t>(std::upper_bound(events_.begin() + static_cast<std::ptrdiff_t>(head_), events_.end(),
                                                    time_us, [](int64_t x, const Event& e) { return x < e.time_us; }) -
                                   events_.begin());
  }

  Event ev{time_us, amount_cents, counterparty, device, fraud_known_us, 0, kNoTime, false};
  if (last_same_us != kNoTime && last_same_us > time_us) {
    // The counterparty appears later: the new event slips in before its next occurrence
    // and takes over that one's previous occurrence.
    std::size_t next = pos;
    while (next < n && events_[next].counterparty != counterparty) ++next;
    if (next < n) {
      ev.prev_same_us = events_[next].prev_same_us;
      ev.has_next = true;
      events_[next].prev_same_us = time_us;
    }
  } else if (last_same_us != kNoTime) {
    ev.prev_same_us = last_same_us;
    const std::size_t prev = find_same(last_same_us, counterparty, pos);
    if (prev < n) events_[prev].has_next = true;
  }

  // Edges at or after the insertion point move with it; a window that covers its time
  // gains it (and, without delay, its counterparty when new to the window).
  if (cursor_time_us_ != kNoTime) {
    for (std::size_t w = 0; w < cursors_.size(); ++w) {
      Cursor& c = cursors_[w];
      const int64_t start = window_start(shape, w, cursor_time_us_);
      if (time_us <= start) {
        ++c.lo;
      } else if (shape.window_delay_us[w] == 0) {
        const bool present = ev.has_next || (ev.prev_same_us != kNoTime && c.lo < n && ev.prev_same_us >= events_[c.lo].time_us);
        if (!present) ++c.distinct;
      }
      if (time_us <= window_end(shape, w, cursor_time_us_)) ++c.hi;
    }
  }

  ev.amount_prefix = prefix_at(pos) + static_cast<uint64_t>(amount_cents);
  events_.insert(events_.begin() + static_cast<std::ptrdiff_t>(pos), ev);
  for (std::size_t i = pos + 1; i < events_.size(); ++i) events_[i].amount_prefix += static_cast<uint64_t>(amount_cents);
  if (amount_cents >= kHugeAmountCents || amount_cents < 0) ++huge_amounts_;

  if (shape.staircases) {
    add_step(&max_stair_, true, time_us, amount_cents);
    add_step(&min_stair_, false, time_us, amount_cents);
  }
  if (fraud_known_us != std::numeric_limits<int64_t>::max()) {
    const auto at = std::upper_bound(frauds_.begin(), frauds_.end(), time_us,
                                     [](int64_t x, const FraudMark& m) { return x < m.time_us; });
    frauds_.insert(at, FraudMark{time_us, fraud_known_us});
  }
  return pos;
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

void KeyHistory::prune(const Shape& shape, int64_t cutoff_us) {
  std::size_t h = head_;
  while (h < events_.size() && events_[h].time_us < cutoff_us) ++h;
  if (h != head_) drop_front_to(shape, h);
}

std::size_t KeyHistory::truncate(const Shape& shape, std::size_t max_events) {
  if (size() <= max_events) return 0;
  const std::size_t dropped = size() - max_events;
  drop_front_to(shape, head_ + dropped);
  return dropped;
}

std::size_t KeyHistory::heap_bytes() const {
  return events_.capacity() * sizeof(Event) + (max_stair_.capacity() + min_stair_.capacity()) * sizeof(Step) +
         frauds_.capacity() * sizeof(FraudMark) + (cursors_.size() > 4 ? cursors_.capacity() * sizeof(Cursor) : 0);
}

void KeyHistory::drop_front_to(const Shape& shape, std::size_t new_head) {
  const std::size_t n = events_.size();
  for (std::size_t i = head_; i < new_head; ++i) {
    if (events_[i].amount_cents >= kHugeAmountCents || events_[i].amount_cents < 0) --huge_amounts_;
  }
  if (new_head == n) {
    events_.clear();
    head_ = 0;
    prefix_base_ = 0;
    for (Cursor& c : cursors_) c = Cursor{};
    max_stair_.clear();
    min_stair_.clear();
    frauds_.clear();
    return;
  }
  if (cursor_time_us_ != kNoTime) {
    for (std::size_t w = 0; w < cursors_.size(); ++w) {
      Cursor& c = cursors_[w];
      const bool counts = shape.window_delay_us[w] == 0;
      for (; c.lo < new_head; ++c.lo) c.distinct -= (counts && !events_[c.lo].has_next) ? 1 : 0;
      c.hi = std::max<uint32_t>(c.hi, static_cast<uint32_t>(new_head));
    }
  }
  // Steps and marks of dropped events go with them (events at one time go together when
  // pruning by time; a cut by max_events may split equal times, and is flagged as inexact).
  const int64_t keep_from = events_[new_head].time_us;
  const auto before_step = [keep_from](const Step& s) { return s.time_us < keep_from; };
  for (std::vector<Step>* stair : {&max_stair_, &min_stair_}) {
    stair->erase(stair->begin(), std::find_if_not(stair->begin(), stair->end(), before_step));
  }
  frauds_.erase(frauds_.begin(), std::find_if_not(frauds_.begin(), frauds_.end(),
                                                  [keep_from](const FraudMark& m) { return m.time_us < keep_from; }));
  head_ = new_head;
  // Dropped events are compacted away only once they are half the vector, so that a busy
  // key does not shift its whole history for every expiry.
  if (head_ >= 16 && head_ * 2 >= n) compact();
}

void KeyHistory::compact() {
  prefix_base_ = events_[head_ - 1].amount_prefix;
  events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(head_));
  for (Cursor& c : cursors_) {
    c.lo -= static_cast<uint32_t>(head_);
    c.hi -= static_cast<uint32_t>(head_);
  }
  head_ = 0;
}

}  // namespace pixguard
