// `pixguard inspect`: a Delta table at a glance: versions, files, rows (from the files'
// stats), bytes, schema, partitions, the writers' txn versions and the last commit.
// delta/delta_describe.h builds the summary; this command adds the last commit and prints.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "cli/commands.h"
#include "cli/table_text.h"
#include "core/timestamp.h"
#include "delta/delta_describe.h"
#include "delta/delta_log.h"

namespace pixguard::cli {
namespace {

using Json = nlohmann::ordered_json;

Json commit_json(uint64_t version, const delta::CommitInfo& c) {
  Json j;
  j["version"] = version;
  j["timestamp"] = c.timestamp;
  j["operation"] = c.operation;
  j["operationParameters"] = c.operation_parameters;
  j["operationMetrics"] = c.operation_metrics;
  j["readVersion"] = c.read_version ? Json(*c.read_version) : Json(nullptr);
  j["isBlindAppend"] = c.is_blind_append ? Json(*c.is_blind_append) : Json(nullptr);
  j["engineInfo"] = c.engine_info;
  return j;
}

std::string utc(int64_t ms) {
  char buf[40];
  const int n = format_timestamp_utc(ms * 1000, buf);
  return std::string(buf, static_cast<std::size_t>(n));
}

int64_t get_int(const Json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<int64_t>() : 0; }

void print_text(const std::string& dir, const Json& d) {
  std::printf("table       %s\n", dir.c_str());
  std::printf("version     %lld (%lld versions)", static_cast<long long>(get_int(d, "version")),
              static_cast<long long>(get_int(d, "versions")));
  if (d["checkpointVersion"].is_number()) std::printf(", checkpoint at %lld", static_cast<long long>(get_int(d, "checkpointVersion")));
  std::printf("\nid          %s\n", d["id"].get<std::string>().c_str());
  std::printf("protocol    reader %lld, writer %lld\n", static_cast<long long>(get_int(d["protocol"], "minReaderVersion")),
              static_cast<long long>(get_int(d["protocol"], "minWriterVersion")));
  std::printf("files       %lld (%s), %lld rows", static_cast<long long>(get_int(d, "files")),
              human_bytes(get_int(d, "bytes")).c_str(), static_cast<long long>(get_int(d, "rows")));
  if (get_int(d, "filesWithoutStats") > 0) {
    std::printf(" (+ %lld files without stats)", static_cast<long long>(get_int(d, "filesWithoutStats")));
  }
  std::printf("; %lld removed files kept for vacuum\n", static_cast<long long>(get_int(d, "tombstones")));
  std::printf("schema\n");
  if (d["schema"].is_array()) {
    for (const Json& f : d["schema"]) {
      std::printf("  %-28s %s%s\n", f["name"].get<std::string>().c_str(), f["type"].get<std::string>().c_str(),
                  f["nullable"].get<bool>() ? "" : " not null");
    }
  } else {
    std::printf("  (unreadable schema string)\n");
  }
  std::string by;
  for (const Json& c : d["partitionColumns"]) by += (by.empty() ? "" : ", ") + c.get<std::string>();
  std::printf("partitions  %zu%s%s\n", d["partitions"].size(), by.empty() ? " (not partitioned)" : " by ", by.c_str());
  for (const Json& p : d["partitions"]) {
    std::string name;
    for (const auto& [column, value] : p["values"].items()) {
      name += (name.empty() ? "" : "/") + column + "=" + (value.is_null() ? "null" : value.get<std::string>());
    }
    std::printf("  %-32s %6lld files %10lld rows %12s\n", name.c_str(), static_cast<long long>(get_int(p, "files")),
                static_cast<long long>(get_int(p, "rows")), human_bytes(get_int(p, "bytes")).c_str());
  }
  std::printf("txn         %s\n", d["txns"].empty() ? "(none)" : "");
  for (const auto& [app, version] : d["txns"].items()) {
    std::printf("  %-40s version %lld\n", app.c_str(), static_cast<long long>(version.get<int64_t>()));
  }
  const Json& last = d["lastCommit"];
  if (last.is_null()) {
    std::printf("last commit (no commitInfo)\n");
    return;
  }
  std::printf("last commit version %lld, %s at %s", static_cast<long long>(get_int(last, "version")),
              last["operation"].get<std::string>().c_str(), utc(get_int(last, "timestamp")).c_str());
  if (last["isBlindAppend"].is_boolean() && last["isBlindAppend"].get<bool>()) std::printf(" (blind append)");
  std::printf(" by %s\n", last["engineInfo"].get<std::string>().c_str());
  for (const auto& [key, value] : last["operationMetrics"].items()) {
    std::printf("  %-28s %s\n", key.c_str(), value.get<std::string>().c_str());
  }
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  struct Flags {
    std::string table;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand("inspect", "Describe a Delta table: versions, files, rows, schema, partitions, txns");
  sub->add_option("--table", flags->table, "Delta table directory (the config's sinks.table)")->required();
  sub->add_flag("--json", flags->json, "Print the summary as one JSON object");

  return [flags]() -> int {
    std::unique_ptr<delta::DeltaTable> table;
    delta::TableSnapshot snap;
    if (Status s = delta::DeltaTable::open(flags->table, &table, &snap); !s.ok()) return report_table_error(s);
    Json d = Json::parse(delta::describe_table(snap));
    d["versions"] = snap.version + 1;
    // The newest commit's commitInfo; absent when the newest version is only a checkpoint.
    d["lastCommit"] = nullptr;
    std::vector<delta::Action> actions;
    if (table->read_commit(snap.version, &actions).ok()) {
      for (const delta::Action& a : actions) {
        if (const auto* c = std::get_if<delta::CommitInfo>(&a)) {
          d["lastCommit"] = commit_json(snap.version, *c);
          break;
        }
      }
    }
    if (flags->json) {
      std::printf("%s\n", d.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    } else {
      print_text(flags->table, d);
    }
    return kExitOk;
  };
}

}  // namespace pixguard::cli
