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
//
// A key with few events is read by scanning them (a few cache lines; most keys are like
// this). A key that grows past kIndexFrom events gets an Index:
//   - per window (the engine's distinct (length, delay) pairs of this scope), a Cursor: the
//     window's edges as of the key's latest in-order query time `cursor_time`, and for
//     windows without delay the number of distinct counterparties between its edges. The
//     edges move forward as event time moves (each event passes each edge once); a late
//     event (older than cursor_time) reads its window by binary search instead, and its
//     insertion shifts the edges behind it;
//   - staircases of the suffix maxima and minima of the amounts (each step larger, resp.
//     smaller, than everything after it): the maximum of a window that reaches the newest
//     event is its first step inside the window;
//   - the newest time of each counterparty and device (first-time counterparty, new device);
//   - the events whose fraud report has a known time (few), apart.
//
// Threading: none; owned by one FeatureEngine.
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>

namespace pixguard {

// Sums of amounts are exact in 128 bits: int64 centavos of a few maximal amounts would
// overflow (the largest valid amount is about 9.2e16 centavos).
__extension__ using WideSum = __int128;

class KeyHistory {
 public:
  static constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();
  static constexpr int64_t kNotFraud = std::numeric_limits<int64_t>::max();
  static constexpr std::size_t kIndexFrom = 32;  // live events beyond which a key is indexed

  struct Event {
    int64_t time_us;
    int64_t amount_cents;
    uint64_t counterparty;
    uint64_t device;           // 0 when absent
    int64_t fraud_known_us;    // kNotFraud when not fraud
    uint64_t amount_prefix;    // wrapping sum of amounts up to and including this event
    int64_t prev_same_us;      // time of the previous event with this counterparty, or kNoTime
    bool has_next;             // a later event has this counterparty
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

  KeyHistory() = default;

  const std::vector<Event>& events() const { return events_; }
  std::size_t head() const { return head_; }
  std::size_t size() const { return events_.size() - head_; }
  bool empty() const { return head_ == events_.size(); }
  int64_t newest_us() const { return events_.back().time_us; }  // !empty()
  // Hints that the history is read soon: its first live event and its newest.
  void prefetch() const {
    if (events_.empty()) return;
    __builtin_prefetch(events_.data() + head_);
    __builtin_prefetch(events_.data() + events_.size() - 1);
  }

  // Whether the cursors are the window edges for a query at t: the key is indexed and t is
  // not older than its newest event nor its cursors. advance() then moves them to t.
  bool in_order(int64_t t) const {
    return index_ != nullptr && t >= index_->cursor_time_us && (empty() || t >= newest_us());
  }
  void advance(const Shape& shape, int64_t t);
  const Cursor& cursor(std::size_t w) const { return index_->cursors[w]; }  // in_order()

  // Sum of the amounts of events [lo, hi), exact.
  WideSum amount_sum(std::size_t lo, std::size_t hi) const;
  // Maximum (is_max) or minimum amount of events [lo, hi); lo < hi.
  int64_t extreme(std::size_t lo, std::size_t hi, bool is_max) const;
  // Distinct counterparties of events [lo, hi) (windows read out of order or with a delay).
  std::size_t distinct_between(std::size_t lo, std::size_t hi) const;
  // Events of [lo, hi) whose fraud report is known at t.
  std::size_t frauds_known(std::size_t lo, std::size_t hi, int64_t t) const;
  // Whether `other` is the counterparty (or, with `device`, the device) of an event in [lo, hi).
  bool occurs(uint64_t other, bool device, std::size_t lo, std::size_t hi) const;

  void reserve(std::size_t events) { events_.reserve(events); }
  // Adds an event in time order.
  void insert(const Shape& shape, int64_t time_us, int64_t amount_cents, uint64_t counterparty, uint64_t device,
              int64_t fraud_known_us);

  // Drops the events with time < cutoff_us; returns how many.
  std::size_t prune(const Shape& shape, int64_t cutoff_us);
  // Drops the oldest events beyond max_events, whole timestamps at a time; returns how many.
  std::size_t truncate(const Shape& shape, std::size_t max_events);

  // The time of this key's entry in its engine's expiry queue (FeatureEngine::expire).
  int64_t expiry_us() const { return expiry_us_; }
  void set_expiry_us(int64_t t) { expiry_us_ = t; }

 private:
  struct Step {
    int64_t time_us;
    int64_t amount_cents;
  };
  struct FraudMark {
    int64_t time_us;
    int64_t known_us;
  };
  struct Seen {
    int64_t time_us;
    uint64_t seq;  // erased_ + its index when it was inserted (stale once a late event lands before it)
  };
  struct Index {
    int64_t cursor_time_us = kNoTime;  // kNoTime: the cursors are placed by the next advance()
    absl::InlinedVector<Cursor, 4> cursors;
    std::vector<Step> max_stair, min_stair;
    std::vector<FraudMark> frauds;
    absl::flat_hash_map<uint64_t, Seen> last_counterparty;  // the newest event of each
    absl::flat_hash_map<uint64_t, Seen> last_device;
  };

  uint64_t prefix_at(std::size_t i) const { return i == 0 ? prefix_base_ : events_[i - 1].amount_prefix; }
  // Newest time of `other` among live events (kNoTime when none); `at` (indexed keys) the
  // newest event's index when still known, else size.
  int64_t last_seen(uint64_t other, bool device, std::size_t* at = nullptr) const;
  void build_index(const Shape& shape);
  void index_event(const Shape& shape, std::size_t i);  // stairs, frauds, last-seen
  void drop_front_to(const Shape& shape, std::size_t new_head);
  void compact();
  static void add_step(std::vector<Step>* stair, bool is_max, int64_t time_us, int64_t amount);
  // Index of the newest live event at `time_us` with `counterparty` before `before`, or size.
  std::size_t find_same(int64_t time_us, uint64_t counterparty, std::size_t before) const;

  std::vector<Event> events_;
  std::size_t head_ = 0;
  uint64_t erased_ = 0;        // events erased from the front of events_, ever
  uint64_t prefix_base_ = 0;   // amount prefix before events_[0]
  uint32_t huge_amounts_ = 0;  // live events with an amount a 64-bit window sum might not hold
  int64_t expiry_us_ = kNoTime;
  std::unique_ptr<Index> index_;
};

}  // namespace pixguard
