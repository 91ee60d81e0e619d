#include "parquet/rle_hybrid.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

#include "parquet/uleb128.h"

namespace pixguard::parquet {
namespace {

// How many equal values start at `i`, counting no further than `limit`.
template <typename T>
std::size_t run_length(const T* v, std::size_t n, std::size_t i, std::size_t limit) {
  std::size_t j = i + 1;
  while (j < n && j - i < limit && v[j] == v[i]) ++j;
  return j - i;
}

// A run must repeat this often before an RLE run beats bit-packing it.
constexpr std::size_t kMinRleRun = 8;

}  // namespace

int bit_width_for(uint64_t max_value) { return max_value == 0 ? 0 : 64 - std::countl_zero(max_value); }

template <typename T>
void rle_hybrid_encode(const T* values, std::size_t n, int bit_width, std::string* out) {
  const std::size_t value_bytes = static_cast<std::size_t>((bit_width + 7) / 8);
  std::size_t i = 0;
  while (i < n) {
    const std::size_t run = run_length(values, n, i, SIZE_MAX);
    if (run >= kMinRleRun) {
      put_uleb128(static_cast<uint64_t>(run) << 1, out);
      const auto v = static_cast<uint32_t>(values[i]);
      for (std::size_t b = 0; b < value_bytes; ++b) out->push_back(static_cast<char>((v >> (8 * b)) & 0xFF));
      i += run;
      continue;
    }
    // Bit-pack in groups of 8 up to the next long run (or the end, padded with zeros).
    std::size_t j = i;
    while (j < n && !((j - i) % 8 == 0 && run_length(values, n, j, kMinRleRun) >= kMinRleRun)) ++j;
    const std::size_t groups = (j - i + 7) / 8;
    put_uleb128((static_cast<uint64_t>(groups) << 1) | 1, out);
    const std::size_t start = out->size();
    out->resize(start + groups * static_cast<std::size_t>(bit_width), '\0');
    char* p = out->data() + start;
    uint64_t bit = 0;
    for (std::size_t k = i; k < j; ++k, bit += static_cast<uint64_t>(bit_width)) {
      const uint64_t v = static_cast<uint32_t>(values[k]);
      for (int b = 0; b < bit_width; ++b) {
        if ((v >> b) & 1) p[(bit + b) / 8] = static_cast<char>(p[(bit + b) / 8] | (1 << ((bit + b) % 8)));
      }
    }
    i = j;
  }
}

template void rle_hybrid_encode<uint8_t>(const uint8_t*, std::size_t, int, std::string*);
template void rle_hybrid_encode<int16_t>(const int16_t*, std::size_t, int, std::string*);
template void rle_hybrid_encode<uint32_t>(const uint32_t*, std::size_t, int, std::string*);

bool RleHybridDecoder::next_run() {
  uint64_t header = 0;
  if (!get_uleb128(data_, &pos_, &header)) return false;
  if (header & 1) {
    const uint64_t groups = header >> 1;
    const uint64_t bytes = groups * static_cast<uint64_t>(bit_width_);
    if (groups == 0 || groups > data_.size() || bytes > data_.size() - pos_) {
      // A writer may end with a run that claims more groups than it stored; use what is there.
      if (groups == 0 || bit_width_ == 0) return false;
      const uint64_t avail = (data_.size() - pos_) / static_cast<uint64_t>(bit_width_);
      if (avail == 0) return false;
      packed_left_ = avail * 8;
    } else {
      packed_left_ = groups * 8;
    }
    packed_start_ = pos_;
    packed_index_ = 0;
    pos_ += static_cast<std::size_t>(std::min<uint64_t>(bytes, data_.size() - pos_));
    return true;
  }
  rle_left_ = header >> 1;
  if (rle_left_ == 0) return false;
  const std::size_t value_bytes = static_cast<std::size_t>((bit_width_ + 7) / 8);
  if (value_bytes > data_.size() - pos_) return false;
  uint32_t v = 0;
  for (std::size_t b = 0; b < value_bytes; ++b) v |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + b])) << (8 * b);
  pos_ += value_bytes;
  if (bit_width_ < 32 && (v >> bit_width_) != 0) return false;
  rle_value_ = v;
  return true;
}

uint64_t RleHybridDecoder::read_packed(uint64_t index) const {
  const uint64_t bit = index * static_cast<uint64_t>(bit_width_);
  const std::size_t first = packed_start_ + static_cast<std::size_t>(bit / 8);
  uint64_t word = 0;
  const std::size_t avail = data_.size() - first;
  std::memcpy(&word, data_.data() + first, avail < 8 ? avail : 8);
  return (word >> (bit % 8)) & ((uint64_t{1} << bit_width_) - 1);
}

template <typename T>
bool RleHybridDecoder::get(T* out, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    if (failed_) return false;
    if (rle_left_ > 0) {
      const std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(rle_left_, n - i));
      for (std::size_t k = 0; k < take; ++k) out[i + k] = static_cast<T>(rle_value_);
      rle_left_ -= take;
      i += take;
    } else if (packed_left_ > 0) {
      const std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(packed_left_, n - i));
      for (std::size_t k = 0; k < take; ++k) out[i + k] = static_cast<T>(read_packed(packed_index_ + k));
      packed_index_ += take;
      packed_left_ -= take;
      i += take;
    } else if (!next_run()) {
      failed_ = true;
    }
  }
  return !failed_;
}

template bool RleHybridDecoder::get<int16_t>(int16_t*, std::size_t);
template bool RleHybridDecoder::get<uint32_t>(uint32_t*, std::size_t);
template bool RleHybridDecoder::get<uint8_t>(uint8_t*, std::size_t);

}  // namespace pixguard::parquet
