#include "validate/validator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "decode/decoder.h"

namespace pixguard {
namespace {

constexpr int64_t kNoEventYet = std::numeric_limits<int64_t>::min();
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kDay = 86'400 * kSecond;
// 2026-11-20T11:54:33-03:00 = 2026-11-20T14:54:33Z.
constexpr int64_t kExampleTimeUs = 1'795'186'473 * kSecond;

// The valid example of docs/configuration.md, "input", as the JSON decoder hands it over.
FieldValues example() {
  FieldValues v;
  const auto s = [&v](Field f, std::string_view text) { v[f] = {text, ValueKind::kString}; };
  s(Field::kEndToEndId, "E65410049202611201454XBtDTgfFgZ2");
  s(Field::kEventTime, "2026-11-20T11:54:33-03:00");
  s(Field::kAmount, "1956.04");
  s(Field::kPayerAccount, "393246");
  s(Field::kPayerIspb, "65410049");
  s(Field::kPayerDocument, "07778080800");
  s(Field::kPayeeKey, "user697@example.com.br");
  s(Field::kPayeeKeyType, "EMAIL");
  s(Field::kPayeeAccount, "012997");
  s(Field::kPayeeIspb, "44513060");
  s(Field::kPayeeDocument, "06330086729");
  s(Field::kInitiation, "MANU");
  s(Field::kChannel, "APP");
  s(Field::kDeviceId, "dev-1645");
  s(Field::kDescription, "aluguel");
  return v;
}

FieldValues with(FieldValues v, Field f, std::string_view text, ValueKind kind = ValueKind::kString) {
  v[f] = {text, kind};
  return v;
}

FieldValues without(FieldValues v, Field f) {
  v[f] = FieldValue{};
  return v;
}

// Validates and expects acceptance; the transaction's views point into `in`.
Transaction accepted(const Validator& validator, const FieldValues& in, int64_t max_event_time_us = kNoEventYet) {
  Transaction tx;
  Rejection why;
  EXPECT_TRUE(validator.validate(in, max_event_time_us, &tx, &why))
      << "rejected: " << why.field_name() << " " << why.rule << " (" << why.detail << ")";
  return tx;
}

::testing::AssertionResult rejected(const Validator& validator, const FieldValues& in, Field field,
                                    std::string_view rule, int64_t max_event_time_us = kNoEventYet) {
  Transaction tx;
  Rejection why;
  if (validator.validate(in, max_event_time_us, &tx, &why)) {
    return ::testing::AssertionFailure() << "accepted; expected " << field_name(field) << " " << rule;
  }
  if (why.field != static_cast<int>(field) || why.rule != rule) {
    return ::testing::AssertionFailure() << "rejected as " << why.field_name() << " " << why.rule << " ("
                                         << why.detail << "); expected " << field_name(field) << " " << rule;
  }
  return ::testing::AssertionSuccess();
}

ValidationOptions pix_off(Field f) {
  ValidationOptions o;
  o.pix_rules.reset(static_cast<std::size_t>(f));
  return o;
}

std::string repeat(std::string_view unit, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += unit;
  return s;
}

// ---- the valid example ---------------------------------------------------------------------

TEST(Validator, AcceptsTheSpecExampleWithExactValues) {
  const Validator v{ValidationOptions{}};
  const FieldValues in = example();
  const Transaction tx = accepted(v, in);
  EXPECT_EQ(tx.end_to_end_id, "E65410049202611201454XBtDTgfFgZ2");
  EXPECT_EQ(tx.event_time_us, kExampleTimeUs);
  EXPECT_EQ(tx.amount_cents, 195604);
  EXPECT_EQ(tx.payer.account, "393246");
  EXPECT_EQ(tx.payer.ispb, "65410049");
  EXPECT_EQ(tx.payer.document, "07778080800");
  EXPECT_EQ(tx.payee_key, "user697@example.com.br");
  EXPECT_EQ(tx.payee_key_type, KeyType::kEmail);
  EXPECT_EQ(tx.payee.account, "012997");
  EXPECT_EQ(tx.payee.ispb, "44513060");
  EXPECT_EQ(tx.payee.document, "06330086729");
  EXPECT_EQ(tx.initiation, Initiation::kManu);
  EXPECT_EQ(tx.channel, "APP");
  EXPECT_EQ(tx.device_id, "dev-1645");
  EXPECT_TRUE(tx.ip.empty());
  EXPECT_EQ(tx.description, "aluguel");
  EXPECT_EQ(tx.label, -1);
}

TEST(Validator, AcceptsTheSpecExampleThroughTheJsonDecoder) {
  constexpr std::string_view kJson =
      R"({"end_to_end_id": "E65410049202611201454XBtDTgfFgZ2",
 "event_time": "2026-11-20T11:54:33-03:00",
 "amount": 1956.040,
 "payer": {"account": "393246", "ispb": "65410049", "document": "07778080800"},
 "payee": {"key": "user697@example.com.br", "key_type": "EMAIL", "account": "012997", "ispb": "44513060", "document": "06330086729"},
 "initiation": "MANU", "channel": "APP", "device_id": "dev-1645", "description": "aluguel"})";
  std::string buffer(kJson);
  buffer.append(kMessagePadding, ' ');
  TextArena arena;
  arena.reset(buffer.size());
  FieldValues values;
  Rejection why;
  ASSERT_TRUE(make_json_decoder(FieldMapping::identity())
                  ->decode(std::string_view(buffer.data(), kJson.size()), &arena, &values, &why))
      << why.rule;
  const Validator v{ValidationOptions{}};
  const Transaction tx = accepted(v, values);
  EXPECT_EQ(tx.amount_cents, 195604);  // the number token 1956.040, exactly
  EXPECT_EQ(tx.event_time_us, kExampleTimeUs);
  EXPECT_EQ(tx.payee_key_type, KeyType::kEmail);
  EXPECT_EQ(tx.initiation, Initiation::kManu);
}

