#include "lists/list_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace pixguard {
namespace {

namespace fs = std::filesystem;

class ListStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("pixguard_lists_" + std::string(
        ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "lists.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<ListStore> open() {
    std::unique_ptr<ListStore> s;
    const Status st = ListStore::open({{"blocked_keys", Field::kPayeeKey}, {"trusted_payers", Field::kPayerDocument}},
                                      path_, &s);
    EXPECT_TRUE(st.ok()) << st.message();
    return s;
  }
  std::vector<nlohmann::json> journal() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  fs::path dir_;
  std::string path_;
};

Transaction tx(std::string_view key, int64_t event_time_us) {
  Transaction t;
  t.payee_key = key;
  t.event_time_us = event_time_us;
  return t;
}

constexpr int64_t kDay = 86'400'000'000;

TEST_F(ListStoreTest, ChangesApplyAreJournaledAndSurviveAReopen) {
  auto store = open();
  ASSERT_TRUE(store->add("blocked_keys", "mule@example.com", "MED 123", "ana", 20 * kDay).ok());
  auto snap = store->snapshot();
  EXPECT_TRUE(snap->contains(0, tx("mule@example.com", 10 * kDay)));
  EXPECT_FALSE(snap->contains(0, tx("mule@example.com", 20 * kDay))) << "expired at its expires_at";
  EXPECT_FALSE(snap->contains(0, tx("other@example.com", 10 * kDay)));
  EXPECT_FALSE(snap->contains(0, tx("", 10 * kDay)));
  // Replacing an entry journals what it was.
  ASSERT_TRUE(store->add("blocked_keys", "mule@example.com", "MED 124", "bia", INT64_MAX).ok());
  ASSERT_TRUE(store->remove("blocked_keys", "mule@example.com", "caio").ok());
  EXPECT_FALSE(store->snapshot()->contains(0, tx("mule@example.com", 10 * kDay)));
  EXPECT_TRUE(snap->contains(0, tx("mule@example.com", 10 * kDay))) << "a snapshot does not change";
  EXPECT_EQ(store->remove("blocked_keys", "mule@example.com", "caio").code(), StatusCode::kNotFound);
  EXPECT_EQ(store->add("no_such_list", "x", "", "ana", INT64_MAX).code(), StatusCode::kNotFound);
  EXPECT_EQ(store->add("blocked_keys", "x", "", "", INT64_MAX).code(), StatusCode::kInvalidArgument);

  const auto lines = journal();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["op"], "add");
  EXPECT_EQ(lines[0]["author"], "ana");
  EXPECT_TRUE(lines[0]["before"].is_null());
  EXPECT_EQ(lines[0]["after"]["reason"], "MED 123");
  EXPECT_EQ(lines[0]["expires_at"], "1970-01-21T00:00:00.000Z");
  EXPECT_EQ(lines[1]["before"]["reason"], "MED 123");
  EXPECT_EQ(lines[1]["after"]["author"], "bia");
  EXPECT_EQ(lines[2]["op"], "remove");
  EXPECT_EQ(lines[2]["before"]["reason"], "MED 124");
  EXPECT_TRUE(lines[2]["after"].is_null());

  ASSERT_TRUE(store->add("trusted_payers", "12345678909", "", "ana", INT64_MAX).ok());
  auto reopened = open();
  Transaction payer;
  payer.payer.document = "12345678909";
  EXPECT_TRUE(reopened->snapshot()->contains(1, payer));
  EXPECT_FALSE(reopened->snapshot()->contains(0, tx("mule@example.com", 10 * kDay)));
}

// Lines appended by another tool apply at the next refresh; a line that cannot be read is
// named and skipped, the others apply.
TEST_F(ListStoreTest, LinesAppendedByOthersApplyAtRefresh) {
  auto store = open();
  {
    std::ofstream out(path_, std::ios::app);
    out << R"({"at":"2026-12-03T10:00:00Z","author":"ops","list":"blocked_keys","op":"add","value":"a@x.com"})" << "\n";
    out << R"({"at":"2026-12-03T10:00:01Z","author":"ops","list":"nope","op":"add","value":"b@x.com"})" << "\n";
    out << R"({"at":"yesterday","author":"ops","list":"blocked_keys","op":"add","value":"c@x.com"})" << "\n";
    out << R"({"at":"2026-12-03T10:00:02Z","author":"ops","list":"blocked_keys","op":"add","value":"d@x.com"})";
  }
  const Status s = store->refresh();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(":2: list: 'nope' is not a configured list"), std::string::npos) << s.message();
  auto snap = store->snapshot();
  EXPECT_TRUE(snap->contains(0, tx("a@x.com", 0)));
  EXPECT_FALSE(snap->contains(0, tx("c@x.com", 0)));
  EXPECT_FALSE(snap->contains(0, tx("d@x.com", 0))) << "a line without its newline is not complete yet";
  { std::ofstream(path_, std::ios::app) << "\n"; }
  EXPECT_TRUE(store->refresh().ok());
  EXPECT_TRUE(store->snapshot()->contains(0, tx("d@x.com", 0)));
  std::string entries;
  ASSERT_TRUE(store->entries_json("blocked_keys", &entries).ok());
  EXPECT_EQ(nlohmann::json::parse(entries).size(), 2u);

  // A journal cut short is said once; the lists keep what was applied, new lines apply.
  fs::resize_file(path_, 10);
  EXPECT_EQ(store->refresh().code(), StatusCode::kCorruption);
  EXPECT_TRUE(store->refresh().ok());
  EXPECT_TRUE(store->snapshot()->contains(0, tx("a@x.com", 0)));
  { std::ofstream(path_, std::ios::app) << "\n" << R"({"at":"2026-12-03T11:00:00Z","author":"ops","list":"blocked_keys","op":"remove","value":"a@x.com"})" << "\n"; }
  EXPECT_TRUE(store->refresh().ok());
  EXPECT_FALSE(store->snapshot()->contains(0, tx("a@x.com", 0)));
}

}  // namespace
}  // namespace pixguard
