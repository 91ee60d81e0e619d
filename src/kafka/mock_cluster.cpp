#include "kafka/mock_cluster.h"

#include <algorithm>

namespace pixguard {
namespace {

Status mock_status(rd_kafka_resp_err_t err, const std::string& what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  return Status::InvalidArgument("kafka mock cluster: " + what + ": " + rd_kafka_err2str(err));
}

}  // namespace

Status MockCluster::start(int brokers, std::unique_ptr<MockCluster>* out) {
  if (brokers < 1 || brokers > 64) {
    return Status::InvalidArgument("kafka mock cluster: broker count must be between 1 and 64");
  }
  // The cluster's handle never connects anywhere; it only owns the mock's thread. Without
  // bootstrap.servers librdkafka warns that it cannot connect, which is the point here.
  KafkaConfPtr conf;
  if (Status s = make_kafka_conf({{"client.id", "pixguard-mock-cluster"}, {"log_level", "3"}}, &conf); !s.ok()) {
    return s;
  }
  std::unique_ptr<MockCluster> m(new MockCluster());
  if (Status s = new_kafka_client(RD_KAFKA_PRODUCER, conf, &m->handle_); !s.ok()) return s;
  m->cluster_ = rd_kafka_mock_cluster_new(m->handle_.get(), brokers);
  if (m->cluster_ == nullptr) {
    return Status::IoError("kafka mock cluster: could not start " + std::to_string(brokers) +
                           " brokers on 127.0.0.1 (see the log above)");
  }
  m->brokers_ = brokers;
  m->bootstraps_ = rd_kafka_mock_cluster_bootstraps(m->cluster_);
  *out = std::move(m);
  return Status::Ok();
}

MockCluster::~MockCluster() {
  // Before the handle: the cluster's thread belongs to it.
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

Status MockCluster::create_topic(const std::string& name, int partitions, int replication_factor) {
  if (partitions < 1) return Status::InvalidArgument("kafka mock cluster: topic " + name + ": no partitions");
  if (replication_factor == 0) replication_factor = std::min(brokers_, 3);
  if (replication_factor < 1 || replication_factor > brokers_) {
    return Status::InvalidArgument("kafka mock cluster: topic " + name + ": replication factor " +
                                   std::to_string(replication_factor) + " with " + std::to_string(brokers_) +
                                   " brokers");
  }
  return mock_status(rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, replication_factor),
                     "create topic " + name);
}

void MockCluster::push_request_errors(KafkaApi api, const std::vector<rd_kafka_resp_err_t>& errors) {
  rd_kafka_mock_push_request_errors_array(cluster_, static_cast<int16_t>(api), errors.size(), errors.data());
}

void MockCluster::clear_request_errors(KafkaApi api) {
  rd_kafka_mock_clear_request_errors(cluster_, static_cast<int16_t>(api));
}

Status MockCluster::set_broker_down(int32_t broker_id) {
  return mock_status(rd_kafka_mock_broker_set_down(cluster_, broker_id), "broker " + std::to_string(broker_id));
}

Status MockCluster::set_broker_up(int32_t broker_id) {
  return mock_status(rd_kafka_mock_broker_set_up(cluster_, broker_id), "broker " + std::to_string(broker_id));
}

Status MockCluster::set_broker_rtt(int32_t broker_id, int rtt_ms) {
  return mock_status(rd_kafka_mock_broker_set_rtt(cluster_, broker_id, rtt_ms), "broker " + std::to_string(broker_id));
}

Status MockCluster::set_coordinator(const std::string& key_type, const std::string& key, int32_t broker_id) {
  return mock_status(rd_kafka_mock_coordinator_set(cluster_, key_type.c_str(), key.c_str(), broker_id),
                     "coordinator of " + key_type + " " + key);
}

Status MockCluster::set_partition_leader(const std::string& topic, int32_t partition, int32_t broker_id) {
  return mock_status(rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), partition, broker_id),
                     "leader of " + topic + " [" + std::to_string(partition) + "]");
}

}  // namespace pixguard
