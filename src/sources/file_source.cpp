#include "sources/file_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/hash.h"
#include "core/limits.h"

namespace pixguard {
namespace {
constexpr std::size_t kBlockBytes = 4 << 20;
}  // namespace

Status FileSource::open(const std::string& path, InputFormat format, std::unique_ptr<FileSource>* out,
                        std::size_t max_line_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("input file " + path + ": " + std::strerror(errno));
  std::unique_ptr<FileSource> s(new FileSource(path, fd));
  s->line_ = 1;
  s->max_line_bytes_ = max_line_bytes;
  if (format == InputFormat::kCsv) {
    Line header;
    bool found = false;
    if (Status st = s->next_line(&header, &found); !st.ok()) return st;
    if (!found) return Status::InvalidArgument("input file " + path + ": empty CSV file (no header line)");
    if (header.cut) {
      return Status::InvalidArgument("input file " + path + ": the CSV header line is " + std::to_string(header.size) +
                                     " bytes, more than pipeline.max_message_bytes");
    }
    s->header_ = std::string(header.bytes);
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

FileSource::Line FileSource::cut_line(std::string_view whole) {
  cut_prefix_.assign(whole.substr(0, kDeadLetterRawBytes));
  return {cut_prefix_, true, whole.size(), content_hash(whole)};
}

Status FileSource::next_line(Line* line, bool* found) {
  std::size_t scanned = block_pos_;
  while (true) {
    const std::size_t nl = block_.find('\n', scanned);
    if (nl != std::string::npos || eof_) {
      const std::size_t end = nl != std::string::npos ? nl : block_.size();
      if (nl == std::string::npos && block_pos_ == block_.size()) {
        *found = false;
        return Status::Ok();
      }
      // A line, or a last line without its newline.
      const std::string_view whole = std::string_view(block_).substr(block_pos_, end - block_pos_);
      *line = whole.size() > max_line_bytes_ ? cut_line(whole) : Line{whole};
      const std::size_t next = nl != std::string::npos ? nl + 1 : end;
      offset_ += static_cast<int64_t>(next - block_pos_);
      block_pos_ = next;
      ++line_;
      *found = true;
      return Status::Ok();
    }
    if (block_.size() - block_pos_ > max_line_bytes_) {
      *found = true;
      return skip_long_line(line);
    }
    scanned = block_.size() - block_pos_;  // refill() moves the tail to the front
    if (Status s = refill(); !s.ok()) return s;
  }
}

Status FileSource::skip_long_line(Line* line) {
  // block_[block_pos_...] holds no newline and is already too long: keep its first bytes,
  // hash and count the rest as it streams through, up to the newline or the end of the file.
  const std::string_view start = std::string_view(block_).substr(block_pos_);
  cut_prefix_.assign(start.substr(0, kDeadLetterRawBytes));
  ContentHash hash;
  hash.update(start);
  int64_t consumed = static_cast<int64_t>(start.size());
  block_.clear();
  block_pos_ = 0;
  while (true) {
    if (Status s = refill(); !s.ok()) return s;
    const std::size_t nl = block_.find('\n');
    const std::size_t end = nl != std::string::npos ? nl : block_.size();
    hash.update(std::string_view(block_).substr(0, end));
    consumed += static_cast<int64_t>(end);
    if (nl != std::string::npos || eof_) {
      const std::size_t next = nl != std::string::npos ? nl + 1 : end;
      block_pos_ = next;
      offset_ += consumed + static_cast<int64_t>(next - end);
      ++line_;
      *line = {cut_prefix_, true, hash.size(), hash.digest()};
      return Status::Ok();
    }
    block_.clear();
  }
}

Status FileSource::read(RecordBatch* batch, std::size_t max_records, bool* end) {
  *end = false;
  while (batch->size() < max_records) {
    Line line;
    bool found = false;
    const int64_t number = line_;
    if (Status s = next_line(&line, &found); !s.ok()) return s;
    if (!found) {
      *end = true;
      break;
    }
    if (line.cut) {
      batch->add_cut(line.bytes, line.size, line.hash, number);
    } else {
      batch->add(line.bytes, number);
    }
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
