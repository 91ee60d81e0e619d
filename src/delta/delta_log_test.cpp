#include "delta/delta_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "delta/delta_schema.h"

namespace pixguard::delta {
namespace {

namespace fs = std::filesystem;

class DeltaLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "delta_log_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/table";
  }
  void TearDown() override { fs::remove_all(root_); }

  static Metadata metadata() {
    Metadata m;
    m.name = "decisions";
    EXPECT_TRUE(build_schema_string({{"end_to_end_id", "string", false},
                                     {"amount", "decimal(18,2)", false},
                                     {"event_date", "date", true}},
                                    &m.schema_string)
                    .ok());
    m.partition_columns = {"event_date"};
    return m;
  }

  std::unique_ptr<DeltaTable> create() {
    std::unique_ptr<DeltaTable> t;
    const Status s = DeltaTable::create(dir_, Protocol{}, metadata(), &t);
    EXPECT_TRUE(s.ok()) << s.message();
    return t;
  }

  static AddFile add(const std::string& path, int64_t rows = 10) {
    AddFile a;
    a.path = path;
    a.partition_values = {{"event_date", "2025-11-24"}};
    a.size = 1000;
    a.modification_time = 1764000000000;
    a.stats = "{\"numRecords\":" + std::to_string(rows) + "}";
    return a;
  }
  static RemoveFile remove(const std::string& path) {
    RemoveFile r;
    r.path = path;
    r.deletion_timestamp = 1764000001000;
    return r;
  }
  static Txn txn(const std::string& app, int64_t version) { return Txn{app, version, 1764000000000}; }

  std::string log_file(uint64_t v) const { return dir_ + "/_delta_log/" + commit_file_name(v); }
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }

  TableSnapshot snapshot(const DeltaTable& t) {
    TableSnapshot s;
    const Status st = t.snapshot(&s);
    EXPECT_TRUE(st.ok()) << st.message();
    return s;
  }

  CommitResult commit(DeltaTable& t, uint64_t read_version, std::vector<Action> actions, Status* status = nullptr) {
    CommitResult r;
    const Status s = t.commit(read_version, std::move(actions), &r);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.message();
    }
    return r;
  }

  std::string root_, dir_;
};

