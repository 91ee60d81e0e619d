#pragma once
// A table schema in Delta's JSON form (PROTOCOL.md "Schema Serialization Format"), the text
// that Metadata::schema_string holds:
// {"type":"struct","fields":[{"name":"amount","type":"decimal(18,2)","nullable":false,"metadata":{}}]}
// Only flat schemas of primitive types are built here; nested types read back as JSON text.
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace pixguard::delta {

struct SchemaField {
  std::string name;
  // A Delta primitive type name: string, long, integer, short, byte, double, float, boolean,
  // binary, date, timestamp, timestamp_ntz, decimal(P,S) with 1 <= P <= 38, 0 <= S <= P.
  // (When parsed: a nested type's JSON text.)
  std::string type;
  bool nullable = true;
};

bool is_primitive_type(std::string_view type);

// InvalidArgument for an empty or repeated name (Delta compares them case-insensitively) or a
// type that is not a primitive Delta type.
Status build_schema_string(const std::vector<SchemaField>& fields, std::string* out);

// The top-level fields of a schema string; Corruption when it is not a struct schema.
Status parse_schema_string(std::string_view schema, std::vector<SchemaField>* fields);

}  // namespace pixguard::delta