TEST(Validator, AmountAsNumberToken) {
  const Validator v{ValidationOptions{}};
  EXPECT_EQ(accepted(v, with(example(), Field::kAmount, "1956.040", ValueKind::kNumber)).amount_cents, 195604);
  EXPECT_EQ(accepted(v, with(example(), Field::kAmount, "0.01", ValueKind::kNumber)).amount_cents, 1);
  EXPECT_EQ(accepted(v, with(example(), Field::kAmount, "1.5e3", ValueKind::kNumber)).amount_cents, 150000);
}

TEST(Validator, EveryKeyTypeAndInitiation) {
  const Validator v{ValidationOptions{}};
  struct Key {
    const char* type;
    const char* key;
    KeyType parsed;
  };
  for (const Key& k : {Key{"CPF", "52998224725", KeyType::kCpf}, Key{"CNPJ", "11222333000181", KeyType::kCnpj},
                       Key{"PHONE", "+5511987654321", KeyType::kPhone},
                       Key{"EMAIL", "a.b@example.com", KeyType::kEmail},
                       Key{"EVP", "f47ac10b-58cc-4372-a567-0e02b2c3d479", KeyType::kEvp}}) {
    const FieldValues in = with(with(example(), Field::kPayeeKeyType, k.type), Field::kPayeeKey, k.key);
    EXPECT_EQ(accepted(v, in).payee_key_type, k.parsed) << k.type;
  }
  const std::pair<const char*, Initiation> initiations[] = {
      {"MANU", Initiation::kManu}, {"DICT", Initiation::kDict}, {"QRES", Initiation::kQres}, {"QRDN", Initiation::kQrdn},
      {"INIC", Initiation::kInic}, {"APDN", Initiation::kApdn}, {"AUTO", Initiation::kAuto}};
  for (const auto& [text, parsed] : initiations) {
    EXPECT_EQ(accepted(v, with(example(), Field::kInitiation, text)).initiation, parsed) << text;
  }
}

TEST(Validator, CnpjDocumentsAreAccepted) {
  const Validator v{ValidationOptions{}};
  const Transaction tx = accepted(v, with(example(), Field::kPayeeDocument, "12ABC34501DE35"));
  EXPECT_EQ(tx.payee.document, "12ABC34501DE35");
}

