#include "sinks/jsonl_file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "core/file_io.h"
#include "core/log.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kFlushBytes = 1 << 20;

std::string errno_text() { return std::strerror(errno); }

// The epoch of "part-NNNNNNNNNNNNNNNNNNNN.jsonl[.pending]", or 0 if the name is not a part.
uint64_t epoch_of(const std::string& file, bool* pending) {
  constexpr std::string_view kPrefix = "part-";
  if (file.size() < kPrefix.size() + 20 + 6 || file.compare(0, kPrefix.size(), kPrefix) != 0) return 0;
  const std::string rest = file.substr(kPrefix.size() + 20);
  if (rest == ".jsonl") {
    *pending = false;
  } else if (rest == ".jsonl.pending") {
    *pending = true;
  } else {
    return 0;
  }
  uint64_t e = 0;
  for (std::size_t i = kPrefix.size(); i < kPrefix.size() + 20; ++i) {
    if (file[i] < '0' || file[i] > '9') return 0;
    e = e * 10 + static_cast<uint64_t>(file[i] - '0');
  }
  return e;
}

}  // namespace

Status JsonlFileSink::open(const std::string& name, const std::string& dir, std::unique_ptr<JsonlFileSink>* out) {
  std::error_code ec;
  if (Status s = create_directories_durably(dir); !s.ok()) return s.with_context("sink " + name);
  std::unique_ptr<JsonlFileSink> sink(new JsonlFileSink(name, dir));
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    bool is_pending = false;
    const uint64_t e = epoch_of(entry.path().filename().string(), &is_pending);
    if (e != 0 && !is_pending) sink->last_committed_ = std::max(sink->last_committed_, e);
  }
  if (ec) return Status::IoError("sink " + name + ": cannot list " + dir + ": " + ec.message());
  *out = std::move(sink);
  return Status::Ok();
}

Status JsonlFileSink::recover(uint64_t checkpointed_epoch) {
  std::error_code ec;
  std::vector<std::pair<uint64_t, bool>> parts;  // (epoch, pending)
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    bool is_pending = false;
    if (const uint64_t e = epoch_of(entry.path().filename().string(), &is_pending); e != 0) parts.emplace_back(e, is_pending);
  }
  if (ec) return Status::IoError("sink " + name_ + ": cannot list " + dir_ + ": " + ec.message());
  std::sort(parts.begin(), parts.end());
  last_committed_ = 0;
  for (const auto& [epoch, pending] : parts) {
    const std::string path = part_path(epoch, pending);
    if (epoch > checkpointed_epoch) {
      if (pending) {
        if (Status s = remove_checked(path); !s.ok()) return s;
      } else {
        const std::string aside = part_path(epoch, false) + ".rolled-back";
        if (::rename(path.c_str(), aside.c_str()) != 0) {
          return Status::IoError("sink " + name_ + ": rename " + path + ": " + errno_text());
        }
        log(LogLevel::kWarn, "sink " + name_ + ": epoch " + std::to_string(epoch) +
                                 " was committed after the checkpoint recovery uses; moved to " + aside +
                                 " (its input is scored again)");
      }
      continue;
    }
    if (pending) {
      const std::string visible = part_path(epoch, false);
      // A pending file next to a committed one is a stale replay of an epoch already out.
      struct stat st {};
      if (::stat(visible.c_str(), &st) == 0) {
        if (Status s = remove_checked(path); !s.ok()) return s;
      } else if (errno != ENOENT) {
        return Status::IoError("sink " + name_ + ": stat " + visible + ": " + errno_text());
      } else if (::rename(path.c_str(), visible.c_str()) != 0) {
        return Status::IoError("sink " + name_ + ": rename " + path + ": " + errno_text());
      }
    }
    last_committed_ = std::max(last_committed_, epoch);
  }
  return fsync_dir(dir_);
}

JsonlFileSink::~JsonlFileSink() {
  if (fd_ >= 0) ::close(fd_);
}

std::string JsonlFileSink::part_path(uint64_t epoch, bool pending) const {
  char name[64];
  std::snprintf(name, sizeof name, "part-%020llu.jsonl%s", static_cast<unsigned long long>(epoch),
                pending ? ".pending" : "");
  return dir_ + "/" + name;
}

