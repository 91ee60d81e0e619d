#include "core/money.h"

#include <algorithm>
#include <array>
#include <cstddef>

namespace pixguard {
namespace {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Clamping the exponent keeps the arithmetic below in int64 for any input length; a clamped
// exponent already means overflow (or a digit far below the centavo), so nothing is lost.
constexpr int64_t kExponentClamp = int64_t{1} << 40;

constexpr std::array<uint64_t, 20> kPow10 = [] {
  std::array<uint64_t, 20> p{};
  uint64_t v = 1;
  for (uint64_t& x : p) {
    x = v;
    v *= 10;  // wraps after 10^19, unused
  }
  return p;
}();

}  // namespace

// Grammar: JSON's number, except that leading zeros in the integer part are accepted
// ("007.50"): bank APIs send money as strings, zero-padded amounts occur in fixed-width
// exports, and the value is unambiguous. ".5", "5.", "+5", whitespace, "NaN" and "Infinity"
// stay errors because no money API writes them and accepting them would hide a broken producer.
//
// The value is digits x 10^exponent. We only locate the significant digits (first to last
// non-zero) and count how far they sit from the centavo position, so "1e400", a 30-digit
// integer and "0.000e999999" are all decided without big-number arithmetic.
namespace {

AmountError parse(std::string_view text, int64_t* cents, bool round, bool* rounded) {
  const std::size_t n = text.size();
  if (n == 0) return AmountError::kEmpty;
  std::size_t i = 0;
  const bool negative = text[0] == '-';
  if (negative) ++i;

  const std::size_t int_begin = i;
  while (i < n && is_digit(text[i])) ++i;
  const std::size_t int_end = i;
  if (int_end == int_begin) return AmountError::kSyntax;

  std::size_t frac_begin = i;
  std::size_t frac_end = i;
  if (i < n && text[i] == '.') {
    frac_begin = ++i;
    while (i < n && is_digit(text[i])) ++i;
    frac_end = i;
    if (frac_end == frac_begin) return AmountError::kSyntax;
  }

  int64_t exponent = 0;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    const std::size_t exp_begin = i;
    while (i < n && is_digit(text[i])) {
      if (exponent < kExponentClamp) exponent = exponent * 10 + (text[i] - '0');
      ++i;
    }
    if (i == exp_begin) return AmountError::kSyntax;
    if (exp_negative) exponent = -exponent;
  }
  if (i != n) return AmountError::kSyntax;

  // The digit sequence is int part followed by frac part; index k in [0, total) maps to
  // text[int_begin + k] or, past the int part, to text[frac_begin + (k - int_len)].
  const std::size_t int_len = int_end - int_begin;
  const std::size_t frac_len = frac_end - frac_begin;
  const std::size_t total = int_len + frac_len;
  auto digit_at = [&](std::size_t k) -> char {
    return k < int_len ? text[int_begin + k] : text[frac_begin + (k - int_len)];
  };

  std::size_t first = 0;
  while (first < total && digit_at(first) == '0') ++first;
  if (first == total) {
    *cents = 0;  // zero is zero at any exponent: "0e999", "-0.000"
    return AmountError::kOk;
  }
  std::size_t last = total - 1;
  while (digit_at(last) == '0') --last;

  auto significant = static_cast<int64_t>(last - first + 1);
  const auto trailing_zeros = static_cast<int64_t>(total - 1 - last);
  // Power of ten that scales the significant digits into centavos.
  int64_t scale = exponent - static_cast<int64_t>(frac_len) + trailing_zeros + 2;
  bool round_up = false;
  if (scale < 0) {
    if (!round) return AmountError::kTooManyDecimals;
    // Keep the digits down to the centavo; the first one dropped decides (halves away from zero).
    const int64_t kept = significant + scale;
    const int64_t dropped_first = static_cast<int64_t>(first) + std::max<int64_t>(kept, 0);
    round_up = kept >= 0 && digit_at(static_cast<std::size_t>(dropped_first)) >= '5';
    *rounded = true;
    significant = std::max<int64_t>(kept, 0);
    scale = 0;
  }
  if (significant + scale > 19) return AmountError::kOverflow;

  uint64_t value = 0;
  for (int64_t k = 0; k < significant; ++k) {
    value = value * 10 + static_cast<uint64_t>(digit_at(first + static_cast<std::size_t>(k)) - '0');
  }
  // significant + scale <= 19 digits, so the product is below 10^19 < 2^64.
  value *= kPow10[static_cast<std::size_t>(scale)];
  value += round_up ? 1 : 0;

  const uint64_t limit = negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
  if (value > limit) return AmountError::kOverflow;
  // Two's-complement negation in unsigned space also handles INT64_MIN without UB.
  *cents = negative ? static_cast<int64_t>(~value + 1) : static_cast<int64_t>(value);
  return AmountError::kOk;
}

}  // namespace

AmountError parse_amount_cents(std::string_view text, int64_t* cents) {
  bool rounded = false;
  return parse(text, cents, false, &rounded);
}

AmountError parse_amount_cents_rounded(std::string_view text, int64_t* cents, bool* rounded) {
  *rounded = false;
  return parse(text, cents, true, rounded);
}

std::string_view amount_error_name(AmountError e) {
  switch (e) {
    case AmountError::kOk: return "ok";
    case AmountError::kEmpty: return "empty";
    case AmountError::kSyntax: return "syntax";
    case AmountError::kTooManyDecimals: return "too_many_decimals";
    case AmountError::kOverflow: return "overflow";
  }
  return "unknown";
}

int format_amount(int64_t cents, char* out) {
  // Magnitude in unsigned space so that INT64_MIN formats instead of overflowing.
  uint64_t magnitude = cents < 0 ? ~static_cast<uint64_t>(cents) + 1 : static_cast<uint64_t>(cents);
  char digits[20];
  int len = 0;
  do {
    digits[len++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  while (len < 3) digits[len++] = '0';  // "0.05", not ".05"

  int w = 0;
  if (cents < 0) out[w++] = '-';
  for (int k = len - 1; k >= 2; --k) out[w++] = digits[k];
  out[w++] = '.';
  out[w++] = digits[1];
  out[w++] = digits[0];
  return w;
}

}  // namespace pixguard
