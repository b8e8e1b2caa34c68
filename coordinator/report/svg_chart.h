// A line chart as a standalone inline SVG element: series over a shared x axis
// (steps), axes with "nice" ticks (linear or logarithmic y), a legend, tooltips
// through <title> elements, and min/max downsampling per pixel column so a
// million points draw as a few thousand. Options and series are plain values
// the caller owns; rendering is a pure function (thread-safe) that returns
// well-formed XML needing no script, font or network.
#ifndef CAMOE_COORDINATOR_REPORT_SVG_CHART_H_
#define CAMOE_COORDINATOR_REPORT_SVG_CHART_H_

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "coordinator/report/chart_axes.h"

namespace camoe::coordinator {

// One line. Its values pair with the chart's x values by index.
struct ChartSeries {
  std::string name;                // legend and tooltip label (escaped when drawn)
  std::string color = "#1f77b4";   // a CSS colour; written into attributes as given
  bool dashed = false;             // e.g. a re-ranked variant next to the plain one
  bool markers = false;            // a dot with a tooltip at every drawn point (sparse series)
  // Same length as the x values. NaN, infinities and, on a log axis, values
  // <= 0 are gaps: the line breaks there.
  std::vector<double> y;
};

struct ChartOptions {
  std::string title;               // drawn above the legend
  std::string x_label = "step";    // under the x axis and in tooltips
  std::string value_suffix;        // appended to y values in tooltips and tick labels ("%")
  int width = 560;                 // SVG user units (pixels at 100% zoom)
  int height = 260;
  bool log_y = false;              // logarithmic y axis (loss, learning rate)
  // Fixed y limits; NaN takes them from the data, widened to the ticks.
  double y_min = std::numeric_limits<double>::quiet_NaN();
  double y_max = std::numeric_limits<double>::quiet_NaN();
  bool y_include_zero = false;     // linear axes only: the range reaches down (or up) to 0
  // Fixed x limits (to line up charts of one page); NaN takes the data's.
  double x_min = std::numeric_limits<double>::quiet_NaN();
  double x_max = std::numeric_limits<double>::quiet_NaN();
  bool integer_x = true;           // x ticks and tooltips at whole numbers (steps)
  // Draw at most the minimum and maximum of each pixel column of every series
  // (Note [Min/max downsampling] in svg_chart.cc); false draws every point.
  bool downsample = true;
  // Transparent columns over the plot whose tooltip lists every series' value
  // at the nearest x; 0 disables them.
  int hover_columns = 60;
};

// The chart as one <svg> element. REQUIRES: each series' y has x.size()
// values (longer ones are cut, shorter ones padded with gaps). x should be
// ascending; it is sorted (with its values) when it is not.
std::string RenderLineChart(const std::vector<double>& x, const std::vector<ChartSeries>& series,
                            const ChartOptions& options);

// Note [Min/max downsampling]: the indices of the points to draw, as runs
// joined by lines (a gap starts a new run). Points are bucketed by x into
// `buckets` equal columns over [x_lo, x_hi]; when there are more than
// 2 * buckets points, each column keeps only its minimum and maximum valid y
// (in x order), so spikes survive at pixel resolution and the output has at
// most 2 * buckets points. Non-finite y values are gaps, and so are values
// <= 0 with `log_scale`. REQUIRES: x ascending.
std::vector<std::vector<size_t>> MinMaxDownsample(const std::vector<double>& x,
                                                  const std::vector<double>& y, double x_lo,
                                                  double x_hi, int buckets,
                                                  bool log_scale = false);

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_REPORT_SVG_CHART_H_
