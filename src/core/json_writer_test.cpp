#include "core/json_writer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace pixguard {
namespace {

// The obvious escaper, byte by byte: what the fast path must agree with.
std::string reference_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string written(std::string_view s) {
  std::string out;
  JsonWriter(&out).string(s);
  return out;
}

TEST(JsonWriter, EscapesLikeTheReferenceOnRandomText) {
  std::mt19937_64 rng(7);
  // Printable ASCII, every escape class, DEL, and UTF-8 multi-byte sequences.
  static constexpr char kBytes[] = "abcXYZ019 \"\\\n\r\t\x01\x1f\x7f\xc3\xa9\xe2\x82\xac";
  const std::string alphabet(kBytes, sizeof kBytes - 1);
  for (int round = 0; round < 20000; ++round) {
    std::string s(rng() % 40, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    ASSERT_EQ(written(s), reference_string(s)) << "input of " << s.size() << " bytes";
  }
}

TEST(JsonWriter, SpecialByteAtEveryPositionOfALongPlainString) {
  for (const char special : {'"', '\\', '\n', '\x00', '\x1f'}) {
    for (std::size_t at = 0; at < 33; ++at) {
      std::string s(33, 'a');
      s[at] = special;
      ASSERT_EQ(written(s), reference_string(s)) << "special byte " << int(special) << " at " << at;
    }
  }
}

TEST(JsonWriter, NumbersAndIntegers) {
  std::string out;
  {
    JsonWriter w(&out);
    w.number(3.0);
    w.ch(',');
    w.number(0.1);
    w.ch(',');
    w.number(-1234.56);
    w.ch(',');
    w.number(std::nan(""));
    w.ch(',');
    w.number(1e300);
    w.ch(',');
    w.integer(-9223372036854775807LL - 1);
  }
  EXPECT_EQ(out, "3,0.1,-1234.56,null,1e+300,-9223372036854775808");
}

TEST(JsonWriter, AppendsAfterExistingTextAndTrimsReservedSpace) {
  std::string out = "prefix:";
  {
    JsonWriter w(&out);
    w.key("k");
    w.raw("");
    w.string("");
  }
  EXPECT_EQ(out, "prefix:\"k\":\"\"");
}

}  // namespace
}  // namespace pixguard