TEST(Validator, OptionalFieldsMayBeAbsentOrNull) {
  const Validator v{ValidationOptions{}};
  FieldValues in = example();
  for (Field f : {Field::kChannel, Field::kDeviceId, Field::kIp, Field::kDescription, Field::kLabel}) {
    in = without(in, f);
  }
  accepted(v, in);
  for (Field f : {Field::kChannel, Field::kDeviceId, Field::kIp, Field::kDescription, Field::kLabel}) {
    in = with(in, f, "", ValueKind::kNull);
  }
  const Transaction tx = accepted(v, in);
  EXPECT_TRUE(tx.channel.empty());
  EXPECT_EQ(tx.label, -1);
}

// ---- one test per rule ---------------------------------------------------------------------

TEST(Validator, RuleMissing) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(rejected(v, without(example(), Field::kEndToEndId), Field::kEndToEndId, "missing"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kEndToEndId, "", ValueKind::kNull), Field::kEndToEndId, "missing"));
  EXPECT_TRUE(rejected(v, without(example(), Field::kEventTime), Field::kEventTime, "missing"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, "", ValueKind::kNull), Field::kAmount, "missing"));
  EXPECT_TRUE(rejected(v, without(example(), Field::kPayerAccount), Field::kPayerAccount, "missing"));
  EXPECT_TRUE(rejected(v, without(example(), Field::kPayeeDocument), Field::kPayeeDocument, "missing"));
  EXPECT_TRUE(rejected(v, without(example(), Field::kPayeeKeyType), Field::kPayeeKeyType, "missing"));
  EXPECT_TRUE(rejected(v, without(example(), Field::kInitiation), Field::kInitiation, "missing"));
}

TEST(Validator, RuleWrongType) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayerAccount, "true", ValueKind::kBool), Field::kPayerAccount,
                       "wrong_type"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayeeIspb, "", ValueKind::kOther), Field::kPayeeIspb, "wrong_type"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kEventTime, "", ValueKind::kOther), Field::kEventTime, "wrong_type"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, "true", ValueKind::kBool), Field::kAmount, "wrong_type"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kChannel, "", ValueKind::kOther), Field::kChannel, "wrong_type"));
}

TEST(Validator, RuleInvalidTimestamp) {
  const Validator v{ValidationOptions{}};
  for (const char* bad : {"2026-02-30T00:00:00Z", "yesterday", "2026-11-20T11:54:33+25:00", "20/11/2026 11:54"}) {
    EXPECT_TRUE(rejected(v, with(example(), Field::kEventTime, bad), Field::kEventTime, "invalid_timestamp")) << bad;
  }
}

TEST(Validator, RuleTooFarInFuture) {
  const Validator v{ValidationOptions{}};  // max_future 1 day
  const int64_t anchor = kExampleTimeUs - kDay;
  EXPECT_TRUE(rejected(v, example(), Field::kEventTime, "too_far_in_future", anchor - 1));
  EXPECT_EQ(accepted(v, example(), anchor).event_time_us, kExampleTimeUs);  // exactly max_future ahead
  // Without any event yet there is no anchor.
  accepted(v, with(example(), Field::kEventTime, "2199-12-31T23:59:59Z"));

  ValidationOptions o;
  o.max_future_us = 60 * kSecond;
  const Validator strict(o);
  EXPECT_TRUE(rejected(strict, example(), Field::kEventTime, "too_far_in_future", kExampleTimeUs - 61 * kSecond));
  accepted(strict, example(), kExampleTimeUs - 60 * kSecond);
}

TEST(Validator, RuleTooFarInPast) {
  const Validator v{ValidationOptions{}};  // max_past 400 days
  const int64_t anchor = kExampleTimeUs + 400 * kDay;
  EXPECT_TRUE(rejected(v, example(), Field::kEventTime, "too_far_in_past", anchor + 1));
  accepted(v, example(), anchor);
  // Ordinary disorder is fine.
  accepted(v, example(), kExampleTimeUs + 3600 * kSecond);
}

TEST(Validator, RuleInvalidAmount) {
  const Validator v{ValidationOptions{}};
  for (const char* bad : {"12,50", "abc", "1.2.3", "NaN", "R$ 10", ".5", " 1.00"}) {
    EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, bad), Field::kAmount, "invalid_amount")) << bad;
  }
}

