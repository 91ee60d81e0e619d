#pragma once
// String normalisation of input fields before validation (`input.normalize`): per field,
// any of trim (surrounding whitespace), lower or upper case (ASCII), digits (keep only
// 0-9, as a CPF written "123.456.789-09" becomes "12345678909"), applied in that order;
// and pix_key for the payee key: trimmed, then as its key_type writes it (EMAIL and EVP in
// lower case, CPF and CNPJ without punctuation and in upper case, as alphanumeric CNPJs
// are, PHONE without spaces, dashes or parentheses). So that a key, an account or a
// document matches its list entries and feature histories however the producer wrote it.
//
// Threading: immutable; normalize() may run on many threads (each with its own arena).
#include <array>
#include <cstdint>
#include <string_view>

#include "core/field.h"
#include "core/text_arena.h"
#include "decode/field_values.h"

namespace pixguard {

enum NormalizeOp : uint8_t { kTrim = 1, kLower = 2, kUpper = 4, kDigits = 8, kPixKey = 16 };

// Parses one op's config name ("trim", "lower", "upper", "digits", "pix_key"); 0 when unknown.
uint8_t normalize_op(std::string_view name);

class Normalizer {
 public:
  Normalizer() = default;
  explicit Normalizer(const std::array<uint8_t, kFieldCount>& ops);

  bool empty() const { return !any_; }
  // Rewrites the configured fields of `fields`, their new text in `arena` (which needs room
  // for the text of the fields it changes: never longer than before).
  void normalize(FieldValues* fields, TextArena* arena) const;

 private:
  std::array<uint8_t, kFieldCount> ops_{};
  bool any_ = false;
};

}  // namespace pixguard
