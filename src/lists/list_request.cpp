#include "lists/list_request.h"

#include <nlohmann/json.hpp>

#include "core/time_zone.h"
#include "core/timestamp.h"

namespace pixguard {

Status parse_list_entry_request(std::string_view body, ListEntryRequest* out) {
  const nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("expected a JSON object");
  const auto text = [&j](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ListEntryRequest r;
  if (const auto it = j.find("expires_at"); it != j.end() && !it->is_null()) {
    if (!it->is_string() || parse_timestamp(it->get<std::string>(), TimestampFormat::kRfc3339, TimeZone(),
                                            &r.expires_us) != TimestampError::kOk) {
      return Status::InvalidArgument("expires_at: expected an RFC 3339 time with an offset, or null");
    }
  }
  r.value = text("value");
  r.author = text("author");
  r.reason = text("reason");
  if (r.value.empty() || r.author.empty()) return Status::InvalidArgument("value and author are required strings");
  *out = std::move(r);
  return Status::Ok();
}

}  // namespace pixguard
