#include "sinks/kafka_sink.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <utility>

#include "core/limits.h"
#include "core/log.h"

namespace pixguard {
namespace {

constexpr const char* kInstanceHeader = "pixguard-instance";
constexpr const char* kRunHeader = "pixguard-run";
constexpr const char* kEpochHeader = "pixguard-epoch";
// Delivery reports are served every this many writes (and at every flush).
constexpr unsigned kPollEvery = 1024;

std::string new_run_id() {
  std::random_device device;
  const uint64_t now = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  const uint64_t id = (static_cast<uint64_t>(device()) << 32 ^ device()) ^ now;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(id));
  return text;
}

}  // namespace

KafkaSink::KafkaSink(KafkaSinkOptions options) : options_(std::move(options)), run_id_(new_run_id()) {
  name_ = "kafka:";
  bool first = true;
  for (const std::string& t : options_.topics) {
    if (t.empty()) continue;
    name_ += (first ? "" : ",") + t;
    first = false;
  }
}

Status KafkaSink::open(KafkaSinkOptions options, std::unique_ptr<KafkaSink>* out) {
  if (options.bootstrap_servers.empty()) return Status::InvalidArgument("kafka sink: no bootstrap servers");
  if (options.exactly_once && options.transactional_id.empty()) {
    return Status::InvalidArgument("kafka sink: exactly-once delivery needs a transactional id");
  }
  std::unique_ptr<KafkaSink> sink(new KafkaSink(std::move(options)));
  const KafkaSinkOptions& o = sink->options_;
  if (Status s = KafkaCommitLog::open(o.commit_log_path, &sink->commits_); !s.ok()) return s;

  KafkaProperties properties = o.properties;
  for (const auto& [name, value] : properties) {
    if (const char* why = reserved_kafka_property(name)) {
      return Status::InvalidArgument("kafka property '" + name + "': " + why);
    }
  }
  properties["bootstrap.servers"] = o.bootstrap_servers;
  if (o.exactly_once) {
    properties["transactional.id"] = o.transactional_id;  // implies enable.idempotence and acks=all
  } else if (properties.count("acks") == 0) {
    properties["acks"] = "all";  // at least once still means: acknowledged by every in-sync replica
  }
  KafkaConfPtr conf;
  if (Status s = make_kafka_conf(properties, &conf); !s.ok()) return s.with_context(sink->name_);
  if (!o.topics[static_cast<std::size_t>(Output::kDeadLetters)].empty()) {
    // A dead letter encodes under kDeadLetterMaxBytes whatever the input (record_encoder.h): a
    // producer limit below it could fail an epoch on every restart (the same input again).
    char value[32];
    std::size_t size = sizeof value;
    if (rd_kafka_conf_get(conf.get(), "message.max.bytes", value, &size) == RD_KAFKA_CONF_OK &&
        std::strtoull(value, nullptr, 10) < kDeadLetterMaxBytes) {
      return Status::InvalidArgument(sink->name_ + ": kafka property 'message.max.bytes' is " + value +
                                     ": dead letters need at least " + std::to_string(kDeadLetterMaxBytes));
    }
  }
  rd_kafka_conf_set_opaque(conf.get(), sink.get());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
  if (Status s = new_kafka_client(RD_KAFKA_PRODUCER, conf, &sink->producer_); !s.ok()) {
    return s.with_context(sink->name_);
  }
  for (std::size_t i = 0; i < o.topics.size(); ++i) {
    if (o.topics[i].empty()) continue;
    sink->topics_[i] = rd_kafka_topic_new(sink->producer_.get(), o.topics[i].c_str(), nullptr);
    if (sink->topics_[i] == nullptr) {
      return Status::InvalidArgument(sink->name_ + ": topic " + o.topics[i] + ": " +
                                     rd_kafka_err2str(rd_kafka_last_error()));
    }
  }
  if (o.exactly_once) {
    const int timeout = o.broker_timeout_ms;
    rd_kafka_t* rk = sink->producer_.get();
    if (Status s = sink->transaction_call("init_transactions",
                                          [rk, timeout] { return rd_kafka_init_transactions(rk, timeout); });
        !s.ok()) {
      return s;
    }
  }
  log(LogLevel::kInfo, sink->name_ + ": producing to " + o.bootstrap_servers + " (" +
                           (o.exactly_once ? "exactly once, transactional id " + o.transactional_id : "at least once") +
                           ", run " + sink->run_id_ + ")");
  *out = std::move(sink);
  return Status::Ok();
}

