#pragma once
// What a decoder extracts from one message: for each canonical field, its text and the kind
// of value it was. Decoders do syntax only (JSON, CSV); types and Pix rules belong to
// validation, so every format shares one set of rules and one set of error names.
#include <array>
#include <string_view>

#include "core/field.h"

namespace pixguard {

enum class ValueKind : unsigned char {
  kAbsent,  // not in the message (or the field is not mapped)
  kNull,    // JSON null, or an empty CSV cell
  kString,  // unescaped text
  kNumber,  // the raw JSON number token, exactly as written
  kBool,    // "true" or "false"
  kOther,   // an object or array where a scalar was expected
};

struct FieldValue {
  std::string_view text;
  ValueKind kind = ValueKind::kAbsent;
};

struct FieldValues {
  std::array<FieldValue, kFieldCount> values;

  FieldValue& operator[](Field f) { return values[static_cast<std::size_t>(f)]; }
  const FieldValue& operator[](Field f) const { return values[static_cast<std::size_t>(f)]; }
  void clear() { values.fill(FieldValue{}); }
};

// Why a message was rejected. `rule` is a stable snake_case name used as the metrics label
// and in the dead letter; `detail` adds context (a static string, never personal data).
struct Rejection {
  int field = -1;  // a Field, or -1 when the message as a whole is at fault
  std::string_view rule;
  std::string_view detail;

  static Rejection message(std::string_view rule, std::string_view detail = {}) { return {-1, rule, detail}; }
  static Rejection of(Field f, std::string_view rule, std::string_view detail = {}) {
    return {static_cast<int>(f), rule, detail};
  }
  std::string_view field_name() const {
    return field < 0 ? std::string_view{} : pixguard::field_name(static_cast<Field>(field));
  }
};

}  // namespace pixguard
