#pragma once
// Reading a classic Delta checkpoint, NNNNNNNNNNNNNNNNNNNN.checkpoint.parquet: one row per
// action, with nullable top-level struct columns txn, add, remove, metaData and protocol
// (PROTOCOL.md "Checkpoint Schema"). Maps are read in the Parquet MAP shape
// (`<name>.key_value.key/value`, also `<name>.map.key/value`), lists in any of the shapes
// writers use (`<name>.list.element`, `<name>.bag.array_element`, `<name>.array`).
// Columns this library does not use (stats_parsed, tags, checkpointMetadata, ...) are skipped.
#include <string>
#include <vector>

#include "core/status.h"
#include "delta/delta_actions.h"

namespace pixguard::delta {

// The checkpoint's actions in row order. Corruption when the file is not Parquet or a column
// has the wrong type or shape; Unsupported for a V2 checkpoint that refers to sidecar files.
Status read_checkpoint(const std::string& path, std::vector<Action>* actions);

}  // namespace pixguard::delta
