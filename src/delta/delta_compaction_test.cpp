#include "delta/delta_compaction.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "delta/delta_log.h"
#include "delta/delta_path.h"
#include "delta/delta_schema.h"
#include "delta/delta_stats.h"
#include "parquet/parquet_reader.h"
#include "parquet/parquet_writer.h"

namespace pixguard::delta {
namespace {

namespace fs = std::filesystem;
using parquet::ColumnSchema;
using parquet::LogicalKind;
using parquet::PhysicalType;

// One row of the test table; nullopt is null.
struct Row {
  std::string id;
  int64_t event_time = 0;
  int64_t amount = 0;  // centavos
  std::optional<int32_t> label;
  double score = 0;
  bool late = false;
  std::string reasons;
  std::optional<std::string> description;
  bool operator<(const Row& o) const { return id < o.id; }
  bool operator==(const Row& o) const = default;
};

std::vector<ColumnSchema> columns() {
  auto col = [](std::string name, PhysicalType p, LogicalKind l = LogicalKind::kNone) {
    ColumnSchema c;
    c.name = std::move(name);
    c.physical = p;
    c.logical = l;
    return c;
  };
  std::vector<ColumnSchema> c = {col("end_to_end_id", PhysicalType::kByteArray, LogicalKind::kString),
                                 col("event_time", PhysicalType::kInt64, LogicalKind::kTimestampMicros),
                                 col("amount", PhysicalType::kInt64, LogicalKind::kDecimal),
                                 col("label", PhysicalType::kInt32),
                                 col("score", PhysicalType::kDouble),
                                 col("late", PhysicalType::kBoolean),
                                 col("reasons", PhysicalType::kByteArray, LogicalKind::kJson),
                                 col("description", PhysicalType::kByteArray, LogicalKind::kString)};
  c[0].nullable = false;
  c[0].dictionary = true;
  c[2].precision = 18;
  c[2].scale = 2;
  return c;
}

class DeltaCompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "delta_compaction_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    Metadata m;
    m.name = "decisions";
    ASSERT_TRUE(build_schema_string({{"end_to_end_id", "string", false},
                                     {"event_time", "timestamp", true},
                                     {"amount", "decimal(18,2)", true},
                                     {"label", "integer", true},
                                     {"score", "double", true},
                                     {"late", "boolean", true},
                                     {"reasons", "string", true},
                                     {"description", "string", true},
                                     {"event_date", "date", true}},
                                    &m.schema_string)
                    .ok());
    m.partition_columns = {"event_date"};
    std::unique_ptr<DeltaTable> t;
    const Status s = DeltaTable::create(dir_, Protocol{}, m, &t);
    ASSERT_TRUE(s.ok()) << s.message();
    table_ = std::move(t);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `n` new rows, ids continuing from the previous call.
  std::vector<Row> rows(int n) {
    std::vector<Row> out;
    for (int i = 0; i < n; ++i, ++next_id_) {
      Row r;
      char id[32];
      std::snprintf(id, sizeof id, "E%06d", next_id_);
      r.id = id;
      r.event_time = 1763978400000123 + next_id_ * 1000003LL;
      r.amount = (next_id_ % 7 == 0 ? -1 : 1) * (next_id_ * 137 % 100000);
      if (next_id_ % 3 != 0) r.label = next_id_ % 2;
      r.score = next_id_ / 1000.0;
      r.late = next_id_ % 5 == 0;
      r.reasons = "[\"r" + std::to_string(next_id_ % 4) + "\"]";
      if (next_id_ % 4 != 0) r.description = "pix " + std::to_string(next_id_);
      out.push_back(r);
    }
    return out;
  }

