#include "core/time_zone.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace pixguard {
namespace {

constexpr int64_t kHour = 3600;

int64_t utc(int64_t y, unsigned mo, unsigned d, int64_t h = 0, int64_t mi = 0, int64_t s = 0) {
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}
// Local wall-clock seconds use the same arithmetic; the alias keeps tests readable.
int64_t local(int64_t y, unsigned mo, unsigned d, int64_t h = 0, int64_t mi = 0, int64_t s = 0) {
  return utc(y, mo, d, h, mi, s);
}

TimeZone load_or_die(const char* name) {
  TimeZone tz;
  const Status st = TimeZone::load(name, &tz);
  EXPECT_TRUE(st.ok()) << st.message();
  return tz;
}

// ---- calendar ----------------------------------------------------------------------------

TEST(Civil, KnownDays) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(2026, 11, 20), 20777);
  EXPECT_EQ(days_from_civil(2200, 1, 1), 84006);
  EXPECT_EQ(days_from_civil(1, 1, 1), -719162);
}

TEST(Civil, RoundTrip) {
  int64_t prev_y = 0;
  unsigned prev_m = 0;
  unsigned prev_d = 0;
  civil_from_days(-800000 - 1, &prev_y, &prev_m, &prev_d);
  for (int64_t days = -800000; days <= 200000; ++days) {
    int64_t y = 0;
    unsigned m = 0;
    unsigned d = 0;
    civil_from_days(days, &y, &m, &d);
    ASSERT_EQ(days_from_civil(y, m, d), days);
    // Consecutive days are consecutive dates.
    const bool next_day = (y == prev_y && m == prev_m && d == prev_d + 1);
    const bool next_month = (y == prev_y && m == prev_m + 1 && d == 1);
    const bool next_year = (y == prev_y + 1 && m == 1 && d == 1 && prev_m == 12 && prev_d == 31);
    ASSERT_TRUE(next_day || next_month || next_year) << days;
    prev_y = y;
    prev_m = m;
    prev_d = d;
  }
}

// ---- UTC ---------------------------------------------------------------------------------

TEST(TimeZone, DefaultIsUtc) {
  const TimeZone tz;
  EXPECT_EQ(tz.name(), "UTC");
  EXPECT_EQ(tz.offset_at_utc(0), 0);
  EXPECT_EQ(tz.offset_at_utc(utc(2026, 11, 20, 14, 54, 33)), 0);
  EXPECT_EQ(tz.local_to_utc(123456789), 123456789);
}

TEST(TimeZone, LoadUtc) {
  const TimeZone tz = load_or_die("UTC");
  EXPECT_EQ(tz.name(), "UTC");
  for (int64_t t : {int64_t{-5000000000}, int64_t{0}, utc(2026, 6, 1),
                    utc(2199, 12, 31, 23, 59, 59), utc(2500, 1, 1)}) {
    EXPECT_EQ(tz.offset_at_utc(t), 0);
    EXPECT_EQ(tz.local_to_utc(t), t);
  }
}

TEST(ToLocalTime, EpochIsThursday) {
  const TimeZone tz;
  const LocalTime lt = to_local_time(0, tz);
  EXPECT_EQ(lt.days, 0);
  EXPECT_EQ(lt.hour, 0);
  EXPECT_EQ(lt.minute, 0);
  EXPECT_EQ(lt.weekday, 4);
}

TEST(ToLocalTime, BeforeEpochFloors) {
  const TimeZone tz;
  const LocalTime lt = to_local_time(-1, tz);  // 1969-12-31T23:59:59.999999Z, a Wednesday
  EXPECT_EQ(lt.days, -1);
  EXPECT_EQ(lt.hour, 23);
  EXPECT_EQ(lt.minute, 59);
  EXPECT_EQ(lt.weekday, 3);
}

// ---- America/Sao_Paulo ---------------------------------------------------------------------

