#include "enrich/label_store.h"

#include <simdjson.h>

#include <string>

#include "core/timestamp.h"

namespace pixguard {

void LabelStore::add(std::string_view end_to_end_id, LabelReport report) {
  auto [it, inserted] = reports_.try_emplace(stable_hash(end_to_end_id), report);
  if (!inserted && report.reported_at_us > it->second.reported_at_us) it->second = report;
}

const LabelReport* LabelStore::find(std::string_view end_to_end_id) const {
  const auto it = reports_.find(stable_hash(end_to_end_id));
  return it == reports_.end() ? nullptr : &it->second;
}

Status LabelStore::load_jsonl(const std::string& path, const TimeZone& zone) {
  simdjson::padded_string content;
  if (auto err = simdjson::padded_string::load(path).get(content)) {
    return Status::IoError("labels file " + path + ": " + simdjson::error_message(err));
  }
  simdjson::ondemand::parser parser;
  std::string_view rest(content.data(), content.size());
  std::size_t line_number = 0;
  while (!rest.empty()) {
    ++line_number;
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const auto where = [&] { return "labels file " + path + ":" + std::to_string(line_number) + ": "; };
    // A line inside the padded file is followed by the rest of the file and the padding.
    const std::size_t capacity = static_cast<std::size_t>(content.data() + content.size() - line.data()) +
                                 simdjson::SIMDJSON_PADDING;
    simdjson::ondemand::document doc;
    std::string_view id;
    if (auto err = parser.iterate(line.data(), line.size(), capacity).get(doc)) {
      return Status::InvalidArgument(where() + simdjson::error_message(err));
    }
    if (doc["end_to_end_id"].get_string().get(id)) {
      return Status::InvalidArgument(where() + "end_to_end_id: expected a string");
    }
    std::string id_copy(id);
    simdjson::ondemand::value when;
    if (doc["reported_at"].get(when) || when.raw_json_token().empty()) {
      return Status::InvalidArgument(where() + "reported_at: missing");
    }
    std::string_view when_text;
    if (when.get_string().get(when_text)) when_text = when.raw_json_token();
    std::string when_copy(when_text);
    while (!when_copy.empty() && (when_copy.back() == ' ' || when_copy.back() == '\r')) when_copy.pop_back();
    LabelReport report;
    if (const auto e = parse_timestamp(when_copy, TimestampFormat::kAuto, zone, &report.reported_at_us);
        e != TimestampError::kOk) {
      return Status::InvalidArgument(where() + "reported_at: " + std::string(timestamp_error_name(e)));
    }
    simdjson::ondemand::value fraud;
    if (doc["fraud"].get(fraud)) return Status::InvalidArgument(where() + "fraud: missing");
    bool b = false;
    int64_t n = 0;
    if (!fraud.get_bool().get(b)) {
      report.fraud = b;
    } else if (!fraud.get_int64().get(n) && (n == 0 || n == 1)) {
      report.fraud = n == 1;
    } else {
      return Status::InvalidArgument(where() + "fraud: expected 0, 1, true or false");
    }
    add(id_copy, report);
  }
  return Status::Ok();
}

}  // namespace pixguard
