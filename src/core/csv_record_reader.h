#pragma once
// Reads RFC 4180 records from a file: fields separated by ',', optionally quoted with '"' (a
// doubled quote inside stands for one), and a quoted field may span lines. That is exactly
// what TableFileSink writes (it quotes cells holding ',', '"', CR or LF). Used by the
// training table and the profile tables.
//
// Threading: one reader per file and thread.
#include <sys/types.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace pixguard {

class CsvRecordReader {
 public:
  explicit CsvRecordReader(std::FILE* f) : file_(f) {}
  ~CsvRecordReader() { std::free(line_); }
  CsvRecordReader(const CsvRecordReader&) = delete;
  CsvRecordReader& operator=(const CsvRecordReader&) = delete;

  // Next record into `fields`; false at end of file or on a read error (see error()).
  // `first_line` is the physical line the record starts on (1-based).
  bool next(std::vector<std::string>* fields, std::size_t* first_line) {
    record_.clear();
    bool in_record = false;
    while (true) {
      errno = 0;
      const ssize_t n = ::getline(&line_, &capacity_, file_);
      if (n < 0) {
        read_errno_ = errno;
        if (in_record) {
          unterminated_ = true;
          *first_line = record_line_;
        }
        return false;
      }
      ++line_number_;
      if (!in_record) {
        record_line_ = line_number_;
        in_record = true;
      }
      record_.append(line_, static_cast<std::size_t>(n));
      if (split(fields)) {
        *first_line = record_line_;
        return true;
      }
      // Inside a quoted field: the line break belongs to the value; read on.
    }
  }

  int read_errno() const { return read_errno_; }
  bool unterminated() const { return unterminated_; }

 private:
  // Splits record_ into fields; false when it ends inside quotes.
  bool split(std::vector<std::string>* fields) {
    std::string_view r(record_);
    // The record's own line break (LF or CRLF) is not part of the last field.
    std::size_t end = r.size();
    std::size_t field = 0;
    auto cell = [&](std::size_t i) -> std::string& {
      if (fields->size() <= i) fields->resize(i + 1);
      return (*fields)[i];
    };
    std::size_t i = 0;
    while (true) {
      std::string& out = cell(field);
      out.clear();
      if (i < end && r[i] == '"') {
        ++i;
        while (true) {
          if (i >= end) return false;  // the closing quote is on a later line
          if (r[i] == '"') {
            if (i + 1 < end && r[i + 1] == '"') {
              out.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          out.push_back(r[i++]);
        }
        // After the closing quote only the separator or the end may follow; anything else is
        // kept verbatim so that the cell fails its own check with a visible value.
      }
      while (i < end && r[i] != ',' && r[i] != '\n' && r[i] != '\r') out.push_back(r[i++]);
      if (i < end && r[i] == ',') {
        ++i;
        ++field;
        continue;
      }
      break;
    }
    fields->resize(field + 1);
    return true;
  }

  std::FILE* file_;
  char* line_ = nullptr;
  std::size_t capacity_ = 0;
  std::string record_;
  std::size_t line_number_ = 0;
  std::size_t record_line_ = 0;
  int read_errno_ = 0;
  bool unterminated_ = false;
};

}  // namespace pixguard
