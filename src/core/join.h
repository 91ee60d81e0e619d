#pragma once
// "a, b, c": lists in messages.
#include <string>
#include <string_view>

namespace pixguard {

template <typename Range>
std::string join(const Range& items, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace pixguard
