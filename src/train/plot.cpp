#include "train/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string_view>

#include "core/atomic_file.h"

namespace pixguard {
namespace {

constexpr uint32_t kWhite = 0xffffff;
constexpr uint32_t kBlack = 0x000000;
constexpr uint32_t kGrid = 0xe4e4e4;
constexpr uint32_t kBaseline = 0x9a9a9a;
constexpr uint32_t kPrColour = 0x1f77b4;   // blue
constexpr uint32_t kRocColour = 0xd62728;  // red
constexpr uint32_t kPointColours[] = {0x2ca02c, 0xff7f0e, 0x9467bd, 0x8c564b};

// A 5x7 bitmap font: each row is 5 bits, the most significant of them the leftmost pixel.
struct Glyph {
  char c;
  uint8_t rows[7];
};
constexpr Glyph kFont[] = {
    {'0', {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}}, {'1', {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'2', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}}, {'3', {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}},
    {'4', {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}}, {'5', {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}},
    {'6', {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}}, {'7', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}}, {'9', {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}},
    {'A', {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}}, {'B', {0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e}},
    {'C', {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e}}, {'D', {0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c}},
    {'E', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}}, {'F', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10}},
    {'G', {0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f}}, {'H', {0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
    {'I', {0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}}, {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}}, {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f}},
    {'M', {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11}}, {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}}, {'P', {0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10}},
    {'Q', {0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d}}, {'R', {0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11}},
    {'S', {0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e}}, {'T', {0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}}, {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a}}, {'X', {0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04}}, {'Z', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}}, {',', {0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08}},
    {'-', {0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00}}, {'+', {0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00}},
    {':', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}}, {'=', {0x00, 0x00, 0x1f, 0x00, 0x1f, 0x00, 0x00}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}}, {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}}, {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
    {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f}}, {'>', {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08}},
    {'<', {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02}}, {'@', {0x0e, 0x11, 0x17, 0x15, 0x17, 0x10, 0x0e}},
    {'?', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}},
};

const Glyph* glyph_for(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (const Glyph& g : kFont) {
    if (g.c == c) return &g;
  }
  return c == ' ' ? nullptr : glyph_for('?');  // a space draws nothing; unknown signs show as '?'
}

constexpr int kGlyphAdvance = 6;  // 5 columns and one of spacing, before scaling

int64_t text_width(std::string_view text, int scale) {
  return text.empty() ? 0 : static_cast<int64_t>(text.size()) * kGlyphAdvance * scale - scale;
}

void fill_rect(RgbImage* image, int64_t x, int64_t y, int64_t w, int64_t h, uint32_t rgb) {
  for (int64_t dy = 0; dy < h; ++dy) {
    for (int64_t dx = 0; dx < w; ++dx) image->set(x + dx, y + dy, rgb);
  }
}

// Horizontal text with its top-left corner at (x, y).
void draw_text(RgbImage* image, int64_t x, int64_t y, std::string_view text, int scale, uint32_t rgb) {
  for (const char c : text) {
    if (const Glyph* g = glyph_for(c)) {
      for (int row = 0; row < 7; ++row) {
        for (int col = 0; col < 5; ++col) {
          if ((g->rows[row] >> (4 - col)) & 1) fill_rect(image, x + col * scale, y + row * scale, scale, scale, rgb);
        }
      }
    }
    x += kGlyphAdvance * scale;
  }
}

// Text turned 90 degrees counter-clockwise (read bottom to top), for the y axis; (x, y) is
// the bottom-left corner of the first character.
void draw_text_up(RgbImage* image, int64_t x, int64_t y, std::string_view text, int scale, uint32_t rgb) {
  for (const char c : text) {
    if (const Glyph* g = glyph_for(c)) {
      for (int row = 0; row < 7; ++row) {
        for (int col = 0; col < 5; ++col) {
          if ((g->rows[row] >> (4 - col)) & 1) {
            fill_rect(image, x + row * scale, y - (col + 1) * scale, scale, scale, rgb);
          }
        }
      }
    }
    y -= kGlyphAdvance * scale;
  }
}

