#pragma once
// The RLE / bit-packed hybrid encoding (Parquet Encodings.md) used for definition and
// repetition levels, dictionary indices and RLE booleans: a sequence of runs, each either a
// repeated value (RLE) or groups of 8 values packed LSB first (bit-packed).
#include <cstdint>
#include <string>
#include <string_view>

namespace pixguard::parquet {

// The number of bits needed for values 0..max_value (0 for max_value 0).
int bit_width_for(uint64_t max_value);

// Appends `n` values (each < 2^bit_width) to `out`, without any length prefix.
template <typename T>
void rle_hybrid_encode(const T* values, std::size_t n, int bit_width, std::string* out);

// Reads values from an encoded buffer; never reads outside it. Any malformed or short
// input makes get() return false (and stays failed).
class RleHybridDecoder {
 public:
  RleHybridDecoder(std::string_view data, int bit_width) : data_(data), bit_width_(bit_width) {
    if (bit_width < 0 || bit_width > 32) failed_ = true;
  }
  // Decodes the next `n` values into `out`.
  template <typename T>
  bool get(T* out, std::size_t n);
  // Bytes consumed so far (for the v1 boolean RLE and level sections).
  std::size_t position() const { return pos_; }

 private:
  bool next_run();
  uint64_t read_packed(uint64_t index) const;

  std::string_view data_;
  int bit_width_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  uint64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  uint64_t packed_left_ = 0;    // values left in the current bit-packed run
  uint64_t packed_index_ = 0;   // next value within it
  std::size_t packed_start_ = 0;
};

}  // namespace pixguard::parquet
