#include "core/money.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace pixguard {
namespace {

int64_t parse_ok(std::string_view text) {
  int64_t cents = -12345;
  EXPECT_EQ(parse_amount_cents(text, &cents), AmountError::kOk) << text;
  return cents;
}

AmountError parse_error(std::string_view text) {
  int64_t cents = 0;
  return parse_amount_cents(text, &cents);
}

std::string format(int64_t cents) {
  char buf[24];
  const int n = format_amount(cents, buf);
  return std::string(buf, static_cast<std::size_t>(n));
}

TEST(ParseAmount, PlainDecimals) {
  EXPECT_EQ(parse_ok("1956.04"), 195604);
  EXPECT_EQ(parse_ok("123.45"), 12345);
  EXPECT_EQ(parse_ok("0.01"), 1);
  EXPECT_EQ(parse_ok("0.1"), 10);
  EXPECT_EQ(parse_ok("7"), 700);
  EXPECT_EQ(parse_ok("0"), 0);
  EXPECT_EQ(parse_ok("-12.05"), -1205);
  EXPECT_EQ(parse_ok("-0"), 0);
  EXPECT_EQ(parse_ok("-0.00"), 0);
}

TEST(ParseAmount, TrailingZerosBelowCentavoAreFine) {
  EXPECT_EQ(parse_ok("1.50"), 150);
  EXPECT_EQ(parse_ok("1.500"), 150);
  EXPECT_EQ(parse_ok("1.0000000000000000000000000000"), 100);
  EXPECT_EQ(parse_ok("100.000"), 10000);
}

TEST(ParseAmount, LeadingZerosAccepted) {
  EXPECT_EQ(parse_ok("00.5"), 50);
  EXPECT_EQ(parse_ok("007.50"), 750);
  EXPECT_EQ(parse_ok("0000000000000000000000000000001"), 100);
}

TEST(ParseAmount, Exponents) {
  EXPECT_EQ(parse_ok("1.5e3"), 150000);
  EXPECT_EQ(parse_ok("1.5E3"), 150000);
  EXPECT_EQ(parse_ok("1.5e+3"), 150000);
  EXPECT_EQ(parse_ok("1e-2"), 1);
  EXPECT_EQ(parse_ok("12345e-2"), 12345);
  EXPECT_EQ(parse_ok("1234500e-4"), 12345);
  EXPECT_EQ(parse_ok("0.0001e4"), 100);
  EXPECT_EQ(parse_ok("-2.5e1"), -2500);
  EXPECT_EQ(parse_ok("0e400"), 0);
  EXPECT_EQ(parse_ok("0.000e-400"), 0);
  EXPECT_EQ(parse_ok("1e0"), 100);
  EXPECT_EQ(parse_ok("1e16"), 1000000000000000000);
}

TEST(ParseAmount, TooManyDecimals) {
  EXPECT_EQ(parse_error("1.005"), AmountError::kTooManyDecimals);
  EXPECT_EQ(parse_error("0.001"), AmountError::kTooManyDecimals);
  EXPECT_EQ(parse_error("1.0000000000000000000001"), AmountError::kTooManyDecimals);
  EXPECT_EQ(parse_error("1e-3"), AmountError::kTooManyDecimals);
  EXPECT_EQ(parse_error("1e-400"), AmountError::kTooManyDecimals);
  EXPECT_EQ(parse_error("-0.015"), AmountError::kTooManyDecimals);
}

TEST(ParseAmount, Int64Limits) {
  EXPECT_EQ(parse_ok("92233720368547758.07"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parse_ok("-92233720368547758.08"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(parse_error("92233720368547758.08"), AmountError::kOverflow);
  EXPECT_EQ(parse_error("-92233720368547758.09"), AmountError::kOverflow);
  EXPECT_EQ(parse_error("99999999999999999.99"), AmountError::kOverflow);  // 19 digits > max
  EXPECT_EQ(parse_error("100000000000000000"), AmountError::kOverflow);    // 10^17 reais
}

TEST(ParseAmount, Overflow) {
  EXPECT_EQ(parse_error("1e400"), AmountError::kOverflow);
  EXPECT_EQ(parse_error("-1e400"), AmountError::kOverflow);
  EXPECT_EQ(parse_error("1e17"), AmountError::kOverflow);
  EXPECT_EQ(parse_error("1e99999999999999999999999999"), AmountError::kOverflow);
  EXPECT_EQ(parse_error("123456789012345678901234567890"), AmountError::kOverflow);
  EXPECT_EQ(parse_error("123456789012345678901234567890.00"), AmountError::kOverflow);
  EXPECT_EQ(parse_error("18446744073709551616"), AmountError::kOverflow);  // 2^64
}

TEST(ParseAmount, Empty) { EXPECT_EQ(parse_error(""), AmountError::kEmpty); }

TEST(ParseAmount, SyntaxErrors) {
  for (const char* bad : {"NaN",   "nan", "Infinity", "-Infinity", "inf",   "+1", "-",    ".5",
                          "5.",    "-.5", "1.2.3",    "12,50",     "1 000", " 1", "1 ",   "\t1",
                          "1\n",   "abc", "1e",       "1e+",       "1e-",   "e5", "1.e5", "0x10",
                          "1_000", "R$1", "1.5e3.2",  "--1",       "1-",    "1f", "1E2E3"}) {
    EXPECT_EQ(parse_error(bad), AmountError::kSyntax) << bad;
  }
  // An embedded NUL is a byte like any other, not a terminator.
  EXPECT_EQ(parse_error(std::string_view("1\0", 2)), AmountError::kSyntax);
}

TEST(ParseAmount, ErrorLeavesOutputUntouched) {
  int64_t cents = 42;
  EXPECT_EQ(parse_amount_cents("1.005", &cents), AmountError::kTooManyDecimals);
  EXPECT_EQ(cents, 42);
}

TEST(AmountErrorName, AllNamed) {
  EXPECT_EQ(amount_error_name(AmountError::kOk), "ok");
  EXPECT_EQ(amount_error_name(AmountError::kEmpty), "empty");
  EXPECT_EQ(amount_error_name(AmountError::kSyntax), "syntax");
  EXPECT_EQ(amount_error_name(AmountError::kTooManyDecimals), "too_many_decimals");
  EXPECT_EQ(amount_error_name(AmountError::kOverflow), "overflow");
}

TEST(FormatAmount, TwoDecimals) {
  EXPECT_EQ(format(0), "0.00");
  EXPECT_EQ(format(1), "0.01");
  EXPECT_EQ(format(10), "0.10");
  EXPECT_EQ(format(100), "1.00");
  EXPECT_EQ(format(195604), "1956.04");
  EXPECT_EQ(format(-1205), "-12.05");
  EXPECT_EQ(format(-5), "-0.05");
  EXPECT_EQ(format(std::numeric_limits<int64_t>::max()), "92233720368547758.07");
  EXPECT_EQ(format(std::numeric_limits<int64_t>::min()), "-92233720368547758.08");
}

TEST(FormatAmount, RoundTrips) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{99}, int64_t{12345678901},
                    std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    EXPECT_EQ(parse_ok(format(v)), v);
  }
}

// Data sets whose amounts went through binary floating point: rounded to the centavo on request.
TEST(ParseAmount, RoundedToTheCentavo) {
  const auto rounded = [](std::string_view text, int64_t* cents) {
    bool was = false;
    EXPECT_EQ(parse_amount_cents_rounded(text, cents, &was), AmountError::kOk) << text;
    return was;
  };
  int64_t c = 0;
  EXPECT_TRUE(rounded("85.64999999999999", &c));
  EXPECT_EQ(c, 8565);
  EXPECT_TRUE(rounded("85.64499999999999", &c));
  EXPECT_EQ(c, 8564);
  EXPECT_TRUE(rounded("0.005", &c));  // a half: away from zero
  EXPECT_EQ(c, 1);
  EXPECT_TRUE(rounded("-1.005", &c));
  EXPECT_EQ(c, -101);
  EXPECT_TRUE(rounded("0.0049", &c));
  EXPECT_EQ(c, 0);
  EXPECT_TRUE(rounded("0.0009", &c));
  EXPECT_EQ(c, 0);
  EXPECT_TRUE(rounded("9.999", &c));  // the carry reaches the units
  EXPECT_EQ(c, 1000);
  EXPECT_TRUE(rounded("1.23456e2", &c));
  EXPECT_EQ(c, 12346);
  EXPECT_FALSE(rounded("12.30", &c));  // exact: not rounded
  EXPECT_EQ(c, 1230);
  EXPECT_FALSE(rounded("0.0", &c));
  EXPECT_EQ(c, 0);
  bool was = false;
  EXPECT_EQ(parse_amount_cents_rounded("92233720368547758.075", &c, &was), AmountError::kOverflow);
  EXPECT_EQ(parse_amount_cents_rounded("1,5", &c, &was), AmountError::kSyntax);
}

}  // namespace
}  // namespace pixguard