TEST(SaoPaulo, SpecExample) {
  const TimeZone tz = load_or_die("America/Sao_Paulo");
  EXPECT_EQ(tz.name(), "America/Sao_Paulo");
  const int64_t t = utc(2026, 11, 20, 14, 54, 33);
  EXPECT_EQ(tz.offset_at_utc(t), -3 * kHour);
  EXPECT_EQ(tz.local_to_utc(local(2026, 11, 20, 11, 54, 33)), t);
  const LocalTime lt = to_local_time(t * 1'000'000 + 123456, tz);
  EXPECT_EQ(lt.days, days_from_civil(2026, 11, 20));
  EXPECT_EQ(lt.hour, 11);
  EXPECT_EQ(lt.minute, 54);
  EXPECT_EQ(lt.weekday, 5);  // Friday
}

TEST(SaoPaulo, LocalMidnightCrossesUtcDay) {
  const TimeZone tz = load_or_die("America/Sao_Paulo");
  // 02:30Z on the 21st is still 23:30 on the 20th in Sao Paulo: a Friday night.
  const LocalTime lt = to_local_time(utc(2026, 11, 21, 2, 30) * 1'000'000, tz);
  EXPECT_EQ(lt.days, days_from_civil(2026, 11, 20));
  EXPECT_EQ(lt.hour, 23);
  EXPECT_EQ(lt.minute, 30);
  EXPECT_EQ(lt.weekday, 5);
}

TEST(SaoPaulo, DstStart2018SkipsLocalMidnight) {
  const TimeZone tz = load_or_die("America/Sao_Paulo");
  const int64_t switch_at = utc(2018, 11, 4, 3);  // 2018-11-04T00:00-03:00 became 01:00-02:00
  EXPECT_EQ(tz.offset_at_utc(switch_at - 1), -3 * kHour);
  EXPECT_EQ(tz.offset_at_utc(switch_at), -2 * kHour);
  EXPECT_EQ(tz.local_to_utc(local(2018, 11, 3, 23, 59, 59)), switch_at - 1);
  // 00:00-00:59 never happened: read with the offset before the switch (-03).
  EXPECT_EQ(tz.local_to_utc(local(2018, 11, 4, 0, 0, 0)), switch_at);
  EXPECT_EQ(tz.local_to_utc(local(2018, 11, 4, 0, 30, 0)), switch_at + 1800);
  EXPECT_EQ(tz.local_to_utc(local(2018, 11, 4, 1, 0, 0)), switch_at);
  EXPECT_EQ(tz.local_to_utc(local(2018, 11, 4, 12, 0, 0)), utc(2018, 11, 4, 14));
  const LocalTime lt = to_local_time(switch_at * 1'000'000, tz);
  EXPECT_EQ(lt.hour, 1);
  EXPECT_EQ(lt.minute, 0);
}

TEST(SaoPaulo, DstEnd2018RepeatsAnHour) {
  const TimeZone tz = load_or_die("America/Sao_Paulo");
  const int64_t switch_at = utc(2018, 2, 18, 2);  // 2018-02-18T00:00-02:00 became 02-17T23:00-03:00
  EXPECT_EQ(tz.offset_at_utc(switch_at - 1), -2 * kHour);
  EXPECT_EQ(tz.offset_at_utc(switch_at), -3 * kHour);
  EXPECT_EQ(tz.local_to_utc(local(2018, 2, 17, 22, 59, 59)), switch_at - kHour - 1);
  // 23:00-23:59 on the 17th happened twice: the first (-02, before the switch) is chosen.
  EXPECT_EQ(tz.local_to_utc(local(2018, 2, 17, 23, 0, 0)), switch_at - kHour);
  EXPECT_EQ(tz.local_to_utc(local(2018, 2, 17, 23, 30, 0)), switch_at - 1800);
  EXPECT_EQ(tz.local_to_utc(local(2018, 2, 18, 0, 0, 0)), switch_at + kHour);
  EXPECT_EQ(to_local_time((switch_at - 1) * 1'000'000, tz).hour, 23);
  EXPECT_EQ(to_local_time(switch_at * 1'000'000, tz).hour, 23);
  EXPECT_EQ(to_local_time(switch_at * 1'000'000, tz).days, days_from_civil(2018, 2, 17));
}

