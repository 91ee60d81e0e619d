#include "delta/delta_vacuum.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace pixguard::delta {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = 24 * 3600 * 1000LL;
constexpr int64_t kNow = 1764000000000;  // 2025-11-24
constexpr int64_t kRetention = 7 * kDay;

class DeltaVacuumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "delta_vacuum_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A file `rel` under the table whose mtime is `age_ms` before kNow.
  void file(const std::string& rel, int64_t age_ms) {
    const fs::path p = fs::path(dir_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "x";
    const int64_t t = kNow - age_ms;
    const timespec times[2] = {{t / 1000, (t % 1000) * 1000000}, {t / 1000, (t % 1000) * 1000000}};
    ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
  }
  void active(const std::string& logged) { snap_.files[logged] = AddFile{logged, {}, 1, 0, true, "", {}}; }
  void tombstone(const std::string& logged, std::optional<int64_t> age_ms) {
    RemoveFile r;
    r.path = logged;
    if (age_ms) r.deletion_timestamp = kNow - *age_ms;
    snap_.tombstones[logged] = r;
  }
  std::vector<std::string> plan(int64_t retention = kRetention) {
    std::vector<std::string> out;
    const Status s = plan_vacuum(dir_, snap_, retention, kNow, &out);
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }

  std::string dir_;
  TableSnapshot snap_;
};

TEST_F(DeltaVacuumTest, KeepsReferencedFilesAndRespectsRetention) {
  // Active files are kept however old; the one with a space is logged URI-encoded.
  file("event_date=2025-01-01/active.parquet", 300 * kDay);
  active("event_date=2025-01-01/active.parquet");
  file("kind=a b/active.parquet", 300 * kDay);
  active("kind=a%20b/active.parquet");
  // Removed 10 days ago (the file itself is older): goes, with its checksum side file.
  file("event_date=2025-11-01/removed-old.parquet", 20 * kDay);
  file("event_date=2025-11-01/.removed-old.parquet.crc", 20 * kDay);
  tombstone("event_date=2025-11-01/removed-old.parquet", 10 * kDay);
  // Removed yesterday, although written long ago: a reader of an old snapshot may need it.
  file("event_date=2025-11-02/removed-recently.parquet", 30 * kDay);
  file("event_date=2025-11-02/.removed-recently.parquet.crc", 30 * kDay);
  tombstone("event_date=2025-11-02/removed-recently.parquet", 1 * kDay);
  // A tombstone without a time falls back to the file's mtime.
  file("untimed.parquet", 8 * kDay);
  tombstone("untimed.parquet", std::nullopt);
  // Never referenced: an old orphan of a failed commit goes, an in-flight write stays.
  file("event_date=2025-11-20/orphan.parquet", 8 * kDay);
  file("event_date=2025-11-24/in-flight.parquet", 1000);
  // The log, underscore directories and hidden files are never touched.
  file("_delta_log/00000000000000000000.json", 400 * kDay);
  file("_delta_log/.00000000000000000000.json.crc", 400 * kDay);
  file("_change_data/cdc-1.parquet", 400 * kDay);
  file(".hidden/x.parquet", 400 * kDay);
  file("_SUCCESS", 400 * kDay);
  file(".DS_Store", 400 * kDay);
  // An old checksum whose file is gone goes; the active file's checksum stays.
  file(".gone.parquet.crc", 30 * kDay);
  file("event_date=2025-01-01/.active.parquet.crc", 300 * kDay);

  EXPECT_EQ(plan(), (std::vector<std::string>{".gone.parquet.crc", "event_date=2025-11-01/.removed-old.parquet.crc",
                                              "event_date=2025-11-01/removed-old.parquet",
                                              "event_date=2025-11-20/orphan.parquet", "untimed.parquet"}));
  // A zero retention takes every unreferenced file now, still never an active one.
  const auto all = plan(0);
  EXPECT_EQ(all.size(), 8u);
  for (const auto& p : all) {
    EXPECT_EQ(p.find("active"), std::string::npos) << p;
    EXPECT_NE(p[0], '_') << p;
  }
  // Planning deletes nothing.
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "event_date=2025-11-01/removed-old.parquet"));
}

TEST_F(DeltaVacuumTest, BadArguments) {
  std::vector<std::string> out;
  EXPECT_EQ(plan_vacuum(dir_, snap_, -1, kNow, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(plan_vacuum(dir_ + "/missing", snap_, kRetention, kNow, &out).code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace pixguard::delta
