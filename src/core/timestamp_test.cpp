#include "core/timestamp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace pixguard {
namespace {

constexpr int64_t kSpecInstantUs = 1'795'186'473'000'000;  // 2026-11-20T14:54:33Z
constexpr int64_t kLastValidUs = 7'258'118'399'999'999;    // 2199-12-31T23:59:59.999999Z

class Timestamps : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status st = TimeZone::load("America/Sao_Paulo", &sao_paulo_);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  int64_t ok(std::string_view text, TimestampFormat format = TimestampFormat::kAuto) {
    int64_t us = -42;
    const TimestampError e = parse_timestamp(text, format, sao_paulo_, &us);
    EXPECT_EQ(e, TimestampError::kOk) << text << ": " << timestamp_error_name(e);
    return us;
  }
  TimestampError err(std::string_view text, TimestampFormat format = TimestampFormat::kAuto) {
    int64_t us = -42;
    const TimestampError e = parse_timestamp(text, format, sao_paulo_, &us);
    EXPECT_EQ(us, -42) << text << ": output must be untouched on error";
    return e;
  }

  TimeZone sao_paulo_;
  TimeZone utc_;
};

std::string fmt(int64_t us) {
  char buf[32];
  const int n = format_timestamp_utc(us, buf);
  return std::string(buf, static_cast<std::size_t>(n));
}

// ---- RFC 3339 ----------------------------------------------------------------------------

TEST_F(Timestamps, Rfc3339SpecExample) {
  EXPECT_EQ(ok("2026-11-20T11:54:33-03:00", TimestampFormat::kRfc3339), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20T11:54:33-03:00"), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20T14:54:33Z"), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20T14:54:33z"), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20t14:54:33Z"), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20 14:54:33Z"), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20T14:54:33+00:00"), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20T14:54:33-00:00"), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-21T00:24:33+09:30"), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20T00:00:00-23:59"), 1'795'219'140'000'000);
}

TEST_F(Timestamps, Rfc3339Fractions) {
  EXPECT_EQ(ok("2026-11-20T14:54:33.1Z"), kSpecInstantUs + 100000);
  EXPECT_EQ(ok("2026-11-20T14:54:33.123Z"), kSpecInstantUs + 123000);
  EXPECT_EQ(ok("2026-11-20T14:54:33.123456Z"), kSpecInstantUs + 123456);
  EXPECT_EQ(ok("2026-11-20T14:54:33.1234567Z"), kSpecInstantUs + 123456);  // truncated
  EXPECT_EQ(ok("2026-11-20T14:54:33.999999999Z"), kSpecInstantUs + 999999);
  EXPECT_EQ(ok("2026-11-20T11:54:33.000001-03:00"), kSpecInstantUs + 1);
  EXPECT_EQ(err("2026-11-20T14:54:33.1234567891Z"), TimestampError::kSyntax);  // 10 digits
  EXPECT_EQ(err("2026-11-20T14:54:33.Z"), TimestampError::kSyntax);
  EXPECT_EQ(err("2026-11-20T14:54:33,5Z"), TimestampError::kSyntax);
}

TEST_F(Timestamps, Rfc3339RequiresOffset) {
  EXPECT_EQ(err("2026-11-20T14:54:33", TimestampFormat::kRfc3339), TimestampError::kSyntax);
  EXPECT_EQ(err("2026-11-20T14:54:33.5", TimestampFormat::kRfc3339), TimestampError::kSyntax);
}

TEST_F(Timestamps, Rfc3339Syntax) {
  for (const char* bad : {"2026-11-20",
                          "2026-11-20T14:54Z",
                          "2026-11-20T14:54:3Z",
                          "2026-11-2T14:54:33Z",
                          "26-11-20T14:54:33Z",
                          "2026/11/20T14:54:33Z",
                          "2026-11-20_14:54:33Z",
                          "2026-11-20T14-54-33Z",
                          "2026-11-20T14:54:33+0300",
                          "2026-11-20T14:54:33+03",
                          "2026-11-20T14:54:33+3:00",
                          "2026-11-20T14:54:33 Z",
                          "2026-11-20T14:54:33Z ",
                          " 2026-11-20T14:54:33Z",
                          "2026-11-20T14:54:33UTC",
                          "2026-11-20T14:54:33ZZ",
                          "2026-11-20T14:54:33-03:00:00",
                          "2026-1a-20T14:54:33Z",
                          "2026-11-20T14:5a:33Z",
                          "+2026-11-20T14:54:33Z",
                          "2026-11-20T14:54:33\xc2\xa0Z"}) {
    EXPECT_EQ(err(bad, TimestampFormat::kRfc3339), TimestampError::kSyntax) << bad;
    EXPECT_EQ(err(bad), TimestampError::kSyntax) << bad;
  }
}

