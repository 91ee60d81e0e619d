#pragma once
// A stable 64-bit hash for keys that live in state and checkpoints: the same bytes give the
// same hash in every process and build (absl::Hash and std::hash are seeded or unspecified,
// so they cannot name state that is saved and restored).
#include <cstdint>
#include <cstring>
#include <string_view>

namespace pixguard {

__extension__ typedef unsigned __int128 uint128_t;  // __extension__: GCC/Clang built-in, not ISO

inline uint64_t hash_mix(uint64_t a, uint64_t b) {
  const uint128_t r = static_cast<uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// wyhash-style: 8 bytes at a time, then a 128-bit multiply fold. `seed` gives independent
// hash functions (dedupe keys use two of them for a 128-bit fingerprint).
inline uint64_t stable_hash(std::string_view bytes, uint64_t seed = 0) {
  constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
  uint64_t h = seed ^ k0 ^ (bytes.size() * k1);
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = hash_mix(h ^ w, k1);
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  if (n > 0) std::memcpy(&tail, p, n);  // an empty view's data() may be null
  return hash_mix(h ^ tail ^ (n << 56), k0);
}

// The same family, fed in pieces: a message's hash when it is too large to keep (a dead
// letter of an oversized line carries its length, this hash and a prefix). The total length
// is folded in at the end, so the bytes can stream through without being held.
// content_hash(b) == ContentHash().update(b).digest() however b is split.
class ContentHash {
 public:
  ContentHash& update(std::string_view bytes) {
    size_ += bytes.size();
    const char* p = bytes.data();
    std::size_t n = bytes.size();
    if (pending_ > 0) {
      const std::size_t take = n < 8 - pending_ ? n : 8 - pending_;
      std::memcpy(buffer_ + pending_, p, take);
      pending_ += take;
      p += take;
      n -= take;
      if (pending_ < 8) return *this;
      word(buffer_);
      pending_ = 0;
    }
    while (n >= 8) {
      word(p);
      p += 8;
      n -= 8;
    }
    if (n > 0) std::memcpy(buffer_, p, n);
    pending_ = n;
    return *this;
  }
  uint64_t digest() const {
    uint64_t tail = 0;
    if (pending_ > 0) std::memcpy(&tail, buffer_, pending_);
    const uint64_t h = hash_mix(h_ ^ tail ^ (static_cast<uint64_t>(pending_) << 56), kK0);
    return hash_mix(h ^ size_, kK1);
  }
  uint64_t size() const { return size_; }

 private:
  static constexpr uint64_t kK0 = 0xa0761d6478bd642full, kK1 = 0xe7037ed1a0b428dbull;
  void word(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h_ = hash_mix(h_ ^ w, kK1);
  }
  uint64_t h_ = kK0;
  uint64_t size_ = 0;
  char buffer_[8] = {};
  std::size_t pending_ = 0;
};

inline uint64_t content_hash(std::string_view bytes) { return ContentHash().update(bytes).digest(); }

inline uint64_t hash_combine(uint64_t a, uint64_t b) { return hash_mix(a ^ 0x9e3779b97f4a7c15ull, b | 1); }

}  // namespace pixguard
