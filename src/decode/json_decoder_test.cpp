#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "decode/decoder.h"

namespace pixguard {
namespace {

// The default JSON shape's example (docs/configuration.md, "input").
constexpr std::string_view kExample =
    R"({"end_to_end_id": "E65410049202611201454XBtDTgfFgZ2",
 "event_time": "2026-11-20T11:54:33-03:00",
 "amount": "1956.04",
 "payer": {"account": "393246", "ispb": "65410049", "document": "07778080800"},
 "payee": {"key": "user697@example.com.br", "key_type": "EMAIL", "account": "012997", "ispb": "44513060", "document": "06330086729"},
 "initiation": "MANU", "channel": "APP", "device_id": "dev-1645", "description": "aluguel"})";

// Decodes messages the way sources hand them over: the message followed by kMessagePadding
// readable bytes. The padding is filled with `pad` so that a decoder reading the padding as
// message content shows up as a wrong value.
class JsonDecoding {
 public:
  explicit JsonDecoding(const FieldMapping& mapping = FieldMapping::identity())
      : decoder_(make_json_decoder(mapping)) {}

  bool decode(std::string_view json, char pad = ' ') {
    buffer_.assign(json);
    buffer_.append(kMessagePadding, pad);
    arena_.reset(json.size() + 4096);
    why_ = Rejection{};
    return decoder_->decode(std::string_view(buffer_.data(), json.size()), &arena_, &values_, &why_);
  }

  const FieldValue& operator[](Field f) const { return values_[f]; }
  const Rejection& why() const { return why_; }

 private:
  std::unique_ptr<Decoder> decoder_;
  std::string buffer_;
  TextArena arena_;
  FieldValues values_;
  Rejection why_;
};

// One mapping entry changed from the identity.
FieldMapping identity_with(Field f, std::string name) {
  FieldMapping m = FieldMapping::identity();
  m.source_names[static_cast<std::size_t>(f)] = std::move(name);
  return m;
}

void expect_string(const FieldValue& v, std::string_view text) {
  EXPECT_EQ(v.kind, ValueKind::kString) << text;
  EXPECT_EQ(v.text, text);
}

void expect_number(const FieldValue& v, std::string_view text) {
  EXPECT_EQ(v.kind, ValueKind::kNumber) << text;
  EXPECT_EQ(v.text, text);
}

// ---- the default shape ---------------------------------------------------------------------

TEST(JsonDecoder, DefaultShapeDecodesEveryField) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(kExample)) << d.why().rule << ": " << d.why().detail;
  expect_string(d[Field::kEndToEndId], "E65410049202611201454XBtDTgfFgZ2");
  expect_string(d[Field::kEventTime], "2026-11-20T11:54:33-03:00");
  expect_string(d[Field::kAmount], "1956.04");
  expect_string(d[Field::kPayerAccount], "393246");
  expect_string(d[Field::kPayerIspb], "65410049");
  expect_string(d[Field::kPayerDocument], "07778080800");
  expect_string(d[Field::kPayeeKey], "user697@example.com.br");
  expect_string(d[Field::kPayeeKeyType], "EMAIL");
  expect_string(d[Field::kPayeeAccount], "012997");
  expect_string(d[Field::kPayeeIspb], "44513060");
  expect_string(d[Field::kPayeeDocument], "06330086729");
  expect_string(d[Field::kInitiation], "MANU");
  expect_string(d[Field::kChannel], "APP");
  expect_string(d[Field::kDeviceId], "dev-1645");
  expect_string(d[Field::kDescription], "aluguel");
  // Not in the message.
  EXPECT_EQ(d[Field::kIp].kind, ValueKind::kAbsent);
  EXPECT_EQ(d[Field::kLabel].kind, ValueKind::kAbsent);
}

