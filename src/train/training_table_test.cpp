#include "train/training_table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/timestamp.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;

class TrainingTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / "pixguard_training_table_test" / info->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& text) {
    const std::string path = (dir_ / "t.csv").string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  Status read(const std::string& text, const std::vector<std::string>& features, TrainingTable* out,
              TimeWindow window = {}) {
    path_ = write(text);
    TrainingTableOptions options;
    options.feature_names = features;
    options.window = window;
    return read_training_table(path_, options, out);
  }

  fs::path dir_;
  std::string path_;
};

constexpr char kHeader[] =
    "end_to_end_id,event_time,payer_account,payee_account,payee_key,amount,payer.count_5m,tx.amount,score,"
    "decision,label\n";

int64_t at(const char* rfc3339) {
  int64_t t = 0;
  EXPECT_EQ(parse_timestamp(rfc3339, TimestampFormat::kRfc3339, TimeZone(), &t), TimestampError::kOk);
  return t;
}

TEST_F(TrainingTableTest, SelectsFeatureColumnsByNameInTheRequestedOrder) {
  TrainingTable t;
  ASSERT_TRUE(read(std::string(kHeader) +
                       "E1,2025-11-24T03:00:13.000Z,111,222,k@x.com,114.02,1,114.02,0,allow,0\n"
                       "E2,2025-11-24T03:01:05.000Z,333,222,k@x.com,92.76,,92.76,0.5,review,1\n"
                       "E3,2025-11-24T03:02:00.000Z,111,444,k@x.com,1.5,3,1.5,0,allow,0\n",
                   {"tx.amount", "payer.count_5m"}, &t)
                  .ok());
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.columns(), 2u);
  EXPECT_EQ(t.feature_names, (std::vector<std::string>{"tx.amount", "payer.count_5m"}));
  EXPECT_EQ(t.row(0)[0], static_cast<float>(114.02));  // double, then narrowed like the scorer
  EXPECT_EQ(t.row(0)[1], 1.0f);
  EXPECT_TRUE(std::isnan(t.row(1)[1]));  // empty cell = missing
  EXPECT_EQ(t.labels, (std::vector<float>{0, 1, 0}));
  EXPECT_EQ(t.frauds(), 1u);
  EXPECT_EQ(t.event_time_us[0], at("2025-11-24T03:00:13Z"));
  // Accounts become dense ids in order of first appearance.
  EXPECT_EQ(t.payer, (std::vector<uint32_t>{0, 1, 0}));
  EXPECT_EQ(t.payer_accounts, (std::vector<std::string>{"111", "333"}));
}

TEST_F(TrainingTableTest, QuotedCellsCrlfAndBlankLastLine) {
  TrainingTable t;
  ASSERT_TRUE(read(std::string(kHeader) +
                       "E1,2025-11-24T03:00:13.000Z,\"1,1\",222,\"a \"\"b\"\"\nc\",1,2,3,0,allow,1\r\n"
                       "\n",
                   {"payer.count_5m"}, &t)
                  .ok());
  ASSERT_EQ(t.rows(), 1u);
  EXPECT_EQ(t.payer_accounts[0], "1,1");
  EXPECT_EQ(t.row(0)[0], 2.0f);
  EXPECT_EQ(t.labels[0], 1.0f);
}

TEST_F(TrainingTableTest, WindowAndUnlabelledRowsAreLeftOutAndCounted) {
  TrainingTable t;
  TimeWindow window{at("2025-11-24T03:01:00Z"), at("2025-11-24T03:02:00Z")};
  ASSERT_TRUE(read(std::string(kHeader) +
                       "E1,2025-11-24T03:00:59.999Z,111,222,k,1,1,1,0,allow,0\n"
                       "E2,2025-11-24T03:01:00.000Z,111,222,k,1,1,1,0,allow,1\n"
                       "E3,2025-11-24T03:01:30.000Z,111,222,k,1,1,1,0,allow,\n"
                       "E4,2025-11-24T03:02:00.000Z,111,222,k,1,1,1,0,allow,0\n",
                   {"tx.amount"}, &t, window)
                  .ok());
  EXPECT_EQ(t.rows_read, 4u);
  EXPECT_EQ(t.rows(), 1u);  // [from, to): E2 only
  EXPECT_EQ(t.rows_outside_window, 2u);
  EXPECT_EQ(t.rows_unlabelled, 1u);
}

