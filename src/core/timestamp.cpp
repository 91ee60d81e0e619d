#include "core/timestamp.h"

#include <cstddef>

namespace pixguard {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86400;
// Accepted range: 1970-01-01T00:00:00Z to 2199-12-31T23:59:59.999999Z. The upper bound keeps
// every computation far from int64 limits and rejects typos such as year 2926 or 9999.
constexpr int64_t kMaxSeconds = 84006 * kSecondsPerDay - 1;  // days_from_civil(2200, 1, 1) = 84006
constexpr int64_t kMaxMillis = kMaxSeconds * 1000 + 999;
constexpr int64_t kMaxMicros = kMaxSeconds * kMicrosPerSecond + 999'999;
// In kAuto a bare number below this is seconds (up to year 5138), above it milliseconds.
constexpr int64_t kAutoMillisFrom = 100'000'000'000;

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr bool is_leap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int days_in_month(int64_t y, int m) {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

constexpr int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Exactly `n` digits at s[pos...]; the caller has checked the length.
bool fixed_digits(std::string_view s, std::size_t pos, int n, int* out) {
  int v = 0;
  for (int k = 0; k < n; ++k) {
    const char c = s[pos + static_cast<std::size_t>(k)];
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// Reads ".f" with 1-9 digits at s[*pos] if present, as microseconds (digits past the sixth
// are truncated: event time is kept in microseconds, and truncation never moves an event
// into the next second).
bool fraction(std::string_view s, std::size_t* pos, int32_t* micros) {
  *micros = 0;
  if (*pos >= s.size() || s[*pos] != '.') return true;
  std::size_t i = *pos + 1;
  const std::size_t begin = i;
  int32_t v = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (i - begin < 6) v = v * 10 + (s[i] - '0');
    ++i;
  }
  const std::size_t n = i - begin;
  if (n == 0 || n > 9) return false;
  for (std::size_t k = n; k < 6; ++k) v *= 10;
  *micros = v;
  *pos = i;
  return true;
}

struct Wall {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int32_t micros = 0;
};

// "YYYY-MM-DD{T|t| }HH:MM:SS[.f]" at the start of `s` (shape only; values are checked by
// check_wall so that "2026-13-01" is an invalid date, not a syntax error).
bool parse_wall(std::string_view s, std::size_t* end, Wall* w) {
  if (s.size() < 19) return false;
  if (!fixed_digits(s, 0, 4, &w->year) || s[4] != '-' || !fixed_digits(s, 5, 2, &w->month) ||
      s[7] != '-' || !fixed_digits(s, 8, 2, &w->day)) {
    return false;
  }
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
  if (!fixed_digits(s, 11, 2, &w->hour) || s[13] != ':' || !fixed_digits(s, 14, 2, &w->minute) ||
      s[16] != ':' || !fixed_digits(s, 17, 2, &w->second)) {
    return false;
  }
  std::size_t pos = 19;
  if (!fraction(s, &pos, &w->micros)) return false;
  *end = pos;
  return true;
}

// A leap second (":60", RFC 3339 allows it) is read as the last microsecond of its minute:
// without a leap-second table the true instant cannot be represented in POSIX time, and this
// keeps it inside its minute and day and after every other event of that minute.
TimestampError check_wall(Wall* w) {
  if (w->month < 1 || w->month > 12) return TimestampError::kInvalidDate;
  if (w->day < 1 || w->day > days_in_month(w->year, w->month)) return TimestampError::kInvalidDate;
  if (w->hour > 23 || w->minute > 59 || w->second > 60) return TimestampError::kInvalidDate;
  if (w->second == 60) {
    w->second = 59;
    w->micros = 999'999;
  }
  // Years this far outside the range cannot come back into it through any offset; checking
  // here also keeps absurd years away from the zone's arithmetic.
  if (w->year < 1969 || w->year > 2200) return TimestampError::kOutOfRange;
  return TimestampError::kOk;
}

int64_t wall_seconds(const Wall& w) {
  return days_from_civil(w.year, static_cast<unsigned>(w.month), static_cast<unsigned>(w.day)) *
             kSecondsPerDay +
         w.hour * 3600 + w.minute * 60 + w.second;
}

TimestampError finish(int64_t utc_seconds, int32_t micros_part, int64_t* micros) {
  if (utc_seconds < 0 || utc_seconds > kMaxSeconds) return TimestampError::kOutOfRange;
  *micros = utc_seconds * kMicrosPerSecond + micros_part;
  return TimestampError::kOk;
}

// 'Z', 'z' or "+HH:MM"/"-HH:MM" filling s[pos...] exactly, as seconds east of UTC, or one
// of these two sentinels (no real offset comes near them).
constexpr int32_t kOffsetSyntax = INT32_MIN;
constexpr int32_t kOffsetInvalid = INT32_MIN + 1;
int32_t parse_offset(std::string_view s, std::size_t pos) {
  const std::size_t left = s.size() - pos;
  if (left == 1 && (s[pos] == 'Z' || s[pos] == 'z')) return 0;
  if (left != 6 || (s[pos] != '+' && s[pos] != '-') || s[pos + 3] != ':') return kOffsetSyntax;
  int h = 0;
  int m = 0;
  if (!fixed_digits(s, pos + 1, 2, &h) || !fixed_digits(s, pos + 4, 2, &m)) return kOffsetSyntax;
  if (h > 23 || m > 59) return kOffsetInvalid;
  const int32_t offset = h * 3600 + m * 60;
  return s[pos] == '-' ? -offset : offset;
}

// Date-time forms. `want`: kRfc3339 requires an offset, kLocal forbids it, kAuto takes either.
TimestampError parse_date_time(std::string_view s, TimestampFormat want, const TimeZone& zone,
                               int64_t* micros) {
  Wall w;
  std::size_t end = 0;
  if (!parse_wall(s, &end, &w)) return TimestampError::kSyntax;
  const bool has_offset = end < s.size();
  int32_t offset = 0;
  if (has_offset) {
    if (want == TimestampFormat::kLocal) return TimestampError::kSyntax;
    offset = parse_offset(s, end);
    if (offset == kOffsetSyntax) return TimestampError::kSyntax;
  } else if (want == TimestampFormat::kRfc3339) {
    return TimestampError::kSyntax;
  }
  if (offset == kOffsetInvalid) return TimestampError::kInvalidDate;
  const TimestampError e = check_wall(&w);
  if (e != TimestampError::kOk) return e;
  const int64_t wall = wall_seconds(w);
  return finish(has_offset ? wall - offset : zone.local_to_utc(wall), w.micros, micros);
}

// Epoch numbers: digits with an optional fraction of 1-9 digits. A '-' is syntactically
// accepted so that "-5" reports what is wrong with it (before 1970), not a shape error.
TimestampError parse_epoch(std::string_view s, TimestampFormat unit, int64_t* micros) {
  std::size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) ++i;
  const std::size_t begin = i;
  int64_t value = 0;
  bool too_big = false;
  while (i < s.size() && is_digit(s[i])) {
    // 10^15 exceeds every accepted value in either unit; stop before int64 could overflow.
    if (value < 1'000'000'000'000'000) {
      value = value * 10 + (s[i] - '0');
    } else {
      too_big = true;
    }
    ++i;
  }
  if (i == begin) return TimestampError::kSyntax;
  // Nanoseconds of the fraction; scaled to the unit below.
  int64_t nanos = 0;
  if (i < s.size() && s[i] == '.') {
    const std::size_t fbegin = ++i;
    while (i < s.size() && is_digit(s[i])) {
      if (i - fbegin < 9) nanos = nanos * 10 + (s[i] - '0');
      ++i;
    }
    const std::size_t n = i - fbegin;
    if (n == 0 || n > 9) return TimestampError::kSyntax;
    for (std::size_t k = n; k < 9; ++k) nanos *= 10;
  }
  if (i != s.size()) return TimestampError::kSyntax;
  if (negative && (value != 0 || nanos != 0)) return TimestampError::kOutOfRange;
  if (too_big) return TimestampError::kOutOfRange;

  if (unit == TimestampFormat::kAuto) {
    unit = value < kAutoMillisFrom ? TimestampFormat::kEpochSeconds : TimestampFormat::kEpochMillis;
  }
  if (unit == TimestampFormat::kEpochSeconds) {
    if (value > kMaxSeconds) return TimestampError::kOutOfRange;
    *micros = value * kMicrosPerSecond + nanos / 1000;
  } else {
    if (value > kMaxMillis) return TimestampError::kOutOfRange;
    // A fraction of a millisecond: nanos counts billionths of the unit, so /10^6 gives micros.
    *micros = value * 1000 + nanos / 1'000'000;
  }
  return TimestampError::kOk;
}

char* put_digits(char* p, int64_t v, int width) {
  for (int k = width - 1; k >= 0; --k) {
    p[k] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

}  // namespace

// Whitespace is never trimmed: a padded field is a producer bug worth a dead letter, and
// trimming here would hide it from the one place that reports it.
TimestampError parse_timestamp(std::string_view text, TimestampFormat format, const TimeZone& zone,
                               int64_t* micros) {
  if (text.empty()) return TimestampError::kEmpty;
  int64_t result = 0;
  TimestampError e = TimestampError::kSyntax;
  switch (format) {
    case TimestampFormat::kRfc3339:
    case TimestampFormat::kLocal: e = parse_date_time(text, format, zone, &result); break;
    case TimestampFormat::kEpochSeconds:
    case TimestampFormat::kEpochMillis: e = parse_epoch(text, format, &result); break;
    case TimestampFormat::kAuto:
      // A date starts with four digits and '-'; a number never has '-' after its first char.
      if (text.size() >= 5 && is_digit(text[0]) && text[4] == '-') {
        e = parse_date_time(text, format, zone, &result);
      } else {
        e = parse_epoch(text, format, &result);
      }
      break;
  }
  if (e != TimestampError::kOk) return e;
  if (result < 0 || result > kMaxMicros) return TimestampError::kOutOfRange;
  *micros = result;
  return TimestampError::kOk;
}

std::string_view timestamp_error_name(TimestampError e) {
  switch (e) {
    case TimestampError::kOk: return "ok";
    case TimestampError::kEmpty: return "empty";
    case TimestampError::kSyntax: return "syntax";
    case TimestampError::kInvalidDate: return "invalid_date";
    case TimestampError::kOutOfRange: return "out_of_range";
  }
  return "unknown";
}

std::string format_timestamp_utc(int64_t micros) {
  char buf[32];
  return std::string(buf, static_cast<std::size_t>(format_timestamp_utc(micros, buf)));
}

int format_timestamp_utc(int64_t micros, char* out) {
  const int64_t seconds = floor_div(micros, kMicrosPerSecond);
  // From the remainder, not micros - seconds * 10^6, which overflows near INT64_MIN.
  int64_t sub = micros % kMicrosPerSecond;
  if (sub < 0) sub += kMicrosPerSecond;
  const int64_t millis = sub / 1000;
  const int64_t days = floor_div(seconds, kSecondsPerDay);
  const int64_t second_of_day = seconds - days * kSecondsPerDay;
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civil_from_days(days, &year, &month, &day);

  char* p = out;
  if (year >= 0 && year <= 9999) {
    p = put_digits(p, year, 4);
  } else {
    // ISO 8601 expanded years; only reachable for instants pixguard never accepts as input.
    *p++ = year < 0 ? '-' : '+';
    const int64_t magnitude = year < 0 ? -year : year;
    int width = 4;
    for (int64_t v = magnitude / 10000; v != 0; v /= 10) ++width;
    p = put_digits(p, magnitude, width);
  }
  *p++ = '-';
  p = put_digits(p, month, 2);
  *p++ = '-';
  p = put_digits(p, day, 2);
  *p++ = 'T';
  p = put_digits(p, second_of_day / 3600, 2);
  *p++ = ':';
  p = put_digits(p, second_of_day / 60 % 60, 2);
  *p++ = ':';
  p = put_digits(p, second_of_day % 60, 2);
  *p++ = '.';
  p = put_digits(p, millis, 3);
  *p++ = 'Z';
  return static_cast<int>(p - out);
}

}  // namespace pixguard