TEST(Validator, RuleTooManyDecimals) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, "1.005"), Field::kAmount, "too_many_decimals"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, "0.001", ValueKind::kNumber), Field::kAmount,
                       "too_many_decimals"));
  EXPECT_EQ(accepted(v, with(example(), Field::kAmount, "1.500")).amount_cents, 150);
}

TEST(Validator, RuleAmountOverflow) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, "92233720368547758.08"), Field::kAmount, "amount_overflow"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, "1e30", ValueKind::kNumber), Field::kAmount,
                       "amount_overflow"));
  EXPECT_EQ(accepted(v, with(example(), Field::kAmount, "92233720368547758.07")).amount_cents,
            std::numeric_limits<int64_t>::max());
}

TEST(Validator, RuleNotPositive) {
  const Validator v{ValidationOptions{}};
  for (const char* bad : {"0", "0.00", "-0", "-1.00", "-0.01"}) {
    EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, bad), Field::kAmount, "not_positive")) << bad;
  }
  EXPECT_EQ(accepted(v, with(example(), Field::kAmount, "0.01")).amount_cents, 1);
}

// input.amount: data sets whose amounts went through floats, and that hold zero amounts.
TEST(Validator, AmountPoliciesRoundAndAcceptZero) {
  ValidationOptions o;
  o.round_amounts = true;
  o.accept_zero_amount = true;
  const Validator v{o};
  Transaction tx = accepted(v, with(example(), Field::kAmount, "85.64999999999999", ValueKind::kNumber));
  EXPECT_EQ(tx.amount_cents, 8565);
  EXPECT_TRUE(tx.amount_rounded);
  tx = accepted(v, with(example(), Field::kAmount, "12.50"));
  EXPECT_EQ(tx.amount_cents, 1250);
  EXPECT_FALSE(tx.amount_rounded);
  for (const char* zero : {"0", "0.0", "0.001"}) {
    EXPECT_EQ(accepted(v, with(example(), Field::kAmount, zero)).amount_cents, 0) << zero;
  }
  for (const char* bad : {"-1.00", "-0.01", "-0.006"}) {
    EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, bad), Field::kAmount, "not_positive")) << bad;
  }
  // Each policy alone.
  o.accept_zero_amount = false;
  EXPECT_TRUE(rejected(Validator{o}, with(example(), Field::kAmount, "0.0"), Field::kAmount, "not_positive"));
  EXPECT_TRUE(rejected(Validator{o}, with(example(), Field::kAmount, "0.004"), Field::kAmount, "not_positive"));
  o.round_amounts = false;
  o.accept_zero_amount = true;
  EXPECT_TRUE(rejected(Validator{o}, with(example(), Field::kAmount, "1.005"), Field::kAmount, "too_many_decimals"));
  EXPECT_EQ(accepted(Validator{o}, with(example(), Field::kAmount, "0")).amount_cents, 0);
}

TEST(Validator, RuleEmpty) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayerAccount, ""), Field::kPayerAccount, "empty"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kEndToEndId, ""), Field::kEndToEndId, "empty"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayeeKey, ""), Field::kPayeeKey, "empty"));
  // An optional field may be empty.
  EXPECT_TRUE(accepted(v, with(example(), Field::kChannel, "")).channel.empty());
}

TEST(Validator, RuleInvalidEndToEndId) {
  const Validator v{ValidationOptions{}};
  for (const char* bad : {"E6541004920261120145", "E65410049202613201454XBtDTgfFgZ2", "X65410049202611201454XBtDTgfFgZ2",
                          "E65410049202611201454XBtDTgfFgZ2x", "E65410049202611201454XBtDTgfFg-2"}) {
    EXPECT_TRUE(rejected(v, with(example(), Field::kEndToEndId, bad), Field::kEndToEndId, "invalid_end_to_end_id"))
        << bad;
  }
}

TEST(Validator, RuleInvalidIspb) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayerIspb, "6541004"), Field::kPayerIspb, "invalid_ispb"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayeeIspb, "4451306X"), Field::kPayeeIspb, "invalid_ispb"));
}

