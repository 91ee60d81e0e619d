#include "sources/file_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace pixguard {
namespace {
constexpr std::size_t kBlockBytes = 4 << 20;
}  // namespace

Status FileSource::open(const std::string& path, InputFormat format, std::unique_ptr<FileSource>* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("input file " + path + ": " + std::strerror(errno));
  std::unique_ptr<FileSource> s(new FileSource(path, fd));
  s->line_ = 1;
  if (format == InputFormat::kCsv) {
    std::string_view header;
    bool found = false;
    if (Status st = s->next_line(&header, &found); !st.ok()) return st;
    if (!found) return Status::InvalidArgument("input file " + path + ": empty CSV file (no header line)");
    s->header_ = std::string(header);
  }
  *out = std::move(s);
  return Status::Ok();
}

FileSource::~FileSource() { ::close(fd_); }

Status FileSource::refill() {
  // Keep the unconsumed tail, then append a block.
  block_.erase(0, block_pos_);
  block_pos_ = 0;
  const std::size_t old = block_.size();
  block_.resize(old + kBlockBytes);
  ssize_t n;
  do {
    n = ::read(fd_, block_.data() + old, kBlockBytes);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    block_.resize(old);
    return Status::IoError("input file " + path_ + ": " + std::strerror(errno));
  }
  block_.resize(old + static_cast<std::size_t>(n));
  if (n == 0) eof_ = true;
  return Status::Ok();
}

Status FileSource::next_line(std::string_view* line, bool* found) {
  std::size_t scanned = block_pos_;
  while (true) {
    const std::size_t nl = block_.find('\n', scanned);
    if (nl != std::string::npos) {
      *line = std::string_view(block_).substr(block_pos_, nl - block_pos_);
      offset_ += static_cast<int64_t>(nl + 1 - block_pos_);
      block_pos_ = nl + 1;
      ++line_;
      *found = true;
      return Status::Ok();
    }
    if (eof_) {
      if (block_pos_ < block_.size()) {  // a last line without its newline
        *line = std::string_view(block_).substr(block_pos_);
        offset_ += static_cast<int64_t>(block_.size() - block_pos_);
        block_pos_ = block_.size();
        ++line_;
        *found = true;
      } else {
        *found = false;
      }
      return Status::Ok();
    }
    scanned = block_.size() - block_pos_;  // refill() moves the tail to the front
    if (Status s = refill(); !s.ok()) return s;
  }
}

Status FileSource::read(RecordBatch* batch, std::size_t max_records, bool* end) {
  *end = false;
  while (batch->size() < max_records) {
    std::string_view line;
    bool found = false;
    const int64_t number = line_;
    if (Status s = next_line(&line, &found); !s.ok()) return s;
    if (!found) {
      *end = true;
      break;
    }
    batch->add(line, number);
  }
  return Status::Ok();
}

std::string FileSource::position() const { return std::to_string(offset_) + ":" + std::to_string(line_); }

Status FileSource::seek(std::string_view position) {
  const std::size_t colon = position.find(':');
  int64_t offset = 0, line = 0;
  if (colon == std::string_view::npos ||
      std::from_chars(position.data(), position.data() + colon, offset).ec != std::errc{} ||
      std::from_chars(position.data() + colon + 1, position.data() + position.size(), line).ec != std::errc{}) {
    return Status::InvalidArgument("input file " + path_ + ": bad position '" + std::string(position) + "'");
  }
  if (::lseek(fd_, offset, SEEK_SET) < 0) return Status::IoError("input file " + path_ + ": " + std::strerror(errno));
  block_.clear();
  block_pos_ = 0;
  eof_ = false;
  offset_ = offset;
  line_ = line;
  return Status::Ok();
}

}  // namespace pixguard
