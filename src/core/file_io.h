#pragma once
// The small POSIX file steps that durable writers share: whole writes, whole reads and
// directory fsyncs (a new or renamed name survives a crash only once its directory is
// synced). Errors are IoError naming the path (NotFound for a missing file in read).
#include <string>
#include <string_view>

#include "core/status.h"

namespace pixguard {

// Writes all of `data` to `fd`, retrying short writes and EINTR; `path` names it in errors.
Status write_all(int fd, std::string_view data, const std::string& path);
// Replaces *out with the content of `path`.
Status read_whole_file(const std::string& path, std::string* out);
Status fsync_dir(const std::string& dir);
// create_directories, then an fsync of each directory that gained an entry (the parent of
// every directory created), so that the new directories survive a crash.
Status create_directories_durably(const std::string& dir);
// fsync of an existing file by name.
Status fsync_file(const std::string& path);

}  // namespace pixguard
