#pragma once
// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash, a pseudorandom function
// for short inputs. It names accounts, payees and devices in the state and its checkpoints,
// so that a checkpoint read without the key does not give away which CPF or Pix key it holds
// (an unkeyed 64-bit hash of an 11-digit CPF is inverted by trying them all in seconds).
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace pixguard {

using SipKey = std::array<uint64_t, 2>;

inline uint64_t siphash24(const SipKey& key, std::string_view bytes) {
  const auto rotl = [](uint64_t x, int b) { return (x << b) | (x >> (64 - b)); };
  uint64_t v0 = 0x736f6d6570736575ull ^ key[0];
  uint64_t v1 = 0x646f72616e646f6dull ^ key[1];
  uint64_t v2 = 0x6c7967656e657261ull ^ key[0];
  uint64_t v3 = 0x7465646279746573ull ^ key[1];
  const auto round = [&] {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  };
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  while (n >= 8) {
    uint64_t m;
    std::memcpy(&m, p, 8);  // little-endian, as the reference reads words (x86, ARM)
    v3 ^= m;
    round();
    round();
    v0 ^= m;
    p += 8;
    n -= 8;
  }
  uint64_t last = static_cast<uint64_t>(bytes.size()) << 56;
  if (n > 0) {
    uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    last |= tail;
  }
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xff;
  round();
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace pixguard
