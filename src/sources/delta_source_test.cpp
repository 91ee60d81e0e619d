#include "sources/delta_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/time_zone.h"
#include "core/money.h"
#include "core/timestamp.h"
#include "decode/decoder.h"
#include "delta/delta_log.h"
#include "delta/delta_path.h"
#include "delta/delta_schema.h"
#include "parquet/parquet_writer.h"
#include "sinks/decision_table.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;

// One decisions-table row, as the Delta sink would write it (only what replay reads varies).
struct Row {
  std::string id;
  int64_t time_us;
  int64_t cents;
  std::string description;  // "" -> null
  int label;                // -1 -> null
  std::string ip;           // "" -> null
};

std::vector<FeatureSpec> features() {
  FeatureSpec a, b;
  a.name = "payer.count_5m";
  b.name = "payee.sum_24h";
  return {a, b};
}

int64_t at(const char* rfc3339) {
  int64_t us = 0;
  EXPECT_EQ(parse_timestamp(rfc3339, TimestampFormat::kRfc3339, TimeZone(), &us), TimestampError::kOk) << rfc3339;
  return us;
}

class DeltaSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "delta_source_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/decisions";
  }
  void TearDown() override { fs::remove_all(root_); }

  void create_table() {
    delta::Metadata m;
    m.name = "decisions";
    ASSERT_TRUE(delta::build_schema_string(decision_table_fields(features()), &m.schema_string).ok());
    m.partition_columns = {kEventDateColumn};
    std::unique_ptr<delta::DeltaTable> t;
    const Status s = delta::DeltaTable::create(dir_, delta::Protocol{}, m, &t);
    ASSERT_TRUE(s.ok()) << s.message();
    table_ = std::move(t);
  }

  // Writes `rows` (in this, arrival, order) as one data file of partition `date` and commits it.
  void add_file(const std::string& date, const std::string& name, const std::vector<Row>& rows,
                std::vector<parquet::ColumnSchema> columns = decision_columns(features())) {
    const std::string relative = "event_date=" + date + "/" + name;
    fs::create_directories(dir_ + "/event_date=" + date);
    std::unique_ptr<parquet::ParquetWriter> w;
    ASSERT_TRUE(parquet::ParquetWriter::create(dir_ + "/" + relative, columns, {}, &w).ok());
    for (const Row& r : rows) {
      for (const parquet::ColumnSchema& c : columns) {
        const std::string& n = c.name;
        if (n == "end_to_end_id") w->add_string(r.id);
        else if (n == "event_time") w->add_int64(r.time_us);
        else if (n == "amount") w->add_int64(r.cents);
        else if (n == "payer_account") w->add_string("393246");
        else if (n == "payer_ispb") w->add_string("65410049");
        else if (n == "payer_document") w->add_string("07778080800");
        else if (n == "payee_key") w->add_string("user697@example.com.br");
        else if (n == "payee_key_type") w->add_string("EMAIL");
        else if (n == "payee_account") w->add_string("012997");
        else if (n == "payee_ispb") w->add_string("44513060");
        else if (n == "payee_document") w->add_string("06330086729");
        else if (n == "initiation") w->add_string("MANU");
        else if (n == "channel") w->add_string("APP");
        else if (n == "device_id") w->add_string("dev-1645");
        else if (n == "ip") r.ip.empty() ? w->add_null() : w->add_string(r.ip);
        else if (n == "description") r.description.empty() ? w->add_null() : w->add_string(r.description);
        else if (n == "label") r.label < 0 ? w->add_null() : w->add_int32(r.label);
        else if (n == "decision") w->add_string("allow");
        else if (n == "reasons") w->add_string("[]");
        else if (n == "model_version") w->add_string("m1");
        else if (n == "late") w->add_bool(false);
        else if (n == "decided_by") w->add_string("stream");
        else w->add_double(1.5);  // features and score
      }
      ASSERT_TRUE(w->end_row().ok());
    }
    parquet::FileSummary summary;
    ASSERT_TRUE(w->finish(&summary).ok());
    delta::AddFile add;
    add.path = delta::encode_path(relative);
    add.partition_values = {{kEventDateColumn, date}};
    add.size = static_cast<int64_t>(fs::file_size(dir_ + "/" + relative));
    add.modification_time = 1764000000000;
    delta::TableSnapshot snap;
    ASSERT_TRUE(table_->snapshot(&snap).ok());
    delta::CommitResult result;
    const Status s = table_->commit(snap.version, {add}, &result);
    ASSERT_TRUE(s.ok()) << s.message();
    for (const Row& r : rows) rows_.push_back(r);
  }

  // Three files: two of 2025-11-24 whose rows interleave in time (and tie), one of 2025-11-25;
  // each in arrival order, not time order.
  void standard_table() {
    create_table();
    add_file("2025-11-24", "part-b.snappy.parquet",
             {{"E0000000020251124120000000000003", at("2025-11-24T12:00:03Z"), 300, "aluguel", 0, ""},
              {"E0000000020251124120000000000001", at("2025-11-24T12:00:01.000250Z"), 100, "", -1, "10.0.0.1"},
              {"E0000000020251124120000000000005", at("2025-11-24T12:00:05Z"), 500,
               "mercado \"central\"\nlinha 2 \xC3\xA7", 1, ""}});
    add_file("2025-11-24", "part-a.snappy.parquet",
             {{"E0000000020251124120000000000004", at("2025-11-24T12:00:04Z"), 400, "", 0, ""},
              {"E0000000020251124120000000000002", at("2025-11-24T12:00:02Z"), 123456789, "", 0, ""},
              {"E0000000020251124120000000000000", at("2025-11-24T12:00:05Z"), 1, "", 0, ""}});  // ties ...05 by time
    add_file("2025-11-25", "part-c.snappy.parquet",
             {{"E0000000020251125000000000000007", at("2025-11-25T03:00:00Z"), 700, "", 1, ""},
              {"E0000000020251125000000000000006", at("2025-11-24T23:59:59.999Z"), 600, "", 0, ""}});
  }

  std::unique_ptr<DeltaSource> open() {
    std::unique_ptr<DeltaSource> s;
    const Status st = DeltaSource::open(dir_, &s);
    EXPECT_TRUE(st.ok()) << st.message();
    return s;
  }

  static std::vector<std::string> read_all(DeltaSource* s, std::size_t batch_size = 1000) {
    std::vector<std::string> out;
    bool end = false;
    while (!end) {
      RecordBatch batch;
      const Status st = s->read(&batch, batch_size, &end);
      EXPECT_TRUE(st.ok()) << st.message();
      if (!st.ok()) break;
      for (std::size_t i = 0; i < batch.size(); ++i) out.emplace_back(batch.message(i));
    }
    return out;
  }

  std::string root_, dir_;
  std::unique_ptr<delta::DeltaTable> table_;
  std::vector<Row> rows_;
};

