#pragma once
// A table's summary as one JSON object, for `delta describe` and the operations API:
// version and checkpoint, identity, protocol, schema, partition columns, and the active
// files' count, bytes and rows (from each add's stats numRecords), overall and per partition.
#include <string>

#include "delta/delta_log.h"

namespace pixguard::delta {

// Keys: version, checkpointVersion, id, name, description, createdTime, protocol, format,
// schema [{name, type, nullable}], partitionColumns, configuration, files, bytes, rows,
// filesWithoutStats (their rows are not in `rows`), partitions [{values, files, bytes, rows}],
// tombstones, txns {appId: version}. A schema that does not parse gives "schema": null.
std::string describe_table(const TableSnapshot& snapshot);

}  // namespace pixguard::delta
