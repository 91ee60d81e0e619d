#pragma once
// For tests: a plain librdkafka producer (no pixguard code in the way) that writes messages
// and waits until each one is acknowledged or failed, and a plain reader of a topic.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "kafka/kafka_handle.h"

namespace pixguard::kafka_test {

struct TestMessage {
  std::string key;  // empty: no key
  std::string value;
  int32_t partition = RD_KAFKA_PARTITION_UA;  // unassigned: the key's hash picks it
};

struct DeliveryTally {
  int delivered = 0;
  int failed = 0;
  std::string first_error;
};

inline void count_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* tally = static_cast<DeliveryTally*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++tally->delivered;
  } else if (tally->failed++ == 0) {
    tally->first_error = rd_kafka_err2str(m->err);
  }
}

// Produces `messages` to `topic` and flushes; fails if any was not delivered.
inline Status produce_for_test(const std::string& bootstrap, const std::string& topic,
                               const std::vector<TestMessage>& messages, KafkaProperties properties = {}) {
  properties["bootstrap.servers"] = bootstrap;
  properties.emplace("linger.ms", "5");
  KafkaConfPtr conf;
  if (Status s = make_kafka_conf(properties, &conf); !s.ok()) return s;
  DeliveryTally tally;
  rd_kafka_conf_set_opaque(conf.get(), &tally);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), count_delivery);
  KafkaClientPtr producer;
  if (Status s = new_kafka_client(RD_KAFKA_PRODUCER, conf, &producer); !s.ok()) return s;
  for (const TestMessage& m : messages) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(m.partition),
        RD_KAFKA_V_KEY(m.key.empty() ? nullptr : m.key.data(), m.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::IoError(std::string("produce: ") + rd_kafka_err2str(err));
    rd_kafka_poll(producer.get(), 0);  // serve delivery reports as they come
  }
  if (rd_kafka_flush(producer.get(), 30'000) != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::IoError("flush timed out");
  if (tally.failed > 0) {
    return Status::IoError(std::to_string(tally.failed) + " of " + std::to_string(messages.size()) +
                           " messages failed: " + tally.first_error);
  }
  if (tally.delivered != static_cast<int>(messages.size())) return Status::IoError("missing delivery reports");
  return Status::Ok();
}

struct ReadMessage {
  std::string key;  // empty: no key
  std::string value;
  std::map<std::string, std::string> headers;
};

// The messages of `topic` as a read_committed consumer without a group sees them, from the
// start of partitions 0..partitions-1: until `expected` have come and then `quiet` has
// passed with nothing new (to catch extras), or 30 s.
inline std::vector<ReadMessage> read_topic_for_test(const std::string& bootstrap, const std::string& topic,
                                                    int partitions, std::size_t expected,
                                                    std::chrono::milliseconds quiet = std::chrono::milliseconds(0)) {
  std::vector<ReadMessage> out;
  KafkaConfPtr conf;
  KafkaClientPtr consumer;
  if (!make_kafka_conf({{"bootstrap.servers", bootstrap}, {"group.id", "reader"}, {"isolation.level", "read_committed"},
                        {"enable.auto.commit", "false"}},
                       &conf)
           .ok() ||
      !new_kafka_client(RD_KAFKA_CONSUMER, conf, &consumer).ok()) {
    return out;
  }
  PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (rd_kafka_assign(consumer.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  using Clock = std::chrono::steady_clock;
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  auto last_message = Clock::now();
  while (Clock::now() < give_up && (out.size() < expected || Clock::now() - last_message < quiet)) {
    KafkaMessagePtr m(rd_kafka_consumer_poll(consumer.get(), 100));
    if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    last_message = Clock::now();
    ReadMessage r;
    if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
    r.value.assign(static_cast<const char*>(m->payload), m->len);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
        r.headers[name] = std::string(static_cast<const char*>(value), size);
      }
    }
    out.push_back(std::move(r));
  }
  rd_kafka_consumer_close(consumer.get());
  return out;
}

}  // namespace pixguard::kafka_test
