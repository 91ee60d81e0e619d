#pragma once
// The order in which the payee histories see the transactions of several parts (Kafka
// partitions), so that payee features do not depend on how the parts' messages interleave
// on arrival, nor on which worker or batch they came in.
//
// Each validated transaction gets a merge key (order time, part, position): the order time
// is its part's latest event time once it was observed (so within a part keys grow with
// arrival), the position its place in the part (a Kafka offset). The payee stage takes
// transactions in key order. It may take key k once no part can still deliver a smaller
// key: every other part q has an order time past k's (or equal, with a higher part id), or
// is idle (caught up with its partition's end for a while: watermark.idle_after). A transaction
// that cannot be taken yet is held, with what the payee stage needs of it, until one can.
// With a single part nothing is ever held: keys grow with arrival.
//
// Exactness: while no part goes idle and then delivers a smaller key, the payee stage's
// order is a function of the parts' contents alone. The price is latency: a transaction
// waits for the slowest part's event time to pass its own.
//
// Threading: the pipeline's driving thread.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_io.h"
#include "privacy/message_cipher.h"

namespace pixguard {

struct MergeKey {
  int64_t order_time_us = 0;
  uint32_t part = 0;
  int64_t position = 0;

  bool operator<(const MergeKey& o) const {
    if (order_time_us != o.order_time_us) return order_time_us < o.order_time_us;
    if (part != o.part) return part < o.part;
    return position < o.position;
  }
};

// A transaction held for the payee stage: its message (decoded again when released) and
// what the stages before the payees computed for it.
struct HeldTransaction {
  MergeKey key;
  std::string message;
  int64_t timestamp_ms = -1;  // the source's (Kafka) timestamp; -1: none
  int64_t arrival_us = 0;     // when its batch entered the pipeline (Unix time)
  bool late = false;
  std::vector<double> features;  // the feature row, payee features not yet filled in
};

// A held transaction's bytes (checkpoints, the payee topic); load_held() checks the row has
// `feature_count` values and fails the reader when malformed. With a cipher (checkpoints
// under a privacy key) the message is sealed: a checkpoint holds no message in clear. A
// sealed message read without the cipher, or one that does not open, fails the reader.
void save_held(const MergeKey& key, int64_t timestamp_ms, int64_t arrival_us, bool late, std::string_view message,
               const double* features, std::size_t feature_count, ByteWriter* out,
               const MessageCipher* cipher = nullptr);
bool load_held(ByteReader* in, std::size_t feature_count, HeldTransaction* out, const MessageCipher* cipher = nullptr);

// Where each part held stands: its order time (Watermark::kNone before its first event),
// and whether it is idle (not waited for).
struct PartClock {
  uint32_t part = 0;
  int64_t order_time_us = 0;
  bool idle = false;
};

class PartMerge {
 public:
  // The bound of what may be taken, from the parts' clocks (parts not listed do not count:
  // they are not held here).
  void set_clocks(const std::vector<PartClock>& clocks);
  // Whether `key` may be taken now.
  bool may_take(const MergeKey& key) const;

  // Holds `t`; a part's transactions are held in their key order (arrival order).
  void hold(HeldTransaction t);
  // Moves the held transactions that may be taken now (all of them with `all`) into `out`,
  // in key order.
  void take(std::vector<HeldTransaction>* out, bool all);
  std::size_t held() const { return held_; }

  // The held transactions (checkpoints); load() replaces them, false when malformed.
  void save(ByteWriter* out, const MessageCipher* cipher) const;
  bool load(ByteReader* in, std::size_t feature_count, const MessageCipher* cipher);

 private:
  // The two smallest (order time, part) among the parts that are not idle: a part's bound
  // is the smallest other than itself.
  struct Bound {
    int64_t order_time_us;
    uint32_t part;
  };
  Bound first_{kOpen, 0}, second_{kOpen, 0};
  static constexpr int64_t kOpen = INT64_MAX;  // no part bounds it
  std::vector<std::deque<HeldTransaction>> by_part_;  // each in key order
  std::size_t held_ = 0;
};

}  // namespace pixguard
