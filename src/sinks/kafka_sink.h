#pragma once
// The Kafka outputs: scored records, alerts and dead letters, each to its topic, keyed by
// the payer (dead letters have no key), through one producer. Every message carries
// headers naming who produced it and in which epoch:
//   pixguard-instance  the transactional id (one per pipeline.id)
//   pixguard-run       this process's run id (16 hex digits, new at every start)
//   pixguard-epoch     the checkpoint epoch, in decimal
//
// Exactly once (the default): each epoch is one Kafka transaction. prepare() flushes it
// (every message acknowledged) and adds the input offsets to it when the input is Kafka
// (send_offsets_to_transaction); commit() commits it and records (run, epoch) in the
// commit log (sinks/kafka_commit_log.h). A transaction does not outlive its producer: a
// crash before the commit aborts it (the next start fences the old producer), so
// commit_survives_crash() is false and the runner resumes from the last epoch this sink
// committed, producing the lost one again. read_committed consumers of the outputs then see
// every input exactly once. One gap is left: a crash after the broker committed but before
// the commit log's fsync (the time of one fsync) makes that epoch appear twice.
//
// At least once: no transactions; prepare() flushes, commit() commits the input offsets to
// the consumer group. Lower latency (output is visible as soon as it is acknowledged, not
// at the epoch's end); after a crash, the output since the last checkpoint is sent again.
//
// Backpressure: the producer's queue is bounded (queue.buffering.max.messages/kbytes);
// when it is full, write() waits for deliveries instead of growing memory.
//
// Threading: driven by one pipeline thread; librdkafka's delivery reports run on it too
// (inside write() and prepare()).
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "kafka/kafka_handle.h"
#include "kafka/kafka_position.h"
#include "sinks/kafka_commit_log.h"
#include "sinks/sink.h"

namespace pixguard {

struct KafkaSinkOptions {
  std::string bootstrap_servers;
  KafkaProperties properties;  // passed through (TLS, SASL, linger.ms, batch.size, ...)
  // Topic per Output (scored, alerts, dead letters, payees); empty: that output is not sent.
  std::array<std::string, kOutputCount> topics;
  bool exactly_once = true;
  std::string transactional_id;  // stable across restarts: it fences the crashed producer
  std::string commit_log_path;
  KafkaInput* input = nullptr;   // the Kafka source, when the input is Kafka
  int broker_timeout_ms = 60'000;  // longest wait for a flush or a transaction call
};

struct KafkaSinkStats {
  uint64_t produced = 0;           // handed to librdkafka
  uint64_t delivered = 0;          // acknowledged by the broker
  uint64_t queue_full_waits = 0;   // write() waited for room (backpressure)
};

class KafkaSink final : public Sink {
 public:
  // Creates the producer; exactly once, also initialises transactions (fencing any earlier
  // producer of the same transactional id, whose open transaction the broker aborts).
  static Status open(KafkaSinkOptions options, std::unique_ptr<KafkaSink>* out);
  ~KafkaSink() override;
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t epoch) override;
  Status write(const SinkRecord& record) override;
  Status prepare(uint64_t epoch) override;
  Status commit(uint64_t epoch) override;
  Status abort(uint64_t epoch) override;
  uint64_t last_committed_epoch() const override { return commits_.last_epoch(); }
  Status recover(uint64_t checkpointed_epoch) override;
  bool commit_survives_crash() const override { return !options_.exactly_once; }

  // Forgets the commit log (--overwrite). Messages already in the topics stay there.
  Status clear() { return commits_.clear(); }

  const std::string& run_id() const { return run_id_; }
  // How many partitions `topic` has (cluster metadata).
  Status partition_count(const std::string& topic, int32_t* count) const;
  const KafkaSinkStats& stats() const { return stats_; }
  // Messages the broker acknowledged in epochs this sink committed, by output.
  bool counts_committed() const override { return true; }
  std::array<uint64_t, kOutputCount> committed_records() const override { return committed_; }

 private:
  explicit KafkaSink(KafkaSinkOptions options);
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  // Waits until every message is acknowledged; fails on the first delivery failure.
  Status flush();
  // Runs a transaction call, retrying while librdkafka says a retry may succeed.
  template <typename Call>
  Status transaction_call(const char* what, Call call);

  KafkaSinkOptions options_;
  std::string name_;
  std::string run_id_;
  KafkaClientPtr producer_;
  std::array<rd_kafka_topic_t*, kOutputCount> topics_{};  // by Output; null: not sent
  KafkaCommitLog commits_;
  uint64_t epoch_ = 0;
  std::string epoch_text_;
  bool in_transaction_ = false;
  std::string prepared_position_;  // the input position at prepare(), committed at commit()
  unsigned since_poll_ = 0;
  Status delivery_failure_;  // the first one since the epoch began
  KafkaSinkStats stats_;
  std::array<uint64_t, kOutputCount> delivered_in_epoch_{}, committed_{};
};

}  // namespace pixguard
