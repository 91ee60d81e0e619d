#include "delta/delta_actions.h"

#include <gtest/gtest.h>

namespace pixguard::delta {
namespace {

// Parses `json` into the action type T, failing the test when it does not parse as one.
template <typename T>
T parse_as(const std::string& json) {
  std::optional<Action> a;
  const Status s = parse_action_json(json, &a);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(a.has_value() && std::holds_alternative<T>(*a)) << json;
  return a && std::holds_alternative<T>(*a) ? std::get<T>(*a) : T{};
}

TEST(DeltaActions, ProtocolAsTheProtocolDocWritesIt) {
  EXPECT_EQ(action_json(Protocol{}), R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})");
  const auto p = parse_as<Protocol>(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})");
  EXPECT_EQ(p.min_reader_version, 1);
  EXPECT_EQ(p.min_writer_version, 2);
}

TEST(DeltaActions, AddRoundTrip) {
  AddFile a;
  a.path = "event_date=2025-11-24/part-00000-1f6c.c000.snappy.parquet";
  a.partition_values = {{"event_date", "2025-11-24"}};
  a.size = 841454;
  a.modification_time = 1512909768000;
  a.data_change = true;
  a.stats = R"({"numRecords":1,"minValues":{"amount":5},"maxValues":{"amount":5},"nullCount":{"amount":0}})";
  const std::string expected =
      R"({"add":{"path":"event_date=2025-11-24/part-00000-1f6c.c000.snappy.parquet",)"
      R"("partitionValues":{"event_date":"2025-11-24"},"size":841454,"modificationTime":1512909768000,)"
      R"("dataChange":true,"stats":"{\"numRecords\":1,\"minValues\":{\"amount\":5},\"maxValues\":{\"amount\":5},)"
      R"(\"nullCount\":{\"amount\":0}}"}})";
  EXPECT_EQ(action_json(a), expected);
  const auto back = parse_as<AddFile>(expected);
  EXPECT_EQ(back.path, a.path);
  EXPECT_EQ(back.partition_values, a.partition_values);
  EXPECT_EQ(back.size, a.size);
  EXPECT_EQ(back.modification_time, a.modification_time);
  EXPECT_TRUE(back.data_change);
  EXPECT_EQ(back.stats, a.stats);
  EXPECT_EQ(action_json(back), expected);
}

TEST(DeltaActions, RemoveRoundTrip) {
  RemoveFile r;
  r.path = "part-00001-9.snappy.parquet";
  r.deletion_timestamp = 1515488792485;
  r.data_change = true;
  const std::string plain =
      R"({"remove":{"path":"part-00001-9.snappy.parquet","deletionTimestamp":1515488792485,"dataChange":true,)"
      R"("extendedFileMetadata":false}})";
  EXPECT_EQ(action_json(r), plain);
  r.extended_file_metadata = true;
  r.partition_values = {{"event_date", "2025-11-24"}};
  r.size = 10;
  r.data_change = false;
  const std::string extended =
      R"({"remove":{"path":"part-00001-9.snappy.parquet","deletionTimestamp":1515488792485,"dataChange":false,)"
      R"("extendedFileMetadata":true,"partitionValues":{"event_date":"2025-11-24"},"size":10}})";
  EXPECT_EQ(action_json(r), extended);
  const auto back = parse_as<RemoveFile>(extended);
  EXPECT_EQ(action_json(back), extended);
  // The protocol's own example: no extendedFileMetadata, fields we do not know.
  const auto doc = parse_as<RemoveFile>(
      R"({"remove":{"path":"part-00001-9.snappy.parquet","deletionTimestamp":1515488792485,"baseRowId":4071,)"
      R"("defaultRowCommitVersion":41,"dataChange":true}})");
  EXPECT_EQ(doc.path, "part-00001-9.snappy.parquet");
  EXPECT_EQ(doc.deletion_timestamp, 1515488792485);
  EXPECT_FALSE(doc.size.has_value());
}

TEST(DeltaActions, TxnAsTheProtocolDocWritesIt) {
  const std::string doc = R"({"txn":{"appId":"3ba13872-2d47-4e17-86a0-21afd2a22395","version":364475}})";
  const auto t = parse_as<Txn>(doc);
  EXPECT_EQ(t.app_id, "3ba13872-2d47-4e17-86a0-21afd2a22395");
  EXPECT_EQ(t.version, 364475);
  EXPECT_EQ(action_json(t), doc);
  Txn u = t;
  u.last_updated = 1700000000000;
  EXPECT_EQ(action_json(u),
            R"({"txn":{"appId":"3ba13872-2d47-4e17-86a0-21afd2a22395","version":364475,"lastUpdated":1700000000000}})");
}

