#pragma once
// ULEB128 varints and zigzag integers: Thrift's compact protocol, the RLE/bit-packed hybrid
// and the delta encodings all write integers this way.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pixguard::parquet {

inline void put_uleb128(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads the varint at in[*pos] and moves *pos past it; false when it is cut short or longer
// than a uint64_t can hold (*pos is then unspecified).
inline bool get_uleb128(std::string_view in, std::size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= in.size()) return false;
    const auto b = static_cast<uint8_t>(in[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

inline uint64_t zigzag_encode(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t zigzag_decode(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace pixguard::parquet
