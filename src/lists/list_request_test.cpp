#include "lists/list_request.h"

#include <gtest/gtest.h>

namespace pixguard {
namespace {

TEST(ListEntryRequest, ReadsTheFields) {
  ListEntryRequest r;
  ASSERT_TRUE(parse_list_entry_request(
                  R"({"value":"mule@example.com","author":"ana","reason":"MED 123","expires_at":"2027-01-01T00:00:00Z"})", &r)
                  .ok());
  EXPECT_EQ(r.value, "mule@example.com");
  EXPECT_EQ(r.author, "ana");
  EXPECT_EQ(r.reason, "MED 123");
  EXPECT_EQ(r.expires_us, 1798761600LL * 1'000'000);
  ASSERT_TRUE(parse_list_entry_request(R"({"value":"v","author":"a","expires_at":null,"reason":7,"x":[1]})", &r).ok());
  EXPECT_EQ(r.expires_us, INT64_MAX);
  EXPECT_EQ(r.reason, "");
}

TEST(ListEntryRequest, RefusesWhatIsNotAnEntry) {
  ListEntryRequest r;
  for (const char* body : {"", "[]", "\"v\"", "{", "{\"value\":\"v\"}", "{\"value\":\"\",\"author\":\"a\"}",
                           "{\"value\":1,\"author\":\"a\"}", "{\"value\":\"v\",\"author\":\"a\",\"expires_at\":5}",
                           "{\"value\":\"v\",\"author\":\"a\",\"expires_at\":\"2027-01-01T00:00:00\"}",
                           "{\"value\":\"v\",\"author\":\"a\"} trailing"}) {
    const Status s = parse_list_entry_request(body, &r);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << body;
  }
}

}  // namespace
}  // namespace pixguard
