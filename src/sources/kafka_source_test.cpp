#include "sources/kafka_source.h"

#include <gtest/gtest.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "kafka/kafka_test_util.h"
#include "kafka/mock_cluster.h"

namespace pixguard {
namespace {

using Clock = std::chrono::steady_clock;
using kafka_test::produce_for_test;
using kafka_test::TestMessage;

constexpr const char* kTopic = "pix.transactions";
constexpr int kPartitions = 4;

// Messages numbered [from, to): JSON with a sequence number, keyed by payer.
std::vector<TestMessage> transactions(int from, int to) {
  std::vector<TestMessage> out;
  for (int i = from; i < to; ++i) {
    const std::string payer = "payer-" + std::to_string(i % 13);
    out.push_back({payer, "{\"seq\": " + std::to_string(i) + ", \"payer\": {\"account\": \"" + payer +
                              "\"}, \"amount\": \"" + std::to_string(i % 500) + ".25\"}"});
  }
  return out;
}

int seq_of(std::string_view message) {
  const std::size_t at = message.find("\"seq\": ");
  int seq = -1;
  if (at != std::string_view::npos) std::from_chars(message.data() + at + 7, message.data() + message.size(), seq);
  return seq;
}

struct ReadResult {
  std::map<int, int> times_seen;  // seq -> deliveries
  std::size_t messages = 0;
  double first_message_seconds = -1;
};

// Reads batches of up to 64 until `expected` messages came, then for `settle` more to catch
// anything extra. Fails the test on a read error or after 30 s.
ReadResult read_messages(KafkaSource& source, std::size_t expected, std::chrono::milliseconds settle) {
  ReadResult r;
  RecordBatch batch;
  const auto started = Clock::now();
  auto stop_at = started + std::chrono::seconds(30);
  bool settling = false;
  while (Clock::now() < stop_at) {
    batch.clear();
    bool end = true;
    const Status s = source.read(&batch, 64, &end);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) break;
    EXPECT_FALSE(end) << "a Kafka source never ends";
    EXPECT_LE(batch.size(), 64u);
    if (!batch.empty() && r.first_message_seconds < 0) {
      r.first_message_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      ++r.times_seen[seq_of(batch.message(i))];
      ++r.messages;
    }
    if (!settling && r.messages >= expected) {
      settling = true;
      stop_at = Clock::now() + settle;
    }
  }
  EXPECT_TRUE(settling) << "only " << r.messages << " of " << expected << " messages within 30 s";
  return r;
}

void expect_each_once(const ReadResult& r, int from, int to) {
  EXPECT_EQ(r.messages, static_cast<std::size_t>(to - from));
  for (int i = from; i < to; ++i) {
    const auto it = r.times_seen.find(i);
    if (it == r.times_seen.end()) {
      ADD_FAILURE() << "message " << i << " missing";
    } else if (it->second != 1) {
      ADD_FAILURE() << "message " << i << " delivered " << it->second << " times";
    }
  }
  for (const auto& [seq, n] : r.times_seen) {
    if (seq < from || seq >= to) ADD_FAILURE() << "unexpected message " << seq << " (" << n << " times)";
  }
}

int64_t total_offsets(std::string_view position) {
  KafkaOffsets offsets;
  EXPECT_TRUE(parse_kafka_position(position, &offsets).ok()) << position;
  int64_t total = 0;
  for (const auto& [tp, offset] : offsets) total += offset;
  return total;
}

class KafkaSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status s = MockCluster::start(3, &cluster_);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_TRUE(cluster_->create_topic(kTopic, kPartitions).ok());
  }

  std::unique_ptr<KafkaSource> open_source(const std::string& group, const std::string& assignor = "range,roundrobin") {
    KafkaSourceOptions o;
    o.bootstrap_servers = cluster_->bootstraps();
    o.group_id = group;
    o.topics = {kTopic};
    // A member that vanished without leaving is noticed sooner (the default is 45 s).
    o.properties = {{"session.timeout.ms", "6000"},
                    {"heartbeat.interval.ms", "500"},
                    {"partition.assignment.strategy", assignor}};
    std::unique_ptr<KafkaSource> source;
    const Status s = KafkaSource::open(o, &source);
    EXPECT_TRUE(s.ok()) << s.message();
    return source;
  }

  void produce(int from, int to) {
    const Status s = produce_for_test(cluster_->bootstraps(), kTopic, transactions(from, to));
    ASSERT_TRUE(s.ok()) << s.message();
  }

  std::unique_ptr<MockCluster> cluster_;
};

TEST_F(KafkaSourceTest, ReadsEveryMessageOnceAndResumesAtItsPosition) {
  produce(0, 1000);
  auto first = open_source("resume");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->name(), "kafka:pix.transactions");
  EXPECT_EQ(first->position(), "");
  const ReadResult all = read_messages(*first, 1000, std::chrono::milliseconds(500));
  expect_each_once(all, 0, 1000);
  std::printf("first message after %.2f s (group join and assignment)\n", all.first_message_seconds);

  EXPECT_EQ(first->assigned().size(), static_cast<std::size_t>(kPartitions));
  const std::string position = first->position();
  EXPECT_EQ(total_offsets(position), 1000) << position;
  EXPECT_EQ(position.rfind("pix.transactions/0=", 0), 0u) << position;
  int64_t high_watermarks = 0;
  for (const PartitionLag& l : first->lag()) {
    EXPECT_EQ(l.lag, 0) << l.partition.partition;
    high_watermarks += l.high_watermark;
  }
  EXPECT_EQ(high_watermarks, 1000);

  // A restart: a new member of the same group, which never committed: without the seek it
  // would read everything again from the earliest offsets.
  first.reset();
  produce(1000, 1500);
  auto second = open_source("resume");
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(second->seek(position).ok());
  EXPECT_EQ(second->position(), position);  // before any assignment
  const ReadResult rest = read_messages(*second, 500, std::chrono::milliseconds(1000));
  expect_each_once(rest, 1000, 1500);
  std::printf("after the restart, first message after %.2f s\n", rest.first_message_seconds);
  EXPECT_EQ(total_offsets(second->position()), 1500);
}

