#pragma once
// Text helpers shared by the Delta table commands (compact, vacuum, inspect).
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/status.h"
#include "cli/commands.h"

namespace pixguard::cli {

// 1536 -> "1.5 KiB"; exact bytes below 1 KiB.
inline std::string human_bytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

// Prints a failed table operation and returns its exit code: 2 when there is no table at
// the path given (bad option values are refused earlier, by the option parser), 1 for
// everything that failed at run time (I/O, a damaged log, a lost commit conflict).
inline int report_table_error(const Status& s) {
  std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
  return s.code() == StatusCode::kNotFound ? kExitUsage : kExitFailure;
}

}  // namespace pixguard::cli
