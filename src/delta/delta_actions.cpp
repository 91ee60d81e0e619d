#include "delta/delta_actions.h"

#include <array>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "core/join.h"
#include "core/json_writer.h"

namespace pixguard::delta {
namespace {

using Json = nlohmann::json;

void write_string_map(JsonWriter& w, const std::map<std::string, std::string>& m) {
  w.ch('{');
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) w.ch(',');
    first = false;
    w.key(k);
    w.string(v);
  }
  w.ch('}');
}

void write_string_list(JsonWriter& w, const std::vector<std::string>& list) {
  w.ch('[');
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) w.ch(',');
    w.string(list[i]);
  }
  w.ch(']');
}

void write(JsonWriter& w, const Protocol& p) {
  w.raw("{\"protocol\":{\"minReaderVersion\":");
  w.integer(p.min_reader_version);
  w.raw(",\"minWriterVersion\":");
  w.integer(p.min_writer_version);
  // The feature lists exist only from reader 3 / writer 7 on; older readers reject them.
  if (p.min_reader_version >= 3) {
    w.raw(",\"readerFeatures\":");
    write_string_list(w, p.reader_features);
  }
  if (p.min_writer_version >= 7) {
    w.raw(",\"writerFeatures\":");
    write_string_list(w, p.writer_features);
  }
  w.raw("}}");
}

void write(JsonWriter& w, const Metadata& m) {
  w.raw("{\"metaData\":{\"id\":");
  w.string(m.id);
  if (!m.name.empty()) {
    w.raw(",\"name\":");
    w.string(m.name);
  }
  if (!m.description.empty()) {
    w.raw(",\"description\":");
    w.string(m.description);
  }
  w.raw(",\"format\":{\"provider\":");
  w.string(m.format_provider);
  w.raw(",\"options\":");
  write_string_map(w, m.format_options);
  w.raw("},\"schemaString\":");
  w.string(m.schema_string);
  w.raw(",\"partitionColumns\":");
  write_string_list(w, m.partition_columns);
  w.raw(",\"configuration\":");
  write_string_map(w, m.configuration);
  if (m.created_time) {
    w.raw(",\"createdTime\":");
    w.integer(*m.created_time);
  }
  w.raw("}}");
}

void write(JsonWriter& w, const AddFile& a) {
  w.raw("{\"add\":{\"path\":");
  w.string(a.path);
  w.raw(",\"partitionValues\":");
  write_string_map(w, a.partition_values);
  w.raw(",\"size\":");
  w.integer(a.size);
  w.raw(",\"modificationTime\":");
  w.integer(a.modification_time);
  w.raw(a.data_change ? ",\"dataChange\":true" : ",\"dataChange\":false");
  if (!a.stats.empty()) {
    w.raw(",\"stats\":");
    w.string(a.stats);  // stats is JSON text carried as a JSON string, as the protocol says
  }
  if (!a.tags.empty()) {
    w.raw(",\"tags\":");
    write_string_map(w, a.tags);
  }
  w.raw("}}");
}

void write(JsonWriter& w, const RemoveFile& r) {
  w.raw("{\"remove\":{\"path\":");
  w.string(r.path);
  if (r.deletion_timestamp) {
    w.raw(",\"deletionTimestamp\":");
    w.integer(*r.deletion_timestamp);
  }
  w.raw(r.data_change ? ",\"dataChange\":true" : ",\"dataChange\":false");
  w.raw(r.extended_file_metadata ? ",\"extendedFileMetadata\":true" : ",\"extendedFileMetadata\":false");
  if (r.extended_file_metadata) {
    w.raw(",\"partitionValues\":");
    write_string_map(w, r.partition_values);
  }
  if (r.size) {
    w.raw(",\"size\":");
    w.integer(*r.size);
  }
  w.raw("}}");
}

void write(JsonWriter& w, const Txn& t) {
  w.raw("{\"txn\":{\"appId\":");
  w.string(t.app_id);
  w.raw(",\"version\":");
  w.integer(t.version);
  if (t.last_updated) {
    w.raw(",\"lastUpdated\":");
    w.integer(*t.last_updated);
  }
  w.raw("}}");
}

