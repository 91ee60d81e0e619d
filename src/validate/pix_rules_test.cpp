#include "validate/pix_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pixguard {
namespace {

// Every variant of `valid` with one of its check digits replaced by another digit.
std::vector<std::string> check_digit_mutations(const std::string& valid) {
  std::vector<std::string> out;
  for (std::size_t pos = valid.size() - 2; pos < valid.size(); ++pos) {
    for (char c = '0'; c <= '9'; ++c) {
      if (c == valid[pos]) continue;
      std::string m = valid;
      m[pos] = c;
      out.push_back(m);
    }
  }
  return out;
}

// ---- ISPB ----------------------------------------------------------------------------------

TEST(Ispb, EightDigits) {
  EXPECT_TRUE(is_valid_ispb("65410049"));
  EXPECT_TRUE(is_valid_ispb("00000000"));  // Banco do Brasil's ISPB really is all zeros
  for (const char* bad :
       {"", "6541004", "654100490", "6541004a", " 5410049", "65-10049", "６5410049"}) {
    EXPECT_FALSE(is_valid_ispb(bad)) << bad;
  }
}

// ---- CPF -----------------------------------------------------------------------------------

TEST(Cpf, KnownValid) {
  for (const char* ok : {"07778080800", "06330086729", "52998224725", "11144477735"}) {
    EXPECT_TRUE(is_valid_cpf(ok)) << ok;
    EXPECT_TRUE(is_valid_document(ok)) << ok;
    EXPECT_TRUE(is_valid_pix_key(KeyType::kCpf, ok)) << ok;
  }
}

TEST(Cpf, CheckDigitsComputed) {
  char dv[2];
  cpf_check_digits("077780808", dv);
  EXPECT_EQ(std::string(dv, 2), "00");  // both remainders hit the 10/11 -> 0 rule
  cpf_check_digits("529982247", dv);
  EXPECT_EQ(std::string(dv, 2), "25");
  cpf_check_digits("063300867", dv);
  EXPECT_EQ(std::string(dv, 2), "29");
}

TEST(Cpf, WrongCheckDigits) {
  for (const char* valid : {"07778080800", "52998224725"}) {
    for (const std::string& bad : check_digit_mutations(valid)) {
      EXPECT_FALSE(is_valid_cpf(bad)) << bad;
    }
  }
  EXPECT_FALSE(is_valid_cpf("52998224726"));  // second digit off by one
  EXPECT_FALSE(is_valid_cpf("52998224715"));  // first digit off by one
  EXPECT_FALSE(is_valid_cpf("52998224735"));
}

TEST(Cpf, AllEqualDigitsAreInvalidEvenThoughTheyCheck) {
  for (char c = '0'; c <= '9'; ++c) {
    const std::string same(11, c);
    char dv[2];
    cpf_check_digits(same.substr(0, 9), dv);
    EXPECT_EQ(dv[0], c) << "the check digits of " << same << " do pass";
    EXPECT_FALSE(is_valid_cpf(same)) << same;
  }
}

TEST(Cpf, Shape) {
  for (const char* bad : {"", "0777808080", "077780808000", "077.780.808-00", "0777808080a",
                          " 7778080800", "07778080800 "}) {
    EXPECT_FALSE(is_valid_cpf(bad)) << bad;
  }
}

// ---- CNPJ ----------------------------------------------------------------------------------

TEST(Cnpj, KnownValid) {
  for (const char* ok : {"11222333000181", "00000000000191", "12ABC34501DE35", "ABCDEFGHIJKL80",
                         "ZZZZZZZZZZZZ62", "A0000000000032"}) {
    EXPECT_TRUE(is_valid_cnpj(ok)) << ok;
    EXPECT_TRUE(is_valid_document(ok)) << ok;
    EXPECT_TRUE(is_valid_pix_key(KeyType::kCnpj, ok)) << ok;
  }
}

TEST(Cnpj, CheckDigitsComputed) {
  char dv[2];
  cnpj_check_digits("112223330001", dv);
  EXPECT_EQ(std::string(dv, 2), "81");
  cnpj_check_digits("12ABC34501DE", dv);  // Receita Federal's alphanumeric example
  EXPECT_EQ(std::string(dv, 2), "35");
}

TEST(Cnpj, WrongCheckDigits) {
  for (const char* valid : {"11222333000181", "12ABC34501DE35"}) {
    for (const std::string& bad : check_digit_mutations(valid)) {
      EXPECT_FALSE(is_valid_cnpj(bad)) << bad;
    }
  }
  EXPECT_FALSE(is_valid_cnpj("11222333000182"));
  EXPECT_FALSE(is_valid_cnpj("11222333000171"));
  EXPECT_FALSE(is_valid_cnpj("12ABC34501DE36"));
  EXPECT_FALSE(is_valid_cnpj("12ABC34501DF35"));  // body letter changed
}

TEST(Cnpj, LettersOnlyUpperCaseAndOnlyInTheBody) {
  EXPECT_FALSE(is_valid_cnpj("12abc34501de35"));
  EXPECT_FALSE(is_valid_cnpj("12aBC34501DE35"));
  EXPECT_FALSE(is_valid_cnpj("12ABC34501DE3A"));  // check digits are always numeric
  EXPECT_FALSE(is_valid_cnpj("12ABC34501DEA5"));
  EXPECT_FALSE(is_valid_cnpj("12ABC34501D-35"));
  EXPECT_FALSE(is_valid_cnpj("12ABC34501D 35"));
  EXPECT_FALSE(is_valid_cnpj("12ABC34501D@35"));  // '@' is ASCII 64, just below 'A'
  EXPECT_FALSE(is_valid_cnpj("12ABC34501D[35"));  // '[' is just above 'Z'
}

TEST(Cnpj, AllEqual) {
  EXPECT_FALSE(is_valid_cnpj("00000000000000"));  // its check digits are 00: rejected as all equal
  for (char c = '1'; c <= '9'; ++c) EXPECT_FALSE(is_valid_cnpj(std::string(14, c)));
  EXPECT_FALSE(is_valid_cnpj("AAAAAAAAAAAAAA"));
}

TEST(Cnpj, Shape) {
  for (const char* bad :
       {"", "1122233300018", "112223330001811", "11.222.333/0001-81", "11222333000181 "}) {
    EXPECT_FALSE(is_valid_cnpj(bad)) << bad;
  }
}

TEST(Document, DispatchesOnLength) {
  EXPECT_TRUE(is_valid_document("07778080800"));
  EXPECT_TRUE(is_valid_document("11222333000181"));
  EXPECT_FALSE(is_valid_document("077.780.808-00"));  // 14 chars but punctuated
  EXPECT_FALSE(is_valid_document(""));
  EXPECT_FALSE(is_valid_document("0777808080"));
  EXPECT_FALSE(is_valid_document("112223330001810"));
  EXPECT_FALSE(is_valid_document("1122233300018"));
}

// ---- end-to-end id -------------------------------------------------------------------------

TEST(EndToEndId, SpecExample) {
  EXPECT_TRUE(is_valid_end_to_end_id("E65410049202611201454XBtDTgfFgZ2"));
  EXPECT_EQ(end_to_end_id_utc_seconds("E65410049202611201454XBtDTgfFgZ2"), 1'795'186'440);
}

TEST(EndToEndId, RealDatesOnly) {
  EXPECT_TRUE(is_valid_end_to_end_id("E65410049202402291454XBtDTgfFgZ2"));  // leap day
  EXPECT_TRUE(is_valid_end_to_end_id("E65410049200002291454XBtDTgfFgZ2"));  // 2000 was leap
  EXPECT_TRUE(is_valid_end_to_end_id("E65410049202612312359XBtDTgfFgZ2"));
  EXPECT_TRUE(is_valid_end_to_end_id("E65410049202601010000XBtDTgfFgZ2"));
  for (const char* bad : {
           "E65410049202602301454XBtDTgfFgZ2",  // Feb 30
           "E65410049202502291454XBtDTgfFgZ2",  // 2025 is not leap
           "E65410049210002291454XBtDTgfFgZ2",  // 2100 is not leap
           "E65410049202604311454XBtDTgfFgZ2",  // Apr 31
           "E65410049202600201454XBtDTgfFgZ2",  // month 00
           "E65410049202613201454XBtDTgfFgZ2",  // month 13
           "E65410049202611001454XBtDTgfFgZ2",  // day 00
           "E65410049202611321454XBtDTgfFgZ2",  // day 32
           "E65410049202611202454XBtDTgfFgZ2",  // hour 24
           "E65410049202611201460XBtDTgfFgZ2",  // minute 60
       }) {
    EXPECT_FALSE(is_valid_end_to_end_id(bad)) << bad;
  }
}

TEST(EndToEndId, Shape) {
  for (const char* bad : {
           "",
           "E65410049202611201454XBtDTgfFgZ",    // 31
           "E65410049202611201454XBtDTgfFgZ22",  // 33
           "e65410049202611201454XBtDTgfFgZ2",   // lower-case prefix
           "D65410049202611201454XBtDTgfFgZ2",   // devolution ids start with D
           "E6541004A202611201454XBtDTgfFgZ2",   // ISPB not digits
           "E654100492026112014a4XBtDTgfFgZ2",   // time not digits
           "E65410049202611201454XBtDTgfFgZ-",   // sequence not alphanumeric
           "E65410049202611201454XBtDTgf_gZ2",
           "E65410049202611201454XBtDTgf gZ2",
           "E65410049202611201454XBtDTgf\xc3\xa9Z",
       }) {
    EXPECT_FALSE(is_valid_end_to_end_id(bad)) << bad;
  }
}

TEST(EndToEndId, UtcSeconds) {
  EXPECT_EQ(end_to_end_id_utc_seconds("E00000000197001010000AAAAAAAAAAA"), 0);
  EXPECT_EQ(end_to_end_id_utc_seconds("E00000000202402291454AAAAAAAAAAA"), 1'709'218'440);
  EXPECT_EQ(end_to_end_id_utc_seconds("short"), 0);
}

// ---- Pix keys ------------------------------------------------------------------------------

TEST(PhoneKey, BrazilianE164) {
  EXPECT_TRUE(is_valid_pix_key(KeyType::kPhone, "+5511987654321"));  // mobile, 11 digits
  EXPECT_TRUE(is_valid_pix_key(KeyType::kPhone, "+551133334444"));   // landline, 10 digits
  EXPECT_TRUE(is_valid_pix_key(KeyType::kPhone, "+5599987654321"));
  for (const char* bad :
       {"", "+55", "+5511", "+55119876543", "+551198765432100", "5511987654321", "+5411987654321",
        "+5501987654321", "+5510987654321", "+5505987654321", "+55 11987654321", "+55(11)98765432",
        "+5511987a54321", "+55119876543 1", "++5511987654321", "+5511987654321 "}) {
    EXPECT_FALSE(is_valid_pix_key(KeyType::kPhone, bad)) << bad;
  }
}

TEST(EmailKey, Valid) {
  for (const char* ok : {"user697@example.com.br", "a@b.co", "first.last+tag@sub.example.com",
                         "o'neil@x-y.org", "1@2.3", "a_b-c~d@xn--bcher-kva.de"}) {
    EXPECT_TRUE(is_valid_pix_key(KeyType::kEmail, ok)) << ok;
  }
  // At most 77 characters.
  const std::string domain = "@example.com";
  const std::string at_limit = std::string(77 - domain.size(), 'a') + domain;
  ASSERT_EQ(at_limit.size(), 77u);
  EXPECT_TRUE(is_valid_pix_key(KeyType::kEmail, at_limit));
  EXPECT_FALSE(is_valid_pix_key(KeyType::kEmail, "a" + at_limit));
}

TEST(EmailKey, Invalid) {
  for (const char* bad : {
           "",
           "User@example.com",  // upper case anywhere
           "user@Example.com",
           "USER@EXAMPLE.COM",
           "@example.com",       // empty local part
           "user@",              // empty domain
           "user",               // no '@'
           "user@example",       // no dot in the domain
           "user@.example.com",  // domain starts with a dot
           "user@example.com.",  // ends with a dot
           "user@example..com",  // empty label
           "user@@example.com",  // two '@'
           "us@er@example.com",
           "user@exa@mple.com",
           "us er@example.com",  // space
           "user@exam ple.com",
           " user@example.com",
           "user@example.com ",
           "usu\xc3\xa1rio@example.com",  // non-ASCII
           "user@exam_ple.com",           // '_' is not a host name character
           "user@-example.com",           // label starts with '-'
           "user@example-.com",           // label ends with '-'
           "user@example.com\n",
           "us\"er@example.com",
           "user(x)@example.com",
       }) {
    EXPECT_FALSE(is_valid_pix_key(KeyType::kEmail, bad)) << bad;
  }
  // A label longer than 63 characters is not a domain.
  EXPECT_FALSE(is_valid_pix_key(KeyType::kEmail, "a@" + std::string(64, 'b') + ".com"));
  EXPECT_TRUE(is_valid_pix_key(KeyType::kEmail, "a@" + std::string(63, 'b') + ".com"));
}

TEST(EvpKey, LowerCaseUuid) {
  EXPECT_TRUE(is_valid_pix_key(KeyType::kEvp, "123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(is_valid_pix_key(KeyType::kEvp, "f47ac10b-58cc-4372-a567-0e02b2c3d479"));
  for (const char* bad : {
           "",
           "F47AC10B-58CC-4372-A567-0E02B2C3D479",   // upper case
           "f47ac10b-58cc-4372-a567-0e02b2c3d47",    // short
           "f47ac10b-58cc-4372-a567-0e02b2c3d4790",  // long
           "f47ac10b58cc4372a5670e02b2c3d479",       // no dashes
           "f47ac10b-58cc-4372-a5670-e02b2c3d479",   // dash misplaced
           "f47ac10b-58cc-4372-a567-0e02b2c3d47g",   // not hex
           "{f47ac10b-58cc-4372-a567-0e02b2c3d47}",
           "f47ac10b 58cc 4372 a567 0e02b2c3d479",
       }) {
    EXPECT_FALSE(is_valid_pix_key(KeyType::kEvp, bad)) << bad;
  }
}

TEST(PixKey, TypeMatters) {
  EXPECT_FALSE(is_valid_pix_key(KeyType::kNone, "07778080800"));
  EXPECT_FALSE(is_valid_pix_key(KeyType::kCpf, "11222333000181"));
  EXPECT_FALSE(is_valid_pix_key(KeyType::kCnpj, "07778080800"));
  EXPECT_FALSE(is_valid_pix_key(KeyType::kCpf, "+5511987654321"));
  EXPECT_FALSE(is_valid_pix_key(KeyType::kEmail, "123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_FALSE(is_valid_pix_key(KeyType::kCpf, "52998224726"));
  EXPECT_FALSE(is_valid_pix_key(KeyType::kCnpj, "12abc34501de35"));
}

}  // namespace
}  // namespace pixguard
