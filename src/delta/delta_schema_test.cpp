#include "delta/delta_schema.h"

#include <gtest/gtest.h>

namespace pixguard::delta {
namespace {

TEST(DeltaSchema, BuildsDeltaJsonSchema) {
  std::string schema;
  ASSERT_TRUE(build_schema_string({{"end_to_end_id", "string", false},
                                   {"amount", "decimal(18,2)", false},
                                   {"event_time", "timestamp", true},
                                   {"event_date", "date", true},
                                   {"score", "double", true},
                                   {"blocked", "boolean", true},
                                   {"count_5m", "integer", true},
                                   {"payer_count_1h", "long", true}},
                                  &schema)
                  .ok());
  EXPECT_EQ(schema,
            R"j({"type":"struct","fields":[)j"
            R"j({"name":"end_to_end_id","type":"string","nullable":false,"metadata":{}},)j"
            R"j({"name":"amount","type":"decimal(18,2)","nullable":false,"metadata":{}},)j"
            R"j({"name":"event_time","type":"timestamp","nullable":true,"metadata":{}},)j"
            R"j({"name":"event_date","type":"date","nullable":true,"metadata":{}},)j"
            R"j({"name":"score","type":"double","nullable":true,"metadata":{}},)j"
            R"j({"name":"blocked","type":"boolean","nullable":true,"metadata":{}},)j"
            R"j({"name":"count_5m","type":"integer","nullable":true,"metadata":{}},)j"
            R"j({"name":"payer_count_1h","type":"long","nullable":true,"metadata":{}}]})j");
  std::vector<SchemaField> back;
  ASSERT_TRUE(parse_schema_string(schema, &back).ok());
  ASSERT_EQ(back.size(), 8u);
  EXPECT_EQ(back[1].name, "amount");
  EXPECT_EQ(back[1].type, "decimal(18,2)");
  EXPECT_FALSE(back[1].nullable);
}

TEST(DeltaSchema, RejectsBadFields) {
  std::string schema;
  EXPECT_EQ(build_schema_string({{"a", "varchar", true}}, &schema).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(build_schema_string({{"a", "decimal(39,2)", true}}, &schema).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(build_schema_string({{"a", "decimal(5,6)", true}}, &schema).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(build_schema_string({{"a", "long", true}, {"A", "long", true}}, &schema).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(build_schema_string({{"", "long", true}}, &schema).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(is_primitive_type("decimal(38,0)"));
  EXPECT_FALSE(is_primitive_type("decimal(18, 2)"));
}

TEST(DeltaSchema, ParsesNestedTypesAsText) {
  std::vector<SchemaField> fields;
  ASSERT_TRUE(parse_schema_string(R"j({"type":"struct","fields":[{"name":"f","type":{"type":"map","keyType":"string",)j"
                                  R"j("valueType":"string","valueContainsNull":true},"nullable":true,"metadata":{}}]})j",
                                  &fields)
                  .ok());
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_NE(fields[0].type.find("\"map\""), std::string::npos);
  EXPECT_EQ(parse_schema_string("[]", &fields).code(), StatusCode::kCorruption);
  EXPECT_EQ(parse_schema_string("{", &fields).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace pixguard::delta
