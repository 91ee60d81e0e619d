#include "validate/normalizer.h"

#include <gtest/gtest.h>

#include <tuple>

namespace pixguard {
namespace {

TEST(Normalizer, RewritesTheConfiguredFieldsOnly) {
  std::array<uint8_t, kFieldCount> ops{};
  ops[static_cast<std::size_t>(Field::kPayeeKey)] = kTrim | kLower;
  ops[static_cast<std::size_t>(Field::kPayerDocument)] = kDigits;
  ops[static_cast<std::size_t>(Field::kChannel)] = kTrim | kUpper;
  const Normalizer n(ops);
  EXPECT_FALSE(n.empty());
  FieldValues f;
  f[Field::kPayeeKey] = {"  Mule@Example.COM\t", ValueKind::kString};
  f[Field::kPayerDocument] = {"123.456.789-09", ValueKind::kString};
  f[Field::kChannel] = {" app ", ValueKind::kString};
  f[Field::kPayeeAccount] = {" 0012 ", ValueKind::kString};  // not configured
  f[Field::kAmount] = {"12.50", ValueKind::kNumber};          // not text
  TextArena arena;
  arena.reset(64);
  n.normalize(&f, &arena);
  EXPECT_EQ(f[Field::kPayeeKey].text, "mule@example.com");
  EXPECT_EQ(f[Field::kPayerDocument].text, "12345678909");
  EXPECT_EQ(f[Field::kChannel].text, "APP");
  EXPECT_EQ(f[Field::kPayeeAccount].text, " 0012 ");
  EXPECT_EQ(f[Field::kAmount].text, "12.50");
  // pix_key: by the key's type.
  std::array<uint8_t, kFieldCount> key_ops{};
  key_ops[static_cast<std::size_t>(Field::kPayeeKey)] = kPixKey;
  const Normalizer keys(key_ops);
  for (const auto& [type, key, want] : {std::tuple{"EMAIL", " Ana@Example.COM ", "ana@example.com"},
                                        {"EVP", "123E4567-E89B-42D3-A456-426614174000", "123e4567-e89b-42d3-a456-426614174000"},
                                        {"CNPJ", "12.ABC.345/01DE-35", "12ABC34501DE35"},
                                        {"cpf", "123.456.789-09", "12345678909"},
                                        {"PHONE", "+55 (11) 98765-4321", "+5511987654321"},
                                        {"", " Something ", "Something"}}) {
    FieldValues g;
    g[Field::kPayeeKey] = {key, ValueKind::kString};
    g[Field::kPayeeKeyType] = {type, ValueKind::kString};
    arena.reset(64);
    keys.normalize(&g, &arena);
    EXPECT_EQ(g[Field::kPayeeKey].text, want) << type;
  }
  EXPECT_EQ(normalize_op("digits"), kDigits);
  EXPECT_EQ(normalize_op("title"), 0);
  EXPECT_TRUE(Normalizer().empty());
}

}  // namespace
}  // namespace pixguard