TEST_F(DeltaSourceTest, MessagesComeInEventTimeOrderAcrossFiles) {
  standard_table();
  auto s = open();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name(), "delta:" + dir_);
  EXPECT_EQ(s->version(), 3u);
  EXPECT_EQ(s->total_rows(), 8);
  const std::vector<std::string> messages = read_all(s.get(), 3);
  ASSERT_EQ(messages.size(), 8u);

  std::vector<Row> expected = rows_;
  std::sort(expected.begin(), expected.end(),
            [](const Row& a, const Row& b) { return a.time_us != b.time_us ? a.time_us < b.time_us : a.id < b.id; });
  auto decoder = make_json_decoder(FieldMapping::identity());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    SCOPED_TRACE(messages[i]);
    const Row& r = expected[i];
    std::string padded = messages[i] + std::string(kMessagePadding, ' ');
    TextArena arena;
    arena.reset(padded.size());
    FieldValues v;
    Rejection why;
    ASSERT_TRUE(decoder->decode(std::string_view(padded.data(), messages[i].size()), &arena, &v, &why)) << why.rule;
    EXPECT_EQ(v[Field::kEndToEndId].text, r.id);
    int64_t us = 0;
    ASSERT_EQ(parse_timestamp(v[Field::kEventTime].text, TimestampFormat::kRfc3339, TimeZone(), &us),
              TimestampError::kOk);
    EXPECT_EQ(us, r.time_us);
    EXPECT_EQ(v[Field::kEventTime].text.back(), 'Z');
    int64_t cents = 0;
    EXPECT_EQ(v[Field::kAmount].kind, ValueKind::kString);
    ASSERT_EQ(parse_amount_cents(v[Field::kAmount].text, &cents), AmountError::kOk);
    EXPECT_EQ(cents, r.cents);
    EXPECT_EQ(v[Field::kPayerAccount].text, "393246");
    EXPECT_EQ(v[Field::kPayerIspb].text, "65410049");
    EXPECT_EQ(v[Field::kPayerDocument].text, "07778080800");
    EXPECT_EQ(v[Field::kPayeeKey].text, "user697@example.com.br");
    EXPECT_EQ(v[Field::kPayeeKeyType].text, "EMAIL");
    EXPECT_EQ(v[Field::kPayeeAccount].text, "012997");
    EXPECT_EQ(v[Field::kPayeeIspb].text, "44513060");
    EXPECT_EQ(v[Field::kPayeeDocument].text, "06330086729");
    EXPECT_EQ(v[Field::kInitiation].text, "MANU");
    EXPECT_EQ(v[Field::kChannel].text, "APP");
    EXPECT_EQ(v[Field::kDeviceId].text, "dev-1645");
    if (r.ip.empty()) {
      EXPECT_EQ(v[Field::kIp].kind, ValueKind::kAbsent);
    } else {
      EXPECT_EQ(v[Field::kIp].text, r.ip);
    }
    if (r.description.empty()) {
      EXPECT_EQ(v[Field::kDescription].kind, ValueKind::kAbsent);
    } else {
      EXPECT_EQ(v[Field::kDescription].text, r.description);
    }
    if (r.label < 0) {
      EXPECT_EQ(v[Field::kLabel].kind, ValueKind::kAbsent);
    } else {
      EXPECT_EQ(v[Field::kLabel].kind, ValueKind::kNumber);
      EXPECT_EQ(v[Field::kLabel].text, std::to_string(r.label));
    }
  }
  // Exact text of the two formats that matter most.
  EXPECT_NE(messages[0].find(R"("event_time":"2025-11-24T12:00:01.000250Z","amount":"1.00")"), std::string::npos);
  EXPECT_NE(messages[1].find(R"("amount":"1234567.89")"), std::string::npos);
}

