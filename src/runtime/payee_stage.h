#pragma once
// The payee stage of one partition of the payee topic (`state.payees: repartition`): how
// the members of a consumer group see every payee whole, as one process would.
//
// A payee is paid from every input partition, and input partitions are spread over the
// members. So payee features are computed where the payee's partition of a second topic,
// the payee topic, is held (as Kafka Streams' repartition topics and Flink's keyBy do it):
//   - each member sends every validated, non-duplicate transaction of its input partitions,
//     with its merge key and the feature row so far (payer features), to the payee
//     partition of its payee (payee_partition), in the same Kafka transaction as the input
//     offsets: exactly once;
//   - at every epoch end, for each input partition it holds, a clock to every payee
//     partition: the input partition's order time and next offset, and whether it is idle
//     (read to its end for `watermark.idle_after`);
//   - the member holding payee partition q merges what q received as one process merges
//     its parts (runtime/part_merge.h): a transaction is taken once every other input
//     partition's clock has passed its key, or is idle. A partition's transactions and
//     clocks reach q in offset order (one producer at a time holds an input partition).
// The payee histories of q thus see their transactions in merge order whichever member sent
// what and when, and the results equal one process's (runtime/pipeline_test.cpp,
// tests/kafka). The price is latency: a transaction is visible to q once its epoch commits,
// and taken once every input partition's clock, also sent at epoch ends, has passed it.
//
// Copies: a transaction whose (input partition, offset) q has received already is dropped.
// Sending is deterministic (a part's state is restored with it), so a copy equals its
// original: one left visible by an aborted transaction (a broker hides those from
// read_committed consumers; the development cluster does not) changes nothing.
//
// A stage's state (payee histories, their watermark, what is held, the clocks) moves with
// its partition between members, like an input partition's (save / load).
//
// Threading: the pipeline's driving thread (payee features: its workers, by shard).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/byte_io.h"
#include "core/status.h"
#include "core/watermark.h"
#include "features/feature_engine.h"
#include "runtime/part_merge.h"

namespace pixguard {

// The payee topic partition of a payee (its id from the enricher), of `partitions`.
inline int32_t payee_partition(uint64_t payee_id, int32_t partitions) {
  // The high half: the low bits pick a feature shard (FeatureEngine::shard_of), and a
  // partition's payees should still spread over every shard.
  return static_cast<int32_t>((payee_id >> 32) % static_cast<uint64_t>(partitions));
}

// A payee topic record: a transaction (a HeldTransaction's fields) or an input partition's clock.
void encode_payee_transaction(const MergeKey& key, int64_t timestamp_ms, int64_t arrival_us, bool late,
                              std::string_view message, const double* features, std::size_t feature_count,
                              std::string* out);
void encode_payee_clock(uint32_t input_partition, int64_t order_time_us, int64_t next_position, bool idle,
                        std::string* out);

class PayeeStage {
 public:
  // `cipher` (may be null) seals the held messages in checkpoints (privacy key).
  PayeeStage(const Config& config, uint32_t input_partitions, const MessageCipher* cipher);

  // Takes one record of its partition. Corruption when it cannot be read.
  Status receive(std::string_view record);
  // Moves the transactions that may be taken now (all of them with `all`) into `out`, in
  // key order.
  void take(std::vector<HeldTransaction>* out, bool all);
  std::size_t held() const { return merge_.held(); }
  // Every input partition idle as of its latest clock, and nothing held.
  bool drained() const;
  uint64_t copies_dropped() const { return copies_; }

  FeatureEngine& payees() { return payees_; }
  const FeatureEngine& payees() const { return payees_; }
  Watermark& watermark() { return watermark_; }
  void expire() { payees_.expire(watermark_.current()); }

  // The stage's whole state; load() replaces it, false when malformed.
  void save(ByteWriter* out) const;
  bool load(ByteReader* in);

 private:
  struct Input {
    int64_t order_time_us = Watermark::kNone;  // from its latest clock
    int64_t clock_position = -1;               // the next offset its latest clock named
    bool idle = false;
    int64_t last_received = -1;  // offset of its latest transaction received
  };
  Input& input(uint32_t partition);

  std::size_t feature_count_;
  std::vector<Input> inputs_;  // by input partition
  PartMerge merge_;
  const MessageCipher* cipher_;
  FeatureEngine payees_;
  Watermark watermark_;
  uint64_t copies_ = 0;
  std::vector<PartClock> clocks_;  // scratch
};

}  // namespace pixguard
