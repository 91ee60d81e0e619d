#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pixguard {

Status write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(tmp + ": " + std::strerror(errno));
  auto fail = [&](const char* what) {
    const int e = errno;
    ::close(fd);
    std::remove(tmp.c_str());
    return Status::IoError(tmp + ": " + what + std::strerror(e));
  };
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write: ");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // Durable before it becomes visible: after a crash PATH is the old file or the new one.
  if (::fsync(fd) != 0) return fail("fsync: ");
  if (::close(fd) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    return Status::IoError(tmp + ": close: " + std::strerror(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    return Status::IoError(path + ": rename: " + std::strerror(e));
  }
  // The new name must survive a crash as well as the bytes.
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    const int e = errno;
    if (dfd >= 0) ::close(dfd);
    return Status::IoError(dir + ": fsync: " + std::strerror(e));
  }
  ::close(dfd);
  return Status::Ok();
}

}  // namespace pixguard
