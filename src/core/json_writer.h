#pragma once
// Appends JSON to a reusable std::string: the output encoders' only formatting tool. It
// writes through a raw cursor into space it reserves in chunks (one bounds check per call,
// no per-character bookkeeping), and trims the string to what was written when it is
// destroyed, so encoding a record allocates nothing once the buffer has grown.
//
// Contract: while a JsonWriter is alive, write to its string only through it.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace pixguard {

class JsonWriter {
 public:
  // Claims 2 KiB past the end up front, enough for a typical record: one resize per record
  // instead of one per growth step. (std::string cannot grow without zero-filling, so it
  // must not claim a large buffer's whole capacity each time.)
  explicit JsonWriter(std::string* out) : out_(out), pos_(out->size()) { out_->resize(pos_ + 2048); }
  ~JsonWriter() { out_->resize(pos_); }
  // The output's length so far (the string itself is longer until the writer is done).
  std::size_t size() const { return pos_; }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void raw(std::string_view s) {
    if (s.empty()) return;  // an empty view may have a null data(): memcpy must not see it
    char* p = reserve(s.size());
    std::memcpy(p, s.data(), s.size());
    pos_ += s.size();
  }
  void ch(char c) {
    *reserve(1) = c;
    ++pos_;
  }

  // A JSON string. Control characters, quotes and backslashes are escaped; bytes >= 0x80
  // pass through (callers hand in UTF-8 that a decoder validated, or base64 for raw bytes).
  void string(std::string_view s) {
    char* p = reserve(s.size() * 6 + 2);  // worst case: every byte becomes \u00XX
    char* const start = p;
    *p++ = '"';
    // Most text needs no escaping: find the first byte that does, 8 bytes at a time, and
    // copy everything before it in one go.
    const std::size_t plain = plain_prefix(s);
    if (plain > 0) std::memcpy(p, s.data(), plain);  // an empty view's data() may be null
    p += plain;
    for (std::size_t i = plain; i < s.size(); ++i) {
      const char c = s[i];
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u != '"' && u != '\\') {
        *p++ = c;
        continue;
      }
      *p++ = '\\';
      switch (u) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          *p++ = 'u';
          *p++ = '0';
          *p++ = '0';
          *p++ = kHex[u >> 4];
          *p++ = kHex[u & 15];
        }
      }
    }
    *p++ = '"';
    pos_ += static_cast<std::size_t>(p - start);
  }

  void integer(int64_t v) {
    char* p = reserve(24);
    pos_ += static_cast<std::size_t>(std::to_chars(p, p + 24, v).ptr - p);
  }

  // Shortest text that reads back to the same double; NaN and infinities become null.
  void number(double v) {
    if (!std::isfinite(v)) {
      raw("null");
      return;
    }
    // Counts and flags are whole numbers: print them as integers, which is several times
    // cheaper than the shortest-round-trip algorithm and gives the same text.
    if (v == std::trunc(v) && std::fabs(v) < 9.0e15) {
      integer(static_cast<int64_t>(v));
      return;
    }
    char* p = reserve(32);
    pos_ += static_cast<std::size_t>(std::to_chars(p, p + 32, v).ptr - p);
  }

  void key(std::string_view k) {
    string(k);
    ch(':');
  }

 private:
  // Length of the longest prefix of `s` that JSON can hold unescaped (no control character,
  // quote or backslash). SWAR on 8-byte words: a byte b is flagged when b < 0x20 or it equals
  // '"' or '\\'; bytes >= 0x80 (UTF-8) are never flagged.
  static std::size_t plain_prefix(std::string_view s) {
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      const uint64_t quote = w ^ (kOnes * '"'), slash = w ^ (kOnes * '\\');
      // (x - 0x01..) & ~x has the high bit of each zero byte of x set (a borrow may also flag
      // bytes after a real hit, which only stops the fast scan a little early).
      const uint64_t flagged =
          (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash)) & kHigh;
      if (flagged != 0) break;
    }
    while (i < s.size()) {
      const auto u = static_cast<unsigned char>(s[i]);
      if (u < 0x20 || u == '"' || u == '\\') break;
      ++i;
    }
    return i;
  }

  // Makes room for `n` more bytes at the cursor and returns the cursor.
  char* reserve(std::size_t n) {
    if (pos_ + n > out_->size()) out_->resize(std::max(out_->size() * 2, pos_ + n + 1024));
    return out_->data() + pos_;
  }

  std::string* out_;
  std::size_t pos_;  // bytes of *out_ that hold output; the rest is reserved space
};

}  // namespace pixguard
