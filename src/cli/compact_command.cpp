// `pixguard compact`: rewrite the small files of a Delta table (delta/delta_compaction.h) into
// files of about the target size, in one OPTIMIZE commit. Safe while a job appends to the
// table; the old files stay until `pixguard vacuum` deletes them.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/table_text.h"
#include "core/clock.h"
#include "delta/delta_compaction.h"
#include "sinks/decision_table.h"

namespace pixguard::cli {
namespace {

std::string partition_name(const delta::CompactedPartition& p) {
  std::string s;
  for (const auto& [column, value] : p.values) {
    s += (s.empty() ? "" : "/") + column + "=" + (value.empty() ? "null" : value);
  }
  return s.empty() ? "(unpartitioned)" : s;
}

}  // namespace

Command add_compact_command(CLI::App& app) {
  struct Flags {
    std::string table;
    int64_t target_mb = 128;
    int64_t min_mb = 16;
    std::string codec = "snappy";
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "compact", "Rewrite a Delta table's small files into larger ones, per partition, in one commit (OPTIMIZE)");
  sub->add_option("--table", flags->table, "Delta table directory (the config's sinks.table)")->required();
  sub->add_option("--target-file-mb", flags->target_mb, "Size of the files written, about")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  sub->add_option("--min-file-mb", flags->min_mb, "Files smaller than this are rewritten (at least 2 per partition)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  sub->add_option("--codec", flags->codec, "Compression of the files written")
      ->capture_default_str()
      ->check(CLI::IsMember({"snappy", "zstd", "uncompressed"}));
  sub->add_flag("--json", flags->json, "Print the result as one JSON object");

  return [flags]() -> int {
    delta::CompactionOptions o;
    o.target_file_bytes = flags->target_mb << 20;
    o.min_file_bytes = flags->min_mb << 20;
    o.personal_columns = decision_personal_columns();
    o.codec = flags->codec == "zstd"           ? parquet::Codec::kZstd
              : flags->codec == "uncompressed" ? parquet::Codec::kUncompressed
                                               : parquet::Codec::kSnappy;
    const int64_t start = unix_micros();
    delta::CompactionResult r;
    if (Status s = delta::compact_table(flags->table, o, &r); !s.ok()) return report_table_error(s);
    const double seconds = static_cast<double>(unix_micros() - start) / 1e6;

    if (flags->json) {
      nlohmann::ordered_json j;
      j["table"] = flags->table;
      j["committed"] = r.committed;
      j["readVersion"] = r.read_version;
      j["version"] = r.committed ? nlohmann::ordered_json(r.version) : nlohmann::ordered_json(nullptr);
      j["attempts"] = r.attempts;
      j["filesRemoved"] = r.files_removed;
      j["filesAdded"] = r.files_added;
      j["bytesRemoved"] = r.bytes_removed;
      j["bytesAdded"] = r.bytes_added;
      j["rows"] = r.rows;
      j["seconds"] = seconds;
      nlohmann::ordered_json parts = nlohmann::ordered_json::array();
      for (const auto& p : r.partitions) {
        nlohmann::ordered_json values = nlohmann::ordered_json::object();
        for (const auto& [column, value] : p.values) {
          values[column] = value.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(value);
        }
        parts.push_back({{"values", values},
                         {"filesRemoved", p.files_removed},
                         {"filesAdded", p.files_added},
                         {"bytesRemoved", p.bytes_removed},
                         {"bytesAdded", p.bytes_added},
                         {"rows", p.rows}});
      }
      j["partitions"] = std::move(parts);
      j["removed"] = r.removed_paths;
      j["added"] = r.added_paths;
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
      return kExitOk;
    }
    if (!r.committed) {
      std::printf("%s: nothing to compact at version %llu (no partition has 2 or more files under %lld MiB)\n",
                  flags->table.c_str(), static_cast<unsigned long long>(r.read_version),
                  static_cast<long long>(flags->min_mb));
      return kExitOk;
    }
    for (const auto& p : r.partitions) {
      std::printf("  %-32s %5lld files (%s) -> %lld (%s), %lld rows\n", partition_name(p).c_str(),
                  static_cast<long long>(p.files_removed), human_bytes(p.bytes_removed).c_str(),
                  static_cast<long long>(p.files_added), human_bytes(p.bytes_added).c_str(),
                  static_cast<long long>(p.rows));
    }
    std::printf("%s: version %llu (OPTIMIZE): %lld files (%s) rewritten into %lld (%s), %lld rows, in %.2f s%s\n",
                flags->table.c_str(), static_cast<unsigned long long>(r.version),
                static_cast<long long>(r.files_removed), human_bytes(r.bytes_removed).c_str(),
                static_cast<long long>(r.files_added), human_bytes(r.bytes_added).c_str(),
                static_cast<long long>(r.rows), seconds,
                r.attempts > 1 ? " (after concurrent appends)" : "");
    std::printf("The old files stay for readers of older versions until `pixguard vacuum` deletes them.\n");
    return kExitOk;
  };
}

}  // namespace pixguard::cli