void write(JsonWriter& w, const CommitInfo& c) {
  w.raw("{\"commitInfo\":{\"timestamp\":");
  w.integer(c.timestamp);
  w.raw(",\"operation\":");
  w.string(c.operation);
  w.raw(",\"operationParameters\":");
  write_string_map(w, c.operation_parameters);
  if (c.read_version) {
    w.raw(",\"readVersion\":");
    w.integer(*c.read_version);
  }
  if (c.is_blind_append) w.raw(*c.is_blind_append ? ",\"isBlindAppend\":true" : ",\"isBlindAppend\":false");
  if (!c.operation_metrics.empty()) {
    w.raw(",\"operationMetrics\":");
    write_string_map(w, c.operation_metrics);
  }
  w.raw(",\"engineInfo\":");
  w.string(c.engine_info);
  w.raw("}}");
}

// Typed field readers over a parsed object. They never throw: every access is checked first.
// A field that is absent or JSON null counts as missing.
class Fields {
 public:
  Fields(const Json& object, std::string_view action) : object_(object), action_(action) {}

  const Json* find(const char* key) const {
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  Status string(const char* key, std::string* out, bool required) const {
    const Json* v = find(key);
    if (v == nullptr) return required ? missing(key) : Status::Ok();
    if (!v->is_string()) return wrong(key, "a string");
    *out = v->get_ref<const std::string&>();
    return Status::Ok();
  }

  Status integer(const char* key, int64_t* out, bool required, bool* present = nullptr) const {
    if (present != nullptr) *present = false;
    const Json* v = find(key);
    if (v == nullptr) return required ? missing(key) : Status::Ok();
    if (v->is_number_unsigned()) {
      const auto u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return wrong(key, "a 64-bit integer");
      *out = static_cast<int64_t>(u);
    } else if (v->is_number_integer()) {
      *out = v->get<int64_t>();
    } else {
      return wrong(key, "an integer");
    }
    if (present != nullptr) *present = true;
    return Status::Ok();
  }

  Status optional_integer(const char* key, std::optional<int64_t>* out) const {
    int64_t v = 0;
    bool present = false;
    Status s = integer(key, &v, false, &present);
    if (s.ok() && present) *out = v;
    return s;
  }

  Status boolean(const char* key, bool* out, bool required) const {
    const Json* v = find(key);
    if (v == nullptr) return required ? missing(key) : Status::Ok();
    if (!v->is_boolean()) return wrong(key, "a boolean");
    *out = v->get<bool>();
    return Status::Ok();
  }

  // A string -> string map. Null values become "" (the protocol's null partition value);
  // with `lenient`, other scalars keep their JSON text (commitInfo is free-form).
  Status string_map(const char* key, std::map<std::string, std::string>* out, bool required,
                    bool lenient = false) const {
    const Json* v = find(key);
    if (v == nullptr) return required ? missing(key) : Status::Ok();
    if (!v->is_object()) return wrong(key, "an object");
    for (const auto& [k, value] : v->items()) {
      if (value.is_string()) {
        (*out)[k] = value.get_ref<const std::string&>();
      } else if (value.is_null()) {
        (*out)[k] = "";
      } else if (lenient) {
        (*out)[k] = value.dump();
      } else {
        return wrong(key, "an object of strings");
      }
    }
    return Status::Ok();
  }

  Status string_list(const char* key, std::vector<std::string>* out, bool required) const {
    const Json* v = find(key);
    if (v == nullptr) return required ? missing(key) : Status::Ok();
    if (!v->is_array()) return wrong(key, "an array");
    for (const auto& e : *v) {
      if (!e.is_string()) return wrong(key, "an array of strings");
      out->push_back(e.get_ref<const std::string&>());
    }
    return Status::Ok();
  }

 private:
  Status missing(const char* key) const {
    return Status::Corruption(std::string(action_) + " action without its required field " + key);
  }
  Status wrong(const char* key, const char* expected) const {
    return Status::Corruption(std::string(action_) + "." + key + " is not " + expected);
  }

  const Json& object_;
  std::string_view action_;
};

Status parse_protocol(const Fields& f, Protocol* p) {
  int64_t reader = 0, writer = 0;
  Status s = f.integer("minReaderVersion", &reader, true);
  if (s.ok()) s = f.integer("minWriterVersion", &writer, true);
  if (s.ok()) s = f.string_list("readerFeatures", &p->reader_features, false);
  if (s.ok()) s = f.string_list("writerFeatures", &p->writer_features, false);
  if (s.ok() && (reader < 1 || reader > 1000 || writer < 1 || writer > 1000)) {
    s = Status::Corruption("protocol versions out of range");
  }
  p->min_reader_version = static_cast<int>(reader);
  p->min_writer_version = static_cast<int>(writer);
  return s;
}

Status parse_metadata(const Fields& f, Metadata* m) {
  Status s = f.string("id", &m->id, true);
  if (s.ok()) s = f.string("name", &m->name, false);
  if (s.ok()) s = f.string("description", &m->description, false);
  if (s.ok()) {
    const Json* format = f.find("format");
    if (format == nullptr || !format->is_object()) return Status::Corruption("metaData action without a format object");
    const Fields ff(*format, "metaData.format");
    s = ff.string("provider", &m->format_provider, true);
    if (s.ok()) s = ff.string_map("options", &m->format_options, false);
  }
  if (s.ok()) s = f.string("schemaString", &m->schema_string, true);
  if (s.ok()) s = f.string_list("partitionColumns", &m->partition_columns, true);
  if (s.ok()) s = f.string_map("configuration", &m->configuration, false);
  if (s.ok()) s = f.optional_integer("createdTime", &m->created_time);
  return s;
}

Status parse_add(const Fields& f, AddFile* a) {
  Status s = f.string("path", &a->path, true);
  if (s.ok()) s = f.string_map("partitionValues", &a->partition_values, true);
  if (s.ok()) s = f.integer("size", &a->size, true);
  if (s.ok()) s = f.integer("modificationTime", &a->modification_time, true);
  if (s.ok()) s = f.boolean("dataChange", &a->data_change, true);
  if (s.ok()) s = f.string("stats", &a->stats, false);
  if (s.ok()) s = f.string_map("tags", &a->tags, false, true);
  if (s.ok() && f.find("deletionVector") != nullptr) {
    // Guarded by the deletionVectors reader feature, which check_read_support refuses; a DV
    // here means the protocol action lies, and ignoring it would count deleted rows.
    s = Status::Unsupported("add action with a deletion vector (" + a->path + ")");
  }
  return s;
}

Status parse_remove(const Fields& f, RemoveFile* r) {
  Status s = f.string("path", &r->path, true);
  if (s.ok()) s = f.optional_integer("deletionTimestamp", &r->deletion_timestamp);
  if (s.ok()) s = f.boolean("dataChange", &r->data_change, true);
  if (s.ok()) s = f.boolean("extendedFileMetadata", &r->extended_file_metadata, false);
  if (s.ok()) s = f.string_map("partitionValues", &r->partition_values, false);
  if (s.ok()) s = f.optional_integer("size", &r->size);
  return s;
}

Status parse_txn(const Fields& f, Txn* t) {
  Status s = f.string("appId", &t->app_id, true);
  if (s.ok()) s = f.integer("version", &t->version, true);
  if (s.ok()) s = f.optional_integer("lastUpdated", &t->last_updated);
  return s;
}

// commitInfo is provenance in any shape an engine likes: take what fits, never fail.
void parse_commit_info(const Fields& f, CommitInfo* c) {
  (void)f.integer("timestamp", &c->timestamp, false);
  (void)f.string("operation", &c->operation, false);
  (void)f.string_map("operationParameters", &c->operation_parameters, false, true);
  (void)f.optional_integer("readVersion", &c->read_version);
  bool blind = false;
  if (f.find("isBlindAppend") != nullptr && f.boolean("isBlindAppend", &blind, false).ok()) c->is_blind_append = blind;
  (void)f.string_map("operationMetrics", &c->operation_metrics, false, true);
  c->engine_info.clear();
  (void)f.string("engineInfo", &c->engine_info, false);
}

}  // namespace