TEST_F(DeltaLogTest, CreateWritesVersionZero) {
  auto t = create();
  const std::string v0 = read(log_file(0));
  std::vector<std::string> lines;
  std::stringstream ss(v0);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].starts_with(R"({"commitInfo":{"timestamp":)")) << lines[0];
  EXPECT_NE(lines[0].find(R"("operation":"CREATE TABLE")"), std::string::npos);
  EXPECT_NE(lines[0].find(R"("engineInfo":"pixguard/0.1.0")"), std::string::npos);
  EXPECT_EQ(lines[1], R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})");
  EXPECT_TRUE(lines[2].starts_with(R"({"metaData":{"id":")")) << lines[2];
  const TableSnapshot s = snapshot(*t);
  EXPECT_EQ(s.version, 0u);
  EXPECT_EQ(s.metadata.id.size(), 36u);
  EXPECT_EQ(s.metadata.partition_columns, std::vector<std::string>{"event_date"});
  EXPECT_TRUE(s.files.empty());

  std::unique_ptr<DeltaTable> again;
  EXPECT_EQ(DeltaTable::create(dir_, Protocol{}, metadata(), &again).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(read(log_file(0)), v0);
}

TEST_F(DeltaLogTest, CreateRejectsBadMetadata) {
  std::unique_ptr<DeltaTable> t;
  Metadata m = metadata();
  m.partition_columns = {"no_such_column"};
  EXPECT_EQ(DeltaTable::create(dir_, Protocol{}, m, &t).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DeltaTable::create(dir_, Protocol{1, 4, {}, {}}, metadata(), &t).code(), StatusCode::kUnsupported);
  EXPECT_FALSE(fs::exists(log_file(0)));
}

TEST_F(DeltaLogTest, CommitsReplayIntoASnapshot) {
  auto t = create();
  EXPECT_EQ(commit(*t, 0, {add("event_date=2025-11-24/a.parquet"), txn("pipeline-1", 1)}).version, 1u);
  EXPECT_EQ(commit(*t, 1, {add("event_date=2025-11-24/b.parquet", 5), txn("pipeline-1", 2)}).version, 2u);
  CommitInfo optimize;
  optimize.operation = "OPTIMIZE";
  const auto r = commit(*t, 2,
                        {optimize, remove("event_date=2025-11-24/a.parquet"), remove("event_date=2025-11-24/b.parquet"),
                         add("event_date=2025-11-24/c.parquet", 15)});
  EXPECT_EQ(r.outcome, CommitOutcome::kCommitted);
  EXPECT_EQ(r.version, 3u);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(read(log_file(3)).starts_with(R"({"commitInfo":)"));
  EXPECT_NE(read(log_file(3)).find(R"("operation":"OPTIMIZE")"), std::string::npos);
  EXPECT_NE(read(log_file(3)).find(R"("readVersion":2,"isBlindAppend":false)"), std::string::npos);
  EXPECT_NE(read(log_file(1)).find(R"("readVersion":0,"isBlindAppend":true)"), std::string::npos);

  std::unique_ptr<DeltaTable> reopened;
  ASSERT_TRUE(DeltaTable::open(dir_, &reopened).ok());
  const TableSnapshot s = snapshot(*reopened);
  EXPECT_EQ(s.version, 3u);
  EXPECT_FALSE(s.checkpoint_version.has_value());
  ASSERT_EQ(s.files.size(), 1u);
  EXPECT_EQ(s.files.begin()->first, "event_date=2025-11-24/c.parquet");
  EXPECT_EQ(s.tombstones.size(), 2u);
  EXPECT_EQ(s.tombstones.at("event_date=2025-11-24/a.parquet").deletion_timestamp, 1764000001000);
  EXPECT_EQ(s.txn_versions.at("pipeline-1"), 2);
}

TEST_F(DeltaLogTest, RemoveCancelsAddAndAReAddCancelsTheTombstone) {
  auto t = create();
  commit(*t, 0, {add("a.parquet")});
  commit(*t, 1, {remove("a.parquet")});
  TableSnapshot s = snapshot(*t);
  EXPECT_TRUE(s.files.empty());
  EXPECT_TRUE(s.tombstones.contains("a.parquet"));
  commit(*t, 2, {add("a.parquet", 7)});
  s = snapshot(*t);
  ASSERT_TRUE(s.files.contains("a.parquet"));
  EXPECT_FALSE(s.tombstones.contains("a.parquet"));
}

TEST_F(DeltaLogTest, BlindAppendsRetryAfterAnotherWriter) {
  auto a = create();
  std::unique_ptr<DeltaTable> b;
  ASSERT_TRUE(DeltaTable::open(dir_, &b).ok());
  EXPECT_EQ(commit(*a, 0, {add("from-a.parquet")}).version, 1u);
  const std::string v1 = read(log_file(1));
  const auto r = commit(*b, 0, {add("from-b.parquet")});
  EXPECT_EQ(r.outcome, CommitOutcome::kCommitted);
  EXPECT_EQ(r.version, 2u);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(read(log_file(1)), v1);
  const TableSnapshot s = snapshot(*a);
  EXPECT_EQ(s.files.size(), 2u);
  // No temp file is left behind.
  for (const auto& e : fs::directory_iterator(dir_ + "/_delta_log")) {
    EXPECT_FALSE(e.path().filename().string().ends_with(".tmp")) << e.path();
  }
}

TEST_F(DeltaLogTest, AnExistingCommitFileIsNeverOverwritten) {
  auto t = create();
  // Someone else's version 1, written by hand.
  const std::string foreign = R"({"add":{"path":"foreign.parquet","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}})"
                              "\n";
  write(log_file(1), foreign);
  const auto r = commit(*t, 0, {add("ours.parquet")});
  EXPECT_EQ(r.version, 2u);
  EXPECT_EQ(read(log_file(1)), foreign);
  EXPECT_TRUE(snapshot(*t).files.contains("foreign.parquet"));
}

