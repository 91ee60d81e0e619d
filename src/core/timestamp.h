#pragma once
// Event-time parsing: every input timestamp becomes int64 microseconds since the Unix epoch.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/time_zone.h"

namespace pixguard {

enum class TimestampFormat : unsigned char {
  kAuto,          // RFC 3339 with offset, else local "YYYY-MM-DD HH:MM:SS[.fff]", else epoch
  kRfc3339,       // "2026-11-20T11:54:33-03:00", "2026-11-20T14:54:33.123Z"; offset required
  kLocal,         // "2018-04-01 00:00:31[.ffffff]" (or 'T'), read in the configured zone
  kEpochSeconds,  // 1763650473 or "1763650473" (fraction allowed: 1763650473.25)
  kEpochMillis,   // 1763650473123
};

enum class TimestampError : unsigned char {
  kOk,
  kEmpty,
  kSyntax,      // not in the expected shape
  kInvalidDate, // shape fine, but no such date or time (2026-02-30, 25:00, offset +25:00)
  kOutOfRange,  // before 1970-01-01 or after 2199-12-31 UTC
};

// In kAuto, a bare number is epoch seconds when below 1e11 (before year 5138), else epoch
// milliseconds.
// Details: the date-time separator is 'T', 't' or ' '; fractions have 1-9 digits, truncated to
// microseconds (epoch numbers too, in either unit); offsets are 'Z', 'z' or +HH:MM/-HH:MM
// (HH <= 23). A leap second ":60" is read as the last microsecond of its minute. An epoch
// number with '-' is kOutOfRange ("-0" is 0). kLocal rejects text carrying an offset (kAuto
// takes both). No whitespace is trimmed. `*micros` is written only on kOk.
TimestampError parse_timestamp(std::string_view text, TimestampFormat format,
                               const TimeZone& zone, int64_t* micros);

std::string_view timestamp_error_name(TimestampError e);

// Appends RFC 3339 in UTC with millisecond precision ("2026-11-20T14:54:33.000Z") to `out`,
// which must have room for 32 characters. Returns the number of characters written.
int format_timestamp_utc(int64_t micros, char* out);
// The same as a string.
std::string format_timestamp_utc(int64_t micros);

}  // namespace pixguard