TEST(SaoPaulo, NoDstSince2019) {
  const TimeZone tz = load_or_die("America/Sao_Paulo");
  EXPECT_EQ(tz.offset_at_utc(utc(2019, 2, 17, 1, 59, 59)), -2 * kHour);  // the last DST day
  EXPECT_EQ(tz.offset_at_utc(utc(2019, 2, 17, 2)), -3 * kHour);
  for (int64_t y = 2020; y <= 2199; ++y) {
    for (unsigned m : {1u, 2u, 6u, 11u, 12u}) {
      ASSERT_EQ(tz.offset_at_utc(utc(y, m, 15, 12)), -3 * kHour) << y << "-" << m;
      ASSERT_EQ(tz.local_to_utc(local(y, m, 15, 9)), utc(y, m, 15, 12));
    }
  }
  EXPECT_EQ(tz.offset_at_utc(INT64_MAX / 2), -3 * kHour);
}

TEST(SaoPaulo, HistoricLmtBeforeFirstTransition) {
  const TimeZone tz = load_or_die("America/Sao_Paulo");
  EXPECT_EQ(tz.offset_at_utc(utc(1900, 1, 1)), -(3 * kHour + 6 * 60 + 28));  // LMT -3:06:28
}

// ---- America/New_York (DST through the footer rule) ------------------------------------------

TEST(NewYork, Dst2026) {
  const TimeZone tz = load_or_die("America/New_York");
  const int64_t start = utc(2026, 3, 8, 7);  // 02:00 EST -> 03:00 EDT
  const int64_t end = utc(2026, 11, 1, 6);   // 02:00 EDT -> 01:00 EST
  EXPECT_EQ(tz.offset_at_utc(utc(2026, 1, 15)), -5 * kHour);
  EXPECT_EQ(tz.offset_at_utc(start - 1), -5 * kHour);
  EXPECT_EQ(tz.offset_at_utc(start), -4 * kHour);
  EXPECT_EQ(tz.offset_at_utc(utc(2026, 7, 4, 16)), -4 * kHour);
  EXPECT_EQ(tz.offset_at_utc(end - 1), -4 * kHour);
  EXPECT_EQ(tz.offset_at_utc(end), -5 * kHour);
  // Gap: 02:30 does not exist; EST (before the switch) gives 07:30Z, shown as 03:30 EDT.
  EXPECT_EQ(tz.local_to_utc(local(2026, 3, 8, 2, 30)), start + 1800);
  EXPECT_EQ(tz.local_to_utc(local(2026, 3, 8, 3, 0)), start);
  // Overlap: 01:30 happens twice; EDT (before the switch) gives 05:30Z.
  EXPECT_EQ(tz.local_to_utc(local(2026, 11, 1, 1, 30)), end - 1800);
  EXPECT_EQ(tz.local_to_utc(local(2026, 11, 1, 2, 0)), end + kHour);
  const LocalTime lt = to_local_time(start * 1'000'000, tz);
  EXPECT_EQ(lt.hour, 3);
  EXPECT_EQ(lt.weekday, 0);  // Sunday
}

TEST(NewYork, FooterRuleAfterTheFileEnds) {
  const TimeZone tz = load_or_die("America/New_York");
  // Values from Python's zoneinfo on the same tzdata.
  EXPECT_EQ(tz.offset_at_utc(2215062000 - 1), -5 * kHour);  // 2040-03-11T07:00Z
  EXPECT_EQ(tz.offset_at_utc(2215062000), -4 * kHour);
  EXPECT_EQ(tz.offset_at_utc(2235621600 - 1), -4 * kHour);  // 2040-11-04T06:00Z
  EXPECT_EQ(tz.offset_at_utc(2235621600), -5 * kHour);
  EXPECT_EQ(tz.local_to_utc(local(2040, 3, 11, 2, 30)), 2215062000 + 1800);
  EXPECT_EQ(tz.local_to_utc(local(2040, 11, 4, 1, 30)), 2235621600 - 1800);
}

