#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "validate/normalizer.h"

namespace pixguard {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

std::string source_dir() {
  if (const char* env = std::getenv("PIXGUARD_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
  return PIXGUARD_SOURCE_DIR;
}

// Writes `yaml` to a file of its own under the test temp dir and returns its path.
std::string write_config(std::string_view yaml) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "pixguard_config_test";
  std::filesystem::create_directories(dir);
  static int counter = 0;
  const std::filesystem::path path =
      dir / (std::string(info->name()) + "_" + std::to_string(++counter) + ".yaml");
  std::ofstream(path) << yaml;
  return path.string();
}

// Loads `yaml` and expects an InvalidArgument error starting "<file>:<line>: <key>".
void expect_error_at(std::string_view yaml, int line, std::string_view key, std::string_view also = {}) {
  const std::string path = write_config(yaml);
  Config c;
  const Status s = load_config(path, &c);
  ASSERT_FALSE(s.ok()) << yaml;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  const std::string prefix = path + ":" + std::to_string(line) + ": " + std::string(key);
  EXPECT_EQ(s.message().rfind(prefix, 0), 0u) << "expected prefix: " << prefix << "\n     message: " << s.message();
  if (!also.empty()) {
    EXPECT_NE(s.message().find(also), std::string::npos) << s.message();
  }
}

// A valid base that the error tests extend.
constexpr std::string_view kFeatures = R"(features:
  - name: payer.count_5m
    kind: count
    key: payer
    window: 5m
)";

// ---- the shipped default -------------------------------------------------------------------

TEST(Config, LoadsTheShippedDefault) {
  const std::string path = source_dir() + "/config/streaming_config.yaml";
  Config c;
  const Status s = load_config(path, &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.path, path);

  EXPECT_EQ(c.pipeline_id, "pixguard-default");
  EXPECT_EQ(c.batch_size, 1024u);
  EXPECT_EQ(c.checkpoint.interval_us, 5 * kSecond);
  EXPECT_EQ(c.max_message_bytes, 1048576u);

  EXPECT_EQ(c.source.type, SourceConfig::Type::kGenerator);
  EXPECT_EQ(c.source.generator.count, 1'000'000u);
  EXPECT_EQ(c.source.generator.seed, 42u);
  EXPECT_EQ(c.source.generator.start_time_us, 1'763'953'200 * kSecond);  // 2025-11-24T00:00:00-03:00
  EXPECT_EQ(c.source.generator.days, 7u);
  EXPECT_EQ(c.source.generator.payers, 50'000u);
  EXPECT_EQ(c.source.generator.payees, 80'000u);
  EXPECT_DOUBLE_EQ(c.source.generator.fraud_share, 0.01);
  EXPECT_DOUBLE_EQ(c.source.generator.late_share, 0.01);

  // input: the default Pix JSON shape with every rule on.
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    EXPECT_EQ(c.validation.mapping.source_names[i], kFieldNames[i]);
  }
  EXPECT_TRUE(c.validation.pix_rules.all());
  EXPECT_EQ(c.validation.time_format, TimestampFormat::kAuto);
  EXPECT_EQ(c.validation.zone.name(), "America/Sao_Paulo");
  EXPECT_EQ(c.validation.max_future_us, kDay);
  EXPECT_EQ(c.validation.max_past_us, 400 * kDay);

  EXPECT_EQ(c.label_timing.source, LabelTiming::Source::kInline);
  EXPECT_EQ(c.label_timing.known_after_us, 3 * kDay);
  EXPECT_TRUE(c.labels_path.empty());

  EXPECT_TRUE(c.dedupe_enabled);
  EXPECT_EQ(c.dedupe.horizon_us, 24 * kHour);
  EXPECT_EQ(c.dedupe.max_entries, 10'000'000u);
  EXPECT_EQ(c.allowed_lateness_us, 5 * kMinute);

  EXPECT_EQ(c.context_zone.name(), "America/Sao_Paulo");
  EXPECT_EQ(c.context.night_start_minute, 20 * 60);
  EXPECT_EQ(c.context.night_end_minute, 6 * 60);

  ASSERT_EQ(c.features.size(), 23u);
  EXPECT_EQ(c.features[0].name, "payer.count_5m");
  EXPECT_EQ(c.features[0].kind, FeatureKind::kCount);
  EXPECT_EQ(c.features[0].scope, KeyScope::kPayer);
  EXPECT_EQ(c.features[0].window_us, 5 * kMinute);
  EXPECT_TRUE(c.features[0].include_current);
  EXPECT_EQ(c.features[4].name, "payer.mean_30d");
  EXPECT_EQ(c.features[4].kind, FeatureKind::kMean);
  EXPECT_EQ(c.features[4].window_us, 30 * kDay);
  EXPECT_FALSE(c.features[4].include_current);
  EXPECT_EQ(c.features[7].kind, FeatureKind::kSecondsSincePrevious);
  EXPECT_EQ(c.features[7].window_us, 0);
  EXPECT_EQ(c.features[14].name, "payee.fraud_count_30d");
  EXPECT_EQ(c.features[14].kind, FeatureKind::kFraudCount);
  EXPECT_EQ(c.features[14].scope, KeyScope::kPayee);
  EXPECT_EQ(c.features[14].delay_us, 3 * kDay);
  EXPECT_FALSE(c.features[14].include_current);  // label features never include the current one
  EXPECT_EQ(c.features[16].kind, FeatureKind::kAmount);
  EXPECT_EQ(c.features[16].scope, KeyScope::kNone);
  EXPECT_EQ(c.features[21].name, "tx.channel");
  EXPECT_EQ(c.features[21].categories, (std::vector<std::string>{"APP", "IB", "API"}));
  EXPECT_EQ(c.features[22].kind, FeatureKind::kKeyType);

  EXPECT_DOUBLE_EQ(c.decision.review_threshold, 0.5);
  EXPECT_DOUBLE_EQ(c.decision.block_threshold, 0.9);
  ASSERT_EQ(c.decision.rules.size(), 10u);
  EXPECT_EQ(c.decision.rules[0].name, "burst_5m");
  EXPECT_EQ(c.decision.rules[0].expression, "payer.count_5m > 5");
  EXPECT_EQ(c.decision.rules[0].action, Outcome::kReview);
  EXPECT_EQ(c.decision.rules[0].reason, "more than 5 transfers by the payer in 5 minutes");
  EXPECT_EQ(c.decision.rules[1].name, "takeover_burst_new_device");
  EXPECT_EQ(c.decision.rules[1].action, Outcome::kBlock);
  EXPECT_EQ(c.decision.rules[9].name, "very_large");
  EXPECT_EQ(c.model_path, "model/");
  EXPECT_EQ(c.model_poll_interval_us, 2'000'000);
  EXPECT_EQ(c.model_attribution, Attribution::kPath);

  EXPECT_EQ(c.sinks.scored_dir, "");  // the Delta table holds every scored transaction
  EXPECT_EQ(c.sinks.table_dir, "data/decisions");
  EXPECT_EQ(c.sinks.alerts_dir, "data/alerts");
  EXPECT_EQ(c.sinks.dead_letter_dir, "data/dead_letter");
}

TEST(Config, OmittedSectionsKeepTheirDefaults) {
  Config c;
  const Status s = load_config(write_config("pipeline:\n  id: mini\n"), &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.pipeline_id, "mini");
  EXPECT_EQ(c.batch_size, 1024u);
  EXPECT_TRUE(c.features.empty());
  EXPECT_TRUE(c.decision.rules.empty());
  EXPECT_TRUE(c.dedupe_enabled);
  EXPECT_EQ(c.context_zone.name(), "America/Sao_Paulo");  // the documented default zone
  EXPECT_TRUE(c.validation.pix_rules.all());
}

TEST(Config, ForeignCsvInput) {
  Config c;
  const Status s = load_config(write_config(R"(source:
  type: file
  path: data/handbook.csv
  format: csv
  csv_delimiter: ";"
input:
  fields:
    event_time: TX_DATETIME
    amount: TX_AMOUNT
    payer.account: CUSTOMER_ID
    payee.account: TERMINAL_ID
    label: TX_FRAUD
  pix_rules: {payer.document: false}
  time_format: local
  time_zone: America/Sao_Paulo
)"),
                               &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.source.type, SourceConfig::Type::kFile);
  EXPECT_EQ(c.source.path, "data/handbook.csv");
  EXPECT_EQ(c.source.format, InputFormat::kCsv);
  EXPECT_EQ(c.source.csv_delimiter, ';');
  const FieldMapping& m = c.validation.mapping;
  EXPECT_EQ(m.source_name(Field::kEventTime), "TX_DATETIME");
  EXPECT_EQ(m.source_name(Field::kPayeeAccount), "TERMINAL_ID");
  EXPECT_FALSE(m.mapped(Field::kEndToEndId));  // `fields` replaces the default shape
  EXPECT_FALSE(m.mapped(Field::kPayerDocument));
  EXPECT_FALSE(c.validation.pix_rules.test(static_cast<std::size_t>(Field::kPayerDocument)));
  EXPECT_TRUE(c.validation.pix_rules.test(static_cast<std::size_t>(Field::kPayeeDocument)));
  EXPECT_EQ(c.validation.time_format, TimestampFormat::kLocal);
  EXPECT_EQ(c.validation.zone.name(), "America/Sao_Paulo");
}

TEST(Config, KafkaDefaults) {
  Config c;
  const Status s = load_config(write_config("pipeline:\n  id: mini\n"), &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(c.kafka.bootstrap_servers.empty());
  EXPECT_TRUE(c.kafka.properties.empty());
  EXPECT_EQ(c.kafka.group_id, "pixguard");
  EXPECT_EQ(c.kafka.input_topics, (std::vector<std::string>{"pix.transactions"}));
  EXPECT_EQ(c.kafka.scored_topic, "pix.scored");
  EXPECT_EQ(c.kafka.alerts_topic, "pix.alerts");
  EXPECT_EQ(c.kafka.dead_letter_topic, "pix.dead_letter");
  EXPECT_EQ(c.kafka.delivery, KafkaConfig::Delivery::kExactlyOnce);
}

TEST(Config, KafkaOutputsNeedCheckpointsForExactlyOnce) {
  expect_error_at("checkpoint:\n  dir: null\nkafka:\n  bootstrap_servers: h:1\n", 2, "checkpoint.dir", "exactly-once");
  expect_error_at("checkpoint:\n  keep: 1\nkafka:\n  bootstrap_servers: h:1\n", 2, "checkpoint.keep", "at least 2");
  Config c;
  const Status s = load_config(
      write_config("checkpoint:\n  keep: 1\nkafka:\n  bootstrap_servers: h:1\n  delivery: at_least_once\n"
                   "  consumer_properties:\n    fetch.wait.max.ms: \"10\"\n  topics:\n    alerts: null\n"),
      &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.kafka.consumer_properties.at("fetch.wait.max.ms"), "10");
  EXPECT_TRUE(c.kafka.alerts_topic.empty()) << "a null topic turns that Kafka output off";
  expect_error_at("kafka:\n  producer_properties:\n    linger.mss: 5\n", 3, "kafka.producer_properties.linger.mss");
}

TEST(Config, PayeeRepartition) {
  const std::string kafka = "source:\n  type: kafka\nkafka:\n  bootstrap_servers: h:1\n  group_id: g1\n";
  Config c;
  Status s = load_config(write_config(kafka + "state:\n  payees: repartition\nwatermark:\n  idle_after: 3s\n"), &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.payee_state, Config::PayeeState::kRepartition);
  EXPECT_EQ(c.kafka.payee_topic, "g1.payees") << "one payee topic per consumer group by default";
  EXPECT_EQ(c.idle_after_us, 3'000'000);
  s = load_config(write_config(kafka + "  payee_topic: by_payee\nstate:\n  payees: repartition\n"), &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.kafka.payee_topic, "by_payee");
  expect_error_at("state:\n  payees: repartition\n", 2, "state.payees", "Kafka source");
  expect_error_at(kafka + "  delivery: at_least_once\nstate:\n  payees: repartition\n", 8, "state.payees",
                  "exactly_once");
  expect_error_at(kafka + "  input_topics: [a, b]\nstate:\n  payees: repartition\n", 8, "state.payees",
                  "single input topic");
  expect_error_at(kafka + "  payee_topic: pix.transactions\nstate:\n  payees: repartition\n", 8, "state.payees",
                  "differ from the input topic");
  expect_error_at("state:\n  payees: everywhere\n", 2, "state.payees", "shared, per_part or repartition");
}

// Data preparation: amounts rounded to the centavo and zero amounts, as configured; a Pix
// rule switch for a field without a Pix rule is an error rather than a silent no-op.
TEST(Config, AmountPolicies) {
  Config c;
  ASSERT_TRUE(load_config(write_config("input:\n  amount: {decimals: round, zero: accept}\n"), &c).ok());
  EXPECT_TRUE(c.validation.round_amounts);
  EXPECT_TRUE(c.validation.accept_zero_amount);
  ASSERT_TRUE(load_config(write_config("input:\n  amount: {decimals: reject}\n"), &c).ok());
  EXPECT_FALSE(c.validation.round_amounts);
  EXPECT_FALSE(c.validation.accept_zero_amount);
  expect_error_at("input:\n  amount:\n    decimals: truncate\n", 3, "input.amount.decimals", "reject or round");
  expect_error_at("input:\n  amount:\n    zero: yes\n", 3, "input.amount.zero", "reject or accept");
  expect_error_at("input:\n  amount:\n    negative: accept\n", 3, "input.amount.negative", "unknown key");
  expect_error_at("input:\n  pix_rules:\n    amount: false\n", 3, "input.pix_rules.amount", "input.amount");
  expect_error_at("input:\n  pix_rules:\n    payer.account: false\n", 3, "input.pix_rules.payer.account",
                  "no Pix format rule");
  ASSERT_TRUE(load_config(write_config("input:\n  normalize: {payee.key: [trim, lower], payer.document: digits}\n"), &c)
                  .ok());
  EXPECT_EQ(c.validation.normalize[static_cast<std::size_t>(Field::kPayeeKey)], kTrim | kLower);
  EXPECT_EQ(c.validation.normalize[static_cast<std::size_t>(Field::kPayerDocument)], kDigits);
  expect_error_at("input:\n  normalize:\n    payee.key: title\n", 3, "input.normalize.payee.key", "trim, lower, upper, digits or pix_key");
  expect_error_at("input:\n  normalize:\n    amount: trim\n", 3, "input.normalize.amount", "text fields");
  expect_error_at("input:\n  normalize:\n    payee.key: [lower, upper]\n", 3, "input.normalize.payee.key", "together");
  ASSERT_TRUE(load_config(write_config("input:\n  pix_rules:\n    payer.document: false\n"), &c).ok());
  EXPECT_FALSE(c.validation.pix_rules.test(static_cast<std::size_t>(Field::kPayerDocument)));
}

TEST(Config, ProfilesAndTheirFeatures) {
  const std::string profiles =
      "profiles:\n  - {name: accounts, key: payer.account, path: a.csv, key_column: id, valid_from_column: since, "
      "refresh: 10s}\n";
  Config c;
  const Status s = load_config(
      write_config(profiles + "features:\n  - {name: age, kind: profile_age_days, profile: accounts, column: opened}\n"),
      &c);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(c.profiles.size(), 1u);
  EXPECT_EQ(c.profiles[0].key, Field::kPayerAccount);
  EXPECT_EQ(c.profiles[0].valid_from_column, "since");
  EXPECT_EQ(c.profiles[0].refresh_us, 10'000'000);
  EXPECT_EQ(c.features[0].kind, FeatureKind::kProfileAgeDays);
  EXPECT_EQ(c.features[0].column, "opened");
  expect_error_at(profiles + "features:\n  - {name: age, kind: profile_value, profile: other, column: x}\n", 4,
                  "features[0].profile", "no profile named 'other'");
  expect_error_at(profiles + "features:\n  - {name: age, kind: profile_value, profile: accounts}\n", 4,
                  "features[0].column", "required");
  expect_error_at("features:\n  - {name: n, kind: amount, column: x}\n", 2, "features[0].column",
                  "only for kinds profile_value");
  expect_error_at("profiles:\n  - {name: a, key: amount, path: a.csv, key_column: id}\n", 2, "profiles[0].key",
                  "payer.account");
  expect_error_at("profiles:\n  - {name: a, key: payer.account, key_column: id}\n", 2, "profiles[0].path",
                  "a CSV path, or a PostgreSQL dsn and query");
  expect_error_at("profiles:\n  - {name: a, key: payer.account, key_column: id, dsn: \"host=h\"}\n", 2,
                  "profiles[0].query", "required with dsn");
}

TEST(Config, CategoryFeatures) {
  Config c;
  const Status s = load_config(write_config(
      "features:\n  - {name: ispb, kind: category, field: payee.ispb, categories: ['00000000', '60746948']}\n"), &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.features[0].field, Field::kPayeeIspb);
  expect_error_at("features:\n  - {name: x, kind: category, field: amount, categories: [a]}\n", 2, "features[0].field",
                  "expected channel");
  expect_error_at("features:\n  - {name: x, kind: category, field: channel}\n", 2, "features[0].categories", "required");
  expect_error_at("features:\n  - {name: x, kind: amount, field: channel}\n", 2, "features[0].field", "only for kind category");
}

TEST(Config, HttpListen) {
  Config c;
  ASSERT_TRUE(load_config(write_config("http:\n  listen: 127.0.0.1:0\n"), &c).ok());
  EXPECT_EQ(c.http.listen, "127.0.0.1:0");
  ASSERT_TRUE(load_config(write_config("pipeline:\n  id: x\n"), &c).ok());
  EXPECT_TRUE(c.http.listen.empty()) << "off unless configured";
  expect_error_at("http:\n  listen: localhost\n", 2, "http.listen", "host:port");
  expect_error_at("http:\n  listen: 127.0.0.1:70000\n", 2, "http.listen", "host:port");
  expect_error_at("http:\n  port: 1\n", 2, "http.port");
}

// An empty token is an error, not "no authentication"; without a token only a loopback
// address may be listened on.
TEST(Config, HttpTokenRules) {
  Config c;
  ASSERT_TRUE(load_config(write_config("http:\n  listen: 0.0.0.0:9000\n  token: abc\n"), &c).ok());
  EXPECT_EQ(c.http.token, "abc");
  for (const char* host : {"127.0.0.1", "127.10.0.3", "localhost", "[::1]"}) {
    const Status s = load_config(write_config(std::string("http:\n  listen: '") + host + ":9000'\n"), &c);
    EXPECT_TRUE(s.ok()) << host << ": " << s.message();
    EXPECT_TRUE(c.http.token.empty());
  }
  expect_error_at("http:\n  listen: 127.0.0.1:0\n  token: \"\"\n", 3, "http.token", "empty");
  expect_error_at("http:\n  listen: 127.0.0.1:0\n  token:\n", 3, "http.token", "empty");
  expect_error_at("http:\n  listen: 127.0.0.1:0\n  token: ~\n", 3, "http.token", "empty");
  for (const char* host : {"0.0.0.0", "10.1.2.3", "128.0.0.1", "127.0.0.1.5", "::", "example.com", "1270.0.0.1"}) {
    expect_error_at(std::string("http:\n  listen: '") + host + ":9000'\n", 2, "http.listen", "set http.token");
  }
}

TEST(Config, HttpLimitsAndTls) {
  Config c;
  ASSERT_TRUE(load_config(write_config("http:\n  listen: 127.0.0.1:0\n"), &c).ok());
  EXPECT_EQ(c.http.read_timeout_us, 5'000'000);
  EXPECT_EQ(c.http.write_timeout_us, 5'000'000);
  EXPECT_EQ(c.http.max_body, 64u * 1024);
  EXPECT_TRUE(c.http.tls_cert.empty());
  const Status s = load_config(write_config(R"(http:
  listen: 127.0.0.1:0
  read_timeout: 2s
  write_timeout: 500ms
  keep_alive_timeout: 1s
  keep_alive_requests: 10
  max_connections: 100
  threads: 2
  max_queued: 8
  max_body: 1024
  tls: {cert: /etc/pixguard/cert.pem, key: /etc/pixguard/key.pem}
)"), &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.http.read_timeout_us, 2'000'000);
  EXPECT_EQ(c.http.write_timeout_us, 500'000);
  EXPECT_EQ(c.http.keep_alive_timeout_us, 1'000'000);
  EXPECT_EQ(c.http.keep_alive_requests, 10u);
  EXPECT_EQ(c.http.max_connections, 100u);
  EXPECT_EQ(c.http.threads, 2u);
  EXPECT_EQ(c.http.max_queued, 8u);
  EXPECT_EQ(c.http.max_body, 1024u);
  EXPECT_EQ(c.http.tls_cert, "/etc/pixguard/cert.pem");
  EXPECT_EQ(c.http.tls_key, "/etc/pixguard/key.pem");
  expect_error_at("http:\n  read_timeout: 1ms\n", 2, "http.read_timeout", "between 100ms and 1h");
  expect_error_at("http:\n  max_body: 0\n", 2, "http.max_body");
  expect_error_at("http:\n  tls: {cert: a.pem}\n", 2, "http.tls", "key");
  expect_error_at("http:\n  tls: {cert: a.pem, key: b.pem, ca: c.pem}\n", 2, "http.tls.ca", "unknown key");
}

TEST(Config, KafkaSourceWithEveryKey) {
  Config c;
  const Status s = load_config(write_config(R"(source:
  type: kafka
kafka:
  bootstrap_servers: broker1.bank.example:9093,broker2.bank.example:9093
  group_id: fraud-scoring
  input_topics: [pix.transactions.sent, pix.transactions.received]
  topics:
    scored: fraud.scored
    alerts: fraud.alerts
    dead_letter: fraud.dlq
  delivery: at_least_once
  properties:
    security.protocol: sasl_ssl
    sasl.mechanisms: SCRAM-SHA-512
    sasl.username: pixguard
    sasl.password: "s3cret:with:colons"
    enable.ssl.certificate.verification: false
    fetch.min.bytes: 1
    linger.ms: 5
    auto.offset.reset: latest
)"),
                               &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.source.type, SourceConfig::Type::kKafka);
  const KafkaConfig& k = c.kafka;
  EXPECT_EQ(k.bootstrap_servers, "broker1.bank.example:9093,broker2.bank.example:9093");
  EXPECT_EQ(k.group_id, "fraud-scoring");
  EXPECT_EQ(k.input_topics, (std::vector<std::string>{"pix.transactions.sent", "pix.transactions.received"}));
  EXPECT_EQ(k.scored_topic, "fraud.scored");
  EXPECT_EQ(k.alerts_topic, "fraud.alerts");
  EXPECT_EQ(k.dead_letter_topic, "fraud.dlq");
  EXPECT_EQ(k.delivery, KafkaConfig::Delivery::kAtLeastOnce);
  EXPECT_EQ(k.properties.size(), 8u);
  EXPECT_EQ(k.properties.at("security.protocol"), "sasl_ssl");
  EXPECT_EQ(k.properties.at("sasl.password"), "s3cret:with:colons");
  EXPECT_EQ(k.properties.at("enable.ssl.certificate.verification"), "false");
  EXPECT_EQ(k.properties.at("linger.ms"), "5");
}

TEST(Config, KafkaOneInputTopicAsAScalar) {
  Config c;
  const Status s = load_config(write_config("kafka:\n  bootstrap_servers: 127.0.0.1:9092\n  input_topics: in\n"), &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.kafka.input_topics, (std::vector<std::string>{"in"}));
  EXPECT_EQ(c.source.type, SourceConfig::Type::kGenerator);  // a kafka section alone changes no source
}

// ---- errors name the file, the line and the key --------------------------------------------

TEST(Config, KafkaSourceNeedsBootstrapServers) {
  expect_error_at("source:\n  type: kafka\n", 2, "kafka.bootstrap_servers", "required when source.type is kafka");
  expect_error_at("source:\n  type: kafka\nkafka:\n  group_id: g\n", 4, "kafka.bootstrap_servers", "required");
  expect_error_at("kafka:\n  bootstrap_servers: \"\"\n", 2, "kafka.bootstrap_servers", "empty");
  expect_error_at("source:\n  type: kafka\n  path: in.jsonl\nkafka:\n  bootstrap_servers: h:1\n", 3, "source.path",
                  "kafka.input_topics");
  expect_error_at("source:\n  type: kafka\n  format: csv\nkafka:\n  bootstrap_servers: h:1\n", 3,
                  "source.format", "JSON");
  expect_error_at("source:\n  type: kafak\n", 2, "source.type", "generator, file, kafka or delta");
}

TEST(Config, DeltaSourceNeedsThePathOfTheTable) {
  Config c;
  const Status s = load_config(write_config("source: {type: delta, path: data/decisions}\n"), &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.source.type, SourceConfig::Type::kDelta);
  EXPECT_EQ(c.source.path, "data/decisions");
  expect_error_at("source:\n  type: delta\n", 2, "source.path", "required when source.type is delta");
  expect_error_at("source:\n  type: delta\n  path: t\n  format: csv\n", 4, "source.format", "not used");
}

TEST(Config, KafkaUnknownPropertyNamedWithLibrdkafkasText) {
  expect_error_at(R"(kafka:
  bootstrap_servers: 127.0.0.1:9092
  properties:
    linger.ms: 5
    sasl.mechanism: PLAIN
    securty.protocol: ssl
)",
                  6, "kafka.properties.securty.protocol", "No such configuration property");
}

TEST(Config, KafkaBadPropertyValue) {
  expect_error_at("kafka:\n  properties:\n    security.protocol: tls\n", 3, "kafka.properties.security.protocol",
                  "tls");
  expect_error_at("kafka:\n  properties:\n    linger.ms: soon\n", 3, "kafka.properties.linger.ms");
  expect_error_at("kafka:\n  properties:\n    sasl.password: ~\n", 3, "kafka.properties.sasl.password",
                  "single value");
  expect_error_at("kafka:\n  properties: [linger.ms]\n", 2, "kafka.properties", "mapping");
  expect_error_at("kafka:\n  properties:\n    linger.ms: 5\n    linger.ms: 6\n", 4, "kafka.properties.linger.ms",
                  "twice");
}

TEST(Config, KafkaPropertiesPixguardOwns) {
  expect_error_at("kafka:\n  properties:\n    enable.auto.commit: true\n", 3,
                  "kafka.properties.enable.auto.commit", "set by pixguard");
  expect_error_at("kafka:\n  properties:\n    bootstrap.servers: h:1\n", 3, "kafka.properties.bootstrap.servers",
                  "kafka.bootstrap_servers");
  expect_error_at("kafka:\n  properties:\n    group.id: g\n", 3, "kafka.properties.group.id", "kafka.group_id");
  expect_error_at("kafka:\n  properties:\n    isolation.level: read_uncommitted\n", 3,
                  "kafka.properties.isolation.level", "read_committed");
  expect_error_at("kafka:\n  properties:\n    transactional.id: x\n", 3, "kafka.properties.transactional.id");
}

TEST(Config, KafkaTopicsAndDelivery) {
  expect_error_at("kafka:\n  input_topics: []\n", 2, "kafka.input_topics", "non-empty");
  expect_error_at("kafka:\n  input_topics: [a, \"pix transactions\"]\n", 2, "kafka.input_topics[1]",
                  "not a Kafka topic name");
  expect_error_at("kafka:\n  input_topics:\n    - a\n    - a\n", 4, "kafka.input_topics[1]", "twice");
  expect_error_at("kafka:\n  topics:\n    scored: ..\n", 3, "kafka.topics.scored", "topic name");
  expect_error_at("kafka:\n  topics:\n    alert: pix.alerts\n", 3, "kafka.topics.alert", "unknown key");
  expect_error_at("kafka:\n  delivery: exactly-once\n", 2, "kafka.delivery", "exactly_once or at_least_once");
  expect_error_at("kafka:\n  group_id: \"\"\n", 2, "kafka.group_id", "empty");
  expect_error_at("kafka:\n  bootstrap: h:1\n", 2, "kafka.bootstrap", "unknown key");
}


TEST(Config, UnknownKeyInAFeature) {
  expect_error_at(std::string(kFeatures) + R"(  - name: payer.count_1h
    kind: count
    key: payer
    windw: 1h
)",
                  9, "features[1].windw", "unknown key");
}

TEST(Config, UnknownTopLevelSection) {
  expect_error_at("pipeline:\n  id: x\nfeaturs: []\n", 3, "featurs", "unknown key");
}

TEST(Config, BadDuration) {
  expect_error_at(R"(features:
  - name: payer.count_5m
    kind: count
    key: payer
    window: 5x
)",
                  5, "features[0].window", "'5x'");
  expect_error_at("dedupe:\n  horizon: 24 h\n", 2, "dedupe.horizon", "invalid duration");
  // Long enough to overflow event-time arithmetic (watermark - horizon).
  expect_error_at("watermark:\n  allowed_lateness: 106751991d\n", 2, "watermark.allowed_lateness", "100 years");
}

TEST(Config, UnknownFeatureKind) {
  expect_error_at(std::string(kFeatures) + R"(  - name: payer.median_1h
    kind: median
    key: payer
    window: 1h
)",
                  7, "features[1].kind", "median");
}

TEST(Config, MissingWindowForCount) {
  expect_error_at(std::string(kFeatures) + R"(  - name: payer.count
    kind: count
    key: payer
)",
                  6, "features[1].window", "required");
}

TEST(Config, DuplicateFeatureName) {
  expect_error_at(std::string(kFeatures) + R"(  - name: payer.count_5m
    kind: sum
    key: payer
    window: 5m
)",
                  6, "features[1].name", "duplicate");
}

