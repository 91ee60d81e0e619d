#pragma once
// Bump storage for text that outlives a parser's scratch buffer (unescaped JSON strings,
// unquoted CSV cells) until the batch that owns it is done. reset() keeps the memory, so
// the steady state allocates nothing. Views handed out stay valid until the next reset().
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace pixguard {

class TextArena {
 public:
  // Makes room for at least `capacity` bytes and forgets earlier contents.
  void reset(std::size_t capacity) {
    if (capacity > capacity_) {
      data_ = std::make_unique<char[]>(capacity);
      capacity_ = capacity;
    }
    used_ = 0;
  }

  // Copies `text` in. The caller sizes reset() so this cannot overflow (decoded text is
  // never longer than the message it came from); overflow would be a programming error, so
  // it degrades to an empty view rather than writing out of bounds.
  std::string_view copy(std::string_view text) {
    if (text.size() > capacity_ - used_) return {};
    char* dst = data_.get() + used_;
    if (!text.empty()) std::memcpy(dst, text.data(), text.size());
    used_ += text.size();
    return {dst, text.size()};
  }

  // Start of free space and its size, for writers that unescape in place; commit() claims it.
  char* free_space() { return data_.get() + used_; }
  std::size_t free_size() const { return capacity_ - used_; }
  std::string_view commit(std::size_t n) {
    std::string_view v(data_.get() + used_, n);
    used_ += n;
    return v;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
};

}  // namespace pixguard
