#include "kafka/mock_cluster.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "kafka/bootstrap_relay.h"
#include "kafka/kafka_test_util.h"

namespace pixguard {
namespace {

using kafka_test::produce_for_test;
using kafka_test::TestMessage;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

std::unique_ptr<MockCluster> start_cluster(int brokers) {
  std::unique_ptr<MockCluster> cluster;
  const Status s = MockCluster::start(brokers, &cluster);
  EXPECT_TRUE(s.ok()) << s.message();
  return cluster;
}

// The partition count of `topic` as the cluster's metadata tells a client at `bootstrap`.
int partition_count(const std::string& bootstrap, const std::string& topic) {
  KafkaConfPtr conf;
  EXPECT_TRUE(make_kafka_conf({{"bootstrap.servers", bootstrap}, {"allow.auto.create.topics", "false"}}, &conf).ok());
  KafkaClientPtr client;
  EXPECT_TRUE(new_kafka_client(RD_KAFKA_PRODUCER, conf, &client).ok());
  rd_kafka_topic_t* t = rd_kafka_topic_new(client.get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int count = -1;
  if (rd_kafka_metadata(client.get(), 0, t, &md, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) count = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(t);
  return count;
}

// The values of `count` messages of `topic`, read from the start without a consumer group.
std::vector<std::string> read_back(const std::string& bootstrap, const std::string& topic, int partitions,
                                   std::size_t count) {
  std::vector<std::string> values;
  for (kafka_test::ReadMessage& m : kafka_test::read_topic_for_test(bootstrap, topic, partitions, count)) {
    values.push_back(std::move(m.value));
  }
  return values;
}

std::vector<TestMessage> numbered(int n) {
  std::vector<TestMessage> out;
  for (int i = 0; i < n; ++i) out.push_back({"key-" + std::to_string(i % 7), "message " + std::to_string(i)});
  return out;
}

TEST(MockCluster, StartsBrokersOnLoopback) {
  auto cluster = start_cluster(3);
  ASSERT_NE(cluster, nullptr);
  EXPECT_EQ(cluster->broker_count(), 3);
  const std::vector<std::string> brokers = split(cluster->bootstraps(), ',');
  ASSERT_EQ(brokers.size(), 3u) << cluster->bootstraps();
  for (const std::string& b : brokers) EXPECT_EQ(b.rfind("127.0.0.1:", 0), 0u) << b;
  EXPECT_EQ(std::set<std::string>(brokers.begin(), brokers.end()).size(), 3u);
}

TEST(MockCluster, RefusesImpossibleClusters) {
  std::unique_ptr<MockCluster> cluster;
  EXPECT_FALSE(MockCluster::start(0, &cluster).ok());
  EXPECT_FALSE(MockCluster::start(65, &cluster).ok());
}

TEST(MockCluster, CreatesTopicsWithTheirPartitions) {
  auto cluster = start_cluster(3);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->create_topic("pix.transactions", 6).ok());
  EXPECT_EQ(partition_count(cluster->bootstraps(), "pix.transactions"), 6);
  const Status again = cluster->create_topic("pix.transactions", 6);
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("pix.transactions"), std::string::npos) << again.message();
  EXPECT_FALSE(cluster->create_topic("empty", 0).ok());
  EXPECT_FALSE(cluster->create_topic("over_replicated", 1, 4).ok());
}

TEST(MockCluster, MessagesGoRoundTrip) {
  auto cluster = start_cluster(3);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->create_topic("t", 4).ok());
  const std::vector<TestMessage> sent = numbered(500);
  const Status s = produce_for_test(cluster->bootstraps(), "t", sent);
  ASSERT_TRUE(s.ok()) << s.message();
  std::vector<std::string> got = read_back(cluster->bootstraps(), "t", 4, sent.size());
  std::multiset<std::string> expected;
  for (const TestMessage& m : sent) expected.insert(m.value);
  EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()), expected);
}