TEST(JsonDecoder, KeyOrderDoesNotMatter) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"payee": {"ispb": "44513060", "key": "k"}, "amount": "1.00",)"
                       R"( "payer": {"document": "07778080800", "account": "a"}, "end_to_end_id": "E"})"))
      << d.why().rule;
  expect_string(d[Field::kPayeeIspb], "44513060");
  expect_string(d[Field::kPayeeKey], "k");
  expect_string(d[Field::kAmount], "1.00");
  expect_string(d[Field::kPayerDocument], "07778080800");
  expect_string(d[Field::kPayerAccount], "a");
  expect_string(d[Field::kEndToEndId], "E");
  EXPECT_EQ(d[Field::kPayerIspb].kind, ValueKind::kAbsent);
}

// ---- numbers: the raw token, exactly as written ----------------------------------------------

TEST(JsonDecoder, AmountAsNumberKeepsTheRawToken) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"amount": 1956.04, "channel": "APP"})"));
  expect_number(d[Field::kAmount], "1956.04");

  ASSERT_TRUE(d.decode(R"({"amount": 1956.040, "channel": "APP"})"));
  expect_number(d[Field::kAmount], "1956.040");  // never re-formatted through a double

  ASSERT_TRUE(d.decode(R"({"amount": 0.1})"));  // last value: followed by '}'
  expect_number(d[Field::kAmount], "0.1");

  ASSERT_TRUE(d.decode("{\"amount\":  1.5e3 \t\n , \"channel\": \"APP\"}"));  // whitespace after
  expect_number(d[Field::kAmount], "1.5e3");

  ASSERT_TRUE(d.decode(R"({"amount": -12.05})"));
  expect_number(d[Field::kAmount], "-12.05");

  // Digits beyond any double's precision survive.
  ASSERT_TRUE(d.decode(R"({"amount": 12345678901234567.89})"));
  expect_number(d[Field::kAmount], "12345678901234567.89");
}

TEST(JsonDecoder, AmountAsStringStaysAString) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"amount": "1956.040"})"));
  expect_string(d[Field::kAmount], "1956.040");
}

TEST(JsonDecoder, NumberAtTheEndIsNotExtendedIntoThePadding) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"amount":12})", '7')) << d.why().rule;
  expect_number(d[Field::kAmount], "12");
  ASSERT_TRUE(d.decode(R"({"label":1})", '0')) << d.why().rule;
  expect_number(d[Field::kLabel], "1");
}

TEST(JsonDecoder, NumericIdentifiersAreNumbers) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"payer": {"account": 393246}, "label": 0})"));
  expect_number(d[Field::kPayerAccount], "393246");
  expect_number(d[Field::kLabel], "0");
}

// ---- other value kinds ---------------------------------------------------------------------

TEST(JsonDecoder, NullIsNull) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"description": null, "payer": {"document": null}})"));
  EXPECT_EQ(d[Field::kDescription].kind, ValueKind::kNull);
  EXPECT_EQ(d[Field::kPayerDocument].kind, ValueKind::kNull);
  EXPECT_EQ(d[Field::kChannel].kind, ValueKind::kAbsent);
}

TEST(JsonDecoder, BooleansAreBools) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"label": true, "channel": false})"));
  EXPECT_EQ(d[Field::kLabel].kind, ValueKind::kBool);
  EXPECT_EQ(d[Field::kLabel].text, "true");
  EXPECT_EQ(d[Field::kChannel].kind, ValueKind::kBool);
  EXPECT_EQ(d[Field::kChannel].text, "false");
}

TEST(JsonDecoder, ObjectOrArrayWhereAScalarWasExpectedIsOther) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"amount": {"value": "1.00"}, "channel": ["APP", "IB"], "ip": [],)"
                       R"( "end_to_end_id": "E1"})"))
      << d.why().rule;
  EXPECT_EQ(d[Field::kAmount].kind, ValueKind::kOther);
  EXPECT_EQ(d[Field::kChannel].kind, ValueKind::kOther);
  EXPECT_EQ(d[Field::kIp].kind, ValueKind::kOther);
  // The values after the skipped object and arrays are still read.
  expect_string(d[Field::kEndToEndId], "E1");
}