TEST(Config, RuleWithASyntaxError) {
  expect_error_at(std::string(kFeatures) + R"(rules:
  - name: fine
    when: payer.count_5m > 5
  - name: broken
    action: block
    when: payer.count_5m > and amount > 1
    reason: never compiles
)",
                  11, "rules[1].when", "broken");
}

TEST(Config, RuleNamingAnUnknownFeature) {
  expect_error_at(std::string(kFeatures) + R"(rules:
  - name: burst_7m
    when: payer.count_7m > 5
)",
                  8, "rules[0].when", "payer.count_7m");
}

TEST(Config, ReviewThresholdAboveBlockThreshold) {
  expect_error_at("decision:\n  review_threshold: 0.95\n  block_threshold: 0.9\n", 2, "decision",
                  "review_threshold");
}

TEST(Config, ThresholdOutOfRange) {
  expect_error_at("decision:\n  review_threshold: 0.5\n  block_threshold: 1.5\n", 3, "decision.block_threshold",
                  "between");
}

TEST(Config, UnknownFieldInInputFields) {
  expect_error_at("input:\n  fields:\n    amount: TX_AMOUNT\n    payer.acount: CUSTOMER_ID\n", 4,
                  "input.fields.payer.acount", "not a transaction field");
}

TEST(Config, BadTimeZoneName) {
  expect_error_at("input:\n  time_zone: America/Sao_Paolo\n", 2, "input.time_zone", "Sao_Paolo");
  expect_error_at("context:\n  time_zone: Mars/Olympus\n", 2, "context.time_zone", "Mars/Olympus");
  expect_error_at("context:\n  time_zone: ../../etc/passwd\n", 2, "context.time_zone");
}