TEST_F(Timestamps, Rfc3339InvalidDates) {
  for (const char* bad :
       {"2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z",
        "2026-11-32T00:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T25:00:00Z",
        "2026-11-20T14:60:00Z", "2026-11-20T14:54:61Z", "2026-11-20T14:54:33+25:00",
        "2026-11-20T14:54:33+24:00", "2026-11-20T14:54:33-03:60", "2100-02-29T00:00:00Z",
        "9999-02-30T00:00:00Z"}) {
    EXPECT_EQ(err(bad), TimestampError::kInvalidDate) << bad;
  }
  EXPECT_EQ(ok("2024-02-29T12:00:00Z"), 1'709'208'000'000'000);  // leap year
  ok("2000-02-29T00:00:00Z");                                    // divisible by 400
}

TEST_F(Timestamps, LeapSecondIsTheLastMicrosecondOfItsMinute) {
  const int64_t midnight = 1'483'228'800'000'000;  // 2017-01-01T00:00:00Z, after a real leap second
  EXPECT_EQ(ok("2016-12-31T23:59:60Z"), midnight - 1);
  EXPECT_EQ(ok("2016-12-31T23:59:60.5Z"), midnight - 1);
  EXPECT_EQ(ok("2016-12-31T20:59:60-03:00"), midnight - 1);
  EXPECT_LT(ok("2016-12-31T23:59:59.999998Z"), ok("2016-12-31T23:59:60Z"));
}

TEST_F(Timestamps, Range) {
  EXPECT_EQ(ok("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ok("1969-12-31T21:00:00-03:00"), 0);
  EXPECT_EQ(ok("2199-12-31T23:59:59.999999Z"), kLastValidUs);
  EXPECT_EQ(ok("2200-01-01T00:59:59.999999+01:00"), kLastValidUs);
  EXPECT_EQ(err("1969-12-31T23:59:59.999999Z"), TimestampError::kOutOfRange);
  EXPECT_EQ(err("1969-12-31T23:59:59-00:00"), TimestampError::kOutOfRange);
  EXPECT_EQ(err("2200-01-01T00:00:00Z"), TimestampError::kOutOfRange);
  EXPECT_EQ(err("2199-12-31T23:59:59-00:01"), TimestampError::kOutOfRange);
  EXPECT_EQ(err("0001-01-01T00:00:00Z"), TimestampError::kOutOfRange);
  EXPECT_EQ(err("0000-01-01T00:00:00Z"), TimestampError::kOutOfRange);
  EXPECT_EQ(err("9999-12-31T23:59:59Z"), TimestampError::kOutOfRange);
  EXPECT_EQ(err("9999-12-31T23:59:59.999999999+23:59"), TimestampError::kOutOfRange);
  EXPECT_EQ(err("2926-11-20T11:54:33-03:00"), TimestampError::kOutOfRange);
  EXPECT_EQ(err("0001-01-01 00:00:00", TimestampFormat::kLocal), TimestampError::kOutOfRange);
  EXPECT_EQ(err("9999-12-31 23:59:59", TimestampFormat::kLocal), TimestampError::kOutOfRange);
}

// ---- local wall time ----------------------------------------------------------------------

TEST_F(Timestamps, LocalInConfiguredZone) {
  EXPECT_EQ(ok("2026-11-20 11:54:33", TimestampFormat::kLocal), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20T11:54:33", TimestampFormat::kLocal), kSpecInstantUs);
  EXPECT_EQ(ok("2026-11-20 11:54:33"), kSpecInstantUs);  // kAuto: no offset means local
  EXPECT_EQ(ok("2026-11-20 11:54:33.25", TimestampFormat::kLocal), kSpecInstantUs + 250000);
  EXPECT_EQ(ok("2026-11-20 11:54:33.123456789", TimestampFormat::kLocal), kSpecInstantUs + 123456);
  int64_t us = 0;
  EXPECT_EQ(parse_timestamp("2026-11-20 14:54:33", TimestampFormat::kLocal, utc_, &us),
            TimestampError::kOk);
  EXPECT_EQ(us, kSpecInstantUs);
}

TEST_F(Timestamps, LocalFollowsHistoricDst) {
  // The seed's data set example: 2018-04-01 was outside DST (-03).
  EXPECT_EQ(ok("2018-04-01 00:00:31", TimestampFormat::kLocal), 1'522'551'631'000'000);
  // 2018-01-15 was inside DST (-02).
  EXPECT_EQ(ok("2018-01-15 12:00:00", TimestampFormat::kLocal), 1'516'024'800'000'000);
  // 2018-11-04 00:30 never happened; read with the offset before the switch (-03): 03:30Z.
  EXPECT_EQ(ok("2018-11-04 00:30:00", TimestampFormat::kLocal), 1'541'302'200'000'000);
  // 2018-02-17 23:30 happened twice; the first (-02) wins: 01:30Z on the 18th.
  EXPECT_EQ(ok("2018-02-17 23:30:00", TimestampFormat::kLocal), 1'518'917'400'000'000);
}

TEST_F(Timestamps, LocalRejectsOffsets) {
  EXPECT_EQ(err("2026-11-20 11:54:33-03:00", TimestampFormat::kLocal), TimestampError::kSyntax);
  EXPECT_EQ(err("2026-11-20T11:54:33Z", TimestampFormat::kLocal), TimestampError::kSyntax);
  EXPECT_EQ(err("2026-11-20 11:54", TimestampFormat::kLocal), TimestampError::kSyntax);
  EXPECT_EQ(err("2026-11-20", TimestampFormat::kLocal), TimestampError::kSyntax);
  EXPECT_EQ(err("2026-02-30 11:54:33", TimestampFormat::kLocal), TimestampError::kInvalidDate);
  EXPECT_EQ(err("1763650473", TimestampFormat::kLocal), TimestampError::kSyntax);
}

TEST_F(Timestamps, LocalRangeUsesTheZone) {
  // 1969-12-31 21:00 in Sao Paulo is the epoch; one second earlier is out of range.
  EXPECT_EQ(ok("1969-12-31 21:00:00", TimestampFormat::kLocal), 0);
  EXPECT_EQ(err("1969-12-31 20:59:59", TimestampFormat::kLocal), TimestampError::kOutOfRange);
  EXPECT_EQ(ok("2199-12-31 20:59:59.999999", TimestampFormat::kLocal), kLastValidUs);
  EXPECT_EQ(err("2199-12-31 21:00:00", TimestampFormat::kLocal), TimestampError::kOutOfRange);
}

// ---- epoch numbers ------------------------------------------------------------------------

TEST_F(Timestamps, EpochSeconds) {
  EXPECT_EQ(ok("1795186473", TimestampFormat::kEpochSeconds), kSpecInstantUs);
  EXPECT_EQ(ok("1795186473.25", TimestampFormat::kEpochSeconds), kSpecInstantUs + 250000);
  EXPECT_EQ(ok("1795186473.123456789", TimestampFormat::kEpochSeconds), kSpecInstantUs + 123456);
  EXPECT_EQ(ok("0", TimestampFormat::kEpochSeconds), 0);
  EXPECT_EQ(ok("-0", TimestampFormat::kEpochSeconds), 0);
  EXPECT_EQ(ok("0001795186473", TimestampFormat::kEpochSeconds), kSpecInstantUs);
  EXPECT_EQ(ok("7258118399.999999", TimestampFormat::kEpochSeconds), kLastValidUs);
  // A millisecond value read as seconds is far in the future.
  EXPECT_EQ(err("1795186473000", TimestampFormat::kEpochSeconds), TimestampError::kOutOfRange);
  EXPECT_EQ(err("7258118400", TimestampFormat::kEpochSeconds), TimestampError::kOutOfRange);
}

TEST_F(Timestamps, EpochMillis) {
  EXPECT_EQ(ok("1795186473123", TimestampFormat::kEpochMillis), kSpecInstantUs + 123000);
  EXPECT_EQ(ok("1795186473123.456", TimestampFormat::kEpochMillis), kSpecInstantUs + 123456);
  EXPECT_EQ(ok("1795186473", TimestampFormat::kEpochMillis), 1'795'186'473'000);  // 1970-01-21
  EXPECT_EQ(ok("7258118399999", TimestampFormat::kEpochMillis), kLastValidUs - 999);
  EXPECT_EQ(err("7258118400000", TimestampFormat::kEpochMillis), TimestampError::kOutOfRange);
}

TEST_F(Timestamps, EpochAutoPicksTheUnit) {
  EXPECT_EQ(ok("1795186473"), kSpecInstantUs);
  EXPECT_EQ(ok("1795186473.5"), kSpecInstantUs + 500000);
  EXPECT_EQ(ok("1795186473123"), kSpecInstantUs + 123000);
  EXPECT_EQ(err("99999999999"), TimestampError::kOutOfRange);  // below 1e11: seconds, year 5138
  EXPECT_EQ(ok("100000000000"), 100'000'000'000'000);          // from 1e11: millis, 1973
}

TEST_F(Timestamps, EpochErrors) {
  for (TimestampFormat f :
       {TimestampFormat::kAuto, TimestampFormat::kEpochSeconds, TimestampFormat::kEpochMillis}) {
    for (const char* bad : {"abc", "1.", ".5", "+1795186473", "1795186473 ", " 1795186473", "1e9",
                            "1795186473.1234567890", "0x10", "1_795_186_473", "-", "--1",
                            "1795186473-", "17951.86.473"}) {
      EXPECT_EQ(err(bad, f), TimestampError::kSyntax) << bad;
    }
    EXPECT_EQ(err("-1", f), TimestampError::kOutOfRange);
    EXPECT_EQ(err("-0.5", f), TimestampError::kOutOfRange);
    EXPECT_EQ(err("-1795186473", f), TimestampError::kOutOfRange);
    EXPECT_EQ(err("99999999999999999999999999999999", f), TimestampError::kOutOfRange);
    EXPECT_EQ(err("9223372036854775808", f), TimestampError::kOutOfRange);
    EXPECT_EQ(err("", f), TimestampError::kEmpty);
  }
}

TEST_F(Timestamps, AutoRejectsNonsense) {
  EXPECT_EQ(err(""), TimestampError::kEmpty);
  EXPECT_EQ(err("yesterday"), TimestampError::kSyntax);
  EXPECT_EQ(err("2026-11-20T11:54:33-03:00junk"), TimestampError::kSyntax);
  EXPECT_EQ(err("2026-"), TimestampError::kSyntax);
  EXPECT_EQ(err("20261120T115433Z"), TimestampError::kSyntax);
  EXPECT_EQ(err(std::string_view("2026-11-20T14:54:33Z\0", 21)), TimestampError::kSyntax);
}

TEST(TimestampErrorName, AllNamed) {
  EXPECT_EQ(timestamp_error_name(TimestampError::kOk), "ok");
  EXPECT_EQ(timestamp_error_name(TimestampError::kEmpty), "empty");
  EXPECT_EQ(timestamp_error_name(TimestampError::kSyntax), "syntax");
  EXPECT_EQ(timestamp_error_name(TimestampError::kInvalidDate), "invalid_date");
  EXPECT_EQ(timestamp_error_name(TimestampError::kOutOfRange), "out_of_range");
}

// ---- formatting ---------------------------------------------------------------------------

TEST(FormatTimestampUtc, Millisecond) {
  EXPECT_EQ(fmt(kSpecInstantUs), "2026-11-20T14:54:33.000Z");
  EXPECT_EQ(fmt(kSpecInstantUs + 123999), "2026-11-20T14:54:33.123Z");  // truncated
  EXPECT_EQ(fmt(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(fmt(kLastValidUs), "2199-12-31T23:59:59.999Z");
  EXPECT_EQ(fmt(1'709'208'000'000'000), "2024-02-29T12:00:00.000Z");
}

TEST(FormatTimestampUtc, BeforeEpochAndExtremes) {
  EXPECT_EQ(fmt(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(fmt(-62'135'596'800'000'000), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(fmt(253'402'300'800'000'000), "+10000-01-01T00:00:00.000Z");
  EXPECT_EQ(fmt(-62'135'596'800'000'000 - 366LL * 86'400'000'000), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(fmt(-62'135'596'800'000'000 - 367LL * 86'400'000'000), "-0001-12-31T00:00:00.000Z");
  const std::string max = fmt(INT64_MAX);
  const std::string min = fmt(INT64_MIN);
  EXPECT_EQ(max, "+294247-01-10T04:00:54.775Z");
  EXPECT_EQ(min, "-290308-12-21T19:59:05.224Z");
  EXPECT_LE(max.size(), 32u);
  EXPECT_LE(min.size(), 32u);
}

TEST(FormatTimestampUtc, RoundTripsThroughTheParser) {
  const TimeZone utc;
  for (int64_t us = 0; us < kLastValidUs; us += 86'399'999'937 * 13) {
    const int64_t ms_floor = us - us % 1000;
    const std::string s = fmt(us);
    int64_t back = 0;
    ASSERT_EQ(parse_timestamp(s, TimestampFormat::kRfc3339, utc, &back), TimestampError::kOk) << s;
    ASSERT_EQ(back, ms_floor) << s;
  }
}

}  // namespace
}  // namespace pixguard
