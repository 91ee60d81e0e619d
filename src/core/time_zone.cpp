#include "core/time_zone.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <system_error>
#include <utility>

namespace pixguard {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

// Transitions are generated from the footer rule up to this year, so that every timestamp
// pixguard accepts (up to 2199-12-31 UTC) is found by binary search; beyond it the rule is
// evaluated per call.
constexpr int64_t kLastGeneratedYear = 2201;
// Generation starts a year before the file's last transition, but never before this year:
// a file whose last transition is "-2^59" (the big bang) must not generate forever, and no
// input pixguard accepts is that old.
constexpr int64_t kFirstGeneratedYear = 1800;
// Beyond this (about 300 million years) the rule is not evaluated, so that the calendar
// arithmetic cannot overflow; the standard offset is returned instead.
constexpr int64_t kRuleHorizon = 10'000'000'000'000'000;

// RFC 8536: UT offsets must lie in [-89999, 93599] (the range -25h..+26h, exclusive).
constexpr int32_t kMinUtOffset = -89999;
constexpr int32_t kMaxUtOffset = 93599;

// Zoneinfo files are a few KiB; a larger file is not one.
constexpr off_t kMaxTzifBytes = off_t{1} << 20;

constexpr int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

constexpr int weekday_from_days(int64_t days) {  // 0 = Sunday; 1970-01-01 was a Thursday
  return static_cast<int>((days % 7 + 11) % 7);
}

constexpr bool is_leap(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr unsigned days_in_month(int64_t y, unsigned m) {
  constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

int64_t year_of(int64_t seconds) {
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(floor_div(seconds, kSecondsPerDay), &y, &m, &d);
  return y;
}

// a - b, saturating: local_to_utc must not be UB for absurd inputs.
int64_t sub_saturating(int64_t a, int32_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, static_cast<int64_t>(b), &r)) return b > 0 ? INT64_MIN : INT64_MAX;
  return r;
}

uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
int64_t be64(const unsigned char* p) {
  return static_cast<int64_t>((uint64_t{be32(p)} << 32) | uint64_t{be32(p + 4)});
}

// A small stable sort for the handful of rule switches around one instant.
void sort_switches(int64_t* utc, int32_t* offset, int n) {
  for (int i = 1; i < n; ++i) {
    const int64_t t = utc[i];
    const int32_t o = offset[i];
    int j = i;
    for (; j > 0 && utc[j - 1] > t; --j) {
      utc[j] = utc[j - 1];
      offset[j] = offset[j - 1];
    }
    utc[j] = t;
    offset[j] = o;
  }
}

// ---- POSIX TZ string lexing ------------------------------------------------------------

struct Cursor {
  std::string_view s;
  std::size_t pos = 0;
  bool done() const { return pos >= s.size(); }
  char peek() const { return pos < s.size() ? s[pos] : '\0'; }
  bool eat(char c) {
    if (done() || s[pos] != c) return false;
    ++pos;
    return true;
  }
  // 1 to max_digits decimal digits.
  bool number(int max_digits, int* out) {
    int v = 0;
    int n = 0;
    while (n < max_digits && !done() && s[pos] >= '0' && s[pos] <= '9') {
      v = v * 10 + (s[pos] - '0');
      ++pos;
      ++n;
    }
    *out = v;
    return n > 0;
  }
};

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// std/dst designation: at least three letters, or <...> quoted letters, digits, '+', '-'.
bool lex_name(Cursor* c) {
  if (c->eat('<')) {
    const std::size_t begin = c->pos;
    while (!c->done() && c->peek() != '>') {
      const char ch = c->peek();
      if (!is_alpha(ch) && !(ch >= '0' && ch <= '9') && ch != '+' && ch != '-') return false;
      ++c->pos;
    }
    if (c->pos - begin < 3) return false;
    return c->eat('>');
  }
  const std::size_t begin = c->pos;
  while (!c->done() && is_alpha(c->peek())) ++c->pos;
  return c->pos - begin >= 3;
}

// [+-]hh[:mm[:ss]] in seconds, with the sign as written. Offsets allow 0-24 hours; rule times
// (RFC 8536 section 3.3.1) allow -167 to 167.
bool lex_hms(Cursor* c, int max_hour_digits, int max_hours, int32_t* out) {
  int sign = 1;
  if (c->eat('-')) {
    sign = -1;
  } else {
    c->eat('+');
  }
  int h = 0;
  int m = 0;
  int sec = 0;
  if (!c->number(max_hour_digits, &h) || h > max_hours) return false;
  if (c->eat(':')) {
    if (!c->number(2, &m) || m > 59) return false;
    if (c->eat(':')) {
      if (!c->number(2, &sec) || sec > 59) return false;
    }
  }
  *out = sign * (h * 3600 + m * 60 + sec);
  return true;
}

}  // namespace

