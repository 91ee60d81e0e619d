#pragma once
// Which name each canonical field has in the source: a dotted path into the JSON object
// ("payer.account") or a CSV column name ("CUSTOMER_ID"). An unmapped field is absent from
// every message, and its Pix rules are off. Set from the config's `input.fields`.
#include <array>
#include <string>

#include "core/field.h"

namespace pixguard {

struct FieldMapping {
  std::array<std::string, kFieldCount> source_names;  // empty = not mapped

  bool mapped(Field f) const { return !source_names[static_cast<std::size_t>(f)].empty(); }
  const std::string& source_name(Field f) const { return source_names[static_cast<std::size_t>(f)]; }

  // The default Pix JSON shape (docs/configuration.md, "input"): every field under its own name.
  static FieldMapping identity() {
    FieldMapping m;
    for (std::size_t i = 0; i < kFieldCount; ++i) m.source_names[i] = std::string(kFieldNames[i]);
    return m;
  }
};

}  // namespace pixguard