TEST(DeltaActions, MetadataRoundTrip) {
  Metadata m;
  m.id = "af23c9d7-fff1-4a5a-a2c8-55c59bd782aa";
  m.name = "decisions";
  m.schema_string = R"({"type":"struct","fields":[]})";
  m.partition_columns = {"event_date"};
  m.configuration = {{"delta.appendOnly", "true"}};
  m.created_time = 1700000000000;
  const std::string expected =
      R"({"metaData":{"id":"af23c9d7-fff1-4a5a-a2c8-55c59bd782aa","name":"decisions",)"
      R"("format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}",)"
      R"("partitionColumns":["event_date"],"configuration":{"delta.appendOnly":"true"},"createdTime":1700000000000}})";
  EXPECT_EQ(action_json(m), expected);
  const auto back = parse_as<Metadata>(expected);
  EXPECT_EQ(action_json(back), expected);
  // The protocol's example, spaces and all.
  const auto doc = parse_as<Metadata>(R"({
  "metaData":{
    "id":"af23c9d7-fff1-4a5a-a2c8-55c59bd782aa",
    "format":{"provider":"parquet","options":{}},
    "schemaString":"...",
    "partitionColumns":[],
    "configuration":{
      "appendOnly": "true"
    }
  }
})");
  EXPECT_EQ(doc.configuration.at("appendOnly"), "true");
  EXPECT_FALSE(doc.created_time.has_value());
}

TEST(DeltaActions, CommitInfoRoundTripAndForeignShapes) {
  CommitInfo c;
  c.timestamp = 1515491537026;
  c.operation = "WRITE";
  c.operation_parameters = {{"mode", "Append"}};
  c.read_version = 4;
  c.is_blind_append = true;
  const std::string expected =
      R"({"commitInfo":{"timestamp":1515491537026,"operation":"WRITE","operationParameters":{"mode":"Append"},)"
      R"("readVersion":4,"isBlindAppend":true,"engineInfo":"pixguard/0.1.0"}})";
  EXPECT_EQ(action_json(c), expected);
  EXPECT_EQ(action_json(parse_as<CommitInfo>(expected)), expected);
  // Spark's example with nested objects and non-string parameters: provenance never fails.
  const auto spark = parse_as<CommitInfo>(
      R"({"commitInfo":{"timestamp":1515491537026,"userId":"100121","operation":"INSERT",)"
      R"("operationParameters":{"mode":"Append","partitionBy":"[]","n":3},"notebook":{"notebookId":"4443029"}}})");
  EXPECT_EQ(spark.operation, "INSERT");
  EXPECT_EQ(spark.operation_parameters.at("n"), "3");
}

TEST(DeltaActions, UnknownActionsAndFieldsAreIgnored) {
  for (const char* line : {R"({"cdc":{"path":"_change_data/cdc-1.parquet","partitionValues":{},"size":1,"dataChange":false}})",
                           R"({"domainMetadata":{"domain":"delta.x","configuration":"{}","removed":false}})",
                           R"({"checkpointMetadata":{"version":1}})", "", "   "}) {
    std::optional<Action> a;
    EXPECT_TRUE(parse_action_json(line, &a).ok()) << line;
    EXPECT_FALSE(a.has_value()) << line;
  }
  const auto add = parse_as<AddFile>(
      R"({"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":2,"dataChange":false,"baseRowId":4071,)"
      R"("clusteringProvider":"liquid","tags":{"INSERTION_TIME":"1"},"stats":null}})");
  EXPECT_FALSE(add.data_change);
  EXPECT_TRUE(add.stats.empty());
  EXPECT_EQ(add.tags.at("INSERTION_TIME"), "1");
}

TEST(DeltaActions, MalformedActionsAreCorruption) {
  for (const char* line : {R"({"add":{"path":"a"})", R"({"add":{"path":"a","partitionValues":{},"size":"1",)"
                                                     R"("modificationTime":2,"dataChange":true}})",
                           R"({"txn":{"appId":"x"}})", R"({"protocol":{"minReaderVersion":1}})", R"([1,2])",
                           R"({"add":"x"})", R"({"metaData":{"id":"x","schemaString":"{}","partitionColumns":[]}})"}) {
    std::optional<Action> a;
    const Status s = parse_action_json(line, &a);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << line;
    EXPECT_FALSE(a.has_value());
  }
}

TEST(DeltaActions, ProtocolSupport) {
  EXPECT_TRUE(check_read_support(Protocol{}).ok());
  EXPECT_TRUE(check_write_support(Protocol{}).ok());
  EXPECT_TRUE(check_write_support(Protocol{1, 1, {}, {}}).ok());
  const Status dv = check_read_support(Protocol{3, 7, {"deletionVectors"}, {"deletionVectors"}});
  EXPECT_EQ(dv.code(), StatusCode::kUnsupported);
  EXPECT_NE(dv.message().find("deletionVectors"), std::string::npos) << dv.message();
  EXPECT_EQ(check_read_support(Protocol{2, 5, {}, {}}).code(), StatusCode::kUnsupported);
  // Readable but not writable: CHECK constraints (writer 3), generated columns (writer 4).
  EXPECT_TRUE(check_read_support(Protocol{1, 4, {}, {}}).ok());
  EXPECT_EQ(check_write_support(Protocol{1, 4, {}, {}}).code(), StatusCode::kUnsupported);
  EXPECT_TRUE(check_write_support(Protocol{1, 7, {}, {"appendOnly"}}).ok());
  EXPECT_EQ(check_write_support(Protocol{1, 7, {}, {"appendOnly", "rowTracking"}}).code(), StatusCode::kUnsupported);
  EXPECT_EQ(action_json(Protocol{3, 7, {}, {"appendOnly"}}),
            R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":[],"writerFeatures":["appendOnly"]}})");
}

TEST(DeltaActions, TableIdsAreVersion4Uuids) {
  const std::string a = new_table_id(), b = new_table_id();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '4');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b') << a;
}

}  // namespace
}  // namespace pixguard::delta