  // Writes `rows` as one data file of partition `date` and commits it as a blind append.
  AddFile append(const std::string& date, const std::vector<Row>& data) {
    const std::string rel = partition_directory({{"event_date", date}}) + "/part-" + new_table_id() + ".snappy.parquet";
    fs::create_directories(fs::path(dir_ + "/" + rel).parent_path());
    std::unique_ptr<parquet::ParquetWriter> w;
    EXPECT_TRUE(parquet::ParquetWriter::create(dir_ + "/" + rel, columns(), {}, &w).ok());
    for (const Row& r : data) {
      w->add_string(r.id);
      w->add_int64(r.event_time);
      w->add_int64(r.amount);
      r.label ? w->add_int32(*r.label) : w->add_null();
      w->add_double(r.score);
      w->add_bool(r.late);
      w->add_string(r.reasons);
      r.description ? w->add_string(*r.description) : w->add_null();
      EXPECT_TRUE(w->end_row().ok());
    }
    parquet::FileSummary summary;
    EXPECT_TRUE(w->finish(&summary).ok());
    AddFile a;
    a.path = encode_path(rel);
    a.partition_values = {{"event_date", date}};
    a.size = summary.bytes;
    a.modification_time = 1764000000000 + static_cast<int64_t>(committed_.size());
    a.stats = file_stats_json(columns(), summary);
    commit_add(a);
    for (const Row& r : data) committed_.push_back(r);
    return a;
  }
  void commit_add(const AddFile& a) {
    std::unique_ptr<DeltaTable> t;
    ASSERT_TRUE(DeltaTable::open(dir_, &t).ok());
    TableSnapshot snap;
    ASSERT_TRUE(t->snapshot(&snap).ok());
    CommitResult result;
    const Status s = t->commit(snap.version, {a}, &result);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  TableSnapshot snapshot() {
    TableSnapshot snap;
    const Status s = table_->snapshot(&snap);
    EXPECT_TRUE(s.ok()) << s.message();
    return snap;
  }

  // Every row of every active file, read back with the Parquet reader, sorted by id.
  std::vector<Row> read_table() {
    std::vector<Row> out;
    for (const auto& [logged, add] : snapshot().files) {
      std::string rel;
      EXPECT_TRUE(decode_path(logged, &rel).ok());
      std::unique_ptr<parquet::ParquetReader> r;
      const Status s = parquet::ParquetReader::open(dir_ + "/" + rel, &r);
      EXPECT_TRUE(s.ok()) << s.message();
      if (!s.ok()) continue;
      EXPECT_EQ(r->columns().size(), columns().size());
      std::vector<parquet::ColumnData> d(r->columns().size());
      for (std::size_t c = 0; c < d.size(); ++c) EXPECT_TRUE(r->read_column(static_cast<int>(c), &d[c]).ok());
      EXPECT_EQ(r->columns()[0].max_definition_level, 0);  // REQUIRED stays REQUIRED
      EXPECT_EQ(r->columns()[2].logical, LogicalKind::kDecimal);
      EXPECT_EQ(r->columns()[2].scale, 2);
      EXPECT_EQ(r->columns()[6].logical, LogicalKind::kJson);
      std::size_t label = 0, description = 0;
      for (int64_t i = 0; i < r->num_rows(); ++i) {
        const auto k = static_cast<std::size_t>(i);
        Row row;
        row.id = d[0].strings[k];
        row.event_time = d[1].int64s[k];
        row.amount = d[2].int64s[k];
        if (d[3].definition_levels[k] == 1) row.label = d[3].int32s[label++];
        row.score = d[4].doubles[k];
        row.late = d[5].booleans[k] != 0;
        row.reasons = d[6].strings[k];
        if (d[7].definition_levels[k] == 1) row.description = d[7].strings[description++];
        out.push_back(row);
      }
      const auto stats = nlohmann::json::parse(add.stats);
      EXPECT_EQ(stats["numRecords"], r->num_rows()) << logged;
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<Row> expected() {
    std::vector<Row> e = committed_;
    std::sort(e.begin(), e.end());
    return e;
  }

  std::string dir_;
  std::unique_ptr<DeltaTable> table_;
  std::vector<Row> committed_;
  int next_id_ = 1;
};

CompactionOptions small_files() {
  CompactionOptions o;
  o.min_file_bytes = 16 << 10;
  o.target_file_bytes = 1 << 20;
  return o;
}

TEST_F(DeltaCompactionTest, RewritesSmallFilesPerPartitionKeepingEveryValue) {
  for (int i = 0; i < 5; ++i) append("2025-11-24", rows(20 + i));
  for (int i = 0; i < 3; ++i) append("2025-11-25", rows(7));
  const AddFile alone = append("2025-11-26", rows(3));      // a single small file: nothing to merge with
  const AddFile big = append("2025-11-24", rows(3000));  // above min_file_bytes: left alone
  ASSERT_GE(big.size, 16 << 10);
  const TableSnapshot before = snapshot();
  ASSERT_EQ(before.files.size(), 10u);

  CompactionResult result;
  const Status s = compact_table(dir_, small_files(), &result);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(result.committed);
  EXPECT_EQ(result.read_version, before.version);
  EXPECT_EQ(result.version, before.version + 1);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(result.files_removed, 8);
  EXPECT_EQ(result.files_added, 2);
  EXPECT_EQ(result.rows, 5 * 22 + 21);
  ASSERT_EQ(result.partitions.size(), 2u);
  EXPECT_EQ(result.partitions[0].values, (std::vector<std::pair<std::string, std::string>>{{"event_date", "2025-11-24"}}));
  EXPECT_EQ(result.partitions[0].files_removed, 5);
  EXPECT_EQ(result.partitions[1].files_removed, 3);

  const TableSnapshot after = snapshot();
  EXPECT_EQ(after.files.size(), 4u);  // 2 new + the big one + the lone one
  EXPECT_TRUE(after.files.contains(big.path));
  EXPECT_TRUE(after.files.contains(alone.path));
  EXPECT_EQ(after.tombstones.size(), 8u);
  for (const std::string& added : result.added_paths) {
    ASSERT_TRUE(after.files.contains(added));
    const AddFile& a = after.files.at(added);
    EXPECT_FALSE(a.data_change);
    EXPECT_TRUE(added.starts_with("event_date=2025-11-2")) << added;
    EXPECT_TRUE(fs::exists(dir_ + "/" + added));
  }
  EXPECT_EQ(read_table(), expected());

  // The commit: OPTIMIZE, removes that change no data and describe the file, adds with stats.
  std::vector<Action> actions;
  ASSERT_TRUE(table_->read_commit(result.version, &actions).ok());
  ASSERT_FALSE(actions.empty());
  const auto* info = std::get_if<CommitInfo>(&actions.front());
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->operation, "OPTIMIZE");
  EXPECT_EQ(info->is_blind_append, false);
  int removes = 0;
  for (const Action& a : actions) {
    if (const auto* r = std::get_if<RemoveFile>(&a)) {
      ++removes;
      EXPECT_FALSE(r->data_change);
      EXPECT_TRUE(r->extended_file_metadata);
      ASSERT_TRUE(r->size.has_value());
      EXPECT_EQ(*r->size, before.files.at(r->path).size);
      EXPECT_EQ(r->partition_values, before.files.at(r->path).partition_values);
      ASSERT_TRUE(r->deletion_timestamp.has_value());
      EXPECT_GT(*r->deletion_timestamp, 1764000000000);
      EXPECT_TRUE(fs::exists(dir_ + "/" + r->path));  // left for vacuum
    }
    if (const auto* add = std::get_if<AddFile>(&a)) {
      const auto stats = nlohmann::json::parse(add->stats);
      for (const char* key : {"numRecords", "minValues", "maxValues", "nullCount"}) EXPECT_TRUE(stats.contains(key));
      EXPECT_EQ(stats["nullCount"].size(), columns().size());
      EXPECT_FALSE(stats["minValues"].contains("late"));
      EXPECT_FALSE(stats["minValues"].contains("reasons"));
    }
  }
  EXPECT_EQ(removes, 8);

  // The stats of the merged 2025-11-25 file are the bounds over its three inputs.
  for (const std::string& added : result.added_paths) {
    if (!added.starts_with("event_date=2025-11-25")) continue;
    const auto stats = nlohmann::json::parse(after.files.at(added).stats);
    EXPECT_EQ(stats["numRecords"], 21);
    EXPECT_EQ(stats["minValues"]["end_to_end_id"], "E000111");
    EXPECT_EQ(stats["maxValues"]["end_to_end_id"], "E000131");
  }
}

TEST_F(DeltaCompactionTest, CompactingACompactedTableIsANoOp) {
  for (int i = 0; i < 4; ++i) append("2025-11-24", rows(10));
  CompactionResult first;
  ASSERT_TRUE(compact_table(dir_, small_files(), &first).ok());
  ASSERT_TRUE(first.committed);
  const uint64_t version = snapshot().version;

  CompactionResult second;
  const Status s = compact_table(dir_, small_files(), &second);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(second.committed);
  EXPECT_EQ(second.files_removed, 0);
  EXPECT_EQ(snapshot().version, version);  // no commit written
  EXPECT_EQ(read_table(), expected());
}

TEST_F(DeltaCompactionTest, SplitsAPartitionIntoFilesOfAboutTheTargetSize) {
  std::vector<int64_t> sizes;
  for (int i = 0; i < 9; ++i) sizes.push_back(append("2025-11-24", rows(40)).size);
  CompactionOptions o = small_files();
  o.target_file_bytes = 3 * sizes[0] + sizes[0] / 2;  // three inputs per output
  o.codec = parquet::Codec::kZstd;
  CompactionResult result;
  const Status s = compact_table(dir_, o, &result);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(result.files_removed, 9);
  EXPECT_EQ(result.files_added, 3);
  for (const std::string& p : result.added_paths) EXPECT_TRUE(p.ends_with(".zstd.parquet")) << p;
  EXPECT_EQ(read_table(), expected());
}

TEST_F(DeltaCompactionTest, AConcurrentBlindAppendIsRetriedAndKept) {
  for (int i = 0; i < 3; ++i) append("2025-11-24", rows(10));
  CompactionOptions o = small_files();
  AddFile appended;
  // A streaming job commits an epoch after the compaction planned and before it commits.
  o.before_commit = [&] { appended = append("2025-11-24", rows(5)); };
  CompactionResult result;
  const Status s = compact_table(dir_, o, &result);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(result.committed);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(result.version, result.read_version + 2);
  const TableSnapshot after = snapshot();
  EXPECT_EQ(after.files.size(), 2u);
  EXPECT_TRUE(after.files.contains(appended.path));
  EXPECT_EQ(read_table(), expected());  // the appended rows too
}

TEST_F(DeltaCompactionTest, LosingToAnotherCompactionFailsAndLeavesNoFiles) {
  for (int i = 0; i < 3; ++i) append("2025-11-24", rows(10));
  CompactionOptions o = small_files();
  CompactionResult other;
  o.before_commit = [&] { ASSERT_TRUE(compact_table(dir_, small_files(), &other).ok()); };
  CompactionResult result;
  const Status s = compact_table(dir_, o, &result);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("conflict"), std::string::npos) << s.message();
  EXPECT_FALSE(result.committed);
  ASSERT_TRUE(other.committed);
  for (const std::string& p : result.added_paths) EXPECT_FALSE(fs::exists(dir_ + "/" + p)) << p;
  EXPECT_EQ(snapshot().files.size(), 1u);
  EXPECT_EQ(read_table(), expected());
}

TEST_F(DeltaCompactionTest, RefusesBadOptions) {
  CompactionOptions o;
  o.target_file_bytes = 0;
  CompactionResult result;
  EXPECT_EQ(compact_table(dir_, o, &result).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(compact_table(dir_ + "/missing", CompactionOptions{}, &result).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace pixguard::delta
