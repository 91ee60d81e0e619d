#pragma once
// Ownership of librdkafka's C objects (unique_ptr with the matching destroy call) and the
// few steps every client takes: a configuration built from librdkafka properties, a client
// created from it, librdkafka's log lines routed to our logger.
//
// librdkafka's own threads call the log callback; log() is thread-safe, so that is fine.
#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace pixguard {

struct KafkaDeleter {
  void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
  void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
  void operator()(rd_kafka_topic_partition_list_t* p) const { rd_kafka_topic_partition_list_destroy(p); }
  void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
  void operator()(rd_kafka_error_t* p) const { rd_kafka_error_destroy(p); }
};

using KafkaClientPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConfPtr = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using KafkaMessagePtr = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using KafkaErrorPtr = std::unique_ptr<rd_kafka_error_t, KafkaDeleter>;

// librdkafka properties by name ("bootstrap.servers", "security.protocol", ...), as text.
using KafkaProperties = std::map<std::string, std::string>;

// A configuration holding `properties`, with librdkafka's logs routed to pixguard's logger.
// An unknown property or a bad value fails with the property's name and librdkafka's text:
// "kafka property 'security.protocol': Invalid value "tls" for configuration property ...".
Status make_kafka_conf(const KafkaProperties& properties, KafkaConfPtr* out);

// Sets one property on `conf`, with the same error text as make_kafka_conf().
Status set_kafka_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);

// Creates a client of `type` from `conf`. librdkafka takes the configuration only on
// success, so `conf` is released then and still owned by the caller on failure.
Status new_kafka_client(rd_kafka_type_t type, KafkaConfPtr& conf, KafkaClientPtr* out);

// Properties pixguard sets itself, which a config may not override: returns why (naming the
// config key to use instead, if any), or nullptr when `name` is free to set.
const char* reserved_kafka_property(std::string_view name);

// How many partitions `topic` has, as the cluster's metadata says (waits up to `timeout_ms`).
Status topic_partition_count(rd_kafka_t* client, const std::string& topic, int timeout_ms, int32_t* count);

// "topic [partition]: error text" for a partition list entry whose .err is set.
std::string describe_partition_error(const rd_kafka_topic_partition_t& p);

}  // namespace pixguard
