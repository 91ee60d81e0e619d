#include "core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace pixguard {
namespace {

std::string errno_text() { return std::strerror(errno); }

Status fsync_path(const std::string& path, int flags, const char* what) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::IoError(std::string("open ") + what + path + ": " + errno_text());
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return Status::IoError(std::string("fsync ") + what + path + ": " + std::strerror(saved));
  return Status::Ok();
}

}  // namespace

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("write " + path + ": " + errno_text());
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status read_whole_file(const std::string& path, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? Status::NotFound(path + " does not exist") : Status::IoError("open " + path + ": " + errno_text());
  }
  out->clear();
  // One allocation for the whole file: growing by doubling would copy a large one several times.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out->reserve(static_cast<std::size_t>(st.st_size));
  char buffer[1 << 16];
  Status s;
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Status::IoError("read " + path + ": " + errno_text());
    if (n <= 0) break;
    out->append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return s;
}

Status fsync_dir(const std::string& dir) { return fsync_path(dir, O_RDONLY | O_DIRECTORY, "directory "); }

Status fsync_file(const std::string& path) { return fsync_path(path, O_RDONLY, ""); }

Status create_directories_durably(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // The directories to create, deepest first.
  std::vector<fs::path> missing;
  for (fs::path p = fs::path(dir).lexically_normal(); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("create " + dir + ": " + ec.message());
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    const fs::path parent = it->parent_path();
    if (Status s = fsync_dir(parent.empty() ? "." : parent.string()); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace pixguard
