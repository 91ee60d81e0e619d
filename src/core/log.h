#pragma once
// The one logger of the library: timestamped lines on stderr, for operators. Library code
// logs only through here (never printf); no personal data goes into a message.
// Threading: log() may be called from any thread; each line is written with one write().
#include <string_view>

namespace pixguard {

enum class LogLevel : unsigned char { kDebug, kInfo, kWarn, kError };

void set_log_level(LogLevel level);
void log(LogLevel level, std::string_view message);

}  // namespace pixguard
