#include "train/plot.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "train/png_writer.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;

uint32_t be32(const std::string& s, std::size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) | (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) | uint32_t{static_cast<uint8_t>(s[at + 3])};
}

struct DecodedPng {
  uint32_t width = 0, height = 0;
  std::vector<std::string> chunk_types;
  std::string raw;  // inflated IDAT: per row, a filter byte then RGB
};

// Walks the chunks, checking every length and CRC, and inflates the image data.
void decode(const std::string& png, DecodedPng* out) {
  ASSERT_GE(png.size(), 8u);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::string idat;
  std::size_t at = 8;
  while (at < png.size()) {
    ASSERT_LE(at + 12, png.size());
    const uint32_t length = be32(png, at);
    ASSERT_LE(at + 12 + length, png.size());
    const std::string type = png.substr(at + 4, 4);
    const auto* crc_input = reinterpret_cast<const Bytef*>(png.data() + at + 4);
    EXPECT_EQ(be32(png, at + 8 + length), static_cast<uint32_t>(crc32(0L, crc_input, length + 4))) << type;
    if (type == "IHDR") {
      ASSERT_EQ(length, 13u);
      out->width = be32(png, at + 8);
      out->height = be32(png, at + 12);
      EXPECT_EQ(png[at + 16], 8);  // bit depth
      EXPECT_EQ(png[at + 17], 2);  // RGB
      EXPECT_EQ(png[at + 20], 0);  // no interlace
    } else if (type == "IDAT") {
      idat += png.substr(at + 8, length);
    }
    out->chunk_types.push_back(type);
    at += 12 + length;
  }
  ASSERT_EQ(at, png.size());
  const std::size_t expected = static_cast<std::size_t>(out->height) * (1 + 3 * static_cast<std::size_t>(out->width));
  out->raw.resize(expected + 1);  // one spare byte: uncompress must report exactly `expected`
  uLongf raw_size = static_cast<uLongf>(out->raw.size());
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(out->raw.data()), &raw_size,
                       reinterpret_cast<const Bytef*>(idat.data()), static_cast<uLong>(idat.size())),
            Z_OK);
  ASSERT_EQ(raw_size, expected);
  out->raw.resize(raw_size);
}

TEST(PngWriter, EncodesPixelsExactly) {
  RgbImage image(3, 2, 0xffffff);
  image.set(0, 0, 0x102030);
  image.set(2, 1, 0xa0b0c0);
  image.set(-1, 0, 0);  // off the image: ignored
  image.set(3, 1, 0);
  DecodedPng d;
  decode(encode_png(image), &d);
  EXPECT_EQ(d.width, 3u);
  EXPECT_EQ(d.height, 2u);
  EXPECT_EQ(d.chunk_types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
  const std::string expected = std::string("\0\x10\x20\x30\xff\xff\xff\xff\xff\xff", 10) +
                               std::string("\0\xff\xff\xff\xff\xff\xff\xa0\xb0\xc0", 10);
  EXPECT_EQ(d.raw, expected);
  EXPECT_TRUE(encode_png(RgbImage()).empty());
}

TEST(Plot, WritesAReadablePngWithBothCurves) {
  CurvesPlot plot;
  plot.precision_recall = {{0, 1}, {0.5, 0.9}, {0.8, 0.6}, {1, 0.05}};
  plot.roc = {{0, 0}, {0.01, 0.5}, {0.1, 0.8}, {1, 1}};
  plot.average_precision = 0.8123;
  plot.auc = 0.9712;
  plot.fraud_rate = 0.05;
  plot.operating_points = {{"REVIEW 0.5", 0.8, 0.6, 0.1}, {"BLOCK 0.9", 0.5, 0.9, 0.01}};
  plot.caption = "rows 1000, frauds 50";

  const fs::path dir = fs::path(::testing::TempDir()) / ("pixguard_plot_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "pr.png").string();
  ASSERT_TRUE(write_curves_png(path, plot).ok());
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  DecodedPng d;
  decode(ss.str(), &d);
  EXPECT_EQ(d.width, kPlotWidth);
  EXPECT_EQ(d.height, kPlotHeight);

  // Both curves' colours are present, and so is black (axes, text).
  const RgbImage image = render_curves(plot);
  std::size_t blue = 0, red = 0, black = 0;
  for (uint32_t y = 0; y < image.height; ++y) {
    for (uint32_t x = 0; x < image.width; ++x) {
      const uint32_t c = image.get(x, y);
      blue += c == 0x1f77b4;
      red += c == 0xd62728;
      black += c == 0;
    }
  }
  EXPECT_GT(blue, 300u);
  EXPECT_GT(red, 300u);
  EXPECT_GT(black, 3000u);
  // The file holds exactly the rendered pixels.
  for (uint32_t y = 0; y < image.height; y += 97) {
    const std::size_t row = static_cast<std::size_t>(y) * (1 + 3 * image.width);
    EXPECT_EQ(d.raw[row], 0);
    EXPECT_EQ(d.raw.compare(row + 1, 3 * image.width,
                            reinterpret_cast<const char*>(image.pixels.data()) + y * 3 * image.width, 3 * image.width),
              0);
  }
  fs::remove_all(dir);
}

TEST(Plot, UnwritablePathIsAnIoError) {
  const Status s = write_curves_png("/nonexistent-dir/pr.png", CurvesPlot{});
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("/nonexistent-dir/pr.png"), std::string::npos);
}

}  // namespace
}  // namespace pixguard
