#pragma once
// Little-endian binary encoding for snapshots (checkpoints). The writer appends to a
// string; the reader never reads past its input: a short or malformed input sets failed()
// and yields zeros, so a loader checks once at the end instead of after every field.
//
// Trivially copyable arrays go through one memcpy each, which is what makes restoring
// millions of keys fast (docs/performance.md).
#include <cstdint>
#include <bit>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pixguard {

static_assert(std::endian::native == std::endian::little, "snapshots are written little-endian");

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}

  template <typename T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_->append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    out_->append(s);
  }
  template <typename T>
  void put_array(const T* data, std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    put<uint64_t>(n);
    if (n > 0) out_->append(reinterpret_cast<const char*>(data), n * sizeof(T));
  }
  std::size_t size() const { return out_->size(); }
  void reserve_more(std::size_t bytes) { out_->reserve(out_->size() + bytes); }

 private:
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    if (!take(sizeof v)) return v;
    std::memcpy(&v, in_.data() + pos_ - sizeof v, sizeof v);
    return v;
  }
  std::string get_string() {
    const uint64_t n = get<uint64_t>();
    if (!take(n)) return {};
    return std::string(in_.substr(pos_ - n, n));
  }
  // Appends the array to `out`; refuses counts the remaining input cannot hold, so a
  // corrupt count never triggers a huge allocation.
  template <typename T>
  void get_array(std::vector<T>* out) {
    static_assert(std::is_trivially_copyable_v<T>);
    const uint64_t n = get<uint64_t>();
    if (failed_ || n > remaining() / sizeof(T)) {
      failed_ = true;
      return;
    }
    const std::size_t old = out->size();
    out->resize(old + n);
    if (n > 0) std::memcpy(out->data() + old, in_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }
  // For counts that size an allocation: fails when even `min_bytes_each` per element would
  // not fit in what is left.
  uint64_t get_count(std::size_t min_bytes_each) {
    const uint64_t n = get<uint64_t>();
    if (!failed_ && min_bytes_each > 0 && n > remaining() / min_bytes_each) failed_ = true;
    return failed_ ? 0 : n;
  }

  void skip(uint64_t n) { take(n); }
  // What is left to read.
  std::string_view rest() const { return in_.substr(pos_); }

  bool failed() const { return failed_; }
  bool at_end() const { return pos_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }
  void fail() { failed_ = true; }

 private:
  bool take(uint64_t n) {
    if (failed_ || n > remaining()) {
      failed_ = true;
      return false;
    }
    pos_ += n;
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace pixguard
