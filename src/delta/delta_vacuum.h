#pragma once
// Planning a VACUUM of a Delta table: the data files that no snapshot within the retention
// period can still need. Only plans; deleting is the caller's (the `delta vacuum` command).
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "delta/delta_log.h"

namespace pixguard::delta {

// Sets *deletable to the files under `dir` (paths relative to it, as on disk, sorted) that
// may be deleted at `now_ms` keeping `retention_ms` of history:
//  - never a file the snapshot references (its active files), whatever its age;
//  - a removed file once its tombstone's deletion time is older than now - retention;
//  - a never-referenced file (a failed or in-flight write) once its mtime is older;
//  - nothing under a directory, and no file, whose name starts with '_' or '.' (the log,
//    _change_data, hidden files), except the `.NAME.crc` side file of a file NAME that goes.
// InvalidArgument for a negative retention; IoError when the directory cannot be listed.
Status plan_vacuum(const std::string& dir, const TableSnapshot& snapshot, int64_t retention_ms, int64_t now_ms,
                   std::vector<std::string>* deletable);

}  // namespace pixguard::delta