TEST(JsonDecoder, ScalarWhereAnObjectWasExpectedLeavesTheLeavesAbsent) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"payer": "393246", "payee": null, "channel": "APP"})")) << d.why().rule;
  EXPECT_EQ(d[Field::kPayerAccount].kind, ValueKind::kAbsent);
  EXPECT_EQ(d[Field::kPayerIspb].kind, ValueKind::kAbsent);
  EXPECT_EQ(d[Field::kPayeeKey].kind, ValueKind::kAbsent);
  expect_string(d[Field::kChannel], "APP");
}

// ---- mappings ------------------------------------------------------------------------------

TEST(JsonDecoder, CustomDottedMappings) {
  FieldMapping m;  // nothing mapped but these
  m.source_names[static_cast<std::size_t>(Field::kEventTime)] = "tx.meta.when";
  m.source_names[static_cast<std::size_t>(Field::kAmount)] = "tx.value";
  m.source_names[static_cast<std::size_t>(Field::kEndToEndId)] = "tx.meta.id";
  m.source_names[static_cast<std::size_t>(Field::kPayerAccount)] = "from";
  m.source_names[static_cast<std::size_t>(Field::kPayeeAccount)] = "to.acct";
  JsonDecoding d(m);
  ASSERT_TRUE(d.decode(R"({"from": "A1", "tx": {"value": 10.50, "other": {"x": [1, 2]},)"
                       R"( "meta": {"id": "E9", "when": "2018-04-01 00:00:31", "extra": true}},)"
                       R"( "to": {"acct": "B2"}, "amount": "999.99", "payer": {"account": "nope"}})"))
      << d.why().rule << ": " << d.why().detail;
  expect_string(d[Field::kEventTime], "2018-04-01 00:00:31");
  expect_number(d[Field::kAmount], "10.50");
  expect_string(d[Field::kEndToEndId], "E9");
  expect_string(d[Field::kPayerAccount], "A1");
  expect_string(d[Field::kPayeeAccount], "B2");
  // The default names mean nothing under this mapping.
  for (Field f : {Field::kPayerIspb, Field::kPayeeKey, Field::kInitiation, Field::kLabel}) {
    EXPECT_EQ(d[f].kind, ValueKind::kAbsent) << field_name(f);
  }
}

TEST(JsonDecoder, UnmappedFieldsAreSkipped) {
  FieldMapping m = FieldMapping::identity();
  m.source_names[static_cast<std::size_t>(Field::kIp)].clear();
  m.source_names[static_cast<std::size_t>(Field::kPayerIspb)].clear();
  JsonDecoding d(m);
  ASSERT_TRUE(d.decode(R"({"ip": "10.0.0.1", "unknown": {"deep": [{"a": "b"}, null, 1e9]},)"
                       R"( "payer": {"ispb": "65410049", "account": "393246", "extra": "x"},)"
                       R"( "also_unknown": "\u00e9\"", "channel": "APP"})"))
      << d.why().rule;
  EXPECT_EQ(d[Field::kIp].kind, ValueKind::kAbsent);
  EXPECT_EQ(d[Field::kPayerIspb].kind, ValueKind::kAbsent);
  expect_string(d[Field::kPayerAccount], "393246");
  expect_string(d[Field::kChannel], "APP");
}

TEST(JsonDecoder, UnmappedKeysMayRepeat) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"x": 1, "x": 2, "channel": "APP"})")) << d.why().rule;
  expect_string(d[Field::kChannel], "APP");
}

// ---- strings -------------------------------------------------------------------------------

TEST(JsonDecoder, EscapedStringsAreUnescaped) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"description": "say \"oi\" \\ caf\u00e9 \ud83d\ude00 \/ \t\n"})"))
      << d.why().rule << ": " << d.why().detail;
  expect_string(d[Field::kDescription], "say \"oi\" \\ caf\xC3\xA9 \xF0\x9F\x98\x80 / \t\n");
}

TEST(JsonDecoder, RawUtf8PassesThrough) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode("{\"description\": \"pagamento \xC3\xA0 vista \xE2\x82\xAC\"}"));
  expect_string(d[Field::kDescription], "pagamento \xC3\xA0 vista \xE2\x82\xAC");
}

TEST(JsonDecoder, EscapedKeysMatchTheirUnescapedNames) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"end_to_end\u005fid": "E1", "p\u0061yer": {"account": "A"}})")) << d.why().rule;
  expect_string(d[Field::kEndToEndId], "E1");
  expect_string(d[Field::kPayerAccount], "A");
}