Status JsonlFileSink::begin_epoch(uint64_t epoch) {
  if (fd_ >= 0 || !buffer_.empty()) {
    return Status::InvalidArgument("sink " + name_ + ": epoch " + std::to_string(epoch_) + " still open");
  }
  epoch_ = epoch;
  buffer_.clear();
  buffered_ = {};
  in_file_ = {};
  return Status::Ok();
}

Status JsonlFileSink::write(const SinkRecord& record) {
  buffer_.append(record.json);
  buffer_.push_back('\n');
  ++buffered_[static_cast<std::size_t>(record.kind)];
  if (buffer_.size() >= kFlushBytes) return flush();
  return Status::Ok();
}

Status JsonlFileSink::flush() {
  if (buffer_.empty()) return Status::Ok();
  if (fd_ < 0) {
    const std::string path = part_path(epoch_, true);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IoError("sink " + name_ + ": create " + path + ": " + errno_text());
  }
  const char* p = buffer_.data();
  std::size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("sink " + name_ + ": write " + part_path(epoch_, true) + ": " + errno_text());
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  buffer_.clear();
  for (std::size_t k = 0; k < kOutputCount; ++k) in_file_[k] += std::exchange(buffered_[k], 0);
  return Status::Ok();
}

Status JsonlFileSink::prepare(uint64_t epoch) {
  if (epoch != epoch_) return Status::InvalidArgument("sink " + name_ + ": prepare of an epoch that is not open");
  if (Status s = flush(); !s.ok()) return s;
  if (fd_ >= 0) {
    const int fd = std::exchange(fd_, -1);
    const bool synced = ::fsync(fd) == 0;
    const int fsync_errno = errno;
    if (::close(fd) != 0 || !synced) {
      return Status::IoError("sink " + name_ + ": " + (synced ? "close " : "fsync ") + part_path(epoch, true) + ": " +
                             std::strerror(synced ? errno : fsync_errno));
    }
    // The pending file is new: its name must survive a crash as well as its bytes, or a
    // recovery that commits this epoch would find nothing to commit.
    if (Status s = fsync_dir(dir_); !s.ok()) return s.with_context("sink " + name_);
  }
  return Status::Ok();
}

Status JsonlFileSink::remove_checked(const std::string& path) const {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError("sink " + name_ + ": remove " + path + ": " + errno_text());
  }
  return Status::Ok();
}

Status JsonlFileSink::commit(uint64_t epoch) {
  if (epoch <= last_committed_) {
    // Already visible: a replay of this epoch must not show twice, nor linger as pending.
    ::unlink(part_path(epoch, true).c_str());
    for (std::size_t k = 0; k < kOutputCount; ++k) committed_[k] += std::exchange(in_file_[k], 0);
    return Status::Ok();
  }
  const std::string pending = part_path(epoch, true);
  if (::access(pending.c_str(), F_OK) == 0) {
    if (::rename(pending.c_str(), part_path(epoch, false).c_str()) != 0) {
      return Status::IoError("sink " + name_ + ": rename " + pending + ": " + errno_text());
    }
    if (Status s = fsync_dir(dir_); !s.ok()) return s;
  }
  last_committed_ = epoch;
  for (std::size_t k = 0; k < kOutputCount; ++k) committed_[k] += std::exchange(in_file_[k], 0);
  return Status::Ok();
}

Status JsonlFileSink::abort(uint64_t epoch) {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  buffer_.clear();
  buffered_ = {};
  in_file_ = {};
  ::unlink(part_path(epoch, true).c_str());
  return Status::Ok();
}

Status JsonlFileSink::clear() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    bool unused = false;
    if (epoch_of(entry.path().filename().string(), &unused) != 0) fs::remove(entry.path(), ec);
  }
  if (ec) return Status::IoError("sink " + name_ + ": cannot clear " + dir_ + ": " + ec.message());
  last_committed_ = 0;
  return Status::Ok();
}

}  // namespace pixguard
