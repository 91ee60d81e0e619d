// Fuzzes the body of POST /api/lists/{name} (lists/list_request.h), the one request body the
// operations endpoint parses, without a server. Checked beyond "no sanitizer report":
//  - an accepted body is a JSON object (nlohmann, strict) whose "value" and "author" are the
//    non-empty strings returned, whose "reason" is the reason returned when it is a string,
//    and whose "expires_at" is absent or null exactly when the entry never expires;
//  - re-encoding an accepted entry (without expires_at) and parsing it again gives it back;
//  - a refusal is InvalidArgument with one of the documented messages, which never quote
//    the body (they are sent back to the client).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_checks.h"
#include "lists/list_request.h"

namespace pixguard::fuzz {
namespace {

void check_body(std::string_view body) {
  ListEntryRequest r;
  const Status s = parse_list_entry_request(body, &r);
  if (!s.ok()) {
    PIXGUARD_FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument);
    const std::string& m = s.message();
    PIXGUARD_FUZZ_CHECK(m == "expected a JSON object" || m == "value and author are required strings" ||
                        m == "expires_at: expected an RFC 3339 time with an offset, or null");
    return;
  }
  PIXGUARD_FUZZ_CHECK(!r.value.empty() && !r.author.empty());
  const nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  PIXGUARD_FUZZ_CHECK(!j.is_discarded() && j.is_object());
  PIXGUARD_FUZZ_CHECK(j["value"].is_string() && j["value"].get<std::string>() == r.value);
  PIXGUARD_FUZZ_CHECK(j["author"].is_string() && j["author"].get<std::string>() == r.author);
  const auto reason = j.find("reason");
  PIXGUARD_FUZZ_CHECK(reason != j.end() && reason->is_string() ? reason->get<std::string>() == r.reason
                                                               : r.reason.empty());
  const auto expires = j.find("expires_at");
  const bool never = expires == j.end() || expires->is_null();
  PIXGUARD_FUZZ_CHECK(never == (r.expires_us == INT64_MAX));

  const std::string again = nlohmann::json{{"value", r.value}, {"author", r.author}, {"reason", r.reason}}.dump();
  ListEntryRequest back;
  PIXGUARD_FUZZ_CHECK(parse_list_entry_request(again, &back).ok());
  PIXGUARD_FUZZ_CHECK(back.value == r.value && back.author == r.author && back.reason == r.reason &&
                      back.expires_us == INT64_MAX);
}

}  // namespace
}  // namespace pixguard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pixguard::fuzz::check_body(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