TEST(NewYork, RuleEvaluatedBeyondTheGeneratedYears) {
  const TimeZone tz = load_or_die("America/New_York");
  // 2300 is past the generated table: the rule is evaluated per call.
  EXPECT_EQ(tz.offset_at_utc(10419778800 - 1), -5 * kHour);  // 2300-03-11T07:00Z
  EXPECT_EQ(tz.offset_at_utc(10419778800), -4 * kHour);
  EXPECT_EQ(tz.offset_at_utc(10440338400 - 1), -4 * kHour);  // 2300-11-04T06:00Z
  EXPECT_EQ(tz.offset_at_utc(10440338400), -5 * kHour);
  EXPECT_EQ(tz.local_to_utc(local(2300, 3, 11, 1, 59, 59)), 10419778800 - 1);
  EXPECT_EQ(tz.local_to_utc(local(2300, 3, 11, 2, 30)), 10419778800 + 1800);  // gap
  EXPECT_EQ(tz.local_to_utc(local(2300, 3, 11, 3, 0)), 10419778800);
  EXPECT_EQ(tz.local_to_utc(local(2300, 11, 4, 1, 30)), 10440338400 - 1800);  // overlap
  EXPECT_EQ(tz.local_to_utc(local(2300, 11, 4, 2, 0)), 10440338400 + kHour);
  // The switch from table to rule at 2201-01-01 is seamless.
  const int64_t seam = utc(2201, 1, 1);
  EXPECT_EQ(tz.offset_at_utc(seam - 1), -5 * kHour);
  EXPECT_EQ(tz.offset_at_utc(seam), -5 * kHour);
  EXPECT_EQ(tz.local_to_utc(seam - 1), seam - 1 + 5 * kHour);
  EXPECT_EQ(tz.local_to_utc(seam), seam + 5 * kHour);
  // Absurd instants do not overflow.
  (void)tz.offset_at_utc(INT64_MAX);
  (void)tz.offset_at_utc(INT64_MIN);
  (void)tz.local_to_utc(INT64_MAX);
  (void)tz.local_to_utc(INT64_MIN);
}

TEST(Sydney, SouthernHemisphereRule) {
  const TimeZone tz = load_or_die("Australia/Sydney");
  // Python zoneinfo: 2250-04-06T16:00Z to +10, 2250-10-05T16:00Z to +11.
  EXPECT_EQ(tz.offset_at_utc(8844220800 - 1), 11 * kHour);
  EXPECT_EQ(tz.offset_at_utc(8844220800), 10 * kHour);
  EXPECT_EQ(tz.offset_at_utc(8859945600 - 1), 10 * kHour);
  EXPECT_EQ(tz.offset_at_utc(8859945600), 11 * kHour);
}

// ---- agreement with the C library ---------------------------------------------------------

