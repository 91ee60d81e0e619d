#pragma once
// A JSON-lines or CSV file, read in large blocks and split into lines (one message per
// line; a trailing '\r' is kept for the decoder to strip). For CSV the first line is the
// header: it is read at open() and is not a message. Lines may be of any length: a 10 MB
// line is delivered whole (the pipeline rejects messages above its size limit).
// Position: "<byte offset>:<line number>" of the next line.
#include <cstdint>
#include <memory>
#include <string>

#include "decode/decoder.h"
#include "sources/source.h"

namespace pixguard {

class FileSource final : public Source {
 public:
  static Status open(const std::string& path, InputFormat format, std::unique_ptr<FileSource>* out);
  ~FileSource() override;

  const std::string& name() const override { return name_; }
  Status read(RecordBatch* batch, std::size_t max_records, bool* end) override;
  std::string position() const override;
  Status seek(std::string_view position) override;

  // The CSV header line (empty for JSON lines).
  const std::string& header() const { return header_; }

 private:
  FileSource(std::string path, int fd) : path_(std::move(path)), name_("file:" + path_), fd_(fd) {}
  // Fills `line` with the next line; false at the end of the file.
  Status next_line(std::string_view* line, bool* found);
  Status refill();

  std::string path_;
  std::string name_;
  int fd_;
  std::string header_;
  std::string block_;          // unconsumed bytes from the file
  std::size_t block_pos_ = 0;  // start of unconsumed bytes in block_
  bool eof_ = false;
  int64_t offset_ = 0;         // byte offset of block_[block_pos_]
  int64_t line_ = 0;           // number of the next line (1-based)
};

}  // namespace pixguard
