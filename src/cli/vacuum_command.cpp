// `pixguard vacuum`: delete the data files of a Delta table that no version within the
// retention needs (delta/delta_vacuum.h plans; this command deletes). A dry run by default.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/table_text.h"
#include "config/config.h"
#include "core/clock.h"
#include "delta/delta_log.h"
#include "delta/delta_vacuum.h"

namespace pixguard::cli {
namespace {

constexpr int64_t kMinRetentionUs = 3600LL * 1000 * 1000;

}  // namespace

Command add_vacuum_command(CLI::App& app) {
  struct Flags {
    std::string table;
    std::string retention = "7d";
    bool apply = false;
    bool force = false;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "vacuum", "List (or with --apply delete) a Delta table's files that no version within the retention needs");
  sub->add_option("--table", flags->table, "Delta table directory (the config's sinks.table)")->required();
  sub->add_option("--retention", flags->retention, "History to keep: removed files go once removed longer ago (e.g. 7d, 24h)")
      ->capture_default_str();
  sub->add_flag("--apply", flags->apply, "Delete the files (default: only list them)");
  sub->add_flag("--force", flags->force, "Allow a retention under 1h");
  sub->add_flag("--json", flags->json, "Print the result as one JSON object");

  return [flags]() -> int {
    int64_t retention_us = 0;
    if (!parse_duration(flags->retention, &retention_us)) {
      std::fprintf(stderr, "pixguard: --retention: invalid duration '%s' (expected e.g. 90s, 5m, 24h, 7d)\n",
                   flags->retention.c_str());
      return kExitUsage;
    }
    if (retention_us < kMinRetentionUs && !flags->force) {
      std::fprintf(stderr,
                   "pixguard: --retention %s is under 1h. A running job's newest files are not in the log until its "
                   "epoch commits, and readers of older versions (or a compaction in progress) still need removed "
                   "files: a short retention can delete both. Pass --force if nothing writes or reads the table.\n",
                   flags->retention.c_str());
      return kExitUsage;
    }
    std::unique_ptr<delta::DeltaTable> table;
    delta::TableSnapshot snap;
    if (Status s = delta::DeltaTable::open(flags->table, &table, &snap); !s.ok()) return report_table_error(s);
    std::vector<std::string> paths;
    const int64_t now_ms = unix_micros() / 1000;
    if (Status s = delta::plan_vacuum(flags->table, snap, retention_us / 1000, now_ms, &paths); !s.ok()) {
      return report_table_error(s);
    }

    struct Entry {
      std::string path;
      int64_t bytes = 0;
      std::string error;  // when deleting failed
    };
    std::vector<Entry> entries;
    int64_t bytes = 0, deleted = 0, deleted_bytes = 0, failed = 0;
    for (const std::string& p : paths) {
      Entry e;
      e.path = p;
      const std::string full = flags->table + "/" + p;
      struct stat st {};
      if (::lstat(full.c_str(), &st) == 0) e.bytes = static_cast<int64_t>(st.st_size);
      bytes += e.bytes;
      if (flags->apply) {
        if (::unlink(full.c_str()) == 0 || errno == ENOENT) {
          ++deleted;
          deleted_bytes += e.bytes;
        } else {
          e.error = std::strerror(errno);
          ++failed;
        }
      }
      entries.push_back(std::move(e));
    }

    if (flags->json) {
      nlohmann::ordered_json j;
      j["table"] = flags->table;
      j["version"] = snap.version;
      j["retentionMs"] = retention_us / 1000;
      j["dryRun"] = !flags->apply;
      nlohmann::ordered_json files = nlohmann::ordered_json::array();
      for (const Entry& e : entries) {
        nlohmann::ordered_json f = {{"path", e.path}, {"bytes", e.bytes}};
        if (!e.error.empty()) f["error"] = e.error;
        files.push_back(std::move(f));
      }
      j["files"] = std::move(files);
      j["count"] = entries.size();
      j["bytes"] = bytes;
      j["deleted"] = deleted;
      j["deletedBytes"] = deleted_bytes;
      j["failed"] = failed;
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    } else {
      for (const Entry& e : entries) {
        std::printf("  %s  %s%s%s\n", e.path.c_str(), human_bytes(e.bytes).c_str(), e.error.empty() ? "" : "  FAILED: ",
                    e.error.c_str());
      }
      if (flags->apply) {
        std::printf("%s: deleted %lld files (%s) at version %llu, retention %s%s\n", flags->table.c_str(),
                    static_cast<long long>(deleted), human_bytes(deleted_bytes).c_str(),
                    static_cast<unsigned long long>(snap.version), flags->retention.c_str(),
                    failed > 0 ? (", " + std::to_string(failed) + " could not be deleted").c_str() : "");
      } else {
        std::printf("%s: would delete %zu files (%s) at version %llu, retention %s (dry run: pass --apply to delete)\n",
                    flags->table.c_str(), entries.size(), human_bytes(bytes).c_str(),
                    static_cast<unsigned long long>(snap.version), flags->retention.c_str());
      }
    }
    return failed > 0 ? kExitFailure : kExitOk;
  };
}

}  // namespace pixguard::cli