// Bresenham's line, `thickness` pixels square per step; a dashed line skips steps.
void draw_line(RgbImage* image, int64_t x0, int64_t y0, int64_t x1, int64_t y1, uint32_t rgb, int thickness,
               bool dashed = false) {
  const int64_t dx = std::llabs(x1 - x0), dy = -std::llabs(y1 - y0);
  const int64_t sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  int64_t err = dx + dy;
  for (int64_t step = 0;; ++step) {
    if (!dashed || step % 12 < 7) fill_rect(image, x0, y0, thickness, thickness, rgb);
    if (x0 == x1 && y0 == y1) break;
    const int64_t e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "N/A";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// One panel: a square plot area for data in [0, 1] x [0, 1].
class Panel {
 public:
  static constexpr int64_t kSize = 440;

  Panel(RgbImage* image, int64_t left, int64_t top) : image_(image), left_(left), top_(top) {}

  int64_t px(double x) const { return left_ + std::lround(std::clamp(x, 0.0, 1.0) * (kSize - 1)); }
  int64_t py(double y) const { return top_ + std::lround((1 - std::clamp(y, 0.0, 1.0)) * (kSize - 1)); }

  void axes(std::string_view title, std::string_view x_label, std::string_view y_label) {
    for (int i = 0; i <= 5; ++i) {
      const double v = i / 5.0;
      // Grid first, so that the curves and the frame are drawn over it.
      draw_line(image_, px(v), py(0), px(v), py(1), kGrid, 1);
      draw_line(image_, px(0), py(v), px(1), py(v), kGrid, 1);
      const std::string tick = i == 0 ? "0" : i == 5 ? "1" : fixed(v, 1);
      draw_line(image_, px(v), py(0), px(v), py(0) + 6, kBlack, 2);
      draw_text(image_, px(v) - text_width(tick, 2) / 2, py(0) + 12, tick, 2, kBlack);
      draw_line(image_, px(0) - 6, py(v), px(0), py(v), kBlack, 2);
      draw_text(image_, px(0) - 12 - text_width(tick, 2), py(v) - 7, tick, 2, kBlack);
    }
    draw_line(image_, px(0), py(0), px(1), py(0), kBlack, 2);
    draw_line(image_, px(0), py(1), px(1), py(1), kBlack, 2);
    draw_line(image_, px(0), py(0), px(0), py(1), kBlack, 2);
    draw_line(image_, px(1), py(0), px(1), py(1), kBlack, 2);
    draw_text(image_, left_, top_ - 36, title, 3, kBlack);
    draw_text(image_, px(0.5) - text_width(x_label, 2) / 2, py(0) + 40, x_label, 2, kBlack);
    draw_text_up(image_, left_ - 84, py(0.5) + text_width(y_label, 2) / 2, y_label, 2, kBlack);
  }

  void curve(const std::vector<CurvePoint>& points, uint32_t rgb) {
    for (std::size_t i = 1; i < points.size(); ++i) {
      const CurvePoint& a = points[i - 1];
      const CurvePoint& b = points[i];
      draw_line(image_, px(a.x), py(a.y), px(b.x), py(b.y), rgb, 2);
    }
  }

  void dashed(double x0, double y0, double x1, double y1) {
    draw_line(image_, px(x0), py(y0), px(x1), py(y1), kBaseline, 2, true);
  }

  void point(double x, double y, uint32_t rgb) { fill_rect(image_, px(x) - 5, py(y) - 5, 11, 11, rgb); }

  // A key for the point markers in a bottom corner of the plot area, where neither curve
  // usually runs (a good precision-recall curve leaves the bottom left empty, a good ROC
  // curve the bottom right); labels next to their points would collide when points are close.
  void legend(const std::vector<std::pair<std::string, uint32_t>>& entries, bool right) {
    int64_t widest = 0;
    for (const auto& e : entries) widest = std::max(widest, text_width(e.first, 2));
    const int64_t x = right ? left_ + kSize - 16 - widest - 18 : left_ + 16;
    int64_t y = top_ + kSize - 16 - static_cast<int64_t>(entries.size()) * 22;
    for (const auto& [label, rgb] : entries) {
      fill_rect(image_, x, y + 2, 11, 11, rgb);
      draw_text(image_, x + 18, y, label, 2, rgb);
      y += 22;
    }
  }

 private:
  RgbImage* image_;
  int64_t left_;
  int64_t top_;
};

}  // namespace

RgbImage render_curves(const CurvesPlot& plot) {
  RgbImage image(kPlotWidth, kPlotHeight, kWhite);
  constexpr int64_t kTop = 70;

  Panel pr(&image, 120, kTop);
  pr.axes("PRECISION-RECALL  AP " + fixed(plot.average_precision, 4), "RECALL", "PRECISION");
  if (!std::isnan(plot.fraud_rate)) pr.dashed(0, plot.fraud_rate, 1, plot.fraud_rate);
  pr.curve(plot.precision_recall, kPrColour);

  Panel roc(&image, 720, kTop);
  roc.axes("ROC  AUC " + fixed(plot.auc, 4), "FALSE POSITIVE RATE", "TRUE POSITIVE RATE");
  roc.dashed(0, 0, 1, 1);
  roc.curve(plot.roc, kRocColour);

  std::vector<std::pair<std::string, uint32_t>> pr_legend, roc_legend;
  for (std::size_t i = 0; i < plot.operating_points.size(); ++i) {
    const OperatingPoint& p = plot.operating_points[i];
    const uint32_t colour = kPointColours[i % std::size(kPointColours)];
    if (!std::isnan(p.recall) && !std::isnan(p.precision)) {
      pr.point(p.recall, p.precision, colour);
      pr_legend.emplace_back(p.label, colour);
    }
    if (!std::isnan(p.recall) && !std::isnan(p.false_positive_rate)) {
      roc.point(p.false_positive_rate, p.recall, colour);
      roc_legend.emplace_back(p.label, colour);
    }
  }
  pr.legend(pr_legend, false);
  roc.legend(roc_legend, true);
  draw_text(&image, 120, kTop + Panel::kSize + 80, plot.caption, 2, kBlack);
  return image;
}

Status write_curves_png(const std::string& path, const CurvesPlot& plot) {
  const std::string png = encode_png(render_curves(plot));
  if (png.empty()) return Status::InvalidArgument(path + ": the plot could not be encoded");
  return write_file_atomically(path, png);
}

}  // namespace pixguard
