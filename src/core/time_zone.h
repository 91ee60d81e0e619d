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

  // Loads `name` ("America/Sao_Paulo", "UTC") from `zoneinfo_dir`. Errors name the file;
  // `out` is left untouched on error. Names are zone ids, not paths: a name starting with '/',
  // containing "..", or any character outside [A-Za-z0-9_+-./] is rejected. Zones with leap
  // seconds ("right/...") are Unsupported: pixguard's clock is POSIX time.
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
  // One switch date of a POSIX TZ rule (RFC 8536 section 3.3), with the local time of day at
  // which it happens; RFC 8536 lets that time be negative or up to 167 hours.
  struct RuleDate {
    enum class Kind : unsigned char { kJulian1, kJulian0, kMonthWeekDay };
    Kind kind = Kind::kMonthWeekDay;
    int16_t day = 0;    // Jn: 1-365 (Feb 29 never counted); n: 0-365; Mm.w.d: d, 0 = Sunday
    uint8_t month = 0;  // Mm.w.d only: 1-12
    uint8_t week = 0;   // Mm.w.d only: 1-5, 5 = last
    int32_t time = 7200;
  };
  // The TZif footer: the rule for instants after the file's last transition.
  struct PosixRule {
    int32_t std_offset = 0;  // seconds east of UTC (POSIX writes them west; already negated)
    int32_t dst_offset = 0;
    bool has_dst = false;
    RuleDate start;  // switch to dst_offset, at a wall time read in std_offset
    RuleDate end;    // switch back to std_offset, at a wall time read in dst_offset
  };

  // Errors carry no file name; load() prefixes it.
  static Status parse_posix_rule(std::string_view text, PosixRule* rule);
  // The rule's two switches in `year`, in ascending UTC order, with the offset after each.
  static void rule_switches(const PosixRule& rule, int64_t year, int64_t utc[2],
                            int32_t offset_after[2]);
  int32_t rule_offset_at_utc(int64_t utc_seconds) const;
  int64_t rule_local_to_utc(int64_t local_seconds) const;

  std::string name_ = "UTC";
  // The file's transitions, followed by the footer rule's switches up to the year 2201, so
  // that every timestamp pixguard accepts (1970-2199) is a binary search.
  std::vector<int64_t> transitions_;        // UTC seconds, ascending
  std::vector<int32_t> offsets_after_;      // offset in effect from transitions_[i]
  // Local wall time from which offsets_after_[i] applies to local_to_utc: the later of the
  // transition's two wall readings, so that gaps and overlaps resolve to the earlier offset.
  std::vector<int64_t> local_starts_;
  int32_t offset_before_first_ = 0;         // offset before the first transition
  PosixRule footer_;
  // From this instant (UTC for offset_at_utc, local for local_to_utc) the footer rule is
  // evaluated directly; far beyond any real timestamp, only for zones with DST rules.
  int64_t rule_from_ = INT64_MAX;
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
