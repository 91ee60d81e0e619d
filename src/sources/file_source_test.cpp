#include "sources/file_source.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/hash.h"
#include "core/limits.h"

namespace pixguard {
namespace {

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pixguard-file-source-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& text) {
    const std::string path = (dir_ / "in.jsonl").string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::filesystem::path dir_;
};

RecordBatch read_all(FileSource& source) {
  RecordBatch batch;
  bool end = false;
  while (!end) EXPECT_TRUE(source.read(&batch, 1 << 20, &end).ok());
  return batch;
}

TEST_F(FileSourceTest, LinesWithinTheLimitComeWhole) {
  const std::string path = write("a\n\nbb\r\nccc");
  std::unique_ptr<FileSource> source;
  ASSERT_TRUE(FileSource::open(path, InputFormat::kJsonLines, &source, 3).ok());
  const RecordBatch b = read_all(*source);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b.message(0), "a");
  EXPECT_EQ(b.message(1), "");
  EXPECT_EQ(b.message(2), "bb\r");
  EXPECT_EQ(b.message(3), "ccc");
  for (std::size_t i = 0; i < 4; ++i) EXPECT_FALSE(b.cut(i));
  EXPECT_EQ(b.position(3), 4);
}

// A line over the limit comes cut, with its length and hash, whether it fits in one read
// block or spans many; reading goes on at the next line, and positions stay right.
TEST_F(FileSourceTest, ALongLineComesCutAndReadingGoesOn) {
  for (const std::size_t long_size : {std::size_t{100'000}, std::size_t{9'000'000}}) {
    std::string long_line(long_size, 'x');
    long_line[long_size / 2] = '\xFF';
    const std::string path = write("first\n" + long_line + "\nnext\n" + long_line + "\r\nlast\n" + long_line);
    std::unique_ptr<FileSource> source;
    ASSERT_TRUE(FileSource::open(path, InputFormat::kJsonLines, &source, 1000).ok());
    const RecordBatch b = read_all(*source);
    ASSERT_EQ(b.size(), 6u) << long_size;
    EXPECT_EQ(b.message(0), "first");
    EXPECT_EQ(b.message(2), "next");
    EXPECT_EQ(b.message(4), "last");
    for (const std::size_t i : {1u, 3u, 5u}) {
      const std::string whole = long_line + (i == 3 ? "\r" : "");
      ASSERT_TRUE(b.cut(i)) << i;
      EXPECT_EQ(b.message(i), whole.substr(0, kDeadLetterRawBytes));
      EXPECT_EQ(b.full_size(i), whole.size());
      EXPECT_EQ(b.full_hash(i), content_hash(whole));
      EXPECT_EQ(b.position(i), static_cast<int64_t>(i + 1));
    }
  }
}

TEST_F(FileSourceTest, PositionAfterALongLineResumesAtTheNextLine) {
  const std::string long_line(6'000'000, 'y');
  const std::string path = write(long_line + "\nafter\nmore\n");
  std::unique_ptr<FileSource> source;
  ASSERT_TRUE(FileSource::open(path, InputFormat::kJsonLines, &source, 1 << 20).ok());
  RecordBatch b;
  bool end = false;
  ASSERT_TRUE(source->read(&b, 1, &end).ok());
  ASSERT_TRUE(b.cut(0));
  const std::string position = source->position();
  EXPECT_EQ(position, std::to_string(long_line.size() + 1) + ":2");
  std::unique_ptr<FileSource> again;
  ASSERT_TRUE(FileSource::open(path, InputFormat::kJsonLines, &again, 1 << 20).ok());
  ASSERT_TRUE(again->seek(position).ok());
  const RecordBatch rest = read_all(*again);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest.message(0), "after");
  EXPECT_EQ(rest.position(0), 2);
}

TEST_F(FileSourceTest, ACsvHeaderOverTheLimitIsAnError) {
  const std::string path = write(std::string(5000, 'h') + "\nrow\n");
  std::unique_ptr<FileSource> source;
  const Status s = FileSource::open(path, InputFormat::kCsv, &source, 1000);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("header"), std::string::npos) << s.message();
}

// Memory stays bounded by the limit, not by the line: a 200 MB line (made here) read with
// the default 1 MiB limit raises the peak RSS by a few read blocks, not by 200 MB.
TEST_F(FileSourceTest, A200MegabyteLineIsReadInBoundedMemory) {
  constexpr std::size_t kLine = 200u << 20;
  const std::string path = (dir_ / "big.jsonl").string();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string chunk(1 << 20, 'z');
    for (std::size_t written = 0; written < kLine; written += chunk.size()) {
      ASSERT_EQ(std::fwrite(chunk.data(), 1, chunk.size(), f), chunk.size());
    }
    ASSERT_GE(std::fputs("\n{\"next\":1}\n", f), 0);
    std::fclose(f);
  }
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  std::unique_ptr<FileSource> source;
  ASSERT_TRUE(FileSource::open(path, InputFormat::kJsonLines, &source, 1 << 20).ok());
  RecordBatch b;
  bool end = false;
  while (!end) ASSERT_TRUE(source->read(&b, 1024, &end).ok());
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_TRUE(b.cut(0));
  EXPECT_EQ(b.full_size(0), kLine);
  EXPECT_EQ(b.message(1), "{\"next\":1}");
  const long grown_mb = (after.ru_maxrss - before.ru_maxrss) / 1024;  // ru_maxrss is in KiB
  EXPECT_LT(grown_mb, 48) << "peak RSS grew by " << grown_mb << " MB reading a 200 MB line";
}

}  // namespace
}  // namespace pixguard