TEST(JsonDecoder, EmptyStringIsAnEmptyString) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(R"({"channel": ""})"));
  EXPECT_EQ(d[Field::kChannel].kind, ValueKind::kString);
  EXPECT_TRUE(d[Field::kChannel].text.empty());
}

TEST(JsonDecoder, InvalidEscapeIsMalformed) {
  JsonDecoding d;
  EXPECT_FALSE(d.decode(R"({"description": "bad \x escape"})"));
  EXPECT_EQ(d.why().rule, "malformed_json");
  EXPECT_FALSE(d.decode(R"({"description": "lone surrogate \ud83d"})"));
  EXPECT_EQ(d.why().rule, "malformed_json");
}

// ---- rejections ----------------------------------------------------------------------------

TEST(JsonDecoder, DuplicateMappedKeyIsRejected) {
  JsonDecoding d;
  EXPECT_FALSE(d.decode(R"({"amount": "1.00", "channel": "APP", "amount": "2.00"})"));
  EXPECT_EQ(d.why().rule, "duplicate_field");
  EXPECT_EQ(d.why().field_name(), "amount");

  // The same leaf reached twice through a repeated parent object.
  EXPECT_FALSE(d.decode(R"({"payer": {"account": "1"}, "payer": {"account": "2"}})"));
  EXPECT_EQ(d.why().rule, "duplicate_field");
  EXPECT_EQ(d.why().field_name(), "payer.account");

  // A repeated parent with different leaves is not a duplicate field.
  ASSERT_TRUE(d.decode(R"({"payer": {"account": "1"}, "payer": {"ispb": "65410049"}})")) << d.why().rule;
  expect_string(d[Field::kPayerAccount], "1");
  expect_string(d[Field::kPayerIspb], "65410049");
}

TEST(JsonDecoder, EveryTruncationIsRejected) {
  JsonDecoding d;
  for (std::size_t n = 0; n < kExample.size(); ++n) {
    const std::string_view prefix = kExample.substr(0, n);
    EXPECT_FALSE(d.decode(prefix)) << "prefix of " << n << " bytes: " << prefix;
    EXPECT_EQ(d.why().rule, "malformed_json") << "prefix of " << n << " bytes";
    EXPECT_EQ(d.why().field, -1);
  }
}

TEST(JsonDecoder, InvalidJsonIsRejected) {
  JsonDecoding d;
  for (const std::string_view bad : {
           R"({"amount": "1.00",})",             // trailing comma
           R"({"amount" "1.00"})",               // missing colon
           R"({'amount': '1.00'})",              // single quotes
           R"({amount: "1.00"})",                // unquoted key
           R"({"amount": "1.00" "channel": "APP"})",  // missing comma
           R"({"channel": "APP"]})",             // mismatched bracket
           R"({"payer": {"account": "1"})",      // unclosed inner object
           R"({"channel": tru})",                // broken literal in a mapped field
           "{\"channel\": \"a\tb\"}",       // raw tab (control character) inside a string
       }) {
    EXPECT_FALSE(d.decode(bad)) << bad;
    EXPECT_EQ(d.why().rule, "malformed_json") << bad;
  }
}

// A mapped number is kept as its raw token, so the token itself must be a JSON number:
// otherwise `{"payer": {"account": 12abc}}` would be read as account "12abc" and
// `{"amount": 01}` as R$ 1.00, from messages that are not JSON.
TEST(JsonDecoder, InvalidNumberTokenInAMappedFieldIsRejected) {
  JsonDecoding d;
  for (const std::string_view bad : {
           R"({"amount": 12abc})",
           R"({"amount": 01})",
           R"({"amount": 1.})",
           R"({"amount": -})",
           R"({"amount": 1e})",
           R"({"payer": {"account": 12abc}})",
       }) {
    EXPECT_FALSE(d.decode(bad)) << bad << " decoded as [" << d[Field::kAmount].text << "] ["
                                << d[Field::kPayerAccount].text << "]";
    EXPECT_EQ(d.why().rule, "malformed_json") << bad;
  }
}

