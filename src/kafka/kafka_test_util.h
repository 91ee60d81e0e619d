#pragma once
// For tests: a plain librdkafka producer (no pixguard code in the way) that writes messages
// and waits until each one is acknowledged or failed.
#include <librdkafka/rdkafka.h>

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

}  // namespace pixguard::kafka_test
