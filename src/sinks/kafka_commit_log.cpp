#include "sinks/kafka_commit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/file_io.h"

namespace pixguard {
namespace {

std::string errno_text() { return std::strerror(errno); }

// "<run> <epoch>" -> commit; false for anything else.
bool parse_line(std::string_view line, CommittedEpoch* out) {
  const std::size_t space = line.find(' ');
  if (space == 0 || space == std::string_view::npos) return false;
  const char* b = line.data() + space + 1;
  const char* e = line.data() + line.size();
  uint64_t epoch = 0;
  const auto r = std::from_chars(b, e, epoch);
  if (r.ec != std::errc{} || r.ptr != e || epoch == 0) return false;
  out->run = std::string(line.substr(0, space));
  out->epoch = epoch;
  return true;
}

}  // namespace

Status KafkaCommitLog::read(const std::string& path, std::vector<CommittedEpoch>* commits, std::size_t* whole_bytes) {
  commits->clear();
  std::string content;
  // No file: nothing committed yet. A file that cannot be read is an error: read as empty it
  // would say that no epoch was ever committed.
  if (Status s = read_whole_file(path, &content); !s.ok() && s.code() != StatusCode::kNotFound) {
    return s.with_context("kafka commit log");
  }
  std::size_t kept = 0;  // bytes of whole lines
  for (std::size_t start = 0; start < content.size();) {
    const std::size_t nl = content.find('\n', start);
    if (nl == std::string::npos) break;  // torn append: not a commit
    CommittedEpoch c;
    if (!parse_line(std::string_view(content).substr(start, nl - start), &c)) {
      return Status::Corruption("kafka commit log " + path + ": line " + std::to_string(commits->size() + 1) +
                                " is not '<run> <epoch>'");
    }
    commits->push_back(std::move(c));
    start = kept = nl + 1;
  }
  if (whole_bytes != nullptr) *whole_bytes = kept;
  return Status::Ok();
}

Status KafkaCommitLog::open(const std::string& path, KafkaCommitLog* out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const fs::path dir = fs::path(path).parent_path(); !dir.empty()) fs::create_directories(dir, ec);
  if (ec) return Status::IoError("kafka commit log " + path + ": cannot create its directory: " + ec.message());
  KafkaCommitLog log;
  log.path_ = path;
  std::size_t kept = 0;
  if (Status s = read(path, &log.commits_, &kept); !s.ok()) return s;
  for (const CommittedEpoch& c : log.commits_) log.last_epoch_ = std::max(log.last_epoch_, c.epoch);
  const bool existed = fs::exists(path, ec);
  log.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (log.fd_ < 0) return Status::IoError("kafka commit log " + path + ": " + errno_text());
  if (!existed) {
    // The new file's name must survive a crash as much as the lines appended to it.
    std::string dir = fs::path(path).parent_path().string();
    const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool synced = dfd >= 0 && ::fsync(dfd) == 0;
    if (dfd >= 0) ::close(dfd);
    if (!synced) return Status::IoError("kafka commit log " + path + ": fsync of its directory: " + errno_text());
  }
  if (::ftruncate(log.fd_, static_cast<off_t>(kept)) != 0 || ::lseek(log.fd_, 0, SEEK_END) < 0) {
    return Status::IoError("kafka commit log " + path + ": " + errno_text());
  }
  *out = std::move(log);
  return Status::Ok();
}

KafkaCommitLog::~KafkaCommitLog() {
  if (fd_ >= 0) ::close(fd_);
}

KafkaCommitLog::KafkaCommitLog(KafkaCommitLog&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), commits_(std::move(other.commits_)),
      last_epoch_(other.last_epoch_) {}

KafkaCommitLog& KafkaCommitLog::operator=(KafkaCommitLog&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    commits_ = std::move(other.commits_);
    last_epoch_ = other.last_epoch_;
  }
  return *this;
}

Status KafkaCommitLog::append(const std::string& run, uint64_t epoch) {
  const std::string line = run + " " + std::to_string(epoch) + "\n";
  for (std::size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("kafka commit log " + path_ + ": write: " + errno_text());
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return Status::IoError("kafka commit log " + path_ + ": fsync: " + errno_text());
  commits_.push_back({run, epoch});
  last_epoch_ = std::max(last_epoch_, epoch);
  return Status::Ok();
}

Status KafkaCommitLog::clear() {
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) < 0 || ::fdatasync(fd_) != 0) {
    return Status::IoError("kafka commit log " + path_ + ": " + errno_text());
  }
  commits_.clear();
  last_epoch_ = 0;
  return Status::Ok();
}

}  // namespace pixguard
