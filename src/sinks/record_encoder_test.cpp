#include "sinks/record_encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/hash.h"
#include "core/limits.h"
#include "privacy/message_cipher.h"

namespace pixguard {
namespace {

using Json = nlohmann::ordered_json;  // keeps the keys in the order they were written

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// RFC 4648 base64 decoding, independent of the encoder's own alphabet table.
std::string base64_decode(const std::string& in) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  EXPECT_EQ(in.size() % 4, 0u) << in;
  std::string out;
  for (std::size_t i = 0; i + 4 <= in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + static_cast<std::size_t>(k)];
      if (c == '=') {
        v[k] = 0;
        ++pad;
      } else {
        v[k] = value(c);
        EXPECT_GE(v[k], 0) << "not base64: " << c;
        EXPECT_EQ(pad, 0) << "data after padding";
      }
    }
    const unsigned n = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                       (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

std::vector<FeatureSpec> features() {
  std::vector<FeatureSpec> f(4);
  f[0].name = "payer.count_5m";
  f[1].name = "payer.mean_30d";
  f[2].name = "tx.amount";
  f[3].name = "context.night";
  return f;
}

DecisionOptions decision_options() {
  DecisionOptions d;
  d.review_threshold = 0.5;
  d.block_threshold = 0.9;
  d.rules = {RuleSpec{"burst_5m", "payer.count_5m > 5", Outcome::kReview, "more than 5 in 5 minutes", -1},
             RuleSpec{"night_large", "context.night == 1 and amount > 10", Outcome::kBlock, "large at \"night\"", -1}};
  return d;
}

// A scored transaction with every field set; views point at literals.
struct Example {
  Transaction tx;
  Enrichment enrichment;
  double feature_row[4] = {6, kNaN, 12.05, 1};
  ScoredRecord record;

  Example() {
    tx.end_to_end_id = "E65410049202611201454XBtDTgfFgZ2";
    tx.event_time_us = 1'795'186'473'123'456;  // 2026-11-20T14:54:33.123456Z
    tx.amount_cents = 1205;
    tx.payer = {"393246", "65410049", "07778080800"};
    tx.payee = {"012997", "44513060", "06330086729"};
    tx.payee_key = "user697@example.com.br";
    tx.payee_key_type = KeyType::kEmail;
    tx.initiation = Initiation::kManu;
    tx.channel = "APP";
    tx.device_id = "dev-1645";
    tx.description = "aluguel \"mar\xC3\xA7o\"\n\\";
    record.tx = &tx;
    record.enrichment = &enrichment;
    record.features = feature_row;
    record.decision.outcome = Outcome::kBlock;
    record.decision.score = 1.0;
    record.decision.fired = 0b11;
  }
};

RecordEncoder encoder() { return RecordEncoder(features(), decision_options().rules, decision_options()); }

// ---- scored records ------------------------------------------------------------------------

TEST(RecordEncoder, ScoredRecordIsJsonWithEveryField) {
  const Example e;
  std::string out;
  encoder().scored(e.record, "model-v3", &out);
  const Json j = Json::parse(out);  // throws (and fails the test) when not JSON

  EXPECT_EQ(j.at("end_to_end_id"), "E65410049202611201454XBtDTgfFgZ2");
  EXPECT_EQ(j.at("event_time"), "2026-11-20T14:54:33.123Z");
  EXPECT_EQ(j.at("amount"), "12.05");
  EXPECT_EQ(j.at("payer"), (Json{{"account", "393246"}, {"ispb", "65410049"}, {"document", "07778080800"}}));
  EXPECT_EQ(j.at("payee").at("key"), "user697@example.com.br");
  EXPECT_EQ(j.at("payee").at("key_type"), "EMAIL");
  EXPECT_EQ(j.at("payee").at("account"), "012997");
  EXPECT_EQ(j.at("payee").at("ispb"), "44513060");
  EXPECT_EQ(j.at("payee").at("document"), "06330086729");
  EXPECT_EQ(j.at("initiation"), "MANU");
  EXPECT_EQ(j.at("channel"), "APP");
  EXPECT_EQ(j.at("device_id"), "dev-1645");
  EXPECT_TRUE(j.at("ip").is_null());  // absent in the input
  EXPECT_EQ(j.at("description"), "aluguel \"mar\xC3\xA7o\"\n\\");
  EXPECT_TRUE(j.at("label").is_null());
  EXPECT_EQ(j.at("score"), 1.0);
  EXPECT_EQ(j.at("decision"), "block");
  EXPECT_EQ(j.at("model_version"), "model-v3");
  EXPECT_EQ(j.at("late"), false);
}

TEST(RecordEncoder, FeaturesInOrderWithNaNAsNull) {
  const Example e;
  std::string out;
  encoder().scored(e.record, "m", &out);
  const Json j = Json::parse(out);
  const Json& f = j.at("features");
  ASSERT_TRUE(f.is_object());
  std::vector<std::string> keys;
  for (auto it = f.begin(); it != f.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"payer.count_5m", "payer.mean_30d", "tx.amount", "context.night"}));
  EXPECT_EQ(f.at("payer.count_5m"), 6);
  EXPECT_TRUE(f.at("payer.mean_30d").is_null());
  EXPECT_EQ(f.at("tx.amount").get<double>(), 12.05);  // shortest round trip: the same double
  EXPECT_EQ(f.at("context.night"), 1);
}

