#pragma once
// One key's history (a payer's or a payee's transactions) with what makes every windowed
// feature cost O(1) amortized or O(log n) per transaction, however many events the key holds.
//
// Events are kept in event-time order (equal times in arrival order); live events are
// [head, size). Beside each event:
//   - amount_prefix: the running sum of amounts up to and including it (wrapping uint64),
//     so a window's sum is a difference of two prefixes;
//   - prev_same_us / has_next: when this counterparty last appeared before it, and whether
//     it appears again later, so distinct counterparties are counted without a set.
// Per window (the engine's distinct (length, delay) pairs of this scope), a Cursor holds the
// window's edges as of the key's latest in-order query time `cursor_time`, and for windows
// without delay the number of distinct counterparties between its edges. The edges move
// forward as event time moves (each event passes each edge once); a late event (older than
// cursor_time) reads its window by binary search instead, and its insertion shifts the edges
// behind it.
// Staircases keep the suffix maxima and minima of the amounts (each entry larger, resp.
// smaller, than everything after it): the maximum of any window that reaches the newest
// event is its first step inside the window.
// Fraud marks (events whose fraud report has a known time) are few; they are kept apart.
//
// Threading: none; owned by one FeatureEngine.
#include <cstdint>
#include <limits>
#include <vector>

#include <absl/container/inlined_vector.h>

namespace pixguard {

class KeyHistory {
 public:
  static constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();

  struct Event {
    int64_t time_us;
    int64_t amount_cents;
    uint64_t counterparty;
    uint64_t device;           // 0 when absent
    int64_t fraud_known_us;    // Enrichment::kNever when not fraud
    uint64_t amount_prefix;    // wrapping sum of amounts up to and including this event
    int64_t prev_same_us;      // time of the previous event with this counterparty, or kNoTime
    bool has_next;             // a later event has this counterparty
  };
  struct Step {
    int64_t time_us;
    int64_t amount_cents;
  };
  struct FraudMark {
    int64_t time_us;
    int64_t known_us;
  };
  struct Cursor {
    uint32_t lo = 0;        // first event with time > cursor_time - delay - length (>= head)
    uint32_t hi = 0;        // first event with time > cursor_time - delay
    uint32_t distinct = 0;  // distinct counterparties in [lo, size), windows without delay
  };
  // What the history tracks: set once per engine, the same for every key of a scope.
  struct Shape {
    std::vector<int64_t> window_length_us;  // per window
    std::vector<int64_t> window_delay_us;
    bool staircases = false;  // a max/min feature reads them
  };

  explicit KeyHistory(const Shape& shape) : cursors_(shape.window_length_us.size()) {}

  const std::vector<Event>& events() const { return events_; }
  std::size_t head() const { return head_; }
  std::size_t size() const { return events_.size() - head_; }
  bool empty() const { return head_ == events_.size(); }
  int64_t newest_us() const { return events_.back().time_us; }  // !empty()
  int64_t cursor_time_us() const { return cursor_time_us_; }
  const Cursor& cursor(std::size_t w) const { return cursors_[w]; }
  const std::vector<FraudMark>& fraud_marks() const { return frauds_; }
  // Some live amount is so large that a window sum might not fit in 64 bits.
  bool has_huge_amount() const { return huge_amounts_ > 0; }

  // Sum of the amounts of events [lo, hi) modulo 2^64 (exact unless has_huge_amount()).
  uint64_t amount_sum(std::size_t lo, std::size_t hi) const { return prefix_at(hi) - prefix_at(lo); }

  // Maximum (is_max) or minimum amount of events [lo, size()) through the staircase; lo < size.
  int64_t extreme_from(std::size_t lo, bool is_max) const;

  // Moves the cursors to time t >= cursor_time_us(), newest_us() (a query in order).
  void advance(const Shape& shape, int64_t t);

  // Adds an event in time order. `last_same_us` is the time of the newest event with this
  // counterparty before the insertion (kNoTime when none). Returns where it went.
  std::size_t insert(const Shape& shape, int64_t time_us, int64_t amount_cents, uint64_t counterparty, uint64_t device,
                     int64_t fraud_known_us, int64_t last_same_us);

  // Drops the events with time < cutoff_us.
  void prune(const Shape& shape, int64_t cutoff_us);
  // Drops the oldest events beyond max_events; returns how many.
  std::size_t truncate(const Shape& shape, std::size_t max_events);

  // Heap memory held (capacity, not size).
  std::size_t heap_bytes() const;

 private:
  static constexpr int64_t kHugeAmountCents = int64_t{1} << 40;  // 2^24 of them fit in 2^64

  uint64_t prefix_at(std::size_t i) const { return i == 0 ? prefix_base_ : events_[i - 1].amount_prefix; }
  void drop_front_to(const Shape& shape, std::size_t new_head);
  void compact();
  void add_step(std::vector<Step>* stair, bool is_max, int64_t time_us, int64_t amount);
  // Index of the live event at `time_us` with `counterparty` before index `before`, or size.
  std::size_t find_same(int64_t time_us, uint64_t counterparty, std::size_t before) const;

  std::vector<Event> events_;
  std::size_t head_ = 0;
  uint64_t prefix_base_ = 0;  // amount prefix before events_[0]
  uint32_t huge_amounts_ = 0;  // live events with an amount >= kHugeAmountCents
  int64_t cursor_time_us_ = kNoTime;
  absl::InlinedVector<Cursor, 4> cursors_;
  std::vector<Step> max_stair_, min_stair_;
  std::vector<FraudMark> frauds_;
};

}  // namespace pixguard
