#pragma once
// An in-process Kafka cluster speaking the real protocol over TCP on loopback: librdkafka's
// mock cluster (<librdkafka/rdkafka_mock.h>, an experimental librdkafka API). It backs the
// embedded default, `pixguard kafka` and the tests; any Kafka client (kcat, Java) can use it.
//
// What it is (librdkafka 2.0.2): brokers with ids 1..N, each listening on 127.0.0.1 on a port
// the kernel picks (there is no option for a fixed port; see BootstrapRelay); everything in
// memory, about 5 MiB kept per partition (a consumer further behind gets "offset out of
// range"); consumer groups and committed offsets work; transactions are accepted but not
// enforced (aborted messages reach read_committed consumers, offsets sent to a transaction
// are not stored). Topics are also created on first use (4 partitions by default).
//
// Threading: the cluster runs on its own librdkafka thread; every method may be called from
// any thread.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h, which it needs

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "kafka/kafka_handle.h"

namespace pixguard {

// Kafka protocol request kinds, for error injection (the ApiKey of the Kafka protocol).
enum class KafkaApi : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kInitProducerId = 22,
  kAddPartitionsToTxn = 24,
  kAddOffsetsToTxn = 25,
  kEndTxn = 26,
  kTxnOffsetCommit = 28,
};

class MockCluster {
 public:
  // Starts `brokers` brokers (1 to 64).
  static Status start(int brokers, std::unique_ptr<MockCluster>* out);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "127.0.0.1:PORT1,127.0.0.1:PORT2,...": a value for bootstrap.servers.
  const std::string& bootstraps() const { return bootstraps_; }
  int broker_count() const { return brokers_; }

  // Creates `name` with `partitions` partitions. replication_factor 0 = min(brokers, 3).
  Status create_topic(const std::string& name, int partitions, int replication_factor = 0);

  // ---- fault injection (chaos tests) ----
  // The next requests of kind `api` to any broker fail with `errors`, one error per request
  // in order. RD_KAFKA_RESP_ERR__TRANSPORT closes the connection instead of answering.
  void push_request_errors(KafkaApi api, const std::vector<rd_kafka_resp_err_t>& errors);
  void clear_request_errors(KafkaApi api);
  // A broker that is down drops its connections and refuses new ones; leadership does not
  // move by itself (use set_partition_leader).
  Status set_broker_down(int32_t broker_id);
  Status set_broker_up(int32_t broker_id);
  // Delays every response of `broker_id` by `rtt_ms`.
  Status set_broker_rtt(int32_t broker_id, int rtt_ms);
  // Makes `broker_id` the coordinator of a consumer group ("group") or a transactional id
  // ("transaction").
  Status set_coordinator(const std::string& key_type, const std::string& key, int32_t broker_id);
  Status set_partition_leader(const std::string& topic, int32_t partition, int32_t broker_id);

  // For the rest of rdkafka_mock.h.
  rd_kafka_mock_cluster_t* raw() const { return cluster_; }

 private:
  MockCluster() = default;

  KafkaClientPtr handle_;  // the cluster's own client; librdkafka needs one for bookkeeping
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  int brokers_ = 0;
  std::string bootstraps_;
};

}  // namespace pixguard