TEST(RecordEncoder, InfiniteFeatureIsNull) {
  Example e;
  e.feature_row[0] = std::numeric_limits<double>::infinity();
  e.feature_row[2] = -std::numeric_limits<double>::infinity();
  std::string out;
  encoder().scored(e.record, "m", &out);
  const Json j = Json::parse(out);
  EXPECT_TRUE(j.at("features").at("payer.count_5m").is_null());
  EXPECT_TRUE(j.at("features").at("tx.amount").is_null());
}

TEST(RecordEncoder, ReasonsListTheFiredRules) {
  Example e;
  std::string out;
  encoder().scored(e.record, "m", &out);
  Json j = Json::parse(out);
  ASSERT_EQ(j.at("reasons").size(), 2u);
  EXPECT_EQ(j.at("reasons").at(0), (Json{{"rule", "burst_5m"}, {"action", "review"}, {"reason", "more than 5 in 5 minutes"}}));
  EXPECT_EQ(j.at("reasons").at(1).at("rule"), "night_large");
  EXPECT_EQ(j.at("reasons").at(1).at("action"), "block");
  EXPECT_EQ(j.at("reasons").at(1).at("reason"), "large at \"night\"");

  e.record.decision.fired = 0b10;
  out.clear();
  encoder().scored(e.record, "m", &out);
  j = Json::parse(out);
  ASSERT_EQ(j.at("reasons").size(), 1u);
  EXPECT_EQ(j.at("reasons").at(0).at("rule"), "night_large");

  e.record.decision = Decision{Outcome::kAllow, 0.1, 0, false};
  out.clear();
  encoder().scored(e.record, "m", &out);
  j = Json::parse(out);
  EXPECT_TRUE(j.at("reasons").is_array());
  EXPECT_TRUE(j.at("reasons").empty());
  EXPECT_EQ(j.at("decision"), "allow");
}

TEST(RecordEncoder, ThresholdReason) {
  Example e;
  e.record.decision = Decision{Outcome::kBlock, 0.95, 0b01, true};
  std::string out;
  encoder().scored(e.record, "m", &out);
  const Json j = Json::parse(out);
  ASSERT_EQ(j.at("reasons").size(), 2u);
  EXPECT_EQ(j.at("reasons").at(0).at("threshold"), "block");
  EXPECT_EQ(j.at("reasons").at(0).at("limit"), 0.9);
  EXPECT_EQ(j.at("reasons").at(1).at("rule"), "burst_5m");
  EXPECT_EQ(j.at("score"), 0.95);
}