// ---- calendar ----------------------------------------------------------------------------

int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2 ? 1 : 0);
}

// ---- TimeZone ----------------------------------------------------------------------------

TimeZone::TimeZone() = default;

Status TimeZone::parse_posix_rule(std::string_view text, PosixRule* rule) {
  Cursor c{text};
  PosixRule r;
  int32_t west = 0;
  if (!lex_name(&c)) return Status::InvalidArgument("bad standard-time name");
  if (!lex_hms(&c, 2, 24, &west)) return Status::InvalidArgument("bad standard-time offset");
  r.std_offset = -west;  // POSIX counts hours west of Greenwich
  if (c.done()) {
    *rule = r;
    return Status::Ok();
  }
  if (!lex_name(&c)) return Status::InvalidArgument("bad daylight-time name");
  r.has_dst = true;
  r.dst_offset = r.std_offset + 3600;
  if (!c.done() && c.peek() != ',') {
    if (!lex_hms(&c, 2, 24, &west)) return Status::InvalidArgument("bad daylight-time offset");
    r.dst_offset = -west;
  }
  if (c.done()) {
    // POSIX leaves the switch dates implementation-defined here; guessing (glibc assumes US
    // rules) would silently give wrong hours, and zic never writes this form.
    return Status::Unsupported("daylight saving time without switch rules");
  }
  for (RuleDate* date : {&r.start, &r.end}) {
    if (!c.eat(',')) return Status::InvalidArgument("expected ',' before a switch date");
    int a = 0;
    if (c.eat('J')) {
      if (!c.number(3, &a) || a < 1 || a > 365) return Status::InvalidArgument("bad Jn date");
      date->kind = RuleDate::Kind::kJulian1;
      date->day = static_cast<int16_t>(a);
    } else if (c.eat('M')) {
      int w = 0;
      int d = 0;
      if (!c.number(2, &a) || a < 1 || a > 12 || !c.eat('.') || !c.number(1, &w) || w < 1 ||
          w > 5 || !c.eat('.') || !c.number(1, &d) || d > 6) {
        return Status::InvalidArgument("bad Mm.w.d date");
      }
      date->kind = RuleDate::Kind::kMonthWeekDay;
      date->month = static_cast<uint8_t>(a);
      date->week = static_cast<uint8_t>(w);
      date->day = static_cast<int16_t>(d);
    } else {
      if (!c.number(3, &a) || a > 365) return Status::InvalidArgument("bad switch date");
      date->kind = RuleDate::Kind::kJulian0;
      date->day = static_cast<int16_t>(a);
    }
    date->time = 7200;
    if (c.eat('/') && !lex_hms(&c, 3, 167, &date->time)) {
      return Status::InvalidArgument("bad switch time");
    }
  }
  if (!c.done()) return Status::InvalidArgument("unexpected text after the rule");
  *rule = r;
  return Status::Ok();
}

void TimeZone::rule_switches(const PosixRule& rule, int64_t year, int64_t utc[2],
                             int32_t offset_after[2]) {
  auto local_day = [year](const RuleDate& d) -> int64_t {
    const int64_t jan1 = days_from_civil(year, 1, 1);
    switch (d.kind) {
      case RuleDate::Kind::kJulian1:
        return jan1 + d.day - 1 + (is_leap(year) && d.day >= 60 ? 1 : 0);
      case RuleDate::Kind::kJulian0: return jan1 + d.day;
      case RuleDate::Kind::kMonthWeekDay: break;
    }
    const int64_t first = days_from_civil(year, d.month, 1);
    int64_t day = first + (d.day - weekday_from_days(first) + 7) % 7 + (d.week - 1) * 7;
    if (day >= first + days_in_month(year, d.month)) day -= 7;  // week 5 means "last"
    return day;
  };
  // The start is written in standard wall time, the end in daylight wall time.
  const int64_t start = local_day(rule.start) * kSecondsPerDay + rule.start.time - rule.std_offset;
  const int64_t end = local_day(rule.end) * kSecondsPerDay + rule.end.time - rule.dst_offset;
  if (start <= end) {
    utc[0] = start;
    offset_after[0] = rule.dst_offset;
    utc[1] = end;
    offset_after[1] = rule.std_offset;
  } else {  // southern hemisphere: the year begins in daylight time
    utc[0] = end;
    offset_after[0] = rule.std_offset;
    utc[1] = start;
    offset_after[1] = rule.dst_offset;
  }
}

