#pragma once
// Compaction (Delta's OPTIMIZE, bin-packing only) of a Delta table on the local file system:
// per partition, the active data files smaller than `min_file_bytes` (at least two of them)
// are rewritten into files of about `target_file_bytes`, and ONE commit removes the old files
// and adds the new ones, both with dataChange=false (the table's rows do not change, so
// streaming readers of the change feed skip it). The old files stay on disk until
// `pixguard vacuum` deletes them past the retention, so readers of older versions still work.
//
// Rows are copied value for value from the input files' Parquet schema (flat columns only;
// files with nested, INT96, FIXED_LEN_BYTE_ARRAY, unknown-logical or non-UTC timestamp
// columns are left as they are), and each new file's stats are recomputed (delta_stats.h).
// Only files with the same schema are merged together.
//
// Concurrency: a streaming job may append to the table meanwhile; its commits are blind
// appends, which DeltaTable::commit retries past, so the compaction commits after them and
// keeps their files. A compaction that loses against another one (a file both remove)
// fails with the library's conflict message (InvalidArgument), and its new files are deleted.
// If the process dies before committing, its new files are referenced by nothing and vacuum
// removes them once they are older than the retention.
//
// Threading: compact_table is a blocking call that uses only the calling thread.
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "parquet/parquet_types.h"

namespace pixguard::delta {

struct CompactionOptions {
  int64_t target_file_bytes = 128LL << 20;
  int64_t min_file_bytes = 16LL << 20;  // files at least this large are left alone
  parquet::Codec codec = parquet::Codec::kSnappy;
  int zstd_level = 3;
  // Columns whose min/max the new files' stats leave out (personal data; delta_stats.h).
  std::set<std::string> personal_columns;
  // Called after the new files are written and before the commit (tests use it to commit
  // concurrently). Empty by default.
  std::function<void()> before_commit;
};

struct CompactedPartition {
  std::vector<std::pair<std::string, std::string>> values;  // partition column -> value ("" is null)
  int64_t files_removed = 0, files_added = 0;
  int64_t bytes_removed = 0, bytes_added = 0;
  int64_t rows = 0;
};

struct CompactionResult {
  bool committed = false;     // false: nothing to compact, nothing written
  uint64_t read_version = 0;  // the snapshot planned from
  uint64_t version = 0;       // the OPTIMIZE commit, when committed
  int attempts = 0;           // versions tried by the commit (> 1: it went past concurrent appends)
  int64_t files_removed = 0, files_added = 0;
  int64_t bytes_removed = 0, bytes_added = 0;
  int64_t rows = 0;  // rows rewritten
  std::vector<CompactedPartition> partitions;  // in partition-value order
  std::vector<std::string> removed_paths, added_paths;  // as logged
};

// Compacts the table at `dir` as above. InvalidArgument for bad options or a lost conflict;
// NotFound/Corruption/Unsupported from opening the table; IoError or Corruption when a data
// file cannot be read or written (nothing is committed then, and new files are deleted).
Status compact_table(const std::string& dir, const CompactionOptions& options, CompactionResult* result);

}  // namespace pixguard::delta
