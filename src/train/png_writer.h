#pragma once
// A minimal PNG encoder (RFC 2083 / ISO 15948): 8-bit RGB, no interlace, one IDAT chunk
// compressed with zlib. Enough for the evaluation plots; no image library is needed.
//
// Threading: pure functions.
#include <cstdint>
#include <string>
#include <vector>

namespace pixguard {

struct RgbImage {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint8_t> pixels;  // row-major, 3 bytes (R, G, B) per pixel

  RgbImage() = default;
  RgbImage(uint32_t w, uint32_t h, uint32_t background_rgb);
  // Writes 0xRRGGBB at (x, y); coordinates outside the image are ignored, so drawing code
  // may run off the edge.
  void set(int64_t x, int64_t y, uint32_t rgb);
  uint32_t get(uint32_t x, uint32_t y) const;
};

// The complete PNG file. Images wider or taller than 2^31 - 1 pixels cannot be encoded (the
// format's limit) and give an empty string.
std::string encode_png(const RgbImage& image);

}  // namespace pixguard