// glibc reads the same TZif files (footer included) through an independent implementation.
// For every sampled instant the offset must agree, and local_to_utc must invert it: exactly
// where the wall time is unique, to the earlier instant where it is repeated.
TEST(TimeZone, AgreesWithLibcOnManyZones) {
  const char* zones[] = {"America/Sao_Paulo",
                         "America/New_York",
                         "America/Noronha",
                         "America/Manaus",
                         "America/Santiago",
                         "America/St_Johns",
                         "Europe/London",
                         "Europe/Dublin",
                         "Europe/Lisbon",
                         "Australia/Sydney",
                         "Australia/Lord_Howe",
                         "Pacific/Chatham",
                         "Asia/Kolkata",
                         "Asia/Tehran",
                         "Africa/Casablanca",
                         "Pacific/Apia",
                         "Asia/Gaza",
                         "Etc/GMT+3",
                         "UTC"};
  const char* saved = getenv("TZ");
  const std::string saved_tz = saved ? saved : "";
  for (const char* name : zones) {
    const TimeZone tz = load_or_die(name);
    setenv("TZ", name, 1);
    tzset();
    int checked = 0;
    // 1970 to 2199, every 6 days and 7 minutes so that all hours and weekdays get sampled.
    for (int64_t t = 0; t < utc(2200, 1, 1); t += 6 * 86400 + 7 * 60 + 13) {
      const auto tt = static_cast<time_t>(t);
      struct tm tm {};
      ASSERT_NE(localtime_r(&tt, &tm), nullptr);
      const int32_t offset = tz.offset_at_utc(t);
      ASSERT_EQ(offset, tm.tm_gmtoff) << name << " at " << t;
      const int64_t wall = t + offset;
      const int64_t back = tz.local_to_utc(wall);
      ASSERT_LE(back, t) << name << " at " << t;
      ASSERT_EQ(back + tz.offset_at_utc(back), wall) << name << " at " << t;
      ++checked;
    }
    EXPECT_GT(checked, 10000);
  }
  if (saved) {
    setenv("TZ", saved_tz.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

// ---- errors --------------------------------------------------------------------------------

TEST(TimeZoneLoad, RejectsNamesThatAreNotZoneIds) {
  for (const char* bad : {"", "../etc/passwd", "America/../../etc/passwd", "/etc/localtime", "..",
                          "America/Sao Paulo", "UTC\n", "America\\Sao_Paulo"}) {
    TimeZone tz;
    const Status st = TimeZone::load(bad, &tz);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(tz.name(), "UTC") << "output untouched on error";
  }
  TimeZone tz;
  EXPECT_EQ(TimeZone::load(std::string_view("UTC\0/x", 6), &tz).code(),
            StatusCode::kInvalidArgument);
}

TEST(TimeZoneLoad, UnknownZoneNamesTheFile) {
  TimeZone tz = load_or_die("America/Sao_Paulo");
  const Status st = TimeZone::load("Mars/Olympus_Mons", &tz);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("/usr/share/zoneinfo/Mars/Olympus_Mons"), std::string::npos)
      << st.message();
  EXPECT_EQ(tz.name(), "America/Sao_Paulo");
  EXPECT_EQ(tz.offset_at_utc(0), -3 * kHour);
}

TEST(TimeZoneLoad, DirectoryIsNotAZone) {
  TimeZone tz;
  const Status st = TimeZone::load("America", &tz);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("/usr/share/zoneinfo/America"), std::string::npos) << st.message();
}

TEST(TimeZoneLoad, TextFileIsNotAZone) {
  TimeZone tz;
  const Status st = TimeZone::load("zone1970.tab", &tz);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.message();
  EXPECT_NE(st.message().find("zone1970.tab"), std::string::npos) << st.message();
}

// ---- hand-made TZif files -------------------------------------------------------------------

struct TzifSpec {
  char version = '2';
  std::vector<int64_t> times;
  std::vector<uint8_t> indices;
  std::vector<int32_t> offsets;  // one time type per offset; isdst is not used by pixguard
  std::string footer;
  uint32_t leapcnt = 0;
};

void put32(std::string* s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s->push_back(static_cast<char>((v >> shift) & 0xff));
}
void put64(std::string* s, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  put32(s, static_cast<uint32_t>(u >> 32));
  put32(s, static_cast<uint32_t>(u & 0xffffffffu));
}

std::string build_tzif(const TzifSpec& spec) {
  std::string out;
  auto block = [&](bool wide) {
    out += "TZif";
    out.push_back(spec.version);
    out.append(15, '\0');
    const auto timecnt = static_cast<uint32_t>(spec.times.size());
    const auto typecnt = static_cast<uint32_t>(spec.offsets.size());
    put32(&out, 0);  // isutcnt
    put32(&out, 0);  // isstdcnt
    put32(&out, spec.leapcnt);
    put32(&out, timecnt);
    put32(&out, typecnt);
    put32(&out, 4);  // charcnt: "ABC\0"
    for (const int64_t t : spec.times) {
      if (wide) {
        put64(&out, t);
      } else {
        put32(&out, static_cast<uint32_t>(static_cast<int32_t>(t)));
      }
    }
    for (const uint8_t i : spec.indices) out.push_back(static_cast<char>(i));
    for (const int32_t o : spec.offsets) {
      put32(&out, static_cast<uint32_t>(o));
      out.push_back('\0');
      out.push_back('\0');
    }
    out.append("ABC", 4);
    for (uint32_t k = 0; k < spec.leapcnt; ++k) {
      if (wide)
        put64(&out, 0);
      else
        put32(&out, 0);
      put32(&out, 0);
    }
  };
  block(false);
  if (spec.version != 0) {
    block(true);
    out += "\n" + spec.footer + "\n";
  }
  return out;
}

class TzifFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pixguard_tz_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& f : files_) std::remove((dir_ + "/" + f).c_str());
    rmdir(dir_.c_str());
  }
  void write(const std::string& name, const std::string& bytes) {
    FILE* f = std::fopen((dir_ + "/" + name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    std::fclose(f);
    files_.push_back(name);
  }
  Status load(const std::string& name, TimeZone* tz) { return TimeZone::load(name, tz, dir_); }

  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(TzifFiles, VersionOneUses32BitDataAndKeepsTheLastOffset) {
  TzifSpec spec;
  spec.version = 0;
  spec.times = {1000, 2000};
  spec.indices = {1, 0};
  spec.offsets = {-3600, 7200};
  write("v1", build_tzif(spec));
  TimeZone tz;
  ASSERT_TRUE(load("v1", &tz).ok());
  EXPECT_EQ(tz.offset_at_utc(999), -3600);
  EXPECT_EQ(tz.offset_at_utc(1000), 7200);
  EXPECT_EQ(tz.offset_at_utc(1999), 7200);
  EXPECT_EQ(tz.offset_at_utc(2000), -3600);
  EXPECT_EQ(tz.offset_at_utc(utc(2150, 1, 1)), -3600);
}

TEST_F(TzifFiles, FixedFooterLikeSaoPaulo) {
  TzifSpec spec;
  spec.times = {0};
  spec.indices = {1};
  spec.offsets = {-7200, -10800};
  spec.footer = "<-03>3";
  write("fixed", build_tzif(spec));
  TimeZone tz;
  const Status st = load("fixed", &tz);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(tz.offset_at_utc(-1), -7200);
  EXPECT_EQ(tz.offset_at_utc(utc(2100, 1, 1)), -10800);
}

TEST_F(TzifFiles, JulianRulesWithoutLeapDay) {
  // Jn counts 1-365 and never Feb 29: J60 is March 1 in every year.
  TzifSpec spec;
  spec.offsets = {0};
  spec.footer = "AAA0BBB,J60/0,J335/0";
  write("julian1", build_tzif(spec));
  TimeZone tz;
  const Status st = load("julian1", &tz);
  ASSERT_TRUE(st.ok()) << st.message();
  for (int64_t y : {int64_t{2023}, int64_t{2024}, int64_t{2300}}) {
    EXPECT_EQ(tz.offset_at_utc(utc(y, 3, 1) - 1), 0) << y;
    EXPECT_EQ(tz.offset_at_utc(utc(y, 3, 1)), 3600) << y;
    EXPECT_EQ(tz.offset_at_utc(utc(y, 12, 1) - 3600 - 1), 3600) << y;  // J335 = Dec 1, 00:00 dst
    EXPECT_EQ(tz.offset_at_utc(utc(y, 12, 1) - 3600), 0) << y;
  }
}

TEST_F(TzifFiles, ZeroBasedDayRulesCountLeapDay) {
  // n counts 0-365 including Feb 29: day 59 is Feb 29 in leap years, March 1 otherwise.
  TzifSpec spec;
  spec.offsets = {0};
  spec.footer = "AAA0BBB-2,59/-1,300/30";
  write("julian0", build_tzif(spec));
  TimeZone tz;
  const Status st = load("julian0", &tz);
  ASSERT_TRUE(st.ok()) << st.message();
  // Start at 23:00 the day before (time -1h), in standard time (offset 0).
  EXPECT_EQ(tz.offset_at_utc(utc(2024, 2, 28, 23) - 1), 0);
  EXPECT_EQ(tz.offset_at_utc(utc(2024, 2, 28, 23)), 2 * kHour);
  EXPECT_EQ(tz.offset_at_utc(utc(2023, 2, 28, 23)), 2 * kHour);
  EXPECT_EQ(tz.offset_at_utc(utc(2023, 2, 28, 23) - 1), 0);
  // End: day 300 at 30:00 daylight time (+2).
  const int64_t end_2023 = (days_from_civil(2023, 1, 1) + 300) * 86400 + 30 * kHour - 2 * kHour;
  EXPECT_EQ(tz.offset_at_utc(end_2023 - 1), 2 * kHour);
  EXPECT_EQ(tz.offset_at_utc(end_2023), 0);
}

TEST_F(TzifFiles, AllYearDaylightTime) {
  // RFC 8536's example of a zone on permanent DST.
  TzifSpec spec;
  spec.offsets = {-5 * 3600};
  spec.footer = "EST5EDT,0/0,J365/25";
  write("permanent", build_tzif(spec));
  TimeZone tz;
  const Status st = load("permanent", &tz);
  ASSERT_TRUE(st.ok()) << st.message();
  for (int64_t y : {int64_t{2026}, int64_t{2028}, int64_t{2400}}) {
    for (unsigned m : {1u, 6u, 12u}) {
      EXPECT_EQ(tz.offset_at_utc(utc(y, m, 1, 12)), -4 * kHour) << y << "-" << m;
      EXPECT_EQ(tz.offset_at_utc(utc(y, m, 28, 23)), -4 * kHour) << y << "-" << m;
      EXPECT_EQ(tz.local_to_utc(local(y, m, 1, 0, 30)), utc(y, m, 1, 4, 30)) << y << "-" << m;
    }
  }
}

TEST_F(TzifFiles, DaylightWithoutRuleIsUnsupported) {
  TzifSpec spec;
  spec.offsets = {0};
  spec.footer = "EST5EDT";
  write("norule", build_tzif(spec));
  TimeZone tz;
  const Status st = load("norule", &tz);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find(dir_ + "/norule"), std::string::npos) << st.message();
}

TEST_F(TzifFiles, LeapSecondsAreUnsupported) {
  TzifSpec spec;
  spec.offsets = {0};
  spec.footer = "UTC0";
  spec.leapcnt = 1;
  write("leaps", build_tzif(spec));
  TimeZone tz;
  const Status st = load("leaps", &tz);
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("leap"), std::string::npos) << st.message();
}

