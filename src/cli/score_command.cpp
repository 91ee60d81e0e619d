// `pixguard score`: score a CSV table with an XGBoost JSON model, offline. The output has one
// column, `score`, one line per input row in input order, each the shortest decimal that
// reads back as the exact double (the model's float probability widened), so a consumer
// compares scores with XGBoost's own bit for bit.
//
// Input: a header row names the columns; every model feature must be one (matched by name,
// extra columns ignored). An empty cell is a missing value (NaN). A cell is read as a double
// with std::from_chars (exact, locale-free, no leading '+' or spaces; "nan" and "inf" are
// accepted) and then rounded to float, as the streaming scorer and numpy/pandas do.
// Double quotes around a cell are allowed (RFC 4180).
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "score/gbdt_model.h"

namespace pixguard::cli {
namespace {

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

bool read_all(const std::string& path, std::string* out) {
  File f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return false;
  char buf[1 << 16];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f.get())) > 0) out->append(buf, got);
  return !std::ferror(f.get());
}

// Splits one CSV record starting at `pos` into `cells` (views into `text`, or into `unquoted`
// for quoted cells: a deque, so that growing it leaves earlier views valid). Returns false on
// a malformed quote. Advances `pos` past the line end.
bool next_record(std::string_view text, std::size_t* pos, std::vector<std::string_view>* cells,
                 std::deque<std::string>* unquoted) {
  cells->clear();
  std::size_t quoted_used = 0;
  std::size_t p = *pos;
  while (true) {
    if (p < text.size() && text[p] == '"') {
      if (quoted_used == unquoted->size()) unquoted->emplace_back();
      std::string& cell = (*unquoted)[quoted_used++];
      cell.clear();
      ++p;
      while (true) {
        if (p >= text.size()) return false;  // no closing quote
        if (text[p] == '"') {
          if (p + 1 < text.size() && text[p + 1] == '"') {
            cell.push_back('"');
            p += 2;
            continue;
          }
          ++p;
          break;
        }
        cell.push_back(text[p++]);
      }
      if (p < text.size() && text[p] != ',' && text[p] != '\n' && text[p] != '\r') return false;
      cells->emplace_back(cell);
    } else {
      const std::size_t start = p;
      while (p < text.size() && text[p] != ',' && text[p] != '\n' && text[p] != '\r') ++p;
      cells->emplace_back(text.substr(start, p - start));
    }
    if (p < text.size() && text[p] == ',') {
      ++p;
      continue;
    }
    if (p < text.size() && text[p] == '\r') ++p;
    if (p < text.size() && text[p] == '\n') ++p;
    *pos = p;
    return true;
  }
}

// IEEE round-to-nearest narrowing, as numpy's float64 -> float32: beyond the float range a C++
// cast is undefined, so values from FLT_MAX + half an ulp up become infinity explicitly.
float to_float(double v) {
  constexpr double kOverflow = 0x1.ffffffp127;
  if (std::abs(v) >= kOverflow) return v > 0 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
  return static_cast<float>(v);
}

}  // namespace