TEST_F(DeltaSourceTest, SeekToAnyPositionResumesExactly) {
  standard_table();
  auto whole = open();
  const std::vector<std::string> all = read_all(whole.get());
  EXPECT_EQ(whole->position(), "3:8");
  ASSERT_EQ(all.size(), 8u);

  auto reader = open();
  std::vector<std::string> positions;
  positions.push_back(reader->position());
  bool end = false;
  while (!end) {
    RecordBatch batch;
    ASSERT_TRUE(reader->read(&batch, 1, &end).ok());
    if (batch.size() == 1) positions.push_back(reader->position());
  }
  ASSERT_EQ(positions.size(), 9u);
  for (std::size_t k = 0; k < positions.size(); ++k) {
    SCOPED_TRACE(positions[k]);
    auto s = open();
    ASSERT_TRUE(s->seek(positions[k]).ok());
    EXPECT_EQ(s->position(), positions[k]);
    const std::vector<std::string> rest = read_all(s.get(), 2);
    EXPECT_EQ(rest, std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(k), all.end()));
  }
  // A source that has read everything seeks back too.
  ASSERT_TRUE(whole->seek(positions[2]).ok());
  EXPECT_EQ(read_all(whole.get()), std::vector<std::string>(all.begin() + 2, all.end()));
}

TEST_F(DeltaSourceTest, RefusesPositionsOfOtherVersionsAndBadTokens) {
  standard_table();
  auto s = open();
  EXPECT_EQ(s->seek("2:1").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->seek("3:9").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->seek("3").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->seek("x:1").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s->seek("3:0").ok());
}

TEST_F(DeltaSourceTest, AnEmptyTableEndsAtOnce) {
  create_table();
  auto s = open();
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(read_all(s.get()).empty());
  EXPECT_EQ(s->position(), "0:0");
}

TEST_F(DeltaSourceTest, AMissingColumnIsNamed) {
  create_table();
  std::vector<parquet::ColumnSchema> columns;
  for (const parquet::ColumnSchema& c : decision_columns(features())) {
    if (c.name != "payee_key_type") columns.push_back(c);
  }
  add_file("2025-11-24", "other-tool.parquet", {{"E1", at("2025-11-24T12:00:00Z"), 1, "", 0, ""}}, columns);
  std::unique_ptr<DeltaSource> s;
  const Status st = DeltaSource::open(dir_, &s);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'payee_key_type'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("other-tool.parquet"), std::string::npos) << st.message();
}

TEST_F(DeltaSourceTest, AColumnOfTheWrongTypeIsNamed) {
  create_table();
  std::vector<parquet::ColumnSchema> columns = decision_columns(features());
  for (parquet::ColumnSchema& c : columns) {
    if (c.name == "amount") {
      c.physical = parquet::PhysicalType::kDouble;
      c.logical = parquet::LogicalKind::kNone;
    }
  }
  std::unique_ptr<parquet::ParquetWriter> unused;
  fs::create_directories(dir_ + "/event_date=2025-11-24");
  ASSERT_TRUE(parquet::ParquetWriter::create(dir_ + "/event_date=2025-11-24/x.parquet", columns, {}, &unused).ok());
  ASSERT_TRUE(unused->finish(nullptr).ok());
  delta::AddFile add;
  add.path = "event_date=2025-11-24/x.parquet";
  add.partition_values = {{kEventDateColumn, "2025-11-24"}};
  add.size = 1;
  delta::CommitResult result;
  ASSERT_TRUE(table_->commit(0, {add}, &result).ok());
  std::unique_ptr<DeltaSource> s;
  const Status st = DeltaSource::open(dir_, &s);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("column 'amount'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("DECIMAL"), std::string::npos) << st.message();
}

TEST_F(DeltaSourceTest, AnUnreadableFileGivesItsStatusWithItsPath) {
  standard_table();
  const std::string victim = dir_ + "/event_date=2025-11-25/part-c.snappy.parquet";
  fs::resize_file(victim, fs::file_size(victim) - 5);  // the footer is gone
  std::unique_ptr<DeltaSource> s;
  const Status st = DeltaSource::open(dir_, &s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(victim), std::string::npos) << st.message();

  fs::remove(victim);
  const Status missing = DeltaSource::open(dir_, &s);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find(victim), std::string::npos) << missing.message();
}

TEST_F(DeltaSourceTest, NotATable) {
  std::unique_ptr<DeltaSource> s;
  fs::create_directories(dir_);
  const Status st = DeltaSource::open(dir_, &s);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find(dir_), std::string::npos) << st.message();
}

}  // namespace
}  // namespace pixguard