TEST(MockCluster, InjectedErrorsReachClients) {
  auto cluster = start_cluster(1);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->create_topic("t", 1).ok());
  // Not retriable: the producer gives the message up.
  cluster->push_request_errors(KafkaApi::kProduce, {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED});
  const Status refused = produce_for_test(cluster->bootstraps(), "t", numbered(1));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("uthoriz"), std::string::npos) << refused.message();
  // Retriable errors are retried through.
  cluster->push_request_errors(KafkaApi::kProduce,
                               {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS});
  const Status retried = produce_for_test(cluster->bootstraps(), "t", numbered(1));
  EXPECT_TRUE(retried.ok()) << retried.message();
  cluster->push_request_errors(KafkaApi::kProduce, {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED});
  cluster->clear_request_errors(KafkaApi::kProduce);
  const Status cleared = produce_for_test(cluster->bootstraps(), "t", numbered(1));
  EXPECT_TRUE(cleared.ok()) << cleared.message();
}

TEST(MockCluster, BrokerAndCoordinatorControls) {
  auto cluster = start_cluster(3);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->create_topic("t", 2).ok());
  EXPECT_TRUE(cluster->set_broker_down(2).ok());
  EXPECT_TRUE(cluster->set_broker_up(2).ok());
  EXPECT_TRUE(cluster->set_broker_rtt(1, 5).ok());
  EXPECT_TRUE(cluster->set_coordinator("group", "pixguard", 3).ok());
  EXPECT_TRUE(cluster->set_coordinator("transaction", "pixguard-tx", 2).ok());
  EXPECT_FALSE(cluster->set_coordinator("nonsense", "x", 1).ok());
  EXPECT_TRUE(cluster->set_partition_leader("t", 0, 3).ok());
  EXPECT_EQ(partition_count(cluster->bootstraps(), "t"), 2);
}

// Topics spring into existence: a producer's first message creates its topic with the
// mock's default partition count, and so does naming a topic in a fault-injection call.
TEST(MockCluster, CreatesTopicsOnFirstUse) {
  auto cluster = start_cluster(1);
  ASSERT_NE(cluster, nullptr);
  EXPECT_TRUE(cluster->set_partition_leader("mentioned", 0, 1).ok());
  EXPECT_GE(partition_count(cluster->bootstraps(), "mentioned"), 1);
  ASSERT_TRUE(produce_for_test(cluster->bootstraps(), "produced", numbered(1)).ok());
  EXPECT_EQ(partition_count(cluster->bootstraps(), "produced"), 4);
}

TEST(BootstrapRelay, GivesClientsAFixedBootstrapAddress) {
  auto cluster = start_cluster(3);
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->create_topic("t", 3).ok());
  std::unique_ptr<BootstrapRelay> relay;
  const Status s = BootstrapRelay::start(0, split(cluster->bootstraps(), ',')[0], &relay);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_NE(relay->port(), 0);
  // Only the relay's address is given: the rest is learned from the metadata.
  EXPECT_EQ(partition_count(relay->address(), "t"), 3);
  const std::vector<TestMessage> sent = numbered(200);
  const Status produced = produce_for_test(relay->address(), "t", sent);
  ASSERT_TRUE(produced.ok()) << produced.message();
  EXPECT_EQ(read_back(relay->address(), "t", 3, sent.size()).size(), sent.size());

  std::unique_ptr<BootstrapRelay> second;
  const Status taken = BootstrapRelay::start(relay->port(), split(cluster->bootstraps(), ',')[0], &second);
  EXPECT_FALSE(taken.ok());
  EXPECT_EQ(taken.code(), StatusCode::kIoError);
  EXPECT_NE(taken.message().find(std::to_string(relay->port())), std::string::npos) << taken.message();
}

TEST(BootstrapRelay, RefusesABadTarget) {
  std::unique_ptr<BootstrapRelay> relay;
  EXPECT_FALSE(BootstrapRelay::start(0, "localhost", &relay).ok());
  EXPECT_FALSE(BootstrapRelay::start(0, "127.0.0.1:0", &relay).ok());
  EXPECT_FALSE(BootstrapRelay::start(0, "127.0.0.1:70000", &relay).ok());
}

}  // namespace
}  // namespace pixguard