TEST_F(TzifFiles, MalformedFilesAreRejectedWithThePath) {
  TzifSpec good;
  good.times = {0, 100};
  good.indices = {1, 0};
  good.offsets = {0, 3600};
  good.footer = "UTC0";
  const std::string bytes = build_tzif(good);
  {
    TimeZone tz;
    write("good", bytes);
    ASSERT_TRUE(load("good", &tz).ok());
  }

  std::vector<std::pair<std::string, std::string>> cases;
  cases.emplace_back("empty", "");
  cases.emplace_back("magic", "TZxf" + bytes.substr(4));
  for (std::size_t cut : {std::size_t{10}, std::size_t{44}, std::size_t{60}, bytes.size() / 2,
                          bytes.size() - 6, bytes.size() - 1}) {
    cases.emplace_back("cut" + std::to_string(cut), bytes.substr(0, cut));
  }
  TzifSpec bad_index = good;
  bad_index.indices = {1, 2};
  cases.emplace_back("index", build_tzif(bad_index));
  TzifSpec unordered = good;
  unordered.times = {100, 0};
  cases.emplace_back("order", build_tzif(unordered));
  TzifSpec no_types = good;
  no_types.times.clear();
  no_types.indices.clear();
  no_types.offsets.clear();
  cases.emplace_back("types", build_tzif(no_types));
  TzifSpec huge_offset = good;
  huge_offset.offsets = {0, 100000};
  cases.emplace_back("offset", build_tzif(huge_offset));
  for (const char* footer :
       {"U0", "UTC", "UTC0X", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
        "EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J10", "EST5EDT,366,10", "EST5EDT,M3.2.0/168,M11.1.0",
        "<AB>3", "EST5EDT,M3.2.0/2:60,M11.1.0", "EST25"}) {
    TzifSpec bad_footer = good;
    bad_footer.footer = footer;
    cases.emplace_back(std::string("footer") + std::to_string(cases.size()),
                       build_tzif(bad_footer));
  }
  for (const auto& [name, content] : cases) {
    write(name, content);
    TimeZone tz;
    const Status st = load(name, &tz);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << name << ": " << st.message();
    EXPECT_NE(st.message().find(dir_ + "/" + name), std::string::npos) << st.message();
    EXPECT_EQ(tz.name(), "UTC");
  }
}

TEST_F(TzifFiles, FooterSyntaxVariants) {
  for (const char* footer :
       {"UTC0", "<+0530>-5:30", "<-03>3", "GMT0BST,M3.5.0/1,M10.5.0", "IST-1GMT0,M10.5.0,M3.5.0/1",
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
        "AAA+3:00:30BBB+2,M3.5.0/+2:30:15,M10.5.0/167"}) {
    TzifSpec spec;
    spec.offsets = {0};
    spec.footer = footer;
    write("v", build_tzif(spec));
    files_.pop_back();
    TimeZone tz;
    const Status st = load("v", &tz);
    EXPECT_TRUE(st.ok()) << footer << ": " << st.message();
  }
  files_.push_back("v");
}

}  // namespace
}  // namespace pixguard