TEST_F(TrainingTableTest, ErrorsNameFileLineAndColumn) {
  TrainingTable t;
  Status s = read(std::string(kHeader), {"payer.count_24h"}, &t);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(":1: no column 'payer.count_24h'"), std::string::npos) << s.message();

  s = read(std::string(kHeader) + "E1,2025-11-24T03:00:13.000Z,111,222,k,1,1,1,0,allow,0\n"
                                  "E2,2025-11-24T03:00:14.000Z,111,222,k,1,abc,1,0,allow,0\n",
           {"payer.count_5m"}, &t);
  EXPECT_NE(s.message().find("t.csv:3: column 'payer.count_5m' (7): expected a number"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("'abc'"), std::string::npos);

  s = read(std::string(kHeader) + "E1,2025-11-24T03:00:13.000Z,111,222,k,1,1,1,0,allow,yes\n", {"tx.amount"}, &t);
  EXPECT_NE(s.message().find(":2: column 'label' (11): expected 0, 1 or empty"), std::string::npos) << s.message();

  s = read(std::string(kHeader) + "E1,yesterday,111,222,k,1,1,1,0,allow,0\n", {"tx.amount"}, &t);
  EXPECT_NE(s.message().find(":2: column 'event_time' (2)"), std::string::npos) << s.message();

  s = read(std::string(kHeader) + "E1,2025-11-24T03:00:13.000Z,111\n", {"tx.amount"}, &t);
  EXPECT_NE(s.message().find(":2: 3 cells, the header has 11"), std::string::npos) << s.message();

  s = read(std::string(kHeader) + "E1,2025-11-24T03:00:13.000Z,\"111,222,k,1,1,1,0,allow,0\n", {"tx.amount"}, &t);
  EXPECT_NE(s.message().find(":2: a quoted cell is never closed"), std::string::npos) << s.message();

  s = read("", {"tx.amount"}, &t);
  EXPECT_NE(s.message().find("empty file"), std::string::npos) << s.message();

  s = read("event_time,payer_account,label,x,x\n", {"x"}, &t);
  EXPECT_NE(s.message().find("column 'x' appears twice"), std::string::npos) << s.message();

  TrainingTableOptions options;
  s = read_training_table((dir_ / "missing.csv").string(), options, &t);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("missing.csv"), std::string::npos);
}

TEST(ParseTimeBound, DatesAreLocalMidnightAndRfc3339KeepsItsOffset) {
  TimeZone sao_paulo;
  ASSERT_TRUE(TimeZone::load("America/Sao_Paulo", &sao_paulo).ok());
  int64_t t = 0;
  ASSERT_TRUE(parse_time_bound("2025-11-27", sao_paulo, "--to", &t).ok());
  EXPECT_EQ(t, at("2025-11-27T03:00:00Z"));
  ASSERT_TRUE(parse_time_bound("2025-11-27T12:00:00-03:00", sao_paulo, "--to", &t).ok());
  EXPECT_EQ(t, at("2025-11-27T15:00:00Z"));
  ASSERT_TRUE(parse_time_bound("2025-11-27", TimeZone(), "--from", &t).ok());
  EXPECT_EQ(t, at("2025-11-27T00:00:00Z"));

  Status s = parse_time_bound("2025-02-30", sao_paulo, "--from", &t);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--from: no such date '2025-02-30'"), std::string::npos) << s.message();
  s = parse_time_bound("2025-11-27 12:00", sao_paulo, "--to", &t);
  EXPECT_NE(s.message().find("--to: expected a date YYYY-MM-DD or an RFC 3339 time"), std::string::npos)
      << s.message();
  s = parse_time_bound("2025-1x-27", sao_paulo, "--to", &t);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pixguard