KafkaSink::~KafkaSink() {
  if (producer_) {
    // A transaction still open here was not committed: abort it now rather than leave it
    // for the broker's transaction timeout (the next start would fence it anyway).
    if (in_transaction_) rd_kafka_error_destroy(rd_kafka_abort_transaction(producer_.get(), options_.broker_timeout_ms));
    for (rd_kafka_topic_t* t : topics_) {
      if (t != nullptr) rd_kafka_topic_destroy(t);
    }
  }
}

void KafkaSink::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* sink = static_cast<KafkaSink*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++sink->stats_.delivered;
    for (std::size_t k = 0; k < kOutputCount; ++k) {
      if (sink->topics_[k] == m->rkt) ++sink->delivered_in_epoch_[k];
    }
  } else if (sink->delivery_failure_.ok()) {
    sink->delivery_failure_ = Status::IoError(sink->name_ + ": delivery to " + rd_kafka_topic_name(m->rkt) + " [" +
                                              std::to_string(m->partition) + "] failed: " + rd_kafka_err2str(m->err));
  }
}

template <typename Call>
Status KafkaSink::transaction_call(const char* what, Call call) {
  for (int attempt = 1;; ++attempt) {
    KafkaErrorPtr error(call());
    if (!error) return Status::Ok();
    const std::string text = name_ + ": " + what + ": " + rd_kafka_error_string(error.get());
    if (rd_kafka_error_is_retriable(error.get()) && attempt < 5) {
      log(LogLevel::kWarn, text + " (retrying)");
      continue;
    }
    if (rd_kafka_error_txn_requires_abort(error.get())) {
      return Status::IoError(text + " (the transaction must be aborted; its epoch is produced again on restart)");
    }
    return Status::IoError(text + (rd_kafka_error_is_fatal(error.get()) ? " (fatal)" : ""));
  }
}

Status KafkaSink::begin_epoch(uint64_t epoch) {
  if (in_transaction_) return Status::InvalidArgument(name_ + ": epoch " + std::to_string(epoch_) + " still open");
  epoch_ = epoch;
  epoch_text_ = std::to_string(epoch);
  delivery_failure_ = Status::Ok();
  delivered_in_epoch_ = {};
  if (options_.exactly_once) {
    if (KafkaErrorPtr error(rd_kafka_begin_transaction(producer_.get())); error) {
      return Status::IoError(name_ + ": begin_transaction: " + rd_kafka_error_string(error.get()));
    }
    in_transaction_ = true;
  }
  return Status::Ok();
}

Status KafkaSink::write(const SinkRecord& record) {
  rd_kafka_topic_t* topic = topics_[static_cast<std::size_t>(record.kind)];
  if (topic == nullptr) return Status::Ok();
  rd_kafka_t* rk = producer_.get();
  const std::string& instance = options_.transactional_id;
  for (;;) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(record.partition < 0 ? RD_KAFKA_PARTITION_UA : record.partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(record.key.empty() ? nullptr : record.key.data(), record.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(record.json.data()), record.json.size()),
        RD_KAFKA_V_HEADER(kInstanceHeader, instance.data(), static_cast<ssize_t>(instance.size())),
        RD_KAFKA_V_HEADER(kRunHeader, run_id_.data(), static_cast<ssize_t>(run_id_.size())),
        RD_KAFKA_V_HEADER(kEpochHeader, epoch_text_.data(), static_cast<ssize_t>(epoch_text_.size())),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return Status::IoError(name_ + ": produce to " + rd_kafka_topic_name(topic) + ": " + rd_kafka_err2str(err));
    }
    // Backpressure: the queue is full until the broker acknowledges some of it.
    ++stats_.queue_full_waits;
    rd_kafka_poll(rk, 10);
    if (!delivery_failure_.ok()) return delivery_failure_;
  }
  ++stats_.produced;
  if (++since_poll_ >= kPollEvery) {
    since_poll_ = 0;
    rd_kafka_poll(rk, 0);
  }
  return delivery_failure_;
}

