#pragma once
// The evaluation plot: the precision-recall curve and the ROC curve side by side in one PNG
// that a person opens with any image viewer. Axes from 0 to 1 with ticks every 0.2 and a
// light grid, the no-skill baselines (fraud rate for precision-recall, the diagonal for ROC),
// the operating points of the decision thresholds, and AP / AUC written in each panel's
// title with a built-in 5x7 bitmap font (digits, upper-case letters, a few signs; lower case
// is drawn as upper case).
//
// Threading: pure functions.
#include <string>
#include <vector>

#include "core/status.h"
#include "train/metrics.h"
#include "train/png_writer.h"

namespace pixguard {

// A decision threshold's place on both curves.
struct OperatingPoint {
  std::string label;  // "REVIEW 0.5"
  double recall = 0;
  double precision = 0;
  double false_positive_rate = 0;
};

struct CurvesPlot {
  std::vector<CurvePoint> precision_recall;  // x = recall, y = precision
  std::vector<CurvePoint> roc;               // x = false-positive rate, y = true-positive rate
  double average_precision = 0;
  double auc = 0;
  double fraud_rate = 0;                     // precision of flagging everything
  std::vector<OperatingPoint> operating_points;
  std::string caption;                       // one line under the panels (rows, window)
};

inline constexpr uint32_t kPlotWidth = 1200;
inline constexpr uint32_t kPlotHeight = 620;

// Draws the two panels on a kPlotWidth x kPlotHeight white image.
RgbImage render_curves(const CurvesPlot& plot);

// render_curves, encoded as PNG and written atomically to `path` (IoError naming it).
Status write_curves_png(const std::string& path, const CurvesPlot& plot);

}  // namespace pixguard
