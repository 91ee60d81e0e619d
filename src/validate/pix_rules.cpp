#include "validate/pix_rules.h"

#include <cstddef>

#include "core/time_zone.h"

namespace pixguard {
namespace {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

bool all_digits(std::string_view s) {
  for (const char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

bool all_equal(std::string_view s) {
  for (const char c : s) {
    if (c != s[0]) return false;
  }
  return true;
}

constexpr bool is_leap(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int days_in_month(int y, int m) {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Two ASCII digits at s[pos]; the caller has checked they are digits.
constexpr int two_digits(std::string_view s, std::size_t pos) {
  return (s[pos] - '0') * 10 + (s[pos + 1] - '0');
}

// The Receita Federal's mod-11 check digit: 0 when the remainder is 0 or 1, else 11 - r.
constexpr char mod11_digit(int sum) {
  const int r = sum % 11;
  return static_cast<char>('0' + (r < 2 ? 0 : 11 - r));
}

// E-mail local part: the characters of RFC 5322's dot-atom, lower case only, as in the DICT
// key pattern (^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@...).
bool is_email_local_char(char c) {
  if (is_lower(c) || is_digit(c)) return true;
  switch (c) {
    case '.':
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
    case '-': return true;
    default: return false;
  }
}

// Domain: dot-separated labels of [a-z0-9-], 1-63 chars, no '-' at either end of a label; at
// least two labels (a bare "localhost" is not a deliverable address for a payment key).
bool is_email_domain(std::string_view d) {
  std::size_t labels = 0;
  std::size_t begin = 0;
  while (begin <= d.size()) {
    std::size_t end = d.find('.', begin);
    if (end == std::string_view::npos) end = d.size();
    const std::size_t len = end - begin;
    if (len == 0 || len > 63 || d[begin] == '-' || d[end - 1] == '-') return false;
    for (std::size_t i = begin; i < end; ++i) {
      if (!is_lower(d[i]) && !is_digit(d[i]) && d[i] != '-') return false;
    }
    ++labels;
    begin = end + 1;
  }
  return labels >= 2;
}

bool is_valid_email_key(std::string_view key) {
  if (key.size() > 77) return false;
  const std::size_t at = key.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  for (std::size_t i = 0; i < at; ++i) {
    if (!is_email_local_char(key[i])) return false;  // also rejects upper case and spaces
  }
  // A second '@' fails the domain's character check.
  return is_email_domain(key.substr(at + 1));
}

// E.164 for Brazil: +55, a two-digit area code (DDD 11-99), then an 8-digit landline or
// 9-digit mobile number.
bool is_valid_phone_key(std::string_view key) {
  if ((key.size() != 13 && key.size() != 14) || key[0] != '+' || key[1] != '5' || key[2] != '5') {
    return false;
  }
  const std::string_view national = key.substr(3);
  return all_digits(national) && two_digits(national, 0) >= 11;
}

// 8-4-4-4-12 lower-case hex. The version nibble is not checked: DICT documents EVPs as
// random UUIDs but the key is opaque to us, and rejecting a real key costs a transfer.
bool is_valid_evp_key(std::string_view key) {
  if (key.size() != 36) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? key[i] != '-' : !is_lower_hex(key[i])) return false;
  }
  return true;
}

}  // namespace

bool is_valid_ispb(std::string_view text) { return text.size() == 8 && all_digits(text); }

void cpf_check_digits(std::string_view first9, char out[2]) {
  if (first9.size() < 9) {  // contract violation; deterministic output beats reading past the end
    out[0] = out[1] = '0';
    return;
  }
  int sum1 = 0;
  int sum2 = 0;
  for (int i = 0; i < 9; ++i) {
    const int d = first9[static_cast<std::size_t>(i)] - '0';
    sum1 += d * (10 - i);
    sum2 += d * (11 - i);
  }
  // mod11_digit maps r < 2 to 0, the same as the CPF rule "11 - r, with 10 and 11 as 0".
  out[0] = mod11_digit(sum1);
  sum2 += (out[0] - '0') * 2;
  out[1] = mod11_digit(sum2);
}

void cnpj_check_digits(std::string_view first12, char out[2]) {
  if (first12.size() < 12) {  // contract violation; see cpf_check_digits
    out[0] = out[1] = '0';
    return;
  }
  // Weights 2..9 cycling from the right: 5432 98765432 for the first digit, 65432 98765432 for
  // the second. Value = ASCII - 48 makes '0'-'9' their digits and 'A' 17 ... 'Z' 42.
  constexpr int kWeights1[12] = {5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};
  constexpr int kWeights2[13] = {6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};
  int sum1 = 0;
  int sum2 = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    const int v = first12[i] - '0';
    sum1 += v * kWeights1[i];
    sum2 += v * kWeights2[i];
  }
  out[0] = mod11_digit(sum1);
  sum2 += (out[0] - '0') * kWeights2[12];
  out[1] = mod11_digit(sum2);
}

bool is_valid_cpf(std::string_view text) {
  if (text.size() != 11 || !all_digits(text) || all_equal(text)) return false;
  char dv[2];
  cpf_check_digits(text, dv);
  return text[9] == dv[0] && text[10] == dv[1];
}

bool is_valid_cnpj(std::string_view text) {
  if (text.size() != 14) return false;
  for (std::size_t i = 0; i < 12; ++i) {
    if (!is_digit(text[i]) && !is_upper(text[i])) return false;  // lower case is not a CNPJ
  }
  if (!is_digit(text[12]) || !is_digit(text[13]) || all_equal(text)) return false;
  char dv[2];
  cnpj_check_digits(text, dv);
  return text[12] == dv[0] && text[13] == dv[1];
}

bool is_valid_document(std::string_view text) {
  switch (text.size()) {
    case 11: return is_valid_cpf(text);
    case 14: return is_valid_cnpj(text);
    default: return false;
  }
}

// Layout: E(0) ISPB(1-8) yyyy(9-12) MM(13-14) dd(15-16) HH(17-18) mm(19-20) sequence(21-31).
// The year is not bounded: the id's time is the sender's claim, judged against event_time by
// the pipeline, and a calendar-valid year is all the format promises.
bool is_valid_end_to_end_id(std::string_view text) {
  if (text.size() != 32 || text[0] != 'E' || !all_digits(text.substr(1, 20))) return false;
  const int year = two_digits(text, 9) * 100 + two_digits(text, 11);
  const int month = two_digits(text, 13);
  const int day = two_digits(text, 15);
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return false;
  if (two_digits(text, 17) > 23 || two_digits(text, 19) > 59) return false;
  for (std::size_t i = 21; i < 32; ++i) {
    const char c = text[i];
    if (!is_digit(c) && !is_upper(c) && !is_lower(c)) return false;
  }
  return true;
}

int64_t end_to_end_id_utc_seconds(std::string_view valid_id) {
  if (valid_id.size() < 21) return 0;  // contract violation; never read past the end
  const int year = two_digits(valid_id, 9) * 100 + two_digits(valid_id, 11);
  const int month = two_digits(valid_id, 13);
  const int day = two_digits(valid_id, 15);
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         two_digits(valid_id, 17) * 3600 + two_digits(valid_id, 19) * 60;
}

bool is_valid_pix_key(KeyType type, std::string_view key) {
  switch (type) {
    case KeyType::kCpf: return is_valid_cpf(key);
    case KeyType::kCnpj: return is_valid_cnpj(key);
    case KeyType::kPhone: return is_valid_phone_key(key);
    case KeyType::kEmail: return is_valid_email_key(key);
    case KeyType::kEvp: return is_valid_evp_key(key);
    case KeyType::kNone: return false;
  }
  return false;
}

}  // namespace pixguard