TEST(Validator, RuleInvalidCpf) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayerDocument, "07778080801"), Field::kPayerDocument, "invalid_cpf"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayeeDocument, "11111111111"), Field::kPayeeDocument, "invalid_cpf"));
}

TEST(Validator, RuleInvalidCnpj) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(
      rejected(v, with(example(), Field::kPayerDocument, "11222333000182"), Field::kPayerDocument, "invalid_cnpj"));
  EXPECT_TRUE(
      rejected(v, with(example(), Field::kPayeeDocument, "12abc34501de35"), Field::kPayeeDocument, "invalid_cnpj"));
}

TEST(Validator, RuleInvalidDocumentLength) {
  const Validator v{ValidationOptions{}};
  for (const char* bad : {"123", "077780808000", "0777808080", "112223330001810"}) {
    EXPECT_TRUE(rejected(v, with(example(), Field::kPayerDocument, bad), Field::kPayerDocument,
                         "invalid_document_length"))
        << bad;
  }
}

TEST(Validator, RuleUnknownKeyType) {
  const Validator v{ValidationOptions{}};
  for (const char* bad : {"TELEFONE", "email", "ALEATORIA"}) {
    EXPECT_TRUE(rejected(v, with(example(), Field::kPayeeKeyType, bad), Field::kPayeeKeyType, "unknown_key_type"))
        << bad;
  }
}

TEST(Validator, RuleInvalidPixKey) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayeeKey, "User697@example.com.br"), Field::kPayeeKey,
                       "invalid_pix_key"));
  const FieldValues cpf = with(example(), Field::kPayeeKeyType, "CPF");
  EXPECT_TRUE(rejected(v, with(cpf, Field::kPayeeKey, "07778080801"), Field::kPayeeKey, "invalid_pix_key"));
  EXPECT_TRUE(rejected(v, cpf, Field::kPayeeKey, "invalid_pix_key"));  // an e-mail under type CPF
  const FieldValues phone = with(example(), Field::kPayeeKeyType, "PHONE");
  EXPECT_TRUE(rejected(v, with(phone, Field::kPayeeKey, "11987654321"), Field::kPayeeKey, "invalid_pix_key"));
}

TEST(Validator, RuleUnknownInitiation) {
  const Validator v{ValidationOptions{}};
  for (const char* bad : {"manu", "XXXX", "MANUAL"}) {
    EXPECT_TRUE(rejected(v, with(example(), Field::kInitiation, bad), Field::kInitiation, "unknown_initiation")) << bad;
  }
}

TEST(Validator, RuleTooLong) {
  const Validator v{ValidationOptions{}};
  const std::string ok = repeat("a", 140);
  const std::string bad = repeat("a", 141);
  EXPECT_EQ(accepted(v, with(example(), Field::kDescription, ok)).description, ok);
  EXPECT_TRUE(rejected(v, with(example(), Field::kDescription, bad), Field::kDescription, "too_long"));
}

TEST(Validator, DescriptionLengthCountsCharactersNotBytes) {
  const Validator v{ValidationOptions{}};
  const std::string e140 = repeat("\xC3\xA9", 140);  // é: 280 bytes
  const std::string e141 = repeat("\xC3\xA9", 141);
  EXPECT_EQ(accepted(v, with(example(), Field::kDescription, e140)).description, e140);
  EXPECT_TRUE(rejected(v, with(example(), Field::kDescription, e141), Field::kDescription, "too_long"));
  const std::string emoji140 = repeat("\xF0\x9F\x98\x80", 140);  // 4-byte characters
  const std::string emoji141 = repeat("\xF0\x9F\x98\x80", 141);
  accepted(v, with(example(), Field::kDescription, emoji140));
  EXPECT_TRUE(rejected(v, with(example(), Field::kDescription, emoji141), Field::kDescription, "too_long"));
  const std::string mixed = repeat("a", 139) + "\xE2\x82\xAC";  // 140 characters, 142 bytes
  accepted(v, with(example(), Field::kDescription, mixed));
}