TEST(RecordEncoder, AmountsAndTimesAreExact) {
  Example e;
  const std::pair<int64_t, const char*> amounts[] = {
      {1205, "12.05"}, {5, "0.05"}, {100, "1.00"}, {195604, "1956.04"}, {std::numeric_limits<int64_t>::max(), "92233720368547758.07"}};
  for (const auto& [cents, text] : amounts) {
    e.tx.amount_cents = cents;
    std::string out;
    encoder().scored(e.record, "m", &out);
    EXPECT_EQ(Json::parse(out).at("amount"), text);
  }
  e.tx.event_time_us = 1'795'186'473'000'000;
  std::string out;
  encoder().scored(e.record, "m", &out);
  EXPECT_EQ(Json::parse(out).at("event_time"), "2026-11-20T14:54:33.000Z");
}

TEST(RecordEncoder, LabelAndLate) {
  Example e;
  e.enrichment.label = 1;
  e.record.late = true;
  std::string out;
  encoder().scored(e.record, "m", &out);
  const Json j = Json::parse(out);
  EXPECT_EQ(j.at("label"), 1);
  EXPECT_EQ(j.at("late"), true);
}

TEST(RecordEncoder, EmptyOptionalFieldsAreNull) {
  Example e;
  e.tx.payee_key_type = KeyType::kNone;
  e.tx.initiation = Initiation::kNone;
  e.tx.end_to_end_id = {};
  e.tx.payer.document = {};
  std::string out;
  encoder().scored(e.record, "m", &out);
  const Json j = Json::parse(out);
  EXPECT_TRUE(j.at("payee").at("key_type").is_null());
  EXPECT_TRUE(j.at("initiation").is_null());
  EXPECT_TRUE(j.at("end_to_end_id").is_null());
  EXPECT_TRUE(j.at("payer").at("document").is_null());
}

TEST(RecordEncoder, AppendsToTheCallersBuffer) {
  const Example e;
  const RecordEncoder enc = encoder();
  std::string out = "[";
  enc.scored(e.record, "m", &out);
  out += ",";
  enc.alert(e.record, "m", &out);
  out += ",";
  ASSERT_TRUE(enc.dead_letter(DeadLetter{"{\"x\":", "file:in.jsonl", 3, {}, "malformed_json", {}}, &out).ok());
  out += "]";
  const Json j = Json::parse(out);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j.at(0).at("decision"), "block");
  EXPECT_EQ(j.at(1).at("decision"), "block");
  EXPECT_EQ(j.at(2).at("raw"), "{\"x\":");
}

// ---- alerts --------------------------------------------------------------------------------

TEST(RecordEncoder, AlertCarriesWhatAnAnalystActsOn) {
  const Example e;
  std::string out;
  encoder().alert(e.record, "model-v3", &out);
  const Json j = Json::parse(out);
  EXPECT_EQ(j.begin().key(), "decision");
  EXPECT_EQ(j.at("decision"), "block");
  EXPECT_EQ(j.at("end_to_end_id"), "E65410049202611201454XBtDTgfFgZ2");
  EXPECT_EQ(j.at("event_time"), "2026-11-20T14:54:33.123Z");
  EXPECT_EQ(j.at("amount"), "12.05");
  EXPECT_EQ(j.at("payer").at("account"), "393246");
  EXPECT_EQ(j.at("payee").at("key"), "user697@example.com.br");
  EXPECT_EQ(j.at("score"), 1.0);
  EXPECT_EQ(j.at("reasons").size(), 2u);
  EXPECT_EQ(j.at("model_version"), "model-v3");
  EXPECT_FALSE(j.contains("features"));
  EXPECT_FALSE(j.at("payer").contains("document"));  // personal data stays in the scored table
}

// ---- dead letters --------------------------------------------------------------------------

TEST(RecordEncoder, DeadLetterOfValidUtf8KeepsTheText) {
  const std::string raw = "{\"amount\": \"1.005\", \"d\": \"caf\xC3\xA9 \\\"q\\\"\t\x01\"}";
  std::string out;
  ASSERT_TRUE(encoder().dead_letter(DeadLetter{raw, "file:/data/in.jsonl", 42, "amount", "too_many_decimals", "at most 2"}, &out).ok());
  const Json j = Json::parse(out);
  EXPECT_EQ(j.at("raw"), raw);
  EXPECT_FALSE(j.contains("raw_base64"));
  EXPECT_EQ(j.at("source"), "file:/data/in.jsonl");
  EXPECT_EQ(j.at("position"), 42);
  EXPECT_EQ(j.at("field"), "amount");
  EXPECT_EQ(j.at("rule"), "too_many_decimals");
  EXPECT_EQ(j.at("detail"), "at most 2");
}