Command add_score_command(CLI::App& app) {
  struct Flags {
    std::string model;
    std::string input;
    std::string output;
    bool quiet = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand("score", "Score the rows of a CSV table with an XGBoost JSON model");
  sub->add_option("-m,--model", flags->model, "XGBoost model saved as JSON, with feature names")->required();
  sub->add_option("-i,--input", flags->input, "CSV table with a header; columns named like the model's features")
      ->required();
  sub->add_option("-o,--output", flags->output, "CSV to write: a `score` column, one line per input row")->required();
  sub->add_flag("-q,--quiet", flags->quiet, "No summary on stderr");

  return [flags]() -> int {
    std::shared_ptr<const GbdtModel> model;
    if (Status s = GbdtModel::load(flags->model, &model); !s.ok()) {
      std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
      // A file that is missing or unreadable is an I/O failure (1), as in every command; a
      // file that is there but is not a model we can serve is a usage error (2).
      return s.code() == StatusCode::kIoError || s.code() == StatusCode::kNotFound ? kExitFailure : kExitUsage;
    }
    std::string text;
    if (!read_all(flags->input, &text)) {
      std::fprintf(stderr, "pixguard: %s: cannot read: %s\n", flags->input.c_str(), std::strerror(errno));
      return kExitFailure;
    }
    if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // UTF-8 BOM
    const std::string_view view(text);

    std::vector<std::string_view> cells;
    std::deque<std::string> unquoted;
    std::size_t pos = 0;
    if (view.empty() || !next_record(view, &pos, &cells, &unquoted)) {
      std::fprintf(stderr, "pixguard: %s: no header row\n", flags->input.c_str());
      return kExitUsage;
    }
    const std::vector<std::string> header(cells.begin(), cells.end());
    const std::vector<std::string>& features = model->feature_names();
    std::vector<std::size_t> column_of(features.size());
    std::string missing;
    for (std::size_t f = 0; f < features.size(); ++f) {
      const auto it = std::find(header.begin(), header.end(), features[f]);
      if (it == header.end()) {
        missing += (missing.empty() ? "" : ", ") + features[f];
      } else {
        column_of[f] = static_cast<std::size_t>(it - header.begin());
      }
    }
    if (!missing.empty()) {
      std::fprintf(stderr, "pixguard: %s: the model %s needs column(s) the header lacks: %s\n", flags->input.c_str(),
                   model->version().c_str(), missing.c_str());
      return kExitUsage;
    }

    // Parse everything first, so a bad cell leaves no partial output behind.
    std::vector<float> rows;
    std::size_t line = 1;
    std::size_t row_count = 0;
    while (pos < view.size()) {
      ++line;
      const std::size_t start = pos;
      if (!next_record(view, &pos, &cells, &unquoted)) {
        std::fprintf(stderr, "pixguard: %s: line %zu: unterminated or misplaced quote\n", flags->input.c_str(), line);
        return kExitUsage;
      }
      if (pos - start <= 2 && cells.size() == 1 && cells[0].empty()) continue;  // blank line
      if (cells.size() != header.size()) {
        std::fprintf(stderr, "pixguard: %s: line %zu (row %zu) has %zu cells, the header has %zu\n", flags->input.c_str(),
                     line, row_count + 1, cells.size(), header.size());
        return kExitUsage;
      }
      for (std::size_t f = 0; f < features.size(); ++f) {
        const std::string_view cell = cells[column_of[f]];
        double v = std::numeric_limits<double>::quiet_NaN();
        if (!cell.empty()) {
          const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
          // Out of range (1e400) is an error too: XGBoost would read inf, a silent surprise.
          if (ec != std::errc() || end != cell.data() + cell.size()) {
            std::fprintf(stderr, "pixguard: %s: line %zu (row %zu), column '%s': '%.*s' is not a number\n",
                         flags->input.c_str(), line, row_count + 1, features[f].c_str(), static_cast<int>(cell.size()),
                         cell.data());
            return kExitUsage;
          }
        }
        rows.push_back(to_float(v));
      }
      ++row_count;
    }

    std::vector<double> scores(row_count);
    model->predict_batch(rows.data(), row_count, scores.data());

    const std::string tmp = flags->output + ".pending";
    {
      File out(std::fopen(tmp.c_str(), "wb"), &std::fclose);
      if (!out) {
        std::fprintf(stderr, "pixguard: %s: cannot write: %s\n", tmp.c_str(), std::strerror(errno));
        return kExitFailure;
      }
      std::string buf = "score\n";
      buf.reserve(1 << 16);
      bool ok = true;
      for (const double s : scores) {
        char num[32];
        const auto [end, ec] = std::to_chars(num, num + sizeof num, s);  // shortest round-trip form
        buf.append(num, static_cast<std::size_t>(end - num));
        buf.push_back('\n');
        if (buf.size() > (1 << 16) - 64) {
          ok = ok && std::fwrite(buf.data(), 1, buf.size(), out.get()) == buf.size();
          buf.clear();
        }
      }
      ok = ok && std::fwrite(buf.data(), 1, buf.size(), out.get()) == buf.size();
      ok = ok && std::fflush(out.get()) == 0;
      if (!ok) {
        std::fprintf(stderr, "pixguard: %s: write failed: %s\n", tmp.c_str(), std::strerror(errno));
        return kExitFailure;
      }
    }
    if (std::rename(tmp.c_str(), flags->output.c_str()) != 0) {
      std::fprintf(stderr, "pixguard: %s: cannot rename to %s: %s\n", tmp.c_str(), flags->output.c_str(),
                   std::strerror(errno));
      return kExitFailure;
    }
    if (!flags->quiet) {
      std::fprintf(stderr, "pixguard: scored %zu rows with %s into %s\n", row_count, model->version().c_str(),
                   flags->output.c_str());
    }
    return kExitOk;
  };
}

}  // namespace pixguard::cli