int32_t TimeZone::rule_offset_at_utc(int64_t utc_seconds) const {
  if (utc_seconds > kRuleHorizon) return footer_.std_offset;
  const int64_t year = year_of(utc_seconds + footer_.std_offset);
  int64_t utc[6];
  int32_t off[6];
  for (int k = 0; k < 3; ++k) rule_switches(footer_, year - 1 + k, utc + 2 * k, off + 2 * k);
  sort_switches(utc, off, 6);
  int32_t result = footer_.std_offset;
  for (int k = 0; k < 6 && utc[k] <= utc_seconds; ++k) result = off[k];
  return result;
}

int64_t TimeZone::rule_local_to_utc(int64_t local_seconds) const {
  if (local_seconds > kRuleHorizon) return sub_saturating(local_seconds, footer_.std_offset);
  const int64_t year = year_of(local_seconds);
  int64_t utc[8];
  int32_t off[8];
  for (int k = 0; k < 4; ++k) rule_switches(footer_, year - 2 + k, utc + 2 * k, off + 2 * k);
  sort_switches(utc, off, 8);
  // Same resolution as the table path: a switch applies to local times from the later of
  // its two wall readings.
  int32_t result = footer_.std_offset;
  int32_t prev = footer_.std_offset;
  for (int k = 0; k < 8; ++k) {
    if (utc[k] + std::max(prev, off[k]) <= local_seconds) result = off[k];
    prev = off[k];
  }
  return local_seconds - result;
}

int32_t TimeZone::offset_at_utc(int64_t utc_seconds) const {
  if (utc_seconds >= rule_from_) return rule_offset_at_utc(utc_seconds);
  if (transitions_.empty() || utc_seconds < transitions_.front()) return offset_before_first_;
  // Zones without DST today (Sao Paulo since 2019) answer every current instant here.
  if (utc_seconds >= transitions_.back()) return offsets_after_.back();
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  return offsets_after_[static_cast<std::size_t>(it - transitions_.begin()) - 1];
}

int64_t TimeZone::local_to_utc(int64_t local_seconds) const {
  if (local_seconds >= rule_from_) return rule_local_to_utc(local_seconds);
  if (local_starts_.empty() || local_seconds < local_starts_.front()) {
    return sub_saturating(local_seconds, offset_before_first_);
  }
  const auto it = std::upper_bound(local_starts_.begin(), local_starts_.end(), local_seconds);
  return sub_saturating(local_seconds,
                        offsets_after_[static_cast<std::size_t>(it - local_starts_.begin()) - 1]);
}

