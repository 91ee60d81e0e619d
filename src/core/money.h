#pragma once
// Exact decimal BRL amounts. Money is parsed from its text (a JSON number token or a decimal
// string such as "123.45") straight into int64 centavos; it never passes through a float.
#include <cstdint>
#include <string_view>

namespace pixguard {

enum class AmountError : unsigned char {
  kOk,
  kEmpty,            // no characters
  kSyntax,           // not a decimal number ("12,50", "1.2.3", "abc", "NaN", "Infinity")
  kTooManyDecimals,  // a non-zero digit below the centavo ("1.005"); "1.50" and "1.500" are fine
  kOverflow,         // does not fit int64 centavos
};

// Parses `text` (optional leading '-', digits, optional '.' fraction, optional exponent as in
// JSON: "1.5e3") into centavos. Sign is kept: the "> 0" rule belongs to validation.
// Unlike JSON, leading zeros are accepted ("007.50"): zero-padded amounts occur in bank
// exports and are unambiguous. '+', ".5", "5.", whitespace, NaN and Infinity are kSyntax.
// `*cents` is written only on kOk.
AmountError parse_amount_cents(std::string_view text, int64_t* cents);
// The same, but a value with non-zero digits below the centavo is rounded to the nearest
// centavo (halves away from zero: "85.64999999999999" -> 8565, "0.005" -> 1, "-1.005" ->
// -101) instead of kTooManyDecimals; `*rounded` says whether it was. For data sets whose
// amounts went through binary floating point.
AmountError parse_amount_cents_rounded(std::string_view text, int64_t* cents, bool* rounded);

std::string_view amount_error_name(AmountError e);

// Appends the amount as a decimal string with exactly two decimals ("-12.05") to `out`;
// `out` must have room for 24 characters. Returns the number of characters written.
int format_amount(int64_t cents, char* out);

}  // namespace pixguard
