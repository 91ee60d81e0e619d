#include "preauth/decision_journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "core/file_io.h"

namespace pixguard {
namespace {

class DecisionJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("journal_test_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static JournalEntry entry(uint64_t seq) {
    JournalEntry e;
    e.seq = seq;
    e.message = "{\"end_to_end_id\":\"E" + std::to_string(seq) + "\"}";
    e.status = seq % 3 == 0 ? 400 : 200;
    e.answer = "{\"decision\":\"allow\",\"features\":{}}";
    e.features_at = 20;
    if (e.status == 200) {
      e.end_to_end_id = "E" + std::to_string(seq);
      e.decided = true;
      e.prior.decision.outcome = Outcome::kReview;
      e.prior.decision.score = 0.25 * static_cast<double>(seq);
      e.prior.decision.fired = seq;
      e.prior.decision.by_threshold = true;
      e.prior.model_version = "m" + std::to_string(seq);
    }
    return e;
  }

  // Appends entries first..last in one batch and waits until they are durable.
  static void write(DecisionJournal* j, uint64_t first, uint64_t last) {
    std::string bytes;
    for (uint64_t s = first; s <= last; ++s) ASSERT_TRUE(j->encode(entry(s), &bytes).ok());
    std::promise<Status> written;
    j->append(std::move(bytes), last, [&](const Status& s) { written.set_value(s); });
    ASSERT_TRUE(written.get_future().get().ok());
    ASSERT_TRUE(j->wait_durable(last).ok());
  }

  std::vector<JournalEntry> read_all(const MessageCipher* cipher = nullptr) {
    std::unique_ptr<DecisionJournal> j;
    EXPECT_TRUE(DecisionJournal::open(dir_.string(), cipher, DecisionJournal::Durability::kWrite, &j).ok());
    std::vector<JournalEntry> out;
    EXPECT_TRUE(j->read_from(1, [&](JournalEntry&& e) { out.push_back(std::move(e)); }).ok());
    return out;
  }

  std::filesystem::path segment() const {
    for (const auto& e : std::filesystem::directory_iterator(dir_)) return e.path();
    return {};
  }

  std::filesystem::path dir_;
};

TEST_F(DecisionJournalTest, EntriesComeBackAsWritten) {
  {
    std::unique_ptr<DecisionJournal> j;
    ASSERT_TRUE(DecisionJournal::open(dir_.string(), nullptr, DecisionJournal::Durability::kFsync, &j).ok());
    write(j.get(), 1, 4);
    write(j.get(), 5, 6);
  }
  const std::vector<JournalEntry> got = read_all();
  ASSERT_EQ(got.size(), 6u);
  for (uint64_t s = 1; s <= 6; ++s) {
    const JournalEntry want = entry(s);
    const JournalEntry& e = got[s - 1];
    EXPECT_EQ(e.seq, s);
    EXPECT_EQ(e.message, want.message);
    EXPECT_EQ(e.status, want.status);
    EXPECT_EQ(e.answer, want.answer);
    EXPECT_EQ(e.features_at, want.features_at);
    EXPECT_EQ(e.end_to_end_id, want.end_to_end_id);
    EXPECT_EQ(e.decided, want.decided);
    EXPECT_EQ(e.prior.decision.outcome, want.prior.decision.outcome);
    EXPECT_EQ(e.prior.decision.score, want.prior.decision.score);
    EXPECT_EQ(e.prior.decision.fired, want.prior.decision.fired);
    EXPECT_EQ(e.prior.decision.by_threshold, want.prior.decision.by_threshold);
    EXPECT_EQ(e.prior.model_version, want.prior.model_version);
  }
  std::unique_ptr<DecisionJournal> j;
  ASSERT_TRUE(DecisionJournal::open(dir_.string(), nullptr, DecisionJournal::Durability::kWrite, &j).ok());
  EXPECT_EQ(j->last_seq(), 6u);
  std::vector<uint64_t> from4;
  ASSERT_TRUE(j->read_from(4, [&](JournalEntry&& e) { from4.push_back(e.seq); }).ok());
  EXPECT_EQ(from4, (std::vector<uint64_t>{4, 5, 6}));
}

TEST_F(DecisionJournalTest, TornLastEntryIsCutOffAndNumberingGoesOn) {
  {
    std::unique_ptr<DecisionJournal> j;
    ASSERT_TRUE(DecisionJournal::open(dir_.string(), nullptr, DecisionJournal::Durability::kWrite, &j).ok());
    write(j.get(), 1, 3);
  }
  const auto path = segment();
  const auto whole = std::filesystem::file_size(path);
  // Half of a fourth entry, as a process killed inside write() would leave it.
  std::string bytes;
  std::unique_ptr<DecisionJournal> probe;
  ASSERT_TRUE(DecisionJournal::open((dir_ / "probe").string(), nullptr, DecisionJournal::Durability::kWrite, &probe).ok());
  ASSERT_TRUE(probe->encode(entry(4), &bytes).ok());
  probe.reset();
  std::filesystem::remove_all(dir_ / "probe");
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << bytes.substr(0, bytes.size() / 2);
  }
  std::unique_ptr<DecisionJournal> j;
  ASSERT_TRUE(DecisionJournal::open(dir_.string(), nullptr, DecisionJournal::Durability::kWrite, &j).ok());
  EXPECT_EQ(j->last_seq(), 3u);
  EXPECT_EQ(std::filesystem::file_size(path), whole);
  write(j.get(), 4, 4);
  j.reset();
  EXPECT_EQ(read_all().size(), 4u);
}

TEST_F(DecisionJournalTest, DamagedEntryBeforeTheEndIsAnError) {
  {
    std::unique_ptr<DecisionJournal> j;
    ASSERT_TRUE(DecisionJournal::open(dir_.string(), nullptr, DecisionJournal::Durability::kWrite, &j).ok());
    write(j.get(), 1, 3);
  }
  // A flipped byte inside the first entry: damage, not a torn write; answered requests
  // follow it, so the journal is refused rather than cut short.
  std::string data;
  ASSERT_TRUE(read_whole_file(segment().string(), &data).ok());
  data[20] ^= 0x40;
  {
    std::ofstream out(segment(), std::ios::binary | std::ios::trunc);
    out << data;
  }
  std::unique_ptr<DecisionJournal> j;
  const Status s = DecisionJournal::open(dir_.string(), nullptr, DecisionJournal::Durability::kWrite, &j);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("damaged entry at byte 0"), std::string::npos) << s.message();
  EXPECT_EQ(std::filesystem::file_size(segment()), data.size());  // nothing cut
}

TEST_F(DecisionJournalTest, RequestsAreSealedUnderTheKey) {
  std::array<unsigned char, 32> key{};
  key[0] = 7;
  const MessageCipher cipher(key);
  {
    std::unique_ptr<DecisionJournal> j;
    ASSERT_TRUE(DecisionJournal::open(dir_.string(), &cipher, DecisionJournal::Durability::kWrite, &j).ok());
    write(j.get(), 1, 2);
  }
  std::string data;
  ASSERT_TRUE(read_whole_file(segment().string(), &data).ok());
  EXPECT_EQ(data.find("end_to_end_id"), std::string::npos);  // the request is not in clear
  const std::vector<JournalEntry> got = read_all(&cipher);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].message, entry(2).message);
  // Without the key the journal is refused, not read as garbage.
  std::unique_ptr<DecisionJournal> j;
  ASSERT_TRUE(DecisionJournal::open(dir_.string(), nullptr, DecisionJournal::Durability::kWrite, &j).ok());
  const Status s = j->read_from(1, [](JournalEntry&&) {});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("privacy key"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace pixguard