TEST(RecordEncoder, DeadLetterOfAWholeMessageHasNullField) {
  std::string out;
  ASSERT_TRUE(encoder().dead_letter(DeadLetter{"[1]", "generator", 0, {}, "not_an_object", {}}, &out).ok());
  const Json j = Json::parse(out);
  EXPECT_TRUE(j.at("field").is_null());
  EXPECT_TRUE(j.at("detail").is_null());
  EXPECT_EQ(j.at("rule"), "not_an_object");
  EXPECT_EQ(j.at("raw"), "[1]");
}

TEST(RecordEncoder, DeadLetterOfInvalidUtf8UsesBase64) {
  const RecordEncoder enc = encoder();
  // Every length modulo 3, so every padding case is covered.
  for (const std::string& raw : {std::string("\xFF"), std::string("\xFF\xFE"), std::string("\xFF\xFE\xFD"),
                                std::string("{\"d\": \"caf\xE9\"}"), std::string("\xC3\x28", 2),
                                std::string("ok\0\x80", 4), std::string("\xED\xA0\x80 surrogate")}) {
    std::string out;
    ASSERT_TRUE(enc.dead_letter(DeadLetter{raw, "file:x", 7, {}, "malformed_json", "bad"}, &out).ok());
    Json j;
    ASSERT_NO_THROW(j = Json::parse(out)) << out;
    EXPECT_FALSE(j.contains("raw")) << out;
    ASSERT_TRUE(j.contains("raw_base64")) << out;
    EXPECT_EQ(base64_decode(j.at("raw_base64").get<std::string>()), raw) << out;
    EXPECT_EQ(j.at("rule"), "malformed_json");
  }
  std::string out;
  ASSERT_TRUE(enc.dead_letter(DeadLetter{"\xFF\xFE\xFD", "s", 0, {}, "r", {}}, &out).ok());
  EXPECT_EQ(Json::parse(out).at("raw_base64"), "//79");
  out.clear();
  ASSERT_TRUE(enc.dead_letter(DeadLetter{"\x80", "s", 0, {}, "r", {}}, &out).ok());
  EXPECT_EQ(Json::parse(out).at("raw_base64"), "gA==");
  out.clear();
  ASSERT_TRUE(enc.dead_letter(DeadLetter{"\xC3\x28", "s", 0, {}, "r", {}}, &out).ok());
  EXPECT_EQ(Json::parse(out).at("raw_base64"), "wyg=");
}

std::string hex_hash(uint64_t h) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

TEST(RecordEncoder, DeadLetterOfALargeMessageKeepsAPrefixItsLengthAndHash) {
  std::string raw(3 << 20, 'a');
  raw[raw.size() / 2] = '\xFF';
  std::string out;
  ASSERT_TRUE(encoder().dead_letter(DeadLetter{raw, "s", 0, {}, "malformed_json", {}}, &out).ok());
  EXPECT_LT(out.size(), kDeadLetterMaxBytes);
  const Json j = Json::parse(out);
  EXPECT_EQ(j.at("raw"), raw.substr(0, kDeadLetterRawBytes));
  EXPECT_EQ(j.at("raw_truncated"), true);
  EXPECT_EQ(j.at("raw_bytes"), raw.size());
  EXPECT_EQ(j.at("raw_hash"), hex_hash(content_hash(raw)));
  // A message just within the bound is kept whole, without those fields.
  out.clear();
  ASSERT_TRUE(encoder().dead_letter(DeadLetter{raw.substr(0, kDeadLetterRawBytes), "s", 0, {}, "r", {}}, &out).ok());
  EXPECT_EQ(Json::parse(out).at("raw").get<std::string>().size(), kDeadLetterRawBytes);
  EXPECT_FALSE(Json::parse(out).contains("raw_bytes"));
}

