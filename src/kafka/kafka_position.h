#pragma once
// Where a consumer stands in its topics, as the text a checkpoint stores: the next offset of
// every partition read from, sorted,
//   "pix.transactions/0=123,pix.transactions/1=45"
// and the interface a transactional producer uses to answer for a consumer's input.
#include <librdkafka/rdkafka.h>

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace pixguard {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

using KafkaOffsets = std::vector<std::pair<TopicPartition, int64_t>>;

// Parses a position token; an empty token has no partitions.
Status parse_kafka_position(std::string_view token, KafkaOffsets* out);

// Kafka's rule for topic names: 1 to 249 of [a-zA-Z0-9._-].
bool valid_topic_name(std::string_view topic);

// The consumer side of exactly-once output (implemented by KafkaSource): a Kafka sink sends
// the input position with each transaction (exactly once) or commits it to the consumer
// group after the output is flushed (at least once).
class KafkaInput {
 public:
  virtual ~KafkaInput() = default;
  // The position after the last message handed out, as a token.
  virtual std::string position() const = 0;
  // The consumer, for rd_kafka_consumer_group_metadata().
  virtual rd_kafka_t* consumer() const = 0;
  // Commits `position` to the consumer group (the partitions this consumer holds now).
  virtual Status commit(std::string_view position) = 0;
};

}  // namespace pixguard
