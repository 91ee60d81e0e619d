#include "core/siphash.h"

#include <gtest/gtest.h>

#include <string>

namespace pixguard {
namespace {

// The reference vectors of the SipHash paper (appendix A and vectors.h): key 00 01 .. 0f,
// messages 00 01 .. (n-1).
TEST(SipHash, MatchesTheReferenceVectors) {
  const SipKey key = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  std::string message;
  for (int i = 0; i < 16; ++i) message.push_back(static_cast<char>(i));
  EXPECT_EQ(siphash24(key, std::string_view(message).substr(0, 0)), 0x726fdb47dd0e0e31ull);
  EXPECT_EQ(siphash24(key, std::string_view(message).substr(0, 1)), 0x74f839c593dc67fdull);
  EXPECT_EQ(siphash24(key, std::string_view(message).substr(0, 8)), 0x93f5f5799a932462ull);
  EXPECT_EQ(siphash24(key, std::string_view(message).substr(0, 15)), 0xa129ca6149be45e5ull);
}

TEST(SipHash, AnotherKeyAnotherHash) {
  EXPECT_NE(siphash24({1, 2}, "52998224725"), siphash24({1, 3}, "52998224725"));
  EXPECT_EQ(siphash24({1, 2}, "52998224725"), siphash24({1, 2}, "52998224725"));
}

}  // namespace
}  // namespace pixguard