// Skipping an unmapped value must not make an invalid message valid: a message that is not
// JSON goes to the dead letters whichever of its parts the mapping reads.
TEST(JsonDecoder, InvalidJsonInsideAnUnmappedValueIsRejected) {
  JsonDecoding d;
  for (const std::string_view bad : {
           R"({"x": tru, "channel": "APP"})",
           R"({"x": nul, "channel": "APP"})",
           R"({"x": 00, "channel": "APP"})",
           R"({"x": [1,,2], "channel": "APP"})",
           R"({"x": {"a" 1}, "channel": "APP"})",
       }) {
    EXPECT_FALSE(d.decode(bad)) << bad;
    EXPECT_EQ(d.why().rule, "malformed_json") << bad;
  }
}

// Found by fuzz/json_decode_fuzzer (checked against nlohmann::json): these are not JSON, but
// On-Demand skips what a decoder leaves unread without checking it, so they were accepted.
TEST(JsonDecoder, InvalidJsonWhereAnObjectWasExpectedIsRejected) {
  JsonDecoding d;
  for (const std::string_view bad : {
           R"({"payer": tru, "channel": "APP"})",
           R"({"payer": [01], "channel": "APP"})",
           R"({"payee": "\q", "channel": "APP"})",
           R"({"payer": [1,,2], "channel": "APP"})",
       }) {
    EXPECT_FALSE(d.decode(bad)) << bad;
    EXPECT_EQ(d.why().rule, "malformed_json") << bad;
  }
  // A well-formed scalar or array there is still fine (its leaves stay absent).
  EXPECT_TRUE(d.decode(R"({"payer": [1, {"a": null}], "payee": 5, "channel": "APP"})")) << d.why().rule;
}

TEST(JsonDecoder, InvalidEscapeInAnUnmappedKeyIsRejected) {
  JsonDecoding d;
  for (const std::string_view bad : {
           R"({"x": {"\u8u": 1}, "channel": "APP"})",
           R"({"x": [{"a\q": 1}], "channel": "APP"})",
           R"({"payer": {"y": {"\ud800": 1}}, "channel": "APP"})",
       }) {
    EXPECT_FALSE(d.decode(bad)) << bad;
    EXPECT_EQ(d.why().rule, "malformed_json") << bad;
  }
  ASSERT_TRUE(d.decode(R"({"x": {"\u0041\n": 1}, "channel": "APP"})")) << d.why().rule;
  expect_string(d[Field::kChannel], "APP");
}

TEST(JsonDecoder, StringValueFollowedByAColonIsRejected) {
  JsonDecoding d;
  for (const std::string_view bad : {
           R"({"event_time": "": ""}})",
           R"({"x": "", "event_time": "a": "b"}, "y": 1})",
           R"({"channel": "APP": "x"}})",
       }) {
    EXPECT_FALSE(d.decode(bad)) << bad;
    EXPECT_EQ(d.why().rule, "malformed_json") << bad;
  }
}

TEST(JsonDecoder, EmptyOrBlankMessageIsRejected) {
  JsonDecoding d;
  EXPECT_FALSE(d.decode(""));
  EXPECT_EQ(d.why().rule, "malformed_json");
  EXPECT_FALSE(d.decode("   \n"));
  EXPECT_EQ(d.why().rule, "malformed_json");
}

TEST(JsonDecoder, TrailingContentAfterTheObjectIsRejected) {
  JsonDecoding d;
  const std::string example(kExample);
  for (const std::string& bad : {example + " x", example + "{}", example + " 1", example + ",",
                                 std::string(R"({"channel": "APP"} {"channel": "IB"})")}) {
    EXPECT_FALSE(d.decode(bad)) << bad;
    EXPECT_EQ(d.why().rule, "malformed_json") << bad;
  }
  // Trailing whitespace (a newline left on a JSON line) is fine.
  ASSERT_TRUE(d.decode(example + " \r\n")) << d.why().rule << ": " << d.why().detail;
  expect_string(d[Field::kDescription], "aluguel");
}