TEST_F(DeltaLogTest, AReplayedEpochIsRecognisedAsAlreadyCommitted) {
  auto a = create();
  std::unique_ptr<DeltaTable> b;
  ASSERT_TRUE(DeltaTable::open(dir_, &b).ok());
  commit(*a, 0, {add("epoch7.parquet"), txn("pipeline-1", 7)});
  commit(*a, 1, {add("other-app.parquet"), txn("backfill", 1)});
  // A restarted writer that read version 0 retries epoch 7 with a new file name.
  const auto r = commit(*b, 0, {add("epoch7-retry.parquet"), txn("pipeline-1", 7)});
  EXPECT_EQ(r.outcome, CommitOutcome::kAlreadyCommitted);
  EXPECT_EQ(r.version, 1u);
  EXPECT_FALSE(fs::exists(log_file(3)));
  EXPECT_FALSE(snapshot(*a).files.contains("epoch7-retry.parquet"));
  // An older epoch is also already there.
  EXPECT_EQ(commit(*b, 0, {add("epoch6.parquet"), txn("pipeline-1", 6)}).outcome, CommitOutcome::kAlreadyCommitted);
  // The next epoch, planned from the current snapshot, goes in after both commits.
  EXPECT_EQ(commit(*b, 2, {add("epoch8.parquet"), txn("pipeline-1", 8)}).version, 3u);
  EXPECT_EQ(snapshot(*a).txn_versions.at("pipeline-1"), 8);
}

TEST_F(DeltaLogTest, TwoWritersOfOneAppIdConflict) {
  auto a = create();
  commit(*a, 0, {add("x.parquet"), txn("pipeline-1", 7)});
  Status s;
  const auto r = commit(*a, 0, {add("y.parquet"), txn("pipeline-1", 8)}, &s);
  EXPECT_EQ(r.outcome, CommitOutcome::kConflict);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("pipeline-1"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(log_file(2)));
}

TEST_F(DeltaLogTest, CompactionsOfTheSameFileConflict) {
  auto t = create();
  commit(*t, 0, {add("a.parquet"), add("b.parquet"), add("c.parquet")});
  commit(*t, 1, {remove("a.parquet"), remove("b.parquet"), add("ab.parquet")});
  Status s;
  const auto r = commit(*t, 1, {remove("b.parquet"), remove("c.parquet"), add("bc.parquet")}, &s);
  EXPECT_EQ(r.outcome, CommitOutcome::kConflict);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("b.parquet"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(commit_file_name(2)), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(log_file(3)));
  // A compaction of other files goes after it.
  commit(*t, 1, {add("d.parquet")});
  EXPECT_EQ(commit(*t, 2, {remove("c.parquet"), remove("d.parquet"), add("cd.parquet")}).version, 4u);
}

TEST_F(DeltaLogTest, MetadataChangesDoNotRetry) {
  auto t = create();
  commit(*t, 0, {add("a.parquet")});
  Metadata m = snapshot(*t).metadata;
  m.configuration["delta.appendOnly"] = "true";
  Status s;
  EXPECT_EQ(commit(*t, 0, {m}, &s).outcome, CommitOutcome::kConflict);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(commit(*t, 1, {m}).outcome, CommitOutcome::kCommitted);
  // Now append-only: removing data is refused before anything is written.
  EXPECT_EQ(commit(*t, 2, {remove("a.parquet")}, &s).outcome, CommitOutcome::kConflict);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(log_file(3)));
}

TEST_F(DeltaLogTest, ReadVersionMustExist) {
  auto t = create();
  Status s;
  commit(*t, 5, {add("a.parquet")}, &s);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(log_file(6)));
  EXPECT_FALSE(fs::exists(log_file(1)));
}