Status KafkaSink::partition_count(const std::string& topic, int32_t* count) const {
  if (Status s = topic_partition_count(producer_.get(), topic, options_.broker_timeout_ms, count); !s.ok()) {
    return s.with_context(name_);
  }
  return Status::Ok();
}

Status KafkaSink::flush() {
  const rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), options_.broker_timeout_ms);
  if (!delivery_failure_.ok()) return delivery_failure_;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IoError(name_ + ": flush: " + rd_kafka_err2str(err) + " (" +
                           std::to_string(rd_kafka_outq_len(producer_.get())) + " messages not acknowledged after " +
                           std::to_string(options_.broker_timeout_ms) + " ms)");
  }
  return Status::Ok();
}

Status KafkaSink::prepare(uint64_t epoch) {
  if (epoch != epoch_) return Status::InvalidArgument(name_ + ": prepare of epoch " + std::to_string(epoch) + ", not open");
  if (Status s = flush(); !s.ok()) return s;
  prepared_position_ = options_.input != nullptr ? options_.input->position() : std::string();
  if (!options_.exactly_once || prepared_position_.empty()) return Status::Ok();
  KafkaOffsets offsets;
  if (Status s = parse_kafka_position(prepared_position_, &offsets); !s.ok()) return s.with_context(name_);
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(options_.input->consumer());
  rd_kafka_t* rk = producer_.get();
  const int timeout = options_.broker_timeout_ms;
  Status s = transaction_call("send_offsets_to_transaction", [&] {
    return rd_kafka_send_offsets_to_transaction(rk, list.get(), group, timeout);
  });
  rd_kafka_consumer_group_metadata_destroy(group);
  return s;
}

Status KafkaSink::commit(uint64_t epoch) {
  // Committed before a crash (and recovered from its checkpoint): nothing to redo.
  if (!in_transaction_ && epoch <= commits_.last_epoch()) {
    // At least once, what this process sent of it was delivered (and is visible) all the same.
    for (std::size_t k = 0; k < kOutputCount; ++k) committed_[k] += std::exchange(delivered_in_epoch_[k], 0);
    return Status::Ok();
  }
  if (epoch != epoch_) return Status::InvalidArgument(name_ + ": commit of epoch " + std::to_string(epoch) + ", not open");
  if (options_.exactly_once) {
    rd_kafka_t* rk = producer_.get();
    const int timeout = options_.broker_timeout_ms;
    if (Status s = transaction_call("commit_transaction", [rk, timeout] { return rd_kafka_commit_transaction(rk, timeout); });
        !s.ok()) {
      return s;
    }
    in_transaction_ = false;
    for (std::size_t k = 0; k < kOutputCount; ++k) committed_[k] += std::exchange(delivered_in_epoch_[k], 0);
    return commits_.append(run_id_, epoch);
  }
  if (Status s = commits_.append(run_id_, epoch); !s.ok()) return s;
  for (std::size_t k = 0; k < kOutputCount; ++k) committed_[k] += std::exchange(delivered_in_epoch_[k], 0);
  if (options_.input != nullptr && !prepared_position_.empty()) {
    // For lag monitoring and tools: pixguard itself resumes from its checkpoint.
    if (Status s = options_.input->commit(prepared_position_); !s.ok()) {
      log(LogLevel::kWarn, name_ + ": committing the input offsets to the group: " + s.message());
    }
  }
  return Status::Ok();
}

Status KafkaSink::abort(uint64_t) {
  if (!in_transaction_) return Status::Ok();
  in_transaction_ = false;
  rd_kafka_t* rk = producer_.get();
  const int timeout = options_.broker_timeout_ms;
  return transaction_call("abort_transaction", [rk, timeout] { return rd_kafka_abort_transaction(rk, timeout); });
}

Status KafkaSink::recover(uint64_t checkpointed_epoch) {
  // Exactly once: open() fenced the previous producer, so its uncommitted transaction is
  // aborted; the runner resumed from an epoch this sink committed. At least once: what was
  // sent after the checkpoint is sent again.
  if (options_.exactly_once && commits_.last_epoch() > checkpointed_epoch) {
    log(LogLevel::kWarn, name_ + ": epochs after " + std::to_string(checkpointed_epoch) +
                             " were committed to Kafka and are produced again");
  }
  return Status::Ok();
}

}  // namespace pixguard