void append_action_json(const Action& action, std::string* out) {
  JsonWriter w(out);
  std::visit([&w](const auto& a) { write(w, a); }, action);
}

std::string action_json(const Action& action) {
  std::string out;
  append_action_json(action, &out);
  return out;
}

Status parse_action_json(std::string_view line, std::optional<Action>* out) {
  out->reset();
  if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) return Status::Ok();
  const Json doc = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Corruption("not valid JSON");
  if (!doc.is_object()) return Status::Corruption("an action must be a JSON object");
  for (const auto& [name, body] : doc.items()) {
    if (body.is_null()) continue;
    const bool known = name == "protocol" || name == "metaData" || name == "add" || name == "remove" ||
                       name == "txn" || name == "commitInfo";
    if (!known) continue;  // cdc, domainMetadata, checkpointMetadata, sidecar, ...: not ours to read
    if (!body.is_object()) return Status::Corruption(name + " action is not an object");
    const Fields f(body, name);
    Status s;
    if (name == "protocol") {
      Protocol p;
      s = parse_protocol(f, &p);
      *out = std::move(p);
    } else if (name == "metaData") {
      Metadata m;
      s = parse_metadata(f, &m);
      *out = std::move(m);
    } else if (name == "add") {
      AddFile a;
      s = parse_add(f, &a);
      *out = std::move(a);
    } else if (name == "remove") {
      RemoveFile r;
      s = parse_remove(f, &r);
      *out = std::move(r);
    } else if (name == "txn") {
      Txn t;
      s = parse_txn(f, &t);
      *out = std::move(t);
    } else {
      CommitInfo c;
      parse_commit_info(f, &c);
      *out = std::move(c);
    }
    if (!s.ok()) out->reset();
    return s;  // one action per line
  }
  return Status::Ok();
}

