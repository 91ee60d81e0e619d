#pragma once
// The `stats` of an add action (PROTOCOL.md "Per-file Statistics"), built from what the
// Parquet writer measured while writing the file: one JSON object
//   {"numRecords":N,"minValues":{...},"maxValues":{...},"nullCount":{...}}
// keyed by column name. Engines skip files by these bounds, so a bound must never be
// tighter than the data:
//  - timestamps (micros, millis, nanos; INT96) are ISO-8601 UTC with milliseconds, the
//    minimum rounded down and the maximum rounded up to the millisecond;
//  - dates are "YYYY-MM-DD"; decimals are JSON numbers with their scale ("12.50");
//  - integers as integers; floats and doubles as the shortest round-trip text, left out
//    when NaN or infinite;
//  - strings only when at most 32 bytes of valid UTF-8 (a prefix would need the max
//    rounded up, and Delta readers take these bounds as exact);
//  - booleans, JSON, binary and fixed-length columns are left out of min/max, and so are
//    columns marked personal (ColumnSchema::personal);
// nullCount has every column. A column that is all null has no min/max.
#include <cstdint>
#include <string>
#include <vector>

#include "parquet/parquet_types.h"

namespace pixguard::delta {

inline constexpr std::size_t kMaxStatsStringBytes = 32;

// `columns` in file order, one per summary.columns entry (extra entries on either side are
// ignored).
std::string file_stats_json(const std::vector<parquet::ColumnSchema>& columns, const parquet::FileSummary& summary);

// numRecords of an add's stats (any writer's), or -1 when the stats are absent or do not say.
int64_t stats_num_records(const std::string& stats);

}  // namespace pixguard::delta