// The same restart with a cooperative assignor: partitions come by incremental assignment.
TEST_F(KafkaSourceTest, ResumesWithACooperativeAssignor) {
  produce(0, 300);
  auto first = open_source("cooperative", "cooperative-sticky");
  ASSERT_NE(first, nullptr);
  expect_each_once(read_messages(*first, 300, std::chrono::milliseconds(200)), 0, 300);
  EXPECT_STREQ(rd_kafka_rebalance_protocol(first->consumer()), "COOPERATIVE");
  const std::string position = first->position();
  first.reset();
  produce(300, 400);
  auto second = open_source("cooperative", "cooperative-sticky");
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(second->seek(position).ok());
  expect_each_once(read_messages(*second, 100, std::chrono::milliseconds(1000)), 300, 400);
}

TEST_F(KafkaSourceTest, SeekWhileAssignedGoesBack) {
  produce(0, 400);
  auto source = open_source("rewind");
  ASSERT_NE(source, nullptr);
  const ReadResult first = read_messages(*source, 400, std::chrono::milliseconds(200));
  expect_each_once(first, 0, 400);
  const std::string at_400 = source->position();

  produce(400, 700);
  const ReadResult more = read_messages(*source, 300, std::chrono::milliseconds(200));
  expect_each_once(more, 400, 700);

  // Back to 400 while every partition is assigned: 400..699 come again, exactly once.
  ASSERT_TRUE(source->seek(at_400).ok());
  EXPECT_EQ(source->position(), at_400);
  const ReadResult again = read_messages(*source, 300, std::chrono::milliseconds(500));
  expect_each_once(again, 400, 700);

  // An empty position: back to the group's committed offsets (none: the earliest).
  ASSERT_TRUE(source->seek("").ok());
  const ReadResult from_start = read_messages(*source, 700, std::chrono::milliseconds(500));
  expect_each_once(from_start, 0, 700);
}

TEST_F(KafkaSourceTest, CommitMovesTheGroupsOffsets) {
  produce(0, 300);
  auto source = open_source("commit");
  ASSERT_NE(source, nullptr);
  expect_each_once(read_messages(*source, 300, std::chrono::milliseconds(200)), 0, 300);
  const Status committed = source->commit(source->position());
  ASSERT_TRUE(committed.ok()) << committed.message();
  source.reset();

  // No seek: a new member starts at the committed offsets.
  produce(300, 350);
  auto next = open_source("commit");
  ASSERT_NE(next, nullptr);
  expect_each_once(read_messages(*next, 50, std::chrono::milliseconds(1000)), 300, 350);
}

TEST_F(KafkaSourceTest, RefusesReservedPropertiesAndMissingSettings) {
  KafkaSourceOptions o;
  o.bootstrap_servers = cluster_->bootstraps();
  o.topics = {kTopic};
  o.properties = {{"enable.auto.commit", "true"}};
  std::unique_ptr<KafkaSource> source;
  Status s = KafkaSource::open(o, &source);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("kafka property 'enable.auto.commit': ", 0), 0u) << s.message();
  o.properties = {{"no.such.property", "1"}};
  s = KafkaSource::open(o, &source);
  EXPECT_NE(s.message().find("no.such.property"), std::string::npos) << s.message();
  o.properties.clear();
  o.topics.clear();
  EXPECT_FALSE(KafkaSource::open(o, &source).ok());
  o.topics = {kTopic};
  o.bootstrap_servers.clear();
  EXPECT_FALSE(KafkaSource::open(o, &source).ok());
}

TEST(KafkaPosition, ParsesTokens) {
  KafkaOffsets p;
  ASSERT_TRUE(parse_kafka_position("", &p).ok());
  EXPECT_TRUE(p.empty());
  ASSERT_TRUE(parse_kafka_position("pix.transactions/0=123,pix.transactions/11=0,a-b_c/3=9", &p).ok());
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].first, (TopicPartition{"pix.transactions", 0}));
  EXPECT_EQ(p[0].second, 123);
  EXPECT_EQ(p[1].first, (TopicPartition{"pix.transactions", 11}));
  EXPECT_EQ(p[1].second, 0);
  EXPECT_EQ(p[2].first, (TopicPartition{"a-b_c", 3}));
}

TEST(KafkaPosition, RejectsBadTokens) {
  KafkaOffsets p;
  for (const char* bad : {"x", "t/0", "t=5", "/0=5", "t/-1=5", "t/0=-5", "t/0=5x", "t/a=5", "t/0=5,", "t/0=5,t/0=6",
                          "bad topic/0=1", "t/0=1,,t/1=2", "123:45"}) {
    const Status s = parse_kafka_position(bad, &p);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("bad kafka position"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace pixguard
