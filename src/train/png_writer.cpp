#include "train/png_writer.h"

#include <zlib.h>

#include <string_view>

namespace pixguard {
namespace {

void put_u32(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

// A chunk: length, type, data, then the CRC-32 of type and data.
void put_chunk(std::string* out, std::string_view type, std::string_view data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const std::size_t crc_from = out->size();
  out->append(type);
  out->append(data);
  const auto* p = reinterpret_cast<const Bytef*>(out->data() + crc_from);
  put_u32(out, static_cast<uint32_t>(crc32(0L, p, static_cast<uInt>(out->size() - crc_from))));
}

}  // namespace

RgbImage::RgbImage(uint32_t w, uint32_t h, uint32_t background_rgb)
    : width(w), height(h), pixels(static_cast<std::size_t>(w) * h * 3) {
  for (std::size_t i = 0; i < pixels.size(); i += 3) {
    pixels[i] = static_cast<uint8_t>(background_rgb >> 16);
    pixels[i + 1] = static_cast<uint8_t>(background_rgb >> 8);
    pixels[i + 2] = static_cast<uint8_t>(background_rgb);
  }
}

void RgbImage::set(int64_t x, int64_t y, uint32_t rgb) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  uint8_t* p = &pixels[(static_cast<std::size_t>(y) * width + static_cast<std::size_t>(x)) * 3];
  p[0] = static_cast<uint8_t>(rgb >> 16);
  p[1] = static_cast<uint8_t>(rgb >> 8);
  p[2] = static_cast<uint8_t>(rgb);
}

uint32_t RgbImage::get(uint32_t x, uint32_t y) const {
  const uint8_t* p = &pixels[(static_cast<std::size_t>(y) * width + x) * 3];
  return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
}

std::string encode_png(const RgbImage& image) {
  constexpr uint32_t kMaxDimension = 0x7fffffff;
  if (image.width == 0 || image.height == 0 || image.width > kMaxDimension || image.height > kMaxDimension) {
    return {};
  }
  // Scanlines, each preceded by its filter type: 0 (None). The plots are mostly flat colour,
  // which deflate compresses well without prediction filters.
  const std::size_t stride = static_cast<std::size_t>(image.width) * 3;
  std::string raw;
  raw.reserve((stride + 1) * image.height);
  for (uint32_t y = 0; y < image.height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(image.pixels.data() + y * stride), stride);
  }
  uLongf compressed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string compressed(compressed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), 6) != Z_OK) {
    return {};
  }
  compressed.resize(compressed_size);

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  put_u32(&header, image.width);
  put_u32(&header, image.height);
  header.push_back(8);     // bit depth
  header.push_back(2);     // colour type: truecolour (RGB)
  header.push_back(0);     // compression: deflate
  header.push_back(0);     // filter method: adaptive (per-row filter byte)
  header.push_back(0);     // no interlace
  put_chunk(&png, "IHDR", header);
  put_chunk(&png, "IDAT", compressed);
  put_chunk(&png, "IEND", {});
  return png;
}

}  // namespace pixguard