Status TimeZone::load(std::string_view name, TimeZone* out, std::string_view zoneinfo_dir) {
  const std::string quoted = "time zone '" + std::string(name) + "'";
  if (name.empty()) return Status::InvalidArgument("empty time zone name");
  if (name.front() == '/') {
    return Status::InvalidArgument(quoted + ": a zone id, not an absolute path, is expected");
  }
  if (name.find("..") != std::string_view::npos) {
    return Status::InvalidArgument(quoted + ": \"..\" is not allowed in a zone id");
  }
  for (const char ch : name) {
    const bool ok = is_alpha(ch) || (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' ||
                    ch == '-' || ch == '.' || ch == '/';
    if (!ok) return Status::InvalidArgument(quoted + ": invalid character in a zone id");
  }

  std::string path(zoneinfo_dir);
  if (!path.empty() && path.back() != '/') path += '/';
  path.append(name);
  const std::string where = "time zone file " + path;

  // ---- read the whole file (a few KiB) ----
  std::string bytes;
  {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        return Status::NotFound(where + ": no such file (unknown zone " + std::string(name) + ")");
      }
      return Status::IoError(where + ": " + std::generic_category().message(err));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return Status::IoError(where + ": " + std::generic_category().message(err));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return Status::InvalidArgument(where + ": not a regular file (a zone id names a file)");
    }
    if (st.st_size > kMaxTzifBytes) {
      ::close(fd);
      return Status::InvalidArgument(where + ": too large to be a TZif file");
    }
    bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t r = ::read(fd, bytes.data() + got, bytes.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        const int err = r < 0 ? errno : 0;
        ::close(fd);
        return Status::IoError(where + ": " +
                               (err != 0 ? std::generic_category().message(err)
                                         : std::string("file shrank while read")));
      }
      got += static_cast<std::size_t>(r);
    }
    ::close(fd);
  }

  // ---- parse TZif (RFC 8536) ----
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t size = bytes.size();
  auto bad = [&where](const char* what) { return Status::InvalidArgument(where + ": " + what); };

  struct Header {
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
  };
  auto read_header = [&](std::size_t at, Header* h, char* version) -> bool {
    if (size < at || size - at < 44 || std::memcmp(data + at, "TZif", 4) != 0) return false;
    *version = static_cast<char>(data[at + 4]);
    h->isutcnt = be32(data + at + 20);
    h->isstdcnt = be32(data + at + 24);
    h->leapcnt = be32(data + at + 28);
    h->timecnt = be32(data + at + 32);
    h->typecnt = be32(data + at + 36);
    h->charcnt = be32(data + at + 40);
    return true;
  };
  auto block_size = [](const Header& h, uint64_t time_size) -> uint64_t {
    return uint64_t{h.timecnt} * time_size + h.timecnt + uint64_t{h.typecnt} * 6 + h.charcnt +
           uint64_t{h.leapcnt} * (time_size + 4) + h.isstdcnt + h.isutcnt;
  };

  Header h{};
  char version = 0;
  if (!read_header(0, &h, &version)) return bad("not a TZif file (no TZif header)");
  std::size_t at = 44;
  uint64_t time_size = 4;
  if (version != 0) {
    if (version < '2') return bad("unknown TZif version");
    // Version 2+ repeats the data with 64-bit times after the 32-bit block; only that is used.
    const uint64_t v1 = block_size(h, 4);
    if (v1 > size - at) return bad("truncated TZif data");
    at += static_cast<std::size_t>(v1);
    char version2 = 0;
    if (!read_header(at, &h, &version2)) return bad("missing the version 2 TZif header");
    at += 44;
    time_size = 8;
  }
  if (h.typecnt == 0 || h.charcnt == 0) return bad("TZif data without local time types");
  if ((h.isstdcnt != 0 && h.isstdcnt != h.typecnt) || (h.isutcnt != 0 && h.isutcnt != h.typecnt)) {
    return bad("inconsistent TZif counts");
  }
  if (block_size(h, time_size) > size - at) return bad("truncated TZif data");
  if (h.leapcnt != 0) {
    return Status::Unsupported(where +
                               ": zones with leap seconds (right/...) are not supported; "
                               "use the zone of the same name without the right/ prefix");
  }

  TimeZone tz;
  tz.name_ = std::string(name);
  const unsigned char* times = data + at;
  const unsigned char* indices = times + uint64_t{h.timecnt} * time_size;
  const unsigned char* types = indices + h.timecnt;
  std::vector<int32_t> type_offsets(h.typecnt);
  for (uint32_t k = 0; k < h.typecnt; ++k) {
    const auto off = static_cast<int32_t>(be32(types + 6 * k));
    if (off < kMinUtOffset || off > kMaxUtOffset) return bad("UT offset out of range");
    if (types[6 * k + 4] > 1) return bad("bad isdst flag");
    if (types[6 * k + 5] >= h.charcnt) return bad("bad time zone designation index");
    type_offsets[k] = off;
  }
  // RFC 8536: time type 0 applies before the first transition.
  tz.offset_before_first_ = type_offsets[0];
  tz.transitions_.reserve(h.timecnt);
  tz.offsets_after_.reserve(h.timecnt);
  for (uint32_t k = 0; k < h.timecnt; ++k) {
    const int64_t t = time_size == 8
                          ? be64(times + 8 * k)
                          : static_cast<int64_t>(static_cast<int32_t>(be32(times + 4 * k)));
    if (!tz.transitions_.empty() && t <= tz.transitions_.back()) {
      return bad("TZif transitions out of order");
    }
    if (indices[k] >= h.typecnt) return bad("bad local time type index");
    tz.transitions_.push_back(t);
    tz.offsets_after_.push_back(type_offsets[indices[k]]);
  }
  at += static_cast<std::size_t>(block_size(h, time_size));

  if (time_size == 8) {
    // The footer: "\n<POSIX TZ string>\n", the rule after the last transition.
    if (at >= size || data[at] != '\n') return bad("missing TZif footer");
    const std::size_t begin = at + 1;
    const void* nl = std::memchr(data + begin, '\n', size - begin);
    if (nl == nullptr) return bad("unterminated TZif footer");
    const std::string_view footer(
        bytes.data() + begin,
        static_cast<std::size_t>(static_cast<const unsigned char*>(nl) - (data + begin)));
    if (!footer.empty()) {
      const Status st = parse_posix_rule(footer, &tz.footer_);
      if (!st.ok()) {
        const std::string msg =
            where + ": TZ rule \"" + std::string(footer) + "\": " + st.message();
        return st.code() == StatusCode::kUnsupported ? Status::Unsupported(msg)
                                                     : Status::InvalidArgument(msg);
      }
    }
  }

  if (tz.footer_.has_dst) {
    // Materialize the rule's switches so that the hot path is one binary search.
    const bool had_file_transitions = !tz.transitions_.empty();
    const int64_t file_end = had_file_transitions ? tz.transitions_.back() : INT64_MIN;
    const int64_t first_year = had_file_transitions
                                   ? std::max(year_of(file_end) - 1, kFirstGeneratedYear)
                                   : kFirstGeneratedYear;
    bool generated = false;
    for (int64_t y = first_year; y <= kLastGeneratedYear; ++y) {
      int64_t utc[2];
      int32_t off[2];
      rule_switches(tz.footer_, y, utc, off);
      for (int k = 0; k < 2; ++k) {
        if (utc[k] <= file_end) continue;
        if (generated && utc[k] == tz.transitions_.back()) {
          // Two switches at one instant (an all-year DST rule): the later one wins.
          tz.offsets_after_.back() = off[k];
          continue;
        }
        const int32_t current =
            tz.transitions_.empty() ? tz.offset_before_first_ : tz.offsets_after_.back();
        if (off[k] == current) continue;
        tz.transitions_.push_back(utc[k]);
        tz.offsets_after_.push_back(off[k]);
        generated = true;
      }
    }
    tz.rule_from_ = days_from_civil(kLastGeneratedYear, 1, 1) * kSecondsPerDay;
  }

  // A transition takes over local time from the later of its two wall readings: in a gap the
  // skipped wall times still read with the old offset, in an overlap the repeated ones
  // first resolve to the old offset (the earlier instant). Running max keeps the keys sorted
  // even for transitions closer together than their offset change.
  tz.local_starts_.resize(tz.transitions_.size());
  int32_t prev = tz.offset_before_first_;
  int64_t floor_key = INT64_MIN;
  for (std::size_t k = 0; k < tz.transitions_.size(); ++k) {
    const int64_t key = tz.transitions_[k] + std::max(prev, tz.offsets_after_[k]);
    floor_key = std::max(floor_key, key);
    tz.local_starts_[k] = floor_key;
    prev = tz.offsets_after_[k];
  }

  *out = std::move(tz);
  return Status::Ok();
}

LocalTime to_local_time(int64_t utc_micros, const TimeZone& zone) {
  const int64_t seconds = floor_div(utc_micros, 1'000'000);
  const int64_t local = seconds + zone.offset_at_utc(seconds);
  const int64_t days = floor_div(local, kSecondsPerDay);
  const auto second_of_day = static_cast<int>(local - days * kSecondsPerDay);
  LocalTime lt;
  lt.days = days;
  lt.hour = second_of_day / 3600;
  lt.minute = second_of_day / 60 % 60;
  lt.weekday = weekday_from_days(days);
  return lt;
}

}  // namespace pixguard
