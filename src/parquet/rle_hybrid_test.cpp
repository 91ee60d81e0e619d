#include "parquet/rle_hybrid.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace pixguard::parquet {
namespace {

TEST(RleHybrid, BitWidth) {
  EXPECT_EQ(bit_width_for(0), 0);
  EXPECT_EQ(bit_width_for(1), 1);
  EXPECT_EQ(bit_width_for(2), 2);
  EXPECT_EQ(bit_width_for(255), 8);
  EXPECT_EQ(bit_width_for(256), 9);
}

TEST(RleHybrid, EncodesTheSpecExamples) {
  // Encodings.md: 0..7 bit-packed at width 3 is one group: header 0x03, bytes 0x88 0xC6 0xFA.
  const std::vector<uint32_t> seq = {0, 1, 2, 3, 4, 5, 6, 7};
  std::string out;
  rle_hybrid_encode(seq.data(), seq.size(), 3, &out);
  EXPECT_EQ(out, std::string("\x03\x88\xc6\xfa", 4));
  // 100 fives at width 3: one RLE run, header 100 << 1 = 200 (varint c8 01), value 05.
  const std::vector<uint32_t> run(100, 5);
  out.clear();
  rle_hybrid_encode(run.data(), run.size(), 3, &out);
  EXPECT_EQ(out, std::string("\xc8\x01\x05", 3));
}

TEST(RleHybrid, RoundTripsMixedRunsAtEveryWidth) {
  std::mt19937 rng(42);
  for (int width = 1; width <= 20; ++width) {
    std::vector<uint32_t> values;
    const uint32_t mask = (1u << width) - 1;
    while (values.size() < 5000) {
      const auto v = static_cast<uint32_t>(rng() & mask);
      const std::size_t repeat = rng() % 3 == 0 ? rng() % 40 : 1;  // long runs and noise
      for (std::size_t i = 0; i < repeat; ++i) values.push_back(v);
    }
    std::string encoded;
    rle_hybrid_encode(values.data(), values.size(), width, &encoded);
    RleHybridDecoder decoder(encoded, width);
    std::vector<uint32_t> decoded(values.size());
    // In two parts, so that runs are resumed across calls.
    ASSERT_TRUE(decoder.get(decoded.data(), 1234));
    ASSERT_TRUE(decoder.get(decoded.data() + 1234, values.size() - 1234));
    EXPECT_EQ(decoded, values) << "width " << width;
  }
}

TEST(RleHybrid, ShortOrMalformedInputFails) {
  const std::vector<uint32_t> values(50, 3);
  std::string encoded;
  rle_hybrid_encode(values.data(), values.size(), 2, &encoded);
  std::vector<uint32_t> out(100);
  RleHybridDecoder too_many(encoded, 2);
  EXPECT_FALSE(too_many.get(out.data(), 51));  // only 50 encoded
  RleHybridDecoder truncated(std::string_view(encoded).substr(0, 1), 2);
  EXPECT_FALSE(truncated.get(out.data(), 1));
  RleHybridDecoder wide_value(std::string_view("\x02\x07", 2), 2);  // RLE value 7 needs 3 bits
  EXPECT_FALSE(wide_value.get(out.data(), 1));
  RleHybridDecoder bad_width("", 33);
  EXPECT_FALSE(bad_width.get(out.data(), 1));
}

}  // namespace
}  // namespace pixguard::parquet
