#include "sinks/kafka_sink.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "kafka/kafka_test_util.h"
#include "kafka/mock_cluster.h"

namespace pixguard {
namespace {

constexpr const char* kScored = "out.scored";
constexpr const char* kAlerts = "out.alerts";
constexpr const char* kDeadLetters = "out.dead_letter";

using kafka_test::ReadMessage;

// Every message of `topic` that a read_committed consumer sees (1 s of quiet after `expected`
// have come, to catch extras).
std::vector<ReadMessage> read_topic(const std::string& bootstrap, const std::string& topic, int partitions,
                                    std::size_t expected) {
  return kafka_test::read_topic_for_test(bootstrap, topic, partitions, expected, std::chrono::seconds(1));
}

class KafkaSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MockCluster::start(3, &cluster_).ok());
    for (const char* t : {kScored, kAlerts, kDeadLetters}) ASSERT_TRUE(cluster_->create_topic(t, 4).ok());
    dir_ = std::filesystem::temp_directory_path() /
           ("pixguard-kafka-sink-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  KafkaSinkOptions options(bool exactly_once = true) const {
    KafkaSinkOptions o;
    o.bootstrap_servers = cluster_->bootstraps();
    o.topics = {kScored, kAlerts, kDeadLetters};
    o.exactly_once = exactly_once;
    o.transactional_id = "pixguard-test";
    o.commit_log_path = (dir_ / "kafka-commits.log").string();
    o.broker_timeout_ms = 20'000;
    return o;
  }

  // One epoch of `n` scored records numbered from `first` (every tenth also an alert, and
  // one dead letter), through begin/write/prepare; the caller commits or aborts.
  static void write_epoch(KafkaSink& sink, uint64_t epoch, int first, int n) {
    ASSERT_TRUE(sink.begin_epoch(epoch).ok());
    for (int i = first; i < first + n; ++i) {
      const std::string key = "payer-" + std::to_string(i % 7);
      const std::string json = "{\"seq\":" + std::to_string(i) + "}";
      ASSERT_TRUE(sink.write({key, json, nullptr, Output::kScored}).ok());
      if (i % 10 == 0) {
        ASSERT_TRUE(sink.write({key, json, nullptr, Output::kAlerts}).ok());
      }
    }
    ASSERT_TRUE(sink.write({{}, "{\"dead\":" + std::to_string(epoch) + "}", nullptr, Output::kDeadLetters}).ok());
    const Status s = sink.prepare(epoch);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // Each of [0, n) exactly once in the scored topic, from a committed epoch of `sink`.
  void expect_scored_once(const KafkaSink& sink, int n) {
    const std::vector<ReadMessage> got = read_topic(cluster_->bootstraps(), kScored, 4, static_cast<std::size_t>(n));
    std::map<std::string, int> seen;
    for (const ReadMessage& r : got) {
      ++seen[r.value];
      EXPECT_EQ(r.headers.at("pixguard-instance"), "pixguard-test");
      EXPECT_EQ(r.headers.at("pixguard-run"), sink.run_id());
      EXPECT_FALSE(r.headers.at("pixguard-epoch").empty());
      EXPECT_EQ(r.key.rfind("payer-", 0), 0u) << "scored records are keyed by payer";
    }
    EXPECT_EQ(got.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) EXPECT_EQ(seen["{\"seq\":" + std::to_string(i) + "}"], 1) << "record " << i;
  }

  std::unique_ptr<MockCluster> cluster_;
  std::filesystem::path dir_;
};

// A producer limit below the largest dead letter could fail an epoch on every restart (the
// same input again): refused at open.
TEST_F(KafkaSinkTest, AProducerLimitBelowTheLargestDeadLetterIsRefused) {
  KafkaSinkOptions o = options();
  o.properties["message.max.bytes"] = "100000";
  std::unique_ptr<KafkaSink> sink;
  const Status s = KafkaSink::open(o, &sink);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("message.max.bytes"), std::string::npos) << s.message();
  o.properties["message.max.bytes"] = "1000000";
  EXPECT_TRUE(KafkaSink::open(o, &sink).ok());
}

TEST_F(KafkaSinkTest, EpochsAreTransactionsRecordedInTheCommitLog) {
  std::unique_ptr<KafkaSink> sink;
  const Status opened = KafkaSink::open(options(), &sink);
  ASSERT_TRUE(opened.ok()) << opened.message();
  EXPECT_FALSE(sink->commit_survives_crash());
  write_epoch(*sink, 1, 0, 300);
  ASSERT_TRUE(sink->commit(1).ok());
  write_epoch(*sink, 2, 300, 200);
  ASSERT_TRUE(sink->commit(2).ok());
  EXPECT_TRUE(sink->commit(2).ok()) << "committing again is a no-op";
  EXPECT_EQ(sink->last_committed_epoch(), 2u);
  EXPECT_EQ(sink->stats().delivered, 500u + 50u + 2u);
  expect_scored_once(*sink, 500);

  const std::vector<ReadMessage> alerts = read_topic(cluster_->bootstraps(), kAlerts, 4, 50);
  EXPECT_EQ(alerts.size(), 50u);
  const std::vector<ReadMessage> dead = read_topic(cluster_->bootstraps(), kDeadLetters, 4, 2);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_TRUE(dead[0].key.empty()) << "dead letters have no key";

  // The record survives a restart, and names this run.
  KafkaCommitLog log;
  ASSERT_TRUE(KafkaCommitLog::open(options().commit_log_path, &log).ok());
  ASSERT_EQ(log.commits().size(), 2u);
  EXPECT_EQ(log.commits()[1].run, sink->run_id());
  EXPECT_EQ(log.last_epoch(), 2u);
}

