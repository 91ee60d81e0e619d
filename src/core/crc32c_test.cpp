#include "core/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace pixguard {
namespace {

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(Crc32c, ChainsAcrossPiecesLikeOneCall) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 7));
  const uint32_t whole = crc32c(data);
  for (std::size_t cut : {0UL, 1UL, 7UL, 8UL, 333UL, 999UL}) {
    EXPECT_EQ(crc32c(std::string_view(data).substr(cut), crc32c(std::string_view(data).substr(0, cut)) ), whole) << cut;
  }
}

TEST(Crc32c, DetectsOneFlippedBit) {
  std::string data(4096, 'x');
  const uint32_t before = crc32c(data);
  data[2049] ^= 0x10;
  EXPECT_NE(crc32c(data), before);
}

}  // namespace
}  // namespace pixguard
