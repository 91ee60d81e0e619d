#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>

#include "core/timestamp.h"

namespace pixguard {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
}  // namespace

void set_log_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

void log(LogLevel level, std::string_view message) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  char stamp[40];
  const int n = format_timestamp_utc(std::chrono::duration_cast<std::chrono::microseconds>(now).count(), stamp);
  std::string line(stamp, static_cast<std::size_t>(n));
  line += ' ';
  line += kNames[static_cast<int>(level)];
  line += ' ';
  line += message;
  line += '\n';
  // One write() per line, so that lines from several threads do not interleave.
  const ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;
}

}  // namespace pixguard