TEST_F(DeltaLogTest, ConcurrentWritersGetDistinctContiguousVersions) {
  create();
  constexpr int kWriters = 4, kCommits = 15;
  std::vector<std::thread> threads;
  std::vector<int> failures(kWriters, 0);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([this, w, &failures] {
      std::unique_ptr<DeltaTable> t;
      if (!DeltaTable::open(dir_, &t).ok()) {
        ++failures[w];
        return;
      }
      for (int i = 0; i < kCommits; ++i) {
        TableSnapshot s;
        CommitResult r;
        if (!t->snapshot(&s).ok() ||
            !t->commit(s.version, {add("w" + std::to_string(w) + "-" + std::to_string(i) + ".parquet")}, &r).ok() ||
            r.outcome != CommitOutcome::kCommitted) {
          ++failures[w];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(failures[w], 0) << "writer " << w;
  std::unique_ptr<DeltaTable> t;
  ASSERT_TRUE(DeltaTable::open(dir_, &t).ok());
  const TableSnapshot s = snapshot(*t);
  EXPECT_EQ(s.version, static_cast<uint64_t>(kWriters * kCommits));
  EXPECT_EQ(s.files.size(), static_cast<std::size_t>(kWriters * kCommits));
}

TEST_F(DeltaLogTest, AMissingCommitIsCorruptionNamingIt) {
  auto t = create();
  commit(*t, 0, {add("a.parquet")});
  commit(*t, 1, {add("b.parquet")});
  fs::remove(log_file(1));
  TableSnapshot s;
  const Status st = t->snapshot(&s);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find(commit_file_name(1)), std::string::npos) << st.message();
  fs::remove(log_file(0));
  EXPECT_EQ(t->snapshot(&s).code(), StatusCode::kCorruption);
}

TEST_F(DeltaLogTest, ADamagedCommitIsCorruptionNamingFileAndLine) {
  auto t = create();
  commit(*t, 0, {add("a.parquet")});
  const std::string good = read(log_file(1));
  for (const std::string& bad : {good + "{\"add\":{\"path\":\"trunc", good + "{\"add\":{\"path\":\"b\"}}\n",
                                 std::string(), std::string("\n\n"), std::string("\0\0\0", 3),
                                 std::string("{\"remove\":{\"path\":7,\"dataChange\":true}}\n")}) {
    write(log_file(1), bad);
    TableSnapshot s;
    const Status st = t->snapshot(&s);
    EXPECT_EQ(st.code(), StatusCode::kCorruption) << bad;
    EXPECT_NE(st.message().find(commit_file_name(1)), std::string::npos) << st.message();
    std::unique_ptr<DeltaTable> reopened;
    EXPECT_EQ(DeltaTable::open(dir_, &reopened).code(), StatusCode::kCorruption);
  }
  write(log_file(1), good + "{\"add\":{\"path\":\"b\"}}\n");
  TableSnapshot s;
  EXPECT_NE(t->snapshot(&s).message().find("line 3"), std::string::npos) << t->snapshot(&s).message();
}

TEST_F(DeltaLogTest, NotATable) {
  std::unique_ptr<DeltaTable> t;
  EXPECT_EQ(DeltaTable::open(dir_, &t).code(), StatusCode::kNotFound);
  fs::create_directories(dir_ + "/_delta_log");
  EXPECT_EQ(DeltaTable::open(dir_, &t).code(), StatusCode::kNotFound);
  write(log_file(0), "{\"commitInfo\":{}}\n");
  EXPECT_EQ(DeltaTable::open(dir_, &t).code(), StatusCode::kCorruption);
}

TEST_F(DeltaLogTest, NewerProtocolsAreUnsupported) {
  fs::create_directories(dir_ + "/_delta_log");
  std::string schema;
  ASSERT_TRUE(build_schema_string({{"a", "long", true}}, &schema).ok());
  Metadata m;
  m.id = "af23c9d7-fff1-4a5a-a2c8-55c59bd782aa";
  m.schema_string = schema;
  write(log_file(0), action_json(Protocol{3, 7, {"deletionVectors"}, {"deletionVectors"}}) + "\n" + action_json(m) +
                         "\n{\"domainMetadata\":{\"domain\":\"x\",\"configuration\":\"\",\"removed\":false}}\n");
  std::unique_ptr<DeltaTable> t;
  const Status s = DeltaTable::open(dir_, &t);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("deletionVectors"), std::string::npos) << s.message();

  // Readable (writer 4: generated columns) but not writable.
  write(log_file(0), action_json(Protocol{1, 4, {}, {}}) + "\n" + action_json(m) + "\n");
  ASSERT_TRUE(DeltaTable::open(dir_, &t).ok());
  CommitResult r;
  EXPECT_EQ(t->commit(0, {add("a.parquet")}, &r).code(), StatusCode::kUnsupported);
  EXPECT_FALSE(fs::exists(log_file(1)));
}

}  // namespace
}  // namespace pixguard::delta
