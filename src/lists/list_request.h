#pragma once
// The body of POST /api/lists/{name} (ops/ops_server.h), read without a server, so that the
// fuzzer (fuzz/api_body_fuzzer.cpp) reaches it directly:
//   {"value": "...", "author": "...", "reason": "..." (optional),
//    "expires_at": "<RFC 3339 time with an offset>" (optional, or null)}
// Other keys are ignored. value and author must be non-empty strings; a reason that is not a
// string counts as none.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace pixguard {

struct ListEntryRequest {
  std::string value;
  std::string author;
  std::string reason;
  int64_t expires_us = INT64_MAX;  // unix microseconds; INT64_MAX: never
};

// InvalidArgument naming what is wrong (the message is safe to answer with: it never quotes
// the body).
Status parse_list_entry_request(std::string_view body, ListEntryRequest* out);

}  // namespace pixguard
