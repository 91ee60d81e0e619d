#pragma once
// A time zone read from the system's TZif database (/usr/share/zoneinfo), so that local
// hour, night and weekend features and zone-less input timestamps follow the real rules of
// the zone, including historical daylight saving (Brazil had DST until 2019).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace pixguard {

class TimeZone {
 public:
  // UTC (no file needed).
  TimeZone();

  // Loads `name` ("America/Sao_Paulo", "UTC") from `zoneinfo_dir`. Errors name the file.
  static Status load(std::string_view name, TimeZone* out,
                     std::string_view zoneinfo_dir = "/usr/share/zoneinfo");

  const std::string& name() const { return name_; }

  // Offset from UTC, in seconds, in effect at the UTC instant `utc_seconds`.
  int32_t offset_at_utc(int64_t utc_seconds) const;

  // UTC instant of a local wall-clock time (seconds since 1970-01-01T00:00:00 local).
  // In a gap (clocks jumped forward) or an overlap (clocks went back) the offset in effect
  // before the transition is used, as java.time and PostgreSQL do.
  int64_t local_to_utc(int64_t local_seconds) const;

 private:
  std::string name_ = "UTC";
  std::vector<int64_t> transitions_;        // UTC seconds, ascending
  std::vector<int32_t> offsets_after_;      // offset in effect from transitions_[i]
  int32_t offset_before_first_ = 0;         // offset before the first transition
  // POSIX TZ footer rule for instants after the last transition is not needed for zones
  // without DST today; zones that still observe DST use the footer (see time_zone.cpp).
  struct PosixRule;
  std::vector<int32_t> footer_;             // encoded footer rule, empty when fixed offset
};

// Local calendar facts of an instant, for context features.
struct LocalTime {
  int64_t days = 0;   // local days since 1970-01-01
  int hour = 0;       // 0-23
  int minute = 0;     // 0-59
  int weekday = 0;    // 0 = Sunday ... 6 = Saturday
};
LocalTime to_local_time(int64_t utc_micros, const TimeZone& zone);

// Proleptic Gregorian calendar conversions (Howard Hinnant's algorithms).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
void civil_from_days(int64_t days, int64_t* year, unsigned* month, unsigned* day);

}  // namespace pixguard