TEST_F(KafkaSinkTest, AnAbortedEpochIsNotRecorded) {
  std::unique_ptr<KafkaSink> sink;
  ASSERT_TRUE(KafkaSink::open(options(), &sink).ok());
  write_epoch(*sink, 1, 0, 10);
  ASSERT_TRUE(sink->abort(1).ok());
  EXPECT_EQ(sink->last_committed_epoch(), 0u);
  write_epoch(*sink, 1, 0, 10);  // the epoch again, after a failure
  ASSERT_TRUE(sink->commit(1).ok());
  EXPECT_EQ(sink->last_committed_epoch(), 1u);
}

TEST_F(KafkaSinkTest, ARestartedSinkKnowsItsLastCommit) {
  std::unique_ptr<KafkaSink> first;
  ASSERT_TRUE(KafkaSink::open(options(), &first).ok());
  write_epoch(*first, 1, 0, 10);
  ASSERT_TRUE(first->commit(1).ok());
  write_epoch(*first, 2, 10, 10);  // prepared, never committed: the process "dies"

  std::unique_ptr<KafkaSink> second;
  const Status reopened = KafkaSink::open(options(), &second);
  ASSERT_TRUE(reopened.ok()) << reopened.message();
  EXPECT_EQ(second->last_committed_epoch(), 1u);
  EXPECT_NE(second->run_id(), first->run_id());
  // (A real broker now fences `first`: its commit of epoch 2 would fail. The mock cluster
  // accepts it, so that is not checked here.)
}

TEST_F(KafkaSinkTest, InjectedBrokerErrorsAreSurvivedWithoutLossOrDuplicates) {
  std::unique_ptr<KafkaSink> sink;
  ASSERT_TRUE(KafkaSink::open(options(), &sink).ok());
  // Failed produce requests (retriable), a lost transaction coordinator, a slow broker.
  cluster_->push_request_errors(KafkaApi::kProduce,
                                {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                 RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR__TRANSPORT});
  cluster_->push_request_errors(KafkaApi::kAddPartitionsToTxn, {RD_KAFKA_RESP_ERR_NOT_COORDINATOR});
  cluster_->push_request_errors(KafkaApi::kEndTxn,
                                {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE});
  ASSERT_TRUE(cluster_->set_broker_rtt(2, 50).ok());
  write_epoch(*sink, 1, 0, 400);
  Status committed = sink->commit(1);
  ASSERT_TRUE(committed.ok()) << committed.message();

  // A broker goes down in the middle of an epoch and comes back.
  ASSERT_TRUE(sink->begin_epoch(2).ok());
  for (int i = 400; i < 600; ++i) {
    if (i == 450) {
      ASSERT_TRUE(cluster_->set_broker_down(3).ok());
    }
    const std::string json = "{\"seq\":" + std::to_string(i) + "}";
    ASSERT_TRUE(sink->write({"payer-" + std::to_string(i % 7), json, nullptr, Output::kScored}).ok());
  }
  std::thread back([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    (void)cluster_->set_broker_up(3);
  });
  const Status prepared = sink->prepare(2);
  back.join();
  ASSERT_TRUE(prepared.ok()) << prepared.message();
  committed = sink->commit(2);
  ASSERT_TRUE(committed.ok()) << committed.message();
  expect_scored_once(*sink, 600);
}

TEST_F(KafkaSinkTest, AtLeastOnceSendsWithoutTransactions) {
  std::unique_ptr<KafkaSink> sink;
  ASSERT_TRUE(KafkaSink::open(options(/*exactly_once=*/false), &sink).ok());
  EXPECT_TRUE(sink->commit_survives_crash());
  write_epoch(*sink, 1, 0, 100);
  ASSERT_TRUE(sink->commit(1).ok());
  EXPECT_EQ(sink->last_committed_epoch(), 1u);
  expect_scored_once(*sink, 100);
}

TEST_F(KafkaSinkTest, AFatalProduceErrorFailsTheEpoch) {
  std::unique_ptr<KafkaSink> sink;
  ASSERT_TRUE(KafkaSink::open(options(), &sink).ok());
  cluster_->push_request_errors(KafkaApi::kProduce, {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED});
  ASSERT_TRUE(sink->begin_epoch(1).ok());
  ASSERT_TRUE(sink->write({"payer", "{\"seq\":0}", nullptr, Output::kScored}).ok());
  const Status s = sink->prepare(1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("uthoriz"), std::string::npos) << s.message();
  (void)sink->abort(1);  // the transaction may already be in an error state
  EXPECT_EQ(sink->last_committed_epoch(), 0u);
}

TEST(KafkaCommitLog, DropsATornLastLineAndRefusesGarbage) {
  const std::string path = std::filesystem::temp_directory_path() /
                           ("pixguard-commit-log-" + std::to_string(::getpid()) + ".log");
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("aaaa 1\nbbbb 2\ncccc 3", f);  // the third append was cut short
    std::fclose(f);
  }
  KafkaCommitLog log;
  ASSERT_TRUE(KafkaCommitLog::open(path, &log).ok());
  EXPECT_EQ(log.last_epoch(), 2u);
  ASSERT_TRUE(log.append("dddd", 3).ok());
  KafkaCommitLog again;
  ASSERT_TRUE(KafkaCommitLog::open(path, &again).ok());
  ASSERT_EQ(again.commits().size(), 3u);
  EXPECT_EQ(again.commits()[2].run, "dddd");
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("aaaa 1\nnot a line\n", f);
    std::fclose(f);
  }
  KafkaCommitLog bad;
  const Status s = KafkaCommitLog::open(path, &bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pixguard
