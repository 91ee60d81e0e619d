#include "validate/normalizer.h"

#include <algorithm>

namespace pixguard {
namespace {

// What pix_key adds by key type, beside the public ops.
constexpr uint8_t kDocument = 32;  // drop '.', '-', '/'
constexpr uint8_t kPhone = 64;     // drop ' ', '-', '(', ')'

}  // namespace

uint8_t normalize_op(std::string_view name) {
  if (name == "trim") return kTrim;
  if (name == "lower") return kLower;
  if (name == "upper") return kUpper;
  if (name == "digits") return kDigits;
  if (name == "pix_key") return kPixKey;
  return 0;
}

Normalizer::Normalizer(const std::array<uint8_t, kFieldCount>& ops)
    : ops_(ops), any_(std::any_of(ops.begin(), ops.end(), [](uint8_t o) { return o != 0; })) {}

void Normalizer::normalize(FieldValues* fields, TextArena* arena) const {
  if (!any_) return;
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    uint8_t ops = ops_[f];
    FieldValue& v = fields->values[f];
    if (ops == 0 || v.kind != ValueKind::kString) continue;
    if (ops & kPixKey) {
      // The key's own canonical form, by its type (an unknown type: trimmed only).
      std::string_view type = fields->values[static_cast<std::size_t>(Field::kPayeeKeyType)].text;
      while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
      while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
      const auto is = [type](std::string_view name) {
        return type.size() == name.size() &&
               std::equal(type.begin(), type.end(), name.begin(), [](char a, char b) { return (a | 0x20) == (b | 0x20); });
      };
      ops |= kTrim;
      if (is("email") || is("evp")) ops |= kLower;
      if (is("cpf") || is("cnpj")) ops |= kUpper | kDocument;
      if (is("phone")) ops |= kPhone;
    }
    std::string_view t = v.text;
    if (ops & kTrim) {
      const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
      while (!t.empty() && blank(t.front())) t.remove_prefix(1);
      while (!t.empty() && blank(t.back())) t.remove_suffix(1);
    }
    if ((ops & (kLower | kUpper | kDigits | kDocument | kPhone)) == 0) {
      v.text = t;
      continue;
    }
    if (arena->free_size() < t.size()) continue;  // cannot happen when sized as documented
    char* out = arena->free_space();
    std::size_t n = 0;
    for (const char c : t) {
      if ((ops & kDigits) && (c < '0' || c > '9')) continue;
      if ((ops & kDocument) && (c == '.' || c == '-' || c == '/')) continue;
      if ((ops & kPhone) && (c == ' ' || c == '-' || c == '(' || c == ')')) continue;
      char x = c;
      if ((ops & kLower) && x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
      if ((ops & kUpper) && x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
      out[n++] = x;
    }
    v.text = arena->commit(n);
  }
}

}  // namespace pixguard
