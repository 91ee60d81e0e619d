#pragma once
// The peer every decode figure is compared with: simdjson On-Demand parsing one message and
// reading each of its strings one level deep (the 14 fields of the default shape), and
// nothing else. Shared by the benchmarks so that they measure the same baseline.
#include <simdjson.h>

#include <cstddef>
#include <string_view>
#include <utility>

#include "decode/decoder.h"

namespace pixguard {

// Returns the total length of the strings read (0 for a message that does not parse); the
// caller accumulates it so that the work cannot be optimised away. `message` must be
// followed by kMessagePadding readable bytes.
inline std::size_t simdjson_read_fields(simdjson::ondemand::parser& parser, std::string_view message) {
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(message.data(), message.size(), message.size() + kMessagePadding).get(doc) ||
      doc.get_object().get(obj)) {
    return 0;
  }
  std::size_t sum = 0;
  for (auto field : obj) {
    simdjson::ondemand::value v;
    if (std::move(field).value().get(v)) break;
    std::string_view s;
    simdjson::ondemand::object party;
    if (!v.get_string().get(s)) {
      sum += s.size();
    } else if (!v.get_object().get(party)) {
      for (auto inner : party) {
        if (!std::move(inner).value().get_string().get(s)) sum += s.size();
      }
    }
  }
  return sum;
}

}  // namespace pixguard