TEST(Validator, RuleInvalidLabel) {
  const Validator v{ValidationOptions{}};
  EXPECT_TRUE(rejected(v, with(example(), Field::kLabel, "2", ValueKind::kNumber), Field::kLabel, "invalid_label"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kLabel, "yes"), Field::kLabel, "invalid_label"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kLabel, "", ValueKind::kOther), Field::kLabel, "invalid_label"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kLabel, ""), Field::kLabel, "invalid_label"));
}

TEST(Validator, LabelForms) {
  const Validator v{ValidationOptions{}};
  EXPECT_EQ(accepted(v, with(example(), Field::kLabel, "1", ValueKind::kNumber)).label, 1);
  EXPECT_EQ(accepted(v, with(example(), Field::kLabel, "0", ValueKind::kNumber)).label, 0);
  EXPECT_EQ(accepted(v, with(example(), Field::kLabel, "true", ValueKind::kBool)).label, 1);
  EXPECT_EQ(accepted(v, with(example(), Field::kLabel, "false", ValueKind::kBool)).label, 0);
  EXPECT_EQ(accepted(v, with(example(), Field::kLabel, "1")).label, 1);
  EXPECT_EQ(accepted(v, with(example(), Field::kLabel, "0")).label, 0);
  EXPECT_EQ(accepted(v, with(example(), Field::kLabel, "1.0", ValueKind::kNumber)).label, 1);
  EXPECT_EQ(accepted(v, with(example(), Field::kLabel, "", ValueKind::kNull)).label, -1);
}

// ---- Pix rules per field -------------------------------------------------------------------

TEST(Validator, PixRulesOffPerFieldAcceptOtherwiseInvalidValues) {
  {
    const Validator v(pix_off(Field::kPayerDocument));
    EXPECT_EQ(accepted(v, with(example(), Field::kPayerDocument, "123")).payer.document, "123");
    EXPECT_EQ(accepted(v, with(example(), Field::kPayerDocument, "07778080801")).payer.document, "07778080801");
    // Only that field: the payee's document is still checked.
    EXPECT_TRUE(rejected(v, with(example(), Field::kPayeeDocument, "123"), Field::kPayeeDocument,
                         "invalid_document_length"));
  }
  {
    const Validator v(pix_off(Field::kEndToEndId));
    EXPECT_EQ(accepted(v, with(example(), Field::kEndToEndId, "tx-42")).end_to_end_id, "tx-42");
  }
  {
    const Validator v(pix_off(Field::kPayeeIspb));
    EXPECT_EQ(accepted(v, with(example(), Field::kPayeeIspb, "341")).payee.ispb, "341");
  }
  {
    const Validator v(pix_off(Field::kPayeeKeyType));
    const Transaction tx = accepted(v, with(example(), Field::kPayeeKeyType, "TELEFONE"));
    EXPECT_EQ(tx.payee_key_type, KeyType::kNone);
  }
  {
    const Validator v(pix_off(Field::kPayeeKey));
    EXPECT_EQ(accepted(v, with(example(), Field::kPayeeKey, "User@Example.com")).payee_key, "User@Example.com");
  }
  {
    const Validator v(pix_off(Field::kInitiation));
    EXPECT_EQ(accepted(v, with(example(), Field::kInitiation, "PIX_MANUAL")).initiation, Initiation::kNone);
  }
  {
    const Validator v(pix_off(Field::kDescription));
    accepted(v, with(example(), Field::kDescription, repeat("a", 500)));
  }
}

TEST(Validator, PixRulesOffStillApplyTypeRules) {
  ValidationOptions o;
  o.pix_rules.reset();
  const Validator v(o);
  accepted(v, with(with(example(), Field::kPayerDocument, "x"), Field::kEndToEndId, "y"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kAmount, "abc"), Field::kAmount, "invalid_amount"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kEventTime, "soon"), Field::kEventTime, "invalid_timestamp"));
  EXPECT_TRUE(rejected(v, without(example(), Field::kPayerAccount), Field::kPayerAccount, "missing"));
  EXPECT_TRUE(rejected(v, with(example(), Field::kPayerIspb, "", ValueKind::kOther), Field::kPayerIspb, "wrong_type"));
}

// ---- mappings ------------------------------------------------------------------------------

