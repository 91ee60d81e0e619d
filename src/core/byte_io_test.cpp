#include "core/byte_io.h"

#include <gtest/gtest.h>

namespace pixguard {
namespace {

TEST(ByteIo, RoundTripsScalarsStringsAndArrays) {
  std::string buf;
  ByteWriter w(&buf);
  w.put<uint32_t>(7);
  w.put<int64_t>(-42);
  w.put<double>(2.5);
  w.put_string("pix");
  const std::vector<int64_t> values = {1, -2, 3};
  w.put_array(values.data(), values.size());

  ByteReader r(buf);
  EXPECT_EQ(r.get<uint32_t>(), 7u);
  EXPECT_EQ(r.get<int64_t>(), -42);
  EXPECT_EQ(r.get<double>(), 2.5);
  EXPECT_EQ(r.get_string(), "pix");
  std::vector<int64_t> back;
  r.get_array(&back);
  EXPECT_EQ(back, values);
  EXPECT_FALSE(r.failed());
  EXPECT_TRUE(r.at_end());
}

TEST(ByteIo, ShortInputFailsInsteadOfReadingPastTheEnd) {
  std::string buf;
  ByteWriter w(&buf);
  w.put<uint64_t>(1'000'000'000'000ULL);  // an array count with no elements behind it
  ByteReader r(buf);
  std::vector<int64_t> out;
  r.get_array(&out);
  EXPECT_TRUE(r.failed());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(r.get<uint32_t>(), 0u);  // stays failed, yields zeros
}

TEST(ByteIo, CountLargerThanTheInputCanHoldFails) {
  std::string buf;
  ByteWriter w(&buf);
  w.put<uint64_t>(5);
  buf.append(16, '\0');
  ByteReader r(buf);
  EXPECT_EQ(r.get_count(8), 0u);
  EXPECT_TRUE(r.failed());
}

}  // namespace
}  // namespace pixguard