TEST(JsonDecoder, TopLevelNonObjectIsRejected) {
  JsonDecoding d;
  for (const std::string_view bad : {R"([{"amount": "1.00"}])", "42", R"("text")", "true", "null", "[]"}) {
    EXPECT_FALSE(d.decode(bad)) << bad;
    EXPECT_TRUE(d.why().rule == "not_an_object" || d.why().rule == "malformed_json")
        << bad << ": " << d.why().rule;
    EXPECT_EQ(d.why().field, -1) << bad;
  }
  // The common cases name the problem precisely.
  EXPECT_FALSE(d.decode(R"([{"amount": "1.00"}])"));
  EXPECT_EQ(d.why().rule, "not_an_object");
  EXPECT_FALSE(d.decode("42"));
  EXPECT_EQ(d.why().rule, "not_an_object");
}

TEST(JsonDecoder, ByteOrderMarkBeforeTheObjectIsIgnored) {
  JsonDecoding d;
  const std::string bom = "\xEF\xBB\xBF";
  ASSERT_TRUE(d.decode(bom + std::string(kExample))) << d.why().rule << ": " << d.why().detail;
  expect_string(d[Field::kEndToEndId], "E65410049202611201454XBtDTgfFgZ2");
  expect_string(d[Field::kDescription], "aluguel");
  // Only one, and only at the start.
  EXPECT_FALSE(d.decode(bom + bom + std::string(kExample)));
  EXPECT_EQ(d.why().rule, "not_an_object");
  EXPECT_FALSE(d.decode(R"({"amount": "1.00"})" + bom));
  EXPECT_EQ(d.why().rule, "malformed_json");
  // A mark and nothing else is an empty message.
  for (const std::string& blank : {bom, bom + "  \r"}) {
    EXPECT_FALSE(d.decode(blank));
    EXPECT_EQ(d.why().rule, "empty_message");
    EXPECT_EQ(d.why().field, -1);
  }
}

TEST(JsonDecoder, InvalidUtf8IsRejected) {
  JsonDecoding d;
  for (const std::string_view bad : {
           "{\"description\": \"caf\xC3\"}",                     // truncated sequence, mapped
           "{\"unmapped\": \"\xFF\xFE\", \"channel\": \"APP\"}",  // invalid bytes, unmapped
           "{\"descr\xE9ption\": \"x\"}",                         // Latin-1 byte in a key
           "{\"description\": \"\xED\xA0\x80\"}",                 // encoded surrogate
           "{\"description\": \"\xC0\xAF\"}",                     // overlong encoding
       }) {
    EXPECT_FALSE(d.decode(bad)) << bad;
    EXPECT_FALSE(d.why().rule.empty());
  }
}

// ---- reuse ---------------------------------------------------------------------------------

TEST(JsonDecoder, ReuseClearsThePreviousMessage) {
  JsonDecoding d;
  ASSERT_TRUE(d.decode(kExample));
  ASSERT_TRUE(d.decode(R"({"amount": "5.00"})"));
  expect_string(d[Field::kAmount], "5.00");
  EXPECT_EQ(d[Field::kEndToEndId].kind, ValueKind::kAbsent);
  EXPECT_EQ(d[Field::kDescription].kind, ValueKind::kAbsent);
  // A field seen in the previous message is not a duplicate in this one.
  ASSERT_TRUE(d.decode(kExample)) << d.why().rule;
  ASSERT_TRUE(d.decode(kExample)) << d.why().rule;
  // A failure does not leave the decoder unusable.
  EXPECT_FALSE(d.decode("{\"amount\": "));
  ASSERT_TRUE(d.decode(kExample)) << d.why().rule;
  expect_string(d[Field::kAmount], "1956.04");
}

TEST(JsonDecoder, LargeMessage) {
  JsonDecoding d(identity_with(Field::kDescription, "note"));
  const std::string big(1 << 20, 'a');
  ASSERT_TRUE(d.decode(R"({"amount": "1.00", "note": ")" + big + R"("})")) << d.why().rule;
  EXPECT_EQ(d[Field::kDescription].text, big);
}

}  // namespace
}  // namespace pixguard
