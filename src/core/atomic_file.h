#pragma once
// Writing an output file so that readers (and the model watcher of a running job) see either
// the old file or the complete new one, never a half-written one: write PATH.tmp, fsync,
// rename over PATH.
#include <string>
#include <string_view>

#include "core/status.h"

namespace pixguard {

// IoError naming the file on failure; PATH.tmp is removed then.
Status write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace pixguard
