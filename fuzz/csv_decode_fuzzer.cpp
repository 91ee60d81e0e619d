// Fuzzes the CSV decoder and the validator over what it decodes. The input's first line is
// the header: every canonical field name (or column name of the foreign example,
// config/examples/foreign_csv.yaml) found in it is mapped, and the delimiter is the first of
// , ; | TAB it contains. When no decoder can be made from it, the whole input is read as
// records under the canonical 17-column header. Each further line is one record.
// Checked beyond "no sanitizer report":
//  - make_csv_decoder refuses a header only naming the columns it lacks;
//  - a rejection is a message-level decode rule; "message_too_large" never happens when the
//    arena holds the line (the contract's minimum, so ASan sees any write beyond);
//  - every mapped field is present (a string, or null for an empty cell), unmapped ones are
//    absent; unquoted text is a slice of the line without delimiter or quote;
//  - a reference reader (a four-state RFC 4180 automaton written here) agrees on accepting
//    the record, on the rule when refusing it, and on every mapped field's kind and text;
//  - writing the fields back as a CSV line (quoted, quotes doubled) decodes to the same values;
//  - the validator's promises (fuzz_checks.h).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decode/decoder.h"
#include "fuzz/fuzz_checks.h"

namespace pixguard::fuzz {
namespace {

// The foreign example's column names, per field ("" = none).
std::string_view foreign_name(Field f) {
  switch (f) {
    case Field::kEventTime: return "TX_DATETIME";
    case Field::kPayerAccount: return "CUSTOMER_ID";
    case Field::kPayeeAccount: return "TERMINAL_ID";
    case Field::kAmount: return "TX_AMOUNT";
    case Field::kLabel: return "TX_FRAUD";
    default: return {};
  }
}

struct Setup {
  FieldMapping mapping;
  char delimiter = ',';
  std::unique_ptr<Decoder> decoder;
  std::vector<std::string> columns;  // the header's column names
  std::vector<int> column_field;     // per column: the Field it fills, or -1
};

std::vector<std::string> columns(std::string_view header, char delimiter);

bool make(std::string_view header, const FieldMapping& mapping, char delimiter, Setup* out) {
  out->mapping = mapping;
  out->delimiter = delimiter;
  out->columns = columns(header, delimiter);
  out->column_field.assign(out->columns.size(), -1);
  for (std::size_t c = 0; c < out->columns.size(); ++c) {
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      if (mapping.mapped(static_cast<Field>(f)) && mapping.source_names[f] == out->columns[c]) {
        out->column_field[c] = static_cast<int>(f);
      }
    }
  }
  const Status st = make_csv_decoder(mapping, header, delimiter, &out->decoder);
  if (!st.ok()) {
    PIXGUARD_FUZZ_CHECK(st.message().rfind("CSV header lacks the mapped column(s) '", 0) == 0);
    PIXGUARD_FUZZ_CHECK(out->decoder == nullptr);
    return false;
  }
  PIXGUARD_FUZZ_CHECK(out->decoder != nullptr);
  return true;
}

struct Decoded {
  std::unique_ptr<char[]> buffer;
  TextArena arena;
  bool ok = false;
  FieldValues values;
  Rejection why;
};

Decoded decode(const Setup& s, std::string_view line) {
  Decoded d;
  d.buffer = std::make_unique<char[]>(line.size() + kMessagePadding);
  char* buf = d.buffer.get();
  if (!line.empty()) std::memcpy(buf, line.data(), line.size());
  std::memset(buf + line.size(), '"', kMessagePadding);
  d.arena.reset(line.size());
  const char* arena_start = d.arena.free_space();
  d.ok = s.decoder->decode(std::string_view(buf, line.size()), &d.arena, &d.values, &d.why);
  if (!d.ok) {
    PIXGUARD_FUZZ_CHECK(d.why.field == -1);
    PIXGUARD_FUZZ_CHECK(d.why.rule == "invalid_utf8" || d.why.rule == "column_count" || d.why.rule == "csv_quoting");
    return d;
  }
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const FieldValue& v = d.values.values[i];
    if (!s.mapping.mapped(static_cast<Field>(i))) {
      PIXGUARD_FUZZ_CHECK(v.kind == ValueKind::kAbsent && v.text.empty());
      continue;
    }
    PIXGUARD_FUZZ_CHECK(v.kind == ValueKind::kString || v.kind == ValueKind::kNull);
    if (v.kind == ValueKind::kNull) PIXGUARD_FUZZ_CHECK(v.text.empty());
    const bool in_line = v.text.data() >= buf && v.text.data() + v.text.size() <= buf + line.size();
    const bool in_arena = v.text.data() >= arena_start && v.text.data() + v.text.size() <= arena_start + line.size();
    PIXGUARD_FUZZ_CHECK(in_line || in_arena);
    if (in_line && !in_arena) {  // unquoted
      PIXGUARD_FUZZ_CHECK(v.kind == ValueKind::kNull || !v.text.empty());
      PIXGUARD_FUZZ_CHECK(v.text.find('"') == std::string_view::npos);
      PIXGUARD_FUZZ_CHECK(v.text.find(s.delimiter) == std::string_view::npos);
    }
  }
  return d;
}

