#include "delta/delta_describe.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "delta/delta_schema.h"

namespace pixguard::delta {
namespace {

AddFile file(const std::string& path, const std::string& date, int64_t size, const std::string& stats) {
  AddFile a;
  a.path = path;
  a.partition_values = {{"event_date", date}};
  a.size = size;
  a.stats = stats;
  return a;
}

TEST(DeltaDescribe, SummarisesTheSnapshot) {
  TableSnapshot s;
  s.version = 12;
  s.checkpoint_version = 10;
  s.metadata.id = "5b6f1f5e-8d0a-4c55-9d61-0e4b1c2a7f10";
  s.metadata.name = "decisions";
  s.metadata.created_time = 1763900000000;
  ASSERT_TRUE(build_schema_string({{"end_to_end_id", "string", false}, {"event_date", "date", true}},
                                  &s.metadata.schema_string)
                  .ok());
  s.metadata.partition_columns = {"event_date"};
  s.files["a"] = file("a", "2025-11-24", 100, R"({"numRecords":10,"minValues":{}})");
  s.files["b"] = file("b", "2025-11-24", 50, R"({"numRecords":5})");
  s.files["c"] = file("c", "2025-11-25", 7, "");
  s.files["d"] = file("d", "", 3, R"({"numRecords":1})");
  s.tombstones["old"] = RemoveFile{};
  s.txn_versions["pipeline-1"] = 41;

  const auto j = nlohmann::ordered_json::parse(describe_table(s));
  EXPECT_EQ(j["version"], 12);
  EXPECT_EQ(j["checkpointVersion"], 10);
  EXPECT_EQ(j["name"], "decisions");
  EXPECT_EQ(j["protocol"]["minWriterVersion"], 2);
  EXPECT_EQ(j["files"], 4);
  EXPECT_EQ(j["bytes"], 160);
  EXPECT_EQ(j["rows"], 16);
  EXPECT_EQ(j["filesWithoutStats"], 1);
  EXPECT_EQ(j["tombstones"], 1);
  EXPECT_EQ(j["txns"]["pipeline-1"], 41);
  EXPECT_EQ(j["schema"].dump(),
            R"([{"name":"end_to_end_id","type":"string","nullable":false},{"name":"event_date","type":"date","nullable":true}])");
  EXPECT_EQ(j["partitionColumns"].dump(), R"(["event_date"])");
  EXPECT_EQ(j["partitions"].dump(),
            R"([{"values":{"event_date":null},"files":1,"bytes":3,"rows":1},)"
            R"({"values":{"event_date":"2025-11-24"},"files":2,"bytes":150,"rows":15},)"
            R"({"values":{"event_date":"2025-11-25"},"files":1,"bytes":7,"rows":0}])");
}

TEST(DeltaDescribe, ToleratesAnUnreadableSchemaAndOddStats) {
  TableSnapshot s;
  s.metadata.schema_string = "not json";
  s.files["a"] = file("a", "x", 1, "{\"numRecords\":\"many\"}");
  s.metadata.name = "bad \xff utf8";
  const auto j = nlohmann::ordered_json::parse(describe_table(s));
  EXPECT_TRUE(j["schema"].is_null());
  EXPECT_EQ(j["filesWithoutStats"], 1);
  EXPECT_EQ(j["partitions"].size(), 0u);
  EXPECT_TRUE(j["checkpointVersion"].is_null());
}

}  // namespace
}  // namespace pixguard::delta
