#include "parquet/thrift_compact.h"

#include <gtest/gtest.h>

namespace pixguard::parquet::thrift {
namespace {

TEST(ThriftCompact, FieldsRoundTripWithDeltasLongJumpsAndNesting) {
  std::string buf;
  CompactWriter w(&buf);
  w.field_i32(1, -7);
  w.field_i64(3, INT64_MIN);
  w.field_bool(4, true);
  w.field_bool(5, false);
  w.begin_struct(40);  // a jump of more than 15: long field header
  w.field_binary(1, "inner");
  w.end_struct();
  w.begin_list(41, Type::kI32, 20);  // more than 14 elements: long list header
  for (int i = 0; i < 20; ++i) w.element_i32(i * 1000);
  w.field_i32(42, 99);  // ids continue from the outer struct's last id after end_struct
  w.stop();

  CompactReader r(buf);
  int16_t id;
  Type t;
  ASSERT_TRUE(r.next_field(&id, &t));
  EXPECT_EQ(id, 1);
  EXPECT_EQ(r.read_i32(), -7);
  ASSERT_TRUE(r.next_field(&id, &t));
  EXPECT_EQ(id, 3);
  EXPECT_EQ(r.read_i64(), INT64_MIN);
  ASSERT_TRUE(r.next_field(&id, &t));
  EXPECT_EQ(id, 4);
  EXPECT_TRUE(r.bool_value());
  ASSERT_TRUE(r.next_field(&id, &t));
  EXPECT_EQ(id, 5);
  EXPECT_FALSE(r.bool_value());
  ASSERT_TRUE(r.next_field(&id, &t));
  EXPECT_EQ(id, 40);
  EXPECT_EQ(t, Type::kStruct);
  r.enter_struct();
  ASSERT_TRUE(r.next_field(&id, &t));
  EXPECT_EQ(id, 1);
  EXPECT_EQ(r.read_binary(), "inner");
  EXPECT_FALSE(r.next_field(&id, &t));
  r.leave_struct();
  ASSERT_TRUE(r.next_field(&id, &t));
  EXPECT_EQ(id, 41);
  Type element;
  ASSERT_EQ(r.read_list_header(&element), 20u);
  EXPECT_EQ(element, Type::kI32);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r.read_i32(), i * 1000);
  ASSERT_TRUE(r.next_field(&id, &t));
  EXPECT_EQ(id, 42);
  EXPECT_EQ(r.read_i32(), 99);
  EXPECT_FALSE(r.next_field(&id, &t));
  EXPECT_FALSE(r.failed());
  EXPECT_EQ(r.position(), buf.size());
}

TEST(ThriftCompact, KnownBytes) {
  std::string buf;
  CompactWriter w(&buf);
  w.field_i32(1, 1);    // 0x15 (delta 1, i32), zigzag(1) = 2
  w.field_i64(3, -1);   // 0x26 (delta 2, i64), zigzag(-1) = 1
  w.field_binary(4, "ab");
  w.stop();
  EXPECT_EQ(buf, std::string("\x15\x02\x26\x01\x18\x02" "ab" "\x00", 9));
}

TEST(ThriftCompact, SkipsUnknownNestedValues) {
  std::string buf;
  CompactWriter w(&buf);
  w.begin_struct(1);
  w.begin_list(1, Type::kBinary, 2);
  w.element_binary("x");
  w.element_binary("y");
  w.field_bool(2, true);
  w.end_struct();
  w.field_i32(2, 5);
  w.stop();
  CompactReader r(buf);
  int16_t id;
  Type t;
  ASSERT_TRUE(r.next_field(&id, &t));
  r.skip(t);
  ASSERT_TRUE(r.next_field(&id, &t));
  EXPECT_EQ(id, 2);
  EXPECT_EQ(r.read_i32(), 5);
  EXPECT_FALSE(r.next_field(&id, &t));
  EXPECT_FALSE(r.failed());
}

TEST(ThriftCompact, MalformedInputFailsInsteadOfReadingPastTheEnd) {
  {
    CompactReader r(std::string_view("\x15\xff\xff", 3));  // varint runs off the end
    int16_t id;
    Type t;
    ASSERT_TRUE(r.next_field(&id, &t));
    r.read_i32();
    EXPECT_TRUE(r.failed());
  }
  {
    CompactReader r(std::string_view("\x18\x7f" "abc", 5));  // binary longer than the input
    int16_t id;
    Type t;
    ASSERT_TRUE(r.next_field(&id, &t));
    EXPECT_TRUE(r.read_binary().empty());
    EXPECT_TRUE(r.failed());
  }
  {
    CompactReader r(std::string_view("\xf5\xff\xff\xff\x0f", 5));  // list of 2^32-1 i32s in 0 bytes
    Type element;
    EXPECT_EQ(r.read_list_header(&element), 0u);
    EXPECT_TRUE(r.failed());
  }
  {
    std::string deep(200, '\x1c');  // structs nested 200 deep
    CompactReader r(deep);
    r.skip(Type::kStruct);
    EXPECT_TRUE(r.failed());
  }
}

}  // namespace
}  // namespace pixguard::parquet::thrift
