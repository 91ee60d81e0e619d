#pragma once
// Deleting rows from a Delta table for good: erasing a person's records (LGPD) and dropping
// what is older than the retention. ONE commit (operation DELETE) removes every file holding
// a row to delete and adds its rewrite without those rows (a file left with no rows is only
// removed; a whole partition past the cutoff is removed without reading it). Then, unlike
// compaction, the removed files are deleted from disk at once: the rows must not stay
// readable through time travel. Older versions of the table cannot be read afterwards.
//
// The log itself holds no personal values to erase: personal columns have no min/max in
// the stats (delta_stats.h), and commit info names no values.
//
// Concurrency: as compaction (delta_compaction.h); a streaming job's appends are retried past.
// Threading: a blocking call on the calling thread.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "parquet/parquet_types.h"

namespace pixguard::delta {

// A row matches when the text of `column` is one of `values`.
struct RowMatch {
  std::string column;
  std::set<std::string> values;
};

struct ErasureOptions {
  std::vector<RowMatch> match;          // a row goes when any of these matches
  std::string partition_column;         // with partitions_before: whole partitions go
  std::string partitions_before;        // partition values ordered before this one ("YYYY-MM-DD")
  std::string id_column;                // the erased rows' values of it are reported (ids)
  std::set<std::string> personal_columns;  // kept out of the new files' min/max
  parquet::Codec codec = parquet::Codec::kSnappy;
};

struct ErasureResult {
  bool committed = false;  // false: nothing matched, nothing written
  uint64_t version = 0;
  int64_t rows_removed = 0;  // by match (whole partitions: rows_in_partitions)
  int64_t rows_in_partitions = 0;
  int64_t files_removed = 0, files_added = 0;
  std::vector<std::string> ids;  // id_column of the rows removed by match
};

Status erase_rows(const std::string& dir, const ErasureOptions& options, ErasureResult* result);

}  // namespace pixguard::delta
