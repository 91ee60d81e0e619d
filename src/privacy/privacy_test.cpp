#include "privacy/privacy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "privacy/message_cipher.h"

namespace pixguard {
namespace {

std::string hex(const Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (const unsigned char b : d) {
    s += kHex[b >> 4];
    s += kHex[b & 0xf];
  }
  return s;
}

// RFC 4231, test cases 2 and 6 (a key longer than the block).
TEST(KeyedHash, MatchesRfc4231) {
  std::unique_ptr<KeyedHash> h;
  ASSERT_TRUE(KeyedHash::create("Jefe", &h).ok());
  KeyedHash::Scratch scratch;
  EXPECT_EQ(hex(h->mac("what do ya want for nothing?", scratch)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  ASSERT_TRUE(KeyedHash::create(std::string(131, '\xaa'), &h).ok());
  EXPECT_EQ(hex(h->mac("Test Using Larger Than Block-Size Key - Hash Key First", scratch)),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("privacy_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

Transaction example() {
  Transaction tx;
  tx.payer.document = "52998224725";
  tx.payer.account = "0001-123456";
  tx.payee.document = "11222333000181";
  tx.payee_key = "maria@example.com";
  tx.device_id = "dev-1";
  tx.ip = "10.0.0.1";
  tx.description = "aluguel";
  return tx;
}

std::string protect_all(const Privacy& p, const Transaction& tx, Transaction* out, TextArena* arena) {
  arena->reset(Privacy::arena_bytes(tx));
  KeyedHash::Scratch scratch;
  p.protect(tx, out, arena, scratch);
  return std::string(out->payer.document);
}

TEST(Privacy, WithoutAKeyDocumentsAndKeysAreMasked) {
  std::shared_ptr<const Privacy> p;
  ASSERT_TRUE(Privacy::create({}, &p).ok());
  Transaction out;
  TextArena arena;
  protect_all(*p, example(), &out, &arena);
  EXPECT_EQ(out.payer.document, "*********25");
  EXPECT_EQ(out.payee.document, "************81");
  EXPECT_EQ(out.payee_key, "***************om");
  EXPECT_EQ(out.payer.account, "0001-123456");  // clear by default
  EXPECT_EQ(p->dead_letters(), DeadLetterBytes::kRedact);
  EXPECT_FALSE(p->has_key());
}

TEST(Privacy, KeyedHashIsStablePerKeyAndHidesTheValue) {
  const auto dir = temp_dir();
  PrivacyOptions o;
  o.key_file = (dir / "key").string();
  o.create_key = true;
  std::shared_ptr<const Privacy> p;
  ASSERT_TRUE(Privacy::create(o, &p).ok());
  struct stat st {};
  ASSERT_EQ(::stat(o.key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Transaction out;
  TextArena arena;
  protect_all(*p, example(), &out, &arena);
  EXPECT_EQ(out.payer.document.size(), 32u);
  EXPECT_EQ(out.payer.document, p->protect_value(PersonalField::kPayerDocument, "52998224725"));
  EXPECT_NE(out.payer.document.find_first_not_of("0123456789abcdef"), 0u);
  // The same key file again gives the same hashes; another key gives others.
  std::shared_ptr<const Privacy> again;
  ASSERT_TRUE(Privacy::create(o, &again).ok());
  EXPECT_EQ(again->protect_value(PersonalField::kPayerDocument, "52998224725"), out.payer.document);
  PrivacyOptions other;
  other.key_file = (dir / "other").string();
  other.create_key = true;
  std::shared_ptr<const Privacy> q;
  ASSERT_TRUE(Privacy::create(other, &q).ok());
  EXPECT_NE(q->protect_value(PersonalField::kPayerDocument, "52998224725"), out.payer.document);
  EXPECT_NE(p->state_key(), q->state_key());
}

TEST(Privacy, PoliciesPerField) {
  PrivacyOptions o;
  o.fields[static_cast<std::size_t>(PersonalField::kPayerDocument)] = FieldPolicy::kClear;
  o.fields[static_cast<std::size_t>(PersonalField::kDescription)] = FieldPolicy::kDrop;
  o.fields[static_cast<std::size_t>(PersonalField::kIp)] = FieldPolicy::kMask;
  std::shared_ptr<const Privacy> p;
  ASSERT_TRUE(Privacy::create(o, &p).ok());
  Transaction out;
  TextArena arena;
  protect_all(*p, example(), &out, &arena);
  EXPECT_EQ(out.payer.document, "52998224725");
  EXPECT_EQ(out.description, "");
  EXPECT_EQ(out.ip, "******.1");
  // A multi-byte character at the end is starred whole, so the output stays UTF-8.
  EXPECT_EQ(p->protect_value(PersonalField::kIp, "a\xc3\xa7\xc3\xa3o"), "******");
}

TEST(Privacy, ErrorsNameTheKey) {
  std::shared_ptr<const Privacy> p;
  PrivacyOptions o;
  o.fields[static_cast<std::size_t>(PersonalField::kPayeeKey)] = FieldPolicy::kKeyedHash;
  Status s = Privacy::create(o, &p);
  EXPECT_NE(s.message().find("privacy.fields.payee.key: keyed_hash needs a key"), std::string::npos) << s.message();

  o = {};
  o.dead_letters = DeadLetterBytes::kEncrypt;
  s = Privacy::create(o, &p);
  EXPECT_NE(s.message().find("privacy.dead_letters: encrypt needs a key"), std::string::npos) << s.message();

  const auto dir = temp_dir();
  o = {};
  o.key_file = (dir / "missing").string();
  s = Privacy::create(o, &p);
  EXPECT_NE(s.message().find("privacy.create_key: true creates one"), std::string::npos) << s.message();

  std::ofstream(dir / "short") << "too short\n";
  ::chmod((dir / "short").c_str(), 0600);
  o.key_file = (dir / "short").string();
  s = Privacy::create(o, &p);
  EXPECT_NE(s.message().find("at least 32 bytes"), std::string::npos) << s.message();

  std::ofstream(dir / "open") << std::string(40, 'k') << "\n";
  ::chmod((dir / "open").c_str(), 0644);
  o.key_file = (dir / "open").string();
  s = Privacy::create(o, &p);
  EXPECT_NE(s.message().find("readable by every user"), std::string::npos) << s.message();

  o = {};
  o.key_env = "PIXGUARD_PRIVACY_TEST_UNSET";
  s = Privacy::create(o, &p);
  EXPECT_NE(s.message().find("PIXGUARD_PRIVACY_TEST_UNSET is not set"), std::string::npos) << s.message();
  ::setenv("PIXGUARD_PRIVACY_TEST_KEY", std::string(32, 'z').c_str(), 1);
  o.key_env = "PIXGUARD_PRIVACY_TEST_KEY";
  EXPECT_TRUE(Privacy::create(o, &p).ok());
  EXPECT_TRUE(p->has_key());
}

TEST(MessageCipher, SealsAndOpensAndRefusesChanges) {
  std::array<unsigned char, 32> key{};
  key[0] = 1;
  const MessageCipher cipher(key);
  std::string sealed;
  const std::string message = "{\"payer\":{\"document\":\"52998224725\"}}\n\xff binary";
  ASSERT_TRUE(cipher.seal(message, &sealed).ok());
  EXPECT_EQ(sealed.find("52998224725"), std::string::npos);
  std::string plain;
  ASSERT_TRUE(cipher.open(sealed, &plain).ok());
  EXPECT_EQ(plain, message);
  std::string empty_sealed;
  ASSERT_TRUE(cipher.seal("", &empty_sealed).ok());
  ASSERT_TRUE(cipher.open(empty_sealed, &plain).ok());
  EXPECT_EQ(plain, "");

  std::string changed = sealed;
  changed[20] = changed[20] == 'A' ? 'B' : 'A';
  EXPECT_EQ(cipher.open(changed, &plain).code(), StatusCode::kCorruption);
  key[0] = 2;
  EXPECT_EQ(MessageCipher(key).open(sealed, &plain).code(), StatusCode::kCorruption);
  EXPECT_EQ(cipher.open("not base64!", &plain).code(), StatusCode::kCorruption);
}

TEST(Privacy, UmaskForFileMode) {
  EXPECT_EQ(umask_for_file_mode(0640), 0027u);
  EXPECT_EQ(umask_for_file_mode(0600), 0077u);
  EXPECT_EQ(umask_for_file_mode(0644), 0022u);
}

}  // namespace
}  // namespace pixguard
