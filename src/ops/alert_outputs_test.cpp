// The Kafka output of threshold-alert events, against the in-process mock cluster: the
// event arrives on the topic as it was, keyed by the alert's name.
#include "ops/alert_outputs.h"

#include <gtest/gtest.h>

#include <chrono>

#include "kafka/mock_cluster.h"

namespace pixguard {
namespace {

TEST(KafkaAlertOutput, ProducesEachEventKeyedByAlert) {
  std::unique_ptr<MockCluster> cluster;
  ASSERT_TRUE(MockCluster::start(1, &cluster).ok());
  ASSERT_TRUE(cluster->create_topic("pix.ops_alerts", 1).ok());
  const std::string event = R"({"alert":"checkpoint_stale","state":"firing","value":2.5})";
  {
    std::unique_ptr<KafkaAlertOutput> out;
    const Status s = KafkaAlertOutput::open(cluster->bootstraps(), {}, "pix.ops_alerts", &out);
    ASSERT_TRUE(s.ok()) << s.message();
    out->output()(event);
  }  // the destructor flushes

  KafkaConfPtr conf;
  ASSERT_TRUE(make_kafka_conf({{"bootstrap.servers", cluster->bootstraps()}, {"group.id", "t"}}, &conf).ok());
  KafkaClientPtr consumer;
  ASSERT_TRUE(new_kafka_client(RD_KAFKA_CONSUMER, conf, &consumer).ok());
  PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), "pix.ops_alerts", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  ASSERT_EQ(rd_kafka_assign(consumer.get(), list.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  KafkaMessagePtr m;
  while (std::chrono::steady_clock::now() < until) {
    m.reset(rd_kafka_consumer_poll(consumer.get(), 100));
    if (m && m->err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
  }
  ASSERT_TRUE(m && m->err == RD_KAFKA_RESP_ERR_NO_ERROR) << "no event on the topic within 20 s";
  EXPECT_EQ(std::string(static_cast<const char*>(m->payload), m->len), event);
  EXPECT_EQ(std::string(static_cast<const char*>(m->key), m->key_len), "checkpoint_stale");
  rd_kafka_consumer_close(consumer.get());
}

}  // namespace
}  // namespace pixguard