TEST(Validator, UnmappedFieldIsNotRequired) {
  ValidationOptions o;
  o.mapping.source_names[static_cast<std::size_t>(Field::kEndToEndId)].clear();
  o.mapping.source_names[static_cast<std::size_t>(Field::kPayeeDocument)].clear();
  const Validator v(o);
  const Transaction tx = accepted(v, without(without(example(), Field::kEndToEndId), Field::kPayeeDocument));
  EXPECT_TRUE(tx.end_to_end_id.empty());
  EXPECT_TRUE(tx.payee.document.empty());
  EXPECT_EQ(tx.amount_cents, 195604);
  // A mapped field stays required.
  EXPECT_TRUE(rejected(v, without(example(), Field::kPayerDocument), Field::kPayerDocument, "missing"));
}

// A foreign data set (the fraud-detection handbook's CSV): only event_time, amount, the two
// accounts and the label are mapped; times are local Sao Paulo wall-clock times.
TEST(Validator, ForeignCsvMapping) {
  FieldMapping m;
  m.source_names[static_cast<std::size_t>(Field::kEventTime)] = "TX_DATETIME";
  m.source_names[static_cast<std::size_t>(Field::kAmount)] = "TX_AMOUNT";
  m.source_names[static_cast<std::size_t>(Field::kPayerAccount)] = "CUSTOMER_ID";
  m.source_names[static_cast<std::size_t>(Field::kPayeeAccount)] = "TERMINAL_ID";
  m.source_names[static_cast<std::size_t>(Field::kLabel)] = "TX_FRAUD";
  std::unique_ptr<Decoder> decoder;
  ASSERT_TRUE(make_csv_decoder(m, "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,"
                                  "TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO",
                               ',', &decoder)
                  .ok());
  ValidationOptions o;
  o.mapping = m;
  o.time_format = TimestampFormat::kLocal;
  ASSERT_TRUE(TimeZone::load("America/Sao_Paulo", &o.zone).ok());
  const Validator v(o);

  const std::string line = "0,2018-04-01 00:00:31,596,3156,57.16,31,0,1,1";
  std::string buffer = line + std::string(kMessagePadding, ' ');
  TextArena arena;
  arena.reset(buffer.size());
  FieldValues values;
  Rejection why;
  ASSERT_TRUE(decoder->decode(std::string_view(buffer.data(), line.size()), &arena, &values, &why)) << why.rule;

  const Transaction tx = accepted(v, values);
  EXPECT_EQ(tx.event_time_us, 1'522'551'631 * kSecond);  // 2018-04-01T03:00:31Z (-03:00, no DST)
  EXPECT_EQ(tx.amount_cents, 5716);
  EXPECT_EQ(tx.payer.account, "596");
  EXPECT_EQ(tx.payee.account, "3156");
  EXPECT_EQ(tx.label, 1);
  EXPECT_TRUE(tx.end_to_end_id.empty());
  EXPECT_EQ(tx.payee_key_type, KeyType::kNone);
  EXPECT_EQ(tx.initiation, Initiation::kNone);

  // Summer time of 2018-2019: 2019-01-15 10:00 local is -02:00.
  FieldValues summer = values;
  summer[Field::kEventTime] = {"2019-01-15 10:00:00", ValueKind::kString};
  EXPECT_EQ(accepted(v, summer).event_time_us, 1'547'553'600 * kSecond);
  // An RFC 3339 time is not a local time.
  FieldValues offset = values;
  offset[Field::kEventTime] = {"2018-04-01T00:00:31-03:00", ValueKind::kString};
  EXPECT_TRUE(rejected(v, offset, Field::kEventTime, "invalid_timestamp"));
  // The mapped fields are still required.
  FieldValues no_amount = values;
  no_amount[Field::kAmount] = {"", ValueKind::kNull};
  EXPECT_TRUE(rejected(v, no_amount, Field::kAmount, "missing"));
  FieldValues no_payee = values;
  no_payee[Field::kPayeeAccount] = {"", ValueKind::kNull};
  EXPECT_TRUE(rejected(v, no_payee, Field::kPayeeAccount, "missing"));
}

}  // namespace
}  // namespace pixguard