bool same(const Decoded& a, const Decoded& b) {
  if (a.ok != b.ok) return false;
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (a.values.values[i].kind != b.values.values[i].kind || a.values.values[i].text != b.values.values[i].text) {
      return false;
    }
  }
  return true;
}

// The header's columns (split as make_csv_decoder does, outer quotes dropped).
std::vector<std::string> columns(std::string_view header, char delimiter) {
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  if (header.size() >= 3 && header.substr(0, 3) == "\xEF\xBB\xBF") header.remove_prefix(3);
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = header.find(delimiter, start);
    std::string name(header.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    out.push_back(std::move(name));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

// The decoded fields written back as a record of the same header: strings quoted with
// quotes doubled, nulls as empty cells, unmapped columns empty. A column named twice gets
// the field in each place (the decoder fills the field from the last one).
std::string encode(const Setup& s, const FieldValues& values) {
  std::string out;
  for (std::size_t c = 0; c < s.columns.size(); ++c) {
    if (c > 0) out += s.delimiter;
    if (s.column_field[c] < 0) continue;
    const FieldValue& v = values.values[static_cast<std::size_t>(s.column_field[c])];
    if (v.kind != ValueKind::kString) continue;
    out += '"';
    for (const char ch : v.text) {
      out += ch;
      if (ch == '"') out += '"';
    }
    out += '"';
  }
  return out;
}

// The reference reading of one record.
struct Cell {
  bool quoted = false;
  std::string text;
};
struct Record {
  std::string_view rule;  // empty: accepted
  std::vector<Cell> cells;
};

Record reference_record(std::string_view line, char delimiter, std::size_t column_count) {
  Record r;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!is_utf8(line)) return {"invalid_utf8", {}};
  enum class State { kCellStart, kUnquoted, kQuoted, kQuoteInQuoted } state = State::kCellStart;
  Cell cell;
  // A cell ends at a delimiter: one past the header's count is refused there and then.
  const auto end_cell_at_delimiter = [&] {
    r.cells.push_back(std::move(cell));
    cell = Cell{};
    state = State::kCellStart;
    return r.cells.size() < column_count;
  };
  for (const char c : line) {
    switch (state) {
      case State::kCellStart:
        if (c == delimiter) {
          if (!end_cell_at_delimiter()) return {"column_count", {}};
        } else if (c == '"') {
          cell.quoted = true;
          state = State::kQuoted;
        } else {
          cell.text += c;
          state = State::kUnquoted;
        }
        break;
      case State::kUnquoted:
        if (c == delimiter) {
          if (!end_cell_at_delimiter()) return {"column_count", {}};
        } else if (c == '"') {
          return {"csv_quoting", {}};
        } else {
          cell.text += c;
        }
        break;
      case State::kQuoted:
        if (c == '"') {
          state = State::kQuoteInQuoted;
        } else {
          cell.text += c;
        }
        break;
      case State::kQuoteInQuoted:
        if (c == '"') {
          cell.text += '"';
          state = State::kQuoted;
        } else if (c == delimiter) {
          if (!end_cell_at_delimiter()) return {"column_count", {}};
        } else {
          return {"csv_quoting", {}};
        }
        break;
    }
  }
  if (state == State::kQuoted) return {"csv_quoting", {}};
  r.cells.push_back(std::move(cell));
  if (r.cells.size() != column_count) return {"column_count", {}};
  return r;
}

void check_against_reference(const Setup& s, std::string_view line, const Decoded& d) {
  const Record ref = reference_record(line, s.delimiter, s.columns.size());
  if (!d.ok) {
    PIXGUARD_FUZZ_CHECK(d.why.rule == ref.rule);
    return;
  }
  PIXGUARD_FUZZ_CHECK(ref.rule.empty());
  for (std::size_t c = 0; c < ref.cells.size(); ++c) {
    const int f = s.column_field[c];
    if (f < 0) continue;
    bool last = true;  // a column named twice: the decoder keeps the last one
    for (std::size_t later = c + 1; later < ref.cells.size(); ++later) last = last && s.column_field[later] != f;
    if (!last) continue;
    const FieldValue& v = d.values.values[static_cast<std::size_t>(f)];
    const Cell& cell = ref.cells[c];
    PIXGUARD_FUZZ_CHECK(v.kind == (cell.quoted || !cell.text.empty() ? ValueKind::kString : ValueKind::kNull));
    PIXGUARD_FUZZ_CHECK(v.text == cell.text);
  }
}

void check_line(const Setup& s, const Validator& validator, std::string_view line) {
  const Decoded a = decode(s, line);
  check_against_reference(s, line, a);
  if (!a.ok) return;
  const std::string again = encode(s, a.values);
  const Decoded b = decode(s, again);
  if (!same(a, b)) std::fprintf(stderr, "re-encoded record differs: %s\n", again.c_str());
  PIXGUARD_FUZZ_CHECK(same(a, b));
  check_validation(validator, b.values);
}

ValidationOptions options_for(const FieldMapping& mapping) {
  ValidationOptions o;
  o.mapping = mapping;
  o.zone = sao_paulo();
  return o;
}

}  // namespace
}  // namespace pixguard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace pixguard;
  using namespace pixguard::fuzz;
  if (size > 64 * 1024) return 0;  // lines are split and re-encoded: keep runs quick
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.find('\n');
  const std::string_view first = input.substr(0, nl);

  Setup setup;
  std::string_view records = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
  char delimiter = ',';
  for (const char d : {',', ';', '|', '\t'}) {
    if (first.find(d) != std::string_view::npos) {
      delimiter = d;
      break;
    }
  }
  FieldMapping from_header;
  bool any = false;
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    const std::string_view canonical = kFieldNames[f], foreign = foreign_name(static_cast<Field>(f));
    if (first.find(canonical) != std::string_view::npos) {
      from_header.source_names[f] = std::string(canonical);
    } else if (!foreign.empty() && first.find(foreign) != std::string_view::npos) {
      from_header.source_names[f] = std::string(foreign);
    }
    any = any || from_header.mapped(static_cast<Field>(f));
  }
  // Most inputs name no field in their first line: one decoder under the canonical header
  // serves them all.
  static const Setup* const canonical = [] {
    auto* c = new Setup();
    std::string header;
    for (const std::string_view name : kFieldNames) {
      header += header.empty() ? "" : ",";
      header += name;
    }
    PIXGUARD_FUZZ_CHECK(make(header, FieldMapping::identity(), ',', c));
    return c;
  }();
  static const Validator* const canonical_validator = new Validator(options_for(FieldMapping::identity()));

  const Setup* use = &setup;
  std::unique_ptr<Validator> validator;
  if (any && make(first, from_header, delimiter, &setup)) {
    validator = std::make_unique<Validator>(options_for(setup.mapping));
  } else {
    use = canonical;
    records = input;
  }
  const Validator& v = validator ? *validator : *canonical_validator;
  while (!records.empty()) {
    const std::size_t end = records.find('\n');
    check_line(*use, v, records.substr(0, end));
    records = end == std::string_view::npos ? std::string_view{} : records.substr(end + 1);
  }
  return 0;
}
