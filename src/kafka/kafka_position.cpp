#include "kafka/kafka_position.h"

#include <algorithm>
#include <charconv>

namespace pixguard {

bool valid_topic_name(std::string_view t) {
  if (t.empty() || t.size() > 249) return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

Status parse_kafka_position(std::string_view token, KafkaOffsets* out) {
  out->clear();
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("bad kafka position '" + std::string(token) + "': " + std::string(why) +
                                   " (expected topic/partition=offset,...)");
  };
  if (token.empty()) return Status::Ok();
  for (std::size_t start = 0; start <= token.size();) {
    std::size_t comma = token.find(',', start);
    if (comma == std::string_view::npos) comma = token.size();
    const std::string_view entry = token.substr(start, comma - start);
    start = comma + 1;
    const std::size_t eq = entry.rfind('='), slash = entry.rfind('/', eq);
    if (eq == std::string_view::npos || slash == std::string_view::npos) return bad("'" + std::string(entry) + "'");
    TopicPartition tp{std::string(entry.substr(0, slash)), 0};
    int64_t offset = 0;
    const char* pb = entry.data() + slash + 1;
    const char* pe = entry.data() + eq;
    const char* ob = entry.data() + eq + 1;
    const char* oe = entry.data() + entry.size();
    if (!valid_topic_name(tp.topic)) return bad("invalid topic name '" + tp.topic + "'");
    if (auto r = std::from_chars(pb, pe, tp.partition); r.ec != std::errc{} || r.ptr != pe || tp.partition < 0) {
      return bad("invalid partition in '" + std::string(entry) + "'");
    }
    if (auto r = std::from_chars(ob, oe, offset); r.ec != std::errc{} || r.ptr != oe || offset < 0) {
      return bad("invalid offset in '" + std::string(entry) + "'");
    }
    for (const auto& [seen, unused] : *out) {
      if (seen == tp) return bad(tp.topic + "/" + std::to_string(tp.partition) + " given twice");
    }
    out->emplace_back(std::move(tp), offset);
  }
  return Status::Ok();
}

}  // namespace pixguard
