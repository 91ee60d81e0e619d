#pragma once
// Appends JSON to a reusable std::string: the output encoders' only formatting tool, so that
// encoding a record allocates nothing once the buffer has grown.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace pixguard {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void raw(std::string_view s) { out_->append(s); }
  void ch(char c) { out_->push_back(c); }

  // A JSON string. Control characters are escaped; bytes >= 0x80 pass through (callers hand
  // in UTF-8 that a decoder validated, or use base64 for raw bytes).
  void string(std::string_view s) {
    // Most text needs no escaping: check it in one branch-free pass, then copy it whole.
    bool plain = true;
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      plain &= (u >= 0x20) & (u != '"') & (u != '\\');
    }
    out_->push_back('"');
    if (plain) {
      out_->append(s);
    } else {
      escape(s);
    }
    out_->push_back('"');
  }

  void integer(int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, static_cast<std::size_t>(r.ptr - buf));
  }

  // Shortest text that reads back to the same double; NaN and infinities become null.
  void number(double v) {
    if (!std::isfinite(v)) {
      out_->append("null");
      return;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, static_cast<std::size_t>(r.ptr - buf));
  }

  void key(std::string_view k) {
    string(k);
    out_->push_back(':');
  }

 private:
  void escape(std::string_view s) {
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_->append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out_->append("\\\""); break;
        case '\\': out_->append("\\\\"); break;
        case '\n': out_->append("\\n"); break;
        case '\r': out_->append("\\r"); break;
        case '\t': out_->append("\\t"); break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out_->append(esc, 6);
        }
      }
    }
    out_->append(s.data() + run, s.size() - run);
  }

  std::string* out_;
};

}  // namespace pixguard