TEST(RecordEncoder, DeadLetterOfACutMessageCarriesTheSourcesLengthAndHash) {
  // A source that would not hold the message passes its prefix, length and hash.
  const std::string prefix(kDeadLetterRawBytes, 'p');
  std::string out;
  DeadLetter d{prefix, "s", 9, {}, "message_too_large", {}};
  d.raw_size = 200u << 20;
  d.raw_hash = 0x0123456789abcdefull;
  ASSERT_TRUE(encoder().dead_letter(d, &out).ok());
  const Json j = Json::parse(out);
  EXPECT_EQ(j.at("raw"), prefix);
  EXPECT_EQ(j.at("raw_bytes"), 200u << 20);
  EXPECT_EQ(j.at("raw_hash"), "0123456789abcdef");
}

TEST(RecordEncoder, DeadLetterStaysUnderItsBoundWhateverTheBytes) {
  // Control characters escape to six bytes each; a character cut by the bound is dropped
  // rather than turning the prefix into base64.
  std::string control(1 << 20, '\x01');
  std::string out;
  ASSERT_TRUE(encoder().dead_letter(DeadLetter{control, std::string(4096, '\x02'), 0, {}, "r", {}}, &out).ok());
  EXPECT_LT(out.size(), kDeadLetterMaxBytes);
  EXPECT_EQ(Json::parse(out).at("raw"), control.substr(0, kDeadLetterRawBytes));
  std::string accents;
  while (accents.size() < 2 * kDeadLetterRawBytes) accents += "x\xC3\xA9";  // 3 bytes: the cut falls mid-character
  out.clear();
  ASSERT_TRUE(encoder().dead_letter(DeadLetter{accents, "s", 0, {}, "r", {}}, &out).ok());
  const std::string kept = Json::parse(out).at("raw");
  EXPECT_EQ(kept, accents.substr(0, kept.size()));
  EXPECT_GE(kept.size(), kDeadLetterRawBytes - 3);
  out.clear();
  const std::string binary(1 << 20, '\xFF');
  ASSERT_TRUE(encoder().dead_letter(DeadLetter{binary, "s", 0, {}, "r", {}}, &out).ok());
  EXPECT_LT(out.size(), kDeadLetterMaxBytes);
  EXPECT_EQ(base64_decode(Json::parse(out).at("raw_base64").get<std::string>()), binary.substr(0, kDeadLetterRawBytes));
}

TEST(RecordEncoder, DeadLetterBytesFollowThePrivacyPolicy) {
  const std::string raw = R"({"payer":{"document":"52998224725"},"amount":"-1"})";
  const DeadLetter d{raw, "file:in.jsonl", 9, "amount", "not_positive", {}};
  std::shared_ptr<const Privacy> redact;
  ASSERT_TRUE(Privacy::create({}, &redact).ok());
  std::string out;
  ASSERT_TRUE(RecordEncoder({}, {}, {}, redact.get()).dead_letter(d, &out).ok());
  EXPECT_EQ(out.find("52998224725"), std::string::npos) << out;
  Json j = Json::parse(out);
  EXPECT_EQ(j.at("raw_bytes"), raw.size());
  EXPECT_EQ(j.at("raw_redacted"), true);
  EXPECT_EQ(j.at("rule"), "not_positive");
  EXPECT_FALSE(j.contains("raw"));

  ::setenv("PIXGUARD_ENCODER_TEST_KEY", std::string(40, 'q').c_str(), 1);
  PrivacyOptions o;
  o.key_env = "PIXGUARD_ENCODER_TEST_KEY";
  o.dead_letters = DeadLetterBytes::kEncrypt;
  std::shared_ptr<const Privacy> encrypt;
  ASSERT_TRUE(Privacy::create(o, &encrypt).ok());
  out.clear();
  ASSERT_TRUE(RecordEncoder({}, {}, {}, encrypt.get()).dead_letter(d, &out).ok());
  EXPECT_EQ(out.find("52998224725"), std::string::npos) << out;
  j = Json::parse(out);
  std::string opened;
  ASSERT_TRUE(encrypt->cipher()->open(j.at("raw_encrypted").get<std::string>(), &opened).ok());
  EXPECT_EQ(opened, raw);
}

}  // namespace
}  // namespace pixguard