namespace {

std::string versions_text(const Protocol& p) {
  return "reader " + std::to_string(p.min_reader_version) + " / writer " + std::to_string(p.min_writer_version);
}

}  // namespace

Status check_read_support(const Protocol& p) {
  if (p.min_reader_version <= kMaxReaderVersion) return Status::Ok();
  // Reader 3 names its features; with none listed it asks nothing of a reader-1 reader.
  if (p.min_reader_version == 3 && p.reader_features.empty()) return Status::Ok();
  std::string why = "table needs Delta protocol " + versions_text(p);
  if (!p.reader_features.empty()) why += " with reader features " + join(p.reader_features);
  return Status::Unsupported(why + "; pixguard reads reader version " + std::to_string(kMaxReaderVersion) +
                             " tables only");
}

Status check_write_support(const Protocol& p) {
  if (Status s = check_read_support(p); !s.ok()) return s;
  if (p.min_writer_version <= kMaxWriterVersion) return Status::Ok();
  if (p.min_writer_version == 7) {
    std::vector<std::string> unknown;
    for (const auto& f : p.writer_features) {
      if (f != "appendOnly" && f != "invariants") unknown.push_back(f);
    }
    if (unknown.empty()) return Status::Ok();
    return Status::Unsupported("table needs Delta writer features " + join(unknown) +
                               "; pixguard writes appendOnly and invariants only");
  }
  return Status::Unsupported("table needs Delta protocol " + versions_text(p) + "; pixguard writes up to writer " +
                             std::to_string(kMaxWriterVersion));
}

std::string new_table_id() {
  std::random_device device;
  std::mt19937_64 rng((static_cast<uint64_t>(device()) << 32) ^ device());
  std::array<unsigned char, 16> b{};
  for (std::size_t i = 0; i < b.size(); i += 8) {
    const uint64_t r = rng();
    for (std::size_t j = 0; j < 8; ++j) b[i + j] = static_cast<unsigned char>(r >> (8 * j));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return text;
}

}  // namespace pixguard::delta
