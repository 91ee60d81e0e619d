#pragma once
// The actions of the Delta Lake transaction log (PROTOCOL.md "Actions"): one JSON object per
// line of a commit file `_delta_log/NNNNNNNNNNNNNNNNNNNN.json`, and one row of a checkpoint.
// Serializing writes the protocol's camelCase field names in a fixed order; parsing ignores
// fields and actions it does not know (`cdc`, `domainMetadata`, `sidecar`, ...), as readers must.
//
// Paths in AddFile/RemoveFile are kept exactly as the log holds them: URIs relative to the
// table root, percent-encoded (delta_path.h converts). Times are Unix milliseconds.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace pixguard::delta {

// The newest protocol this library reads and writes: reader 1, writer 2 (appendOnly and
// column invariants; invariants are the data writer's business).
inline constexpr int kMaxReaderVersion = 1;
inline constexpr int kMaxWriterVersion = 2;
inline constexpr std::string_view kEngineInfo = "pixguard/0.1.0";

struct Protocol {
  int min_reader_version = 1;
  int min_writer_version = 2;
  // Only meaningful at reader 3 / writer 7 (table features); empty otherwise.
  std::vector<std::string> reader_features;
  std::vector<std::string> writer_features;
};

struct Metadata {
  std::string id;  // a UUID (new_table_id())
  std::string name;
  std::string description;
  std::string format_provider = "parquet";
  std::map<std::string, std::string> format_options;
  std::string schema_string;  // Delta's JSON schema (delta_schema.h)
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  std::optional<int64_t> created_time;
};

struct AddFile {
  std::string path;
  std::map<std::string, std::string> partition_values;  // column -> value; "" means null
  int64_t size = 0;
  int64_t modification_time = 0;
  bool data_change = true;
  std::string stats;  // JSON text (numRecords, minValues, maxValues, nullCount); empty: none
  std::map<std::string, std::string> tags;
};

struct RemoveFile {
  std::string path;
  std::optional<int64_t> deletion_timestamp;
  bool data_change = true;
  // When true, partition_values and size describe the removed file.
  bool extended_file_metadata = false;
  std::map<std::string, std::string> partition_values;
  std::optional<int64_t> size;
};

// An application's progress marker, committed atomically with its data (idempotent writes).
struct Txn {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated;
};

struct CommitInfo {
  int64_t timestamp = 0;
  std::string operation;  // "CREATE TABLE", "WRITE", "OPTIMIZE", ...
  std::map<std::string, std::string> operation_parameters;
  std::optional<int64_t> read_version;  // absent for version 0
  std::optional<bool> is_blind_append;
  std::map<std::string, std::string> operation_metrics;
  std::string engine_info = std::string(kEngineInfo);
};

using Action = std::variant<Protocol, Metadata, AddFile, RemoveFile, Txn, CommitInfo>;

// Appends one action as a single JSON line (without the newline) to *out, e.g.
// {"add":{"path":"a.parquet","partitionValues":{},"size":1,"modificationTime":2,"dataChange":true}}
void append_action_json(const Action& action, std::string* out);
std::string action_json(const Action& action);

// Parses one line of a commit file. A known action sets *out; an unknown action or an empty
// line leaves *out empty and returns Ok. Malformed JSON or a known action missing a required
// field is Corruption (the caller adds the file name and line).
Status parse_action_json(std::string_view line, std::optional<Action>* out);

// Unsupported when reading (resp. writing) a table with this protocol needs something this
// library does not implement; the message names the versions and features.
Status check_read_support(const Protocol& protocol);
Status check_write_support(const Protocol& protocol);

// A random (version 4) UUID for Metadata::id.
std::string new_table_id();

}  // namespace pixguard::delta
