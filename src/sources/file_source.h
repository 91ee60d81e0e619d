#pragma once
// A JSON-lines or CSV file, read in large blocks and split into lines (one message per
// line; a trailing '\r' is kept for the decoder to strip). For CSV the first line is the
// header: it is read at open() and is not a message. A line up to `max_line_bytes` (the
// pipeline's max_message_bytes) is delivered whole; a longer one streams through without
// being held: it is delivered cut (RecordBatch::add_cut: its first kDeadLetterRawBytes, its
// length and content hash) for the pipeline to dead-letter, and reading goes on at the next
// line. Memory: at most max_line_bytes plus one 4 MiB block, whatever the input.
// Position: "<byte offset>:<line number>" of the next line.
#include <cstdint>
#include <memory>
#include <string>

#include "decode/decoder.h"
#include "sources/source.h"

namespace pixguard {

class FileSource final : public Source {
 public:
  static Status open(const std::string& path, InputFormat format, std::unique_ptr<FileSource>* out,
                     std::size_t max_line_bytes = std::size_t{1} << 30);
  ~FileSource() override;

  const std::string& name() const override { return name_; }
  Status read(RecordBatch* batch, std::size_t max_records, bool* end) override;
  std::string position() const override;
  Status seek(std::string_view position) override;

  // The CSV header line (empty for JSON lines).
  const std::string& header() const { return header_; }

 private:
  FileSource(std::string path, int fd) : path_(std::move(path)), name_("file:" + path_), fd_(fd) {}
  struct Line {
    std::string_view bytes;  // the line, or its first bytes when cut
    bool cut = false;        // longer than max_line_bytes_
    uint64_t size = 0;       // its full length, when cut
    uint64_t hash = 0;       // its content hash, when cut
  };
  // Fills `line` with the next line; false at the end of the file.
  Status next_line(Line* line, bool* found);
  // The rest of a line found too long at block_[block_pos_...], read on to its end.
  Status skip_long_line(Line* line);
  Line cut_line(std::string_view whole);
  Status refill();

  std::string path_;
  std::string name_;
  int fd_;
  std::string header_;
  std::size_t max_line_bytes_ = 0;
  std::string cut_prefix_;     // the kept prefix of the last cut line
  std::string block_;          // unconsumed bytes from the file
  std::size_t block_pos_ = 0;  // start of unconsumed bytes in block_
  bool eof_ = false;
  int64_t offset_ = 0;         // byte offset of block_[block_pos_]
  int64_t line_ = 0;           // number of the next line (1-based)
};

}  // namespace pixguard
