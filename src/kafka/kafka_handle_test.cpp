#include "kafka/kafka_handle.h"

#include <gtest/gtest.h>

namespace pixguard {
namespace {

TEST(KafkaConf, TakesEveryValidProperty) {
  KafkaConfPtr conf;
  const Status s = make_kafka_conf({{"bootstrap.servers", "127.0.0.1:9092"},
                                    {"security.protocol", "plaintext"},
                                    {"linger.ms", "5"},
                                    {"fetch.min.bytes", "1"}},
                                   &conf);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_NE(conf, nullptr);
  char value[64];
  std::size_t size = sizeof value;
  ASSERT_EQ(rd_kafka_conf_get(conf.get(), "linger.ms", value, &size), RD_KAFKA_CONF_OK);
  EXPECT_STREQ(value, "5");
}

TEST(KafkaConf, NamesAnUnknownProperty) {
  KafkaConfPtr conf;
  const Status s = make_kafka_conf({{"linger.ms", "5"}, {"no.such.property", "1"}}, &conf);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("kafka property 'no.such.property': ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("No such configuration property"), std::string::npos) << s.message();
  EXPECT_EQ(conf, nullptr);
}

TEST(KafkaConf, NamesABadValue) {
  KafkaConfPtr conf;
  const Status s = make_kafka_conf({{"security.protocol", "tls"}}, &conf);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("kafka property 'security.protocol': ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("tls"), std::string::npos) << s.message();
}

TEST(KafkaConf, ReservedPropertiesSayWhatToUseInstead) {
  EXPECT_STREQ(reserved_kafka_property("bootstrap.servers"), "set kafka.bootstrap_servers instead");
  EXPECT_STREQ(reserved_kafka_property("group.id"), "set kafka.group_id instead");
  EXPECT_NE(reserved_kafka_property("enable.auto.commit"), nullptr);
  EXPECT_NE(reserved_kafka_property("enable.auto.offset.store"), nullptr);
  EXPECT_NE(reserved_kafka_property("isolation.level"), nullptr);
  EXPECT_NE(reserved_kafka_property("transactional.id"), nullptr);
  EXPECT_EQ(reserved_kafka_property("auto.offset.reset"), nullptr);
  EXPECT_EQ(reserved_kafka_property("sasl.username"), nullptr);
}

TEST(KafkaClient, KeepsTheConfWhenCreationFails) {
  KafkaConfPtr conf;
  // A CA file that does not exist fails at client creation, not at conf_set.
  ASSERT_TRUE(make_kafka_conf({{"security.protocol", "ssl"}, {"ssl.ca.location", "/nonexistent/ca.pem"}}, &conf).ok());
  KafkaClientPtr client;
  const Status s = new_kafka_client(RD_KAFKA_PRODUCER, conf, &client);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("kafka client: ", 0), 0u) << s.message();
  EXPECT_EQ(client, nullptr);
  EXPECT_NE(conf, nullptr);  // still ours to free
}

TEST(KafkaClient, TakesTheConfOnSuccess) {
  KafkaConfPtr conf;
  ASSERT_TRUE(make_kafka_conf({{"bootstrap.servers", "127.0.0.1:1"}}, &conf).ok());
  KafkaClientPtr client;
  const Status s = new_kafka_client(RD_KAFKA_PRODUCER, conf, &client);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_NE(client, nullptr);
  EXPECT_EQ(conf, nullptr);
}

}  // namespace
}  // namespace pixguard
