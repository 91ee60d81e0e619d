#include "delta/delta_describe.h"

#include <nlohmann/json.hpp>

#include "delta/delta_path.h"
#include "delta/delta_schema.h"
#include "delta/delta_stats.h"

namespace pixguard::delta {
namespace {

using Json = nlohmann::ordered_json;  // keys in the order written: the summary reads top-down

struct Totals {
  int64_t files = 0, bytes = 0, rows = 0, without_stats = 0;
  void add(const AddFile& f) {
    ++files;
    bytes += f.size;
    const int64_t n = stats_num_records(f.stats);
    if (n < 0) {
      ++without_stats;
    } else {
      rows += n;
    }
  }
};

}  // namespace

std::string describe_table(const TableSnapshot& s) {
  Json out;
  out["version"] = s.version;
  out["checkpointVersion"] = s.checkpoint_version ? Json(*s.checkpoint_version) : Json(nullptr);
  out["id"] = s.metadata.id;
  out["name"] = s.metadata.name;
  out["description"] = s.metadata.description;
  out["createdTime"] = s.metadata.created_time ? Json(*s.metadata.created_time) : Json(nullptr);
  out["protocol"] = {{"minReaderVersion", s.protocol.min_reader_version},
                     {"minWriterVersion", s.protocol.min_writer_version}};
  out["format"] = s.metadata.format_provider;
  std::vector<SchemaField> fields;
  if (parse_schema_string(s.metadata.schema_string, &fields).ok()) {
    Json schema = Json::array();
    for (const auto& f : fields) schema.push_back({{"name", f.name}, {"type", f.type}, {"nullable", f.nullable}});
    out["schema"] = std::move(schema);
  } else {
    out["schema"] = nullptr;
  }
  out["partitionColumns"] = s.metadata.partition_columns;
  out["configuration"] = s.metadata.configuration;

  Totals all;
  std::map<std::vector<std::string>, Totals> by_partition;  // values in partition column order
  for (const auto& [path, f] : s.files) {
    all.add(f);
    by_partition[partition_key(s.metadata.partition_columns, f.partition_values)].add(f);
  }
  out["files"] = all.files;
  out["bytes"] = all.bytes;
  out["rows"] = all.rows;
  out["filesWithoutStats"] = all.without_stats;
  Json partitions = Json::array();
  if (!s.metadata.partition_columns.empty()) {
    for (const auto& [key, t] : by_partition) {
      Json values = Json::object();
      for (std::size_t i = 0; i < key.size(); ++i) {
        // "" is the null partition (PROTOCOL.md "Partition Value Serialization").
        values[s.metadata.partition_columns[i]] = key[i].empty() ? Json(nullptr) : Json(key[i]);
      }
      partitions.push_back({{"values", std::move(values)}, {"files", t.files}, {"bytes", t.bytes}, {"rows", t.rows}});
    }
  }
  out["partitions"] = std::move(partitions);
  out["tombstones"] = s.tombstones.size();
  out["txns"] = s.txn_versions;
  // Replace, not throw, on invalid UTF-8 in a name or value read from someone's log.
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace pixguard::delta
