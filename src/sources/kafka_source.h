#pragma once
// Kafka topics read by a member of a consumer group (librdkafka's high-level consumer). One
// message value per record; a record's position is its offset in its partition.
//
// Offsets belong to pixguard's checkpoints, not to the group: auto-commit and the offset
// store are off, and position() names the next offset of every partition read from:
//   "pix.transactions/0=123,pix.transactions/1=45"   (topic/partition=next offset, sorted)
// seek(token) makes each partition of the token start at its offset whenever it is assigned
// to this consumer (now, or at a later rebalance: a seek() before the first assignment is
// the usual case at a restart); a partition absent from the token starts at the group's
// committed offset, else at the earliest one (auto.offset.reset, which a config may change).
// The group's committed offsets move only when commit() is called (by a sink, later).
//
// Only messages of committed transactions are read (isolation.level=read_committed). The
// input never ends (unless stop_at_end): read() returns what arrived within the poll
// timeout, possibly nothing.
//
// Rebalances: eager assignors (range, roundrobin: the default) and cooperative ones
// (cooperative-sticky) are both followed. Each partition is a part (Source::parts): with a
// PartListener (the runner's), the listener finishes and checkpoints the work of revoked
// partitions before they are given up, and says where assigned ones resume (their state
// moves with them between group members). A lost assignment (session timeout) fails read().
// Without a listener, a partition given back later resumes where this consumer left it.
//
// Threading: one thread calls every method (librdkafka runs the rebalance callback inside
// read() and the destructor on that thread). The destructor leaves the group.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kafka/kafka_handle.h"
#include "kafka/kafka_position.h"
#include "sources/source.h"

namespace pixguard {

struct KafkaSourceOptions {
  std::string bootstrap_servers;
  // Passed through to librdkafka (TLS, SASL, tuning). Reserved ones are refused (see
  // reserved_kafka_property); auto.offset.reset defaults to earliest.
  KafkaProperties properties;
  std::string group_id = "pixguard";
  std::vector<std::string> topics;
  int poll_timeout_ms = 100;  // longest wait in read() for the first message
  // Ends the input once every assigned partition has been read to its end (as of when the
  // end was reached): a bounded run over what the topics hold, like Spark's availableNow.
  bool stop_at_end = false;
};

struct PartitionLag {
  TopicPartition partition;
  int64_t position = -1;        // next offset to read; -1 until a message was read
  int64_t high_watermark = -1;  // as of the latest fetch; -1 unknown
  int64_t lag = -1;             // high_watermark - position; -1 unknown
};

class KafkaSource final : public Source, public KafkaInput {
 public:
  // Creates the consumer and subscribes; the group is joined during the first read()s.
  static Status open(KafkaSourceOptions options, std::unique_ptr<KafkaSource>* out);
  ~KafkaSource() override;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // "kafka:pix.transactions" ("kafka:a,b" for several topics).
  const std::string& name() const override { return name_; }
  Status read(RecordBatch* batch, std::size_t max_records, bool* end) override;
  std::string position() const override;  // Source and KafkaInput
  Status seek(std::string_view position) override;

  // Commits the offsets of `position` (a position() token) to the consumer group, for the
  // partitions assigned to this consumer now (others may belong to another member); waits
  // for the broker's answer.
  Status commit(std::string_view position) override;

  bool serving() const override;
  std::vector<SourceBacklog> backlog() const override;
  bool partitioned() const override { return true; }
  void set_part_listener(PartListener* listener) override { listener_ = listener; }
  std::vector<SourcePart> parts() const override;

  // The partitions assigned to this consumer, sorted.
  std::vector<TopicPartition> assigned() const;
  // Per assigned partition, how far this consumer is behind the partition's end.
  std::vector<PartitionLag> lag() const;

  // The librdkafka consumer, for a transactional sink (rd_kafka_consumer_group_metadata).
  rd_kafka_t* consumer() const override { return consumer_.get(); }

 private:
  struct PartitionState {
    TopicPartition id;
    int64_t next_offset = -1;  // -1: nothing read and no seek(): committed or reset offset
    bool assigned = false;
    bool at_end = false;       // stop_at_end: read to the partition's end
  };

  explicit KafkaSource(KafkaSourceOptions options);
  static void rebalance_callback(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                                 void* opaque);
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  Status on_consumer_error(const rd_kafka_message_t& message);
  // stop_at_end: whether every assigned partition is read to its end.
  bool all_assigned_at_end() const;
  std::vector<SourcePart> parts_of(const rd_kafka_topic_partition_list_t& list);
  // The index of a partition in partitions_ (its part id), added if new.
  std::size_t index_of(std::string_view topic, int32_t partition);
  // Moves assigned partitions whose start changed with a seek() to their new start.
  Status reposition_assigned(const KafkaOffsets& before);
  // Where a partition with no position starts: the committed offset, else the reset policy.
  Status start_without_position(const PartitionState& p, int64_t* offset) const;

  KafkaSourceOptions options_;
  std::string name_;
  KafkaClientPtr consumer_;
  std::vector<PartitionState> partitions_;  // few: searched linearly
  // The partition of the previous message: consecutive messages mostly share it.
  const rd_kafka_topic_t* last_topic_ = nullptr;
  int32_t last_partition_ = -1;
  std::size_t last_index_ = 0;
  PartListener* listener_ = nullptr;
  Status failure_;  // from the rebalance callback, returned by the next read()
};

}  // namespace pixguard
