// CSV decoding (RFC 4180 quoting) through the header's column names. Each physical line is
// one record: a newline inside quotes is reported as unterminated quoting, so one bad quote
// can never swallow the rest of a file.
#include <simdjson.h>

#include <string>
#include <vector>

#include "decode/decoder.h"

namespace pixguard {
namespace {

class CsvDecoder final : public Decoder {
 public:
  CsvDecoder(std::vector<int> column_fields, char delimiter)
      : column_fields_(std::move(column_fields)), delimiter_(delimiter) {}

  bool decode(std::string_view line, TextArena* arena, FieldValues* out, Rejection* why) override {
    out->clear();
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!simdjson::validate_utf8(line.data(), line.size())) {
      *why = Rejection::message("invalid_utf8", "the record is not valid UTF-8");
      return false;
    }
    std::size_t column = 0;
    std::size_t pos = 0;
    while (true) {
      if (column >= column_fields_.size()) {
        *why = Rejection::message("column_count", "more columns than the header");
        return false;
      }
      FieldValue cell;
      if (!read_cell(line, &pos, arena, &cell, why)) return false;
      if (const int f = column_fields_[column]; f >= 0) (*out)[static_cast<Field>(f)] = cell;
      ++column;
      if (pos >= line.size()) break;
      ++pos;  // the delimiter
    }
    if (column != column_fields_.size()) {
      *why = Rejection::message("column_count", "fewer columns than the header");
      return false;
    }
    return true;
  }

 private:
  // Reads the cell starting at *pos; leaves *pos on the delimiter or at the end.
  bool read_cell(std::string_view line, std::size_t* pos, TextArena* arena, FieldValue* cell, Rejection* why) const {
    std::size_t i = *pos;
    if (i < line.size() && line[i] == '"') {
      ++i;
      char* dst = arena->free_space();
      std::size_t n = 0;
      while (true) {
        if (i >= line.size()) {
          *why = Rejection::message("csv_quoting", "unterminated quoted cell");
          return false;
        }
        if (n >= arena->free_size()) {
          *why = Rejection::message("message_too_large", "quoted cell larger than the batch buffer");
          return false;
        }
        const char c = line[i++];
        if (c == '"') {
          if (i < line.size() && line[i] == '"') {
            dst[n++] = '"';
            ++i;
            continue;
          }
          break;
        }
        dst[n++] = c;
      }
      if (i < line.size() && line[i] != delimiter_) {
        *why = Rejection::message("csv_quoting", "text after a closing quote");
        return false;
      }
      cell->text = arena->commit(n);
      cell->kind = ValueKind::kString;
      *pos = i;
      return true;
    }
    const std::size_t start = i;
    while (i < line.size() && line[i] != delimiter_) {
      if (line[i] == '"') {
        *why = Rejection::message("csv_quoting", "quote inside an unquoted cell");
        return false;
      }
      ++i;
    }
    cell->text = line.substr(start, i - start);
    cell->kind = cell->text.empty() ? ValueKind::kNull : ValueKind::kString;
    *pos = i;
    return true;
  }

  std::unique_ptr<Decoder> clone() const override { return std::make_unique<CsvDecoder>(column_fields_, delimiter_); }

  std::vector<int> column_fields_;  // per column: the Field it fills, or -1
  char delimiter_;
};

}  // namespace

Status make_csv_decoder(const FieldMapping& mapping, std::string_view header_line, char delimiter,
                        std::unique_ptr<Decoder>* out) {
  if (!header_line.empty() && header_line.back() == '\r') header_line.remove_suffix(1);
  if (header_line.size() >= 3 && header_line.substr(0, 3) == "\xEF\xBB\xBF") header_line.remove_prefix(3);
  std::vector<std::string> columns;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = header_line.find(delimiter, start);
    std::string name(header_line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    columns.push_back(std::move(name));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::vector<int> column_fields(columns.size(), -1);
  std::string missing;
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    const std::string& wanted = mapping.source_names[f];
    if (wanted.empty()) continue;
    bool found = false;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (columns[c] == wanted) {
        column_fields[c] = static_cast<int>(f);
        found = true;
      }
    }
    if (!found) {
      missing += missing.empty() ? "" : ", ";
      missing += "'" + wanted + "' (for " + std::string(kFieldNames[f]) + ")";
    }
  }
  if (!missing.empty()) {
    return Status::InvalidArgument("CSV header lacks the mapped column(s) " + missing);
  }
  *out = std::make_unique<CsvDecoder>(std::move(column_fields), delimiter);
  return Status::Ok();
}

}  // namespace pixguard