TEST(Config, YamlSyntaxError) {
  expect_error_at("pipeline:\n  id: x\n batch_size: 5\n", 3, "");
}

// YAML requires the keys of a mapping to be unique. A repeated section (a second `rules:`
// appended at the end of the file) must not be silently ignored.
TEST(Config, DuplicateKeyIsAnError) {
  expect_error_at("pipeline:\n  id: first\n  id: second\n", 3, "pipeline.id");
  expect_error_at("decision:\n  review_threshold: 0.2\ndecision:\n  review_threshold: 0.3\n", 3, "decision");
}

TEST(Config, MissingFileIsNotFound) {
  const std::string path = ::testing::TempDir() + "/pixguard_config_test_no_such_file.yaml";
  Config c;
  const Status s = load_config(path, &c);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

// ---- durations -----------------------------------------------------------------------------

TEST(ParseDuration, Units) {
  const auto ok = [](std::string_view text) {
    int64_t us = -1;
    EXPECT_TRUE(parse_duration(text, &us)) << text;
    return us;
  };
  EXPECT_EQ(ok("250ms"), 250'000);
  EXPECT_EQ(ok("90s"), 90 * kSecond);
  EXPECT_EQ(ok("5m"), 5 * kMinute);
  EXPECT_EQ(ok("24h"), 24 * kHour);
  EXPECT_EQ(ok("30d"), 30 * kDay);
  EXPECT_EQ(ok("0s"), 0);
  EXPECT_EQ(ok("1ms"), 1000);
  EXPECT_EQ(ok("106751991d"), 106751991 * kDay);  // the largest whole number of days in int64 us
}

TEST(ParseDuration, Rejects) {
  for (const std::string_view bad : {"", "5", "5x", "-5m", "1.5h", " 5m", "5m ", "5 m", "+5m", "5M", "5mm", "ms",
                                     "m5", "5s5", "106751992d", "99999999999999999999s"}) {
    int64_t us = 12345;
    EXPECT_FALSE(parse_duration(bad, &us)) << "'" << bad << "'";
    EXPECT_EQ(us, 12345) << "written on failure: '" << bad << "'";
  }
}

}  // namespace
}  // namespace pixguard
