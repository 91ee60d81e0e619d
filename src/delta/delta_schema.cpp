#include "delta/delta_schema.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "core/json_writer.h"

namespace pixguard::delta {
namespace {

// "decimal(P,S)" with 1 <= P <= 38 and 0 <= S <= P (Spark writes no spaces).
bool is_decimal(std::string_view t) {
  if (!t.starts_with("decimal(") || !t.ends_with(")")) return false;
  const std::string_view inner = t.substr(8, t.size() - 9);
  const std::size_t comma = inner.find(',');
  if (comma == std::string_view::npos) return false;
  int p = 0, s = 0;
  const auto [pe, pec] = std::from_chars(inner.data(), inner.data() + comma, p);
  const auto [se, sec] = std::from_chars(inner.data() + comma + 1, inner.data() + inner.size(), s);
  return pec == std::errc() && sec == std::errc() && pe == inner.data() + comma &&
         se == inner.data() + inner.size() && p >= 1 && p <= 38 && s >= 0 && s <= p;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool is_primitive_type(std::string_view t) {
  static constexpr std::string_view kNames[] = {"string", "long",   "integer", "short",     "byte",         "double",
                                                "float",  "boolean", "binary", "date",      "timestamp",    "timestamp_ntz"};
  for (const std::string_view n : kNames) {
    if (t == n) return true;
  }
  return is_decimal(t);
}

Status build_schema_string(const std::vector<SchemaField>& fields, std::string* out) {
  std::set<std::string> seen;
  for (const auto& f : fields) {
    if (f.name.empty()) return Status::InvalidArgument("schema field with an empty name");
    if (!seen.insert(lower(f.name)).second) {
      return Status::InvalidArgument("schema field " + f.name + " appears twice (names are case-insensitive)");
    }
    if (!is_primitive_type(f.type)) {
      return Status::InvalidArgument("schema field " + f.name + ": unknown Delta type '" + f.type + "'");
    }
  }
  out->clear();
  JsonWriter w(out);
  w.raw("{\"type\":\"struct\",\"fields\":[");
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) w.ch(',');
    w.raw("{\"name\":");
    w.string(fields[i].name);
    w.raw(",\"type\":");
    w.string(fields[i].type);
    w.raw(fields[i].nullable ? ",\"nullable\":true" : ",\"nullable\":false");
    w.raw(",\"metadata\":{}}");
  }
  w.raw("]}");
  return Status::Ok();
}

Status parse_schema_string(std::string_view schema, std::vector<SchemaField>* fields) {
  using Json = nlohmann::json;
  fields->clear();
  const Json doc = Json::parse(schema.begin(), schema.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Corruption("schemaString is not valid JSON");
  const auto type = doc.find("type");
  const auto list = doc.find("fields");
  if (!doc.is_object() || type == doc.end() || *type != "struct" || list == doc.end() || !list->is_array()) {
    return Status::Corruption("schemaString is not a struct schema");
  }
  for (const Json& f : *list) {
    const auto name = f.find("name");
    const auto ftype = f.find("type");
    if (!f.is_object() || name == f.end() || !name->is_string() || ftype == f.end()) {
      return Status::Corruption("schemaString has a field without a name or type");
    }
    SchemaField field;
    field.name = name->get<std::string>();
    field.type = ftype->is_string() ? ftype->get<std::string>() : ftype->dump();
    const auto nullable = f.find("nullable");
    field.nullable = nullable == f.end() || !nullable->is_boolean() || nullable->get<bool>();
    fields->push_back(std::move(field));
  }
  return Status::Ok();
}

}  // namespace pixguard::delta
