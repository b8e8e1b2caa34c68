#include "coordinator/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "coordinator/report/html_text.h"

namespace camoe::coordinator {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Layout in SVG user units.
constexpr int kMarginLeft = 54;
constexpr int kMarginRight = 14;
constexpr int kMarginBottom = 34;
constexpr int kTitleHeight = 22;
constexpr int kLegendRowHeight = 16;
constexpr double kLegendCharWidth = 6.6;  // of the 11px sans-serif legend text, roughly

// Appends `value` rounded to one decimal ("12.3", "-4", "0.5"): coordinates
// need no more, and a fixed writer is several times faster than snprintf for
// the thousands of points of a long run.
void AppendCoordinate(double value, std::string* out) {
  int64_t tenths = std::llround(value * 10);
  if (tenths < 0) {
    out->push_back('-');
    tenths = -tenths;
  }
  out->append(std::to_string(tenths / 10));
  if (tenths % 10 != 0) {
    out->push_back('.');
    out->push_back(static_cast<char>('0' + tenths % 10));
  }
}

std::string Coordinate(double value) {
  std::string out;
  AppendCoordinate(value, &out);
  return out;
}

std::string FormatX(double x, const ChartOptions& options) {
  if (options.integer_x && std::fabs(x) < 9e15) return FormatCount(std::llround(x));
  return FormatNumber(x, 6);
}

// Maps data values to plot pixels. y is in "axis space": log10 of the value on
// a log axis.
struct Frame {
  double x_lo, x_hi, t_lo, t_hi;
  double plot_width, plot_height;
  double Px(double x) const {
    return x_hi > x_lo ? (x - x_lo) / (x_hi - x_lo) * plot_width : plot_width / 2;
  }
  double Py(double t) const {
    return t_hi > t_lo ? plot_height - (t - t_lo) / (t_hi - t_lo) * plot_height : plot_height / 2;
  }
};

// Whether a value is drawn: finite, and positive on a log axis.
bool Drawable(double y, bool log_y) { return std::isfinite(y) && (!log_y || y > 0); }

// How many legend rows the names need at this width, and each item's place.
struct LegendItem {
  double x;
  int row;
};
std::vector<LegendItem> LayoutLegend(const std::vector<ChartSeries>& series, double width,
                                     int* rows) {
  std::vector<LegendItem> items;
  double x = kMarginLeft;
  int row = 0;
  for (const ChartSeries& s : series) {
    double item_width = 26 + kLegendCharWidth * static_cast<double>(s.name.size()) + 14;
    if (x + item_width > width - kMarginRight && x > kMarginLeft) {
      x = kMarginLeft;
      ++row;
    }
    items.push_back({x, row});
    x += item_width;
  }
  *rows = series.empty() ? 0 : row + 1;
  return items;
}

}  // namespace

std::vector<std::vector<size_t>> MinMaxDownsample(const std::vector<double>& x,
                                                  const std::vector<double>& y, double x_lo,
                                                  double x_hi, int buckets, bool log_scale) {
  std::vector<std::vector<size_t>> runs;
  const size_t n = std::min(x.size(), y.size());
  std::vector<size_t> run;
  const auto close_run = [&] {
    if (!run.empty()) runs.push_back(std::move(run));
    run.clear();
  };
  if (buckets < 1 || n <= 2 * static_cast<size_t>(buckets) || !(x_hi > x_lo)) {
    for (size_t i = 0; i < n; ++i) {
      if (Drawable(y[i], log_scale)) {
        run.push_back(i);
      } else {
        close_run();
      }
    }
    close_run();
    return runs;
  }
  const double scale = buckets / (x_hi - x_lo);
  // x is ascending, so each column is an index range: find its end by binary
  // search instead of computing every point's column.
  size_t i = 0;
  for (int64_t column = 0; column < buckets && i < n; ++column) {
    const double limit = static_cast<double>(column + 1);
    size_t end = column + 1 == buckets
                     ? n
                     : std::partition_point(x.begin() + i, x.begin() + n,
                                            [&](double v) { return (v - x_lo) * scale < limit; }) -
                           x.begin();
    // The column's extreme valid points and where its gaps are.
    size_t lowest = n, highest = n, first_valid = n;
    bool gap_before = false, gap_after = false;
    for (; i < end; ++i) {
      if (!Drawable(y[i], log_scale)) {
        if (first_valid == n) {
          gap_before = true;
        } else {
          gap_after = true;
        }
        continue;
      }
      gap_after = false;  // a gap inside the column is below pixel resolution
      if (first_valid == n) first_valid = i;
      if (lowest == n || y[i] < y[lowest]) lowest = i;
      if (highest == n || y[i] > y[highest]) highest = i;
    }
    if (gap_before) close_run();
    if (first_valid != n) {
      size_t a = std::min(lowest, highest), b = std::max(lowest, highest);
      run.push_back(a);
      if (b != a) run.push_back(b);
    }
    if (gap_after) close_run();
  }
  close_run();
  return runs;
}

namespace {

// What the parts of one chart share: the (sorted) data, the pixel frame and
// the points each series draws.
struct Plot {
  Plot(const std::vector<double>& x, const std::vector<ChartSeries>& series,
       const ChartOptions& options)
      : x(x), series(series), options(options) {}

  const std::vector<double>& x;
  const std::vector<ChartSeries>& series;
  const ChartOptions& options;
  Frame frame{};
  bool has_data = false;
  double top = 0;                                    // of the plot area
  std::vector<std::vector<std::vector<size_t>>> drawn;  // runs of indices per series

  double Axis(double y) const { return options.log_y ? std::log10(y) : y; }
  double Px(size_t i) const { return frame.Px(x[i]); }
  double Py(double y) const { return frame.Py(Axis(y)); }
};

// The data's x range, widened when it is a single point; sets has_data.
void SetXRange(Plot* plot) {
  const auto& x = plot->x;
  const ChartOptions& options = plot->options;
  // x is ascending, so the first and last steps with a value bound the range.
  const auto drawable_at = [&](size_t i) {
    if (!std::isfinite(x[i])) return false;
    for (const ChartSeries& cs : plot->series) {
      if (i < cs.y.size() && Drawable(cs.y[i], options.log_y)) return true;
    }
    return false;
  };
  double lo = kNaN, hi = kNaN;
  for (size_t i = 0; i < x.size() && std::isnan(lo); ++i) {
    if (drawable_at(i)) lo = x[i];
  }
  for (size_t i = x.size(); i-- > 0 && std::isnan(hi);) {
    if (drawable_at(i)) hi = x[i];
  }
  plot->has_data = !std::isnan(lo);
  if (!plot->has_data) lo = 0, hi = 1;
  if (std::isfinite(options.x_min)) lo = options.x_min;
  if (std::isfinite(options.x_max)) hi = options.x_max;
  if (std::isnan(hi) || hi < lo) hi = lo;
  if (hi == lo) {
    double pad = options.integer_x ? 1 : (lo == 0 ? 1 : std::fabs(lo) * 0.1);
    lo -= pad;
    hi += pad;
  }
  plot->frame.x_lo = lo;
  plot->frame.x_hi = hi;
}

// Sets the y range from the drawn points (downsampling keeps each column's
// extremes, so they hold the range of all points) and the options; returns
// the tick values and, for linear axes, their step.
std::vector<double> SetYRange(Plot* plot, double* step) {
  const ChartOptions& options = plot->options;
  double lo = kNaN, hi = kNaN;
  for (size_t s = 0; s < plot->series.size(); ++s) {
    for (const auto& run : plot->drawn[s]) {
      for (size_t i : run) {
        double y = plot->series[s].y[i];
        lo = std::isnan(lo) ? y : std::min(lo, y);
        hi = std::isnan(hi) ? y : std::max(hi, y);
      }
    }
  }
  const bool has_data = !std::isnan(lo);
  const int target = std::max(3, static_cast<int>(plot->frame.plot_height / 45));
  std::vector<double> ticks;
  *step = 0;
  if (options.log_y) {
    double t_lo = has_data ? std::log10(lo) : -1, t_hi = has_data ? std::log10(hi) : 1;
    if (std::isfinite(options.y_min) && options.y_min > 0) t_lo = std::log10(options.y_min);
    if (std::isfinite(options.y_max) && options.y_max > 0) t_hi = std::log10(options.y_max);
    // A twentieth of the span as headroom keeps lines off the frame.
    double pad = t_hi > t_lo ? (t_hi - t_lo) * 0.05 : 0.05;
    if (!std::isfinite(options.y_min)) t_lo -= pad;
    if (!std::isfinite(options.y_max)) t_hi += pad;
    plot->frame.t_lo = t_lo;
    plot->frame.t_hi = t_hi;
    return LogTicks(std::pow(10.0, t_lo), std::pow(10.0, t_hi), target);
  }
  if (!has_data) lo = 0, hi = 1;
  if (options.y_include_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  if (std::isfinite(options.y_min)) lo = options.y_min;
  if (std::isfinite(options.y_max)) hi = options.y_max;
  AxisTicks nice = NiceTicks(lo, hi, target);
  if (!std::isfinite(options.y_min)) lo = nice.nice_lo;
  if (!std::isfinite(options.y_max)) hi = nice.nice_hi;
  if (!(hi > lo)) lo = nice.nice_lo, hi = nice.nice_hi;
  for (double v : nice.values) {
    if (v >= lo - 1e-9 * nice.step && v <= hi + 1e-9 * nice.step) ticks.push_back(v);
  }
  plot->frame.t_lo = lo;
  plot->frame.t_hi = hi;
  *step = nice.step;
  return ticks;
}

// Title, and per series a short line sample (dashed like it) and the name.
void AppendTitleAndLegend(const Plot& plot, const std::vector<LegendItem>& legend,
                          std::string* out) {
  *out += "<text x=\"" + Coordinate(kMarginLeft) +
          "\" y=\"15\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">" +
          HtmlEscape(plot.options.title) + "</text>";
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const ChartSeries& cs = plot.series[s];
    double x = legend[s].x, y = kTitleHeight + legend[s].row * kLegendRowHeight + 8;
    *out += "<g><title>" + HtmlEscape(cs.name) + "</title><line x1=\"" + Coordinate(x) +
            "\" y1=\"" + Coordinate(y) + "\" x2=\"" + Coordinate(x + 20) + "\" y2=\"" +
            Coordinate(y) + "\" stroke=\"" + HtmlEscape(cs.color) + "\" stroke-width=\"2.5\"" +
            (cs.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/><text x=\"" + Coordinate(x + 25) +
            "\" y=\"" + Coordinate(y + 4) + "\" font-size=\"11\" fill=\"#333\">" +
            HtmlEscape(cs.name) + "</text></g>";
  }
}

// Grid lines, tick labels, the x label and the frame (plot coordinates).
void AppendAxes(const Plot& plot, const std::vector<double>& y_ticks, double y_step,
                std::string* out) {
  const Frame& f = plot.frame;
  const ChartOptions& options = plot.options;
  *out += "<g font-size=\"10\" fill=\"#555\" text-anchor=\"end\">";
  for (double v : y_ticks) {
    double py = plot.Py(v);
    if (py < -0.5 || py > f.plot_height + 0.5) continue;
    *out += "<line x1=\"0\" x2=\"" + Coordinate(f.plot_width) + "\" y1=\"" + Coordinate(py) +
            "\" y2=\"" + Coordinate(py) + "\" stroke=\"#e6e6e6\"/><text x=\"-5\" y=\"" +
            Coordinate(py + 3.5) + "\">" +
            HtmlEscape(FormatTick(v, options.log_y ? v : y_step) + options.value_suffix) +
            "</text>";
  }
  *out += "</g>";
  AxisTicks x_ticks = NiceTicks(f.x_lo, f.x_hi, std::max(2, static_cast<int>(f.plot_width / 85)),
                                options.integer_x);
  *out += "<g font-size=\"10\" fill=\"#555\" text-anchor=\"middle\">";
  for (double v : x_ticks.values) {
    // Ticks inside the data's range only: the range is not widened to them.
    if (v < f.x_lo - 1e-9 * x_ticks.step || v > f.x_hi + 1e-9 * x_ticks.step) continue;
    double px = f.Px(v);
    *out += "<line x1=\"" + Coordinate(px) + "\" x2=\"" + Coordinate(px) + "\" y1=\"0\" y2=\"" +
            Coordinate(f.plot_height) + "\" stroke=\"#f0f0f0\"/><text x=\"" + Coordinate(px) +
            "\" y=\"" + Coordinate(f.plot_height + 14) + "\">" +
            HtmlEscape(FormatTick(v, x_ticks.step)) + "</text>";
  }
  *out += "</g><text x=\"" + Coordinate(f.plot_width / 2) + "\" y=\"" +
          Coordinate(f.plot_height + 29) +
          "\" font-size=\"11\" fill=\"#555\" text-anchor=\"middle\">" +
          HtmlEscape(options.x_label) + "</text>";
  *out += "<rect width=\"" + Coordinate(f.plot_width) + "\" height=\"" +
          Coordinate(f.plot_height) + "\" fill=\"none\" stroke=\"#999\"/>";
  if (!plot.has_data) {
    *out += "<text x=\"" + Coordinate(f.plot_width / 2) + "\" y=\"" +
            Coordinate(f.plot_height / 2) +
            "\" font-size=\"12\" fill=\"#888\" text-anchor=\"middle\">no data</text>";
  }
}

// Transparent columns, each covering the plot between the midpoints to its
// neighbours, whose tooltip names every series' value at the column's step.
// Drawn under the lines and markers, whose own tooltips win.
void AppendHoverColumns(const Plot& plot, std::string* out) {
  const ChartOptions& options = plot.options;
  const auto& x = plot.x;
  const size_t n = x.size();
  if (!plot.has_data || options.hover_columns <= 0 || n == 0) return;
  const Frame& f = plot.frame;
  std::vector<size_t> picks;
  for (int c = 0; c < options.hover_columns; ++c) {
    double target = f.x_lo + (f.x_hi - f.x_lo) * (c + 0.5) / options.hover_columns;
    size_t i = std::lower_bound(x.begin(), x.end(), target) - x.begin();
    if (i == n || (i > 0 && target - x[i - 1] <= x[i] - target)) --i;
    if (picks.empty() || x[picks.back()] != x[i]) picks.push_back(i);
  }
  *out += "<g class=\"hover\" fill=\"#000\" fill-opacity=\"0\">";
  for (size_t k = 0; k < picks.size(); ++k) {
    double px = plot.Px(picks[k]);
    double left = k == 0 ? 0 : (px + plot.Px(picks[k - 1])) / 2;
    double right = k + 1 == picks.size() ? f.plot_width : (px + plot.Px(picks[k + 1])) / 2;
    std::string tip = options.x_label + " " + FormatX(x[picks[k]], options);
    for (const ChartSeries& cs : plot.series) {
      double v = picks[k] < cs.y.size() ? cs.y[picks[k]] : kNaN;
      tip += "\n" + cs.name + ": " +
             (std::isfinite(v) ? FormatNumber(v, 4) + options.value_suffix : "-");
    }
    *out += "<rect x=\"" + Coordinate(std::max(0.0, left)) + "\" width=\"" +
            Coordinate(std::max(0.5, right - left)) + "\" height=\"" +
            Coordinate(f.plot_height) + "\"><title>" + HtmlEscape(tip) + "</title></rect>";
  }
  *out += "</g>";
}

// One path per series, in a nested <svg>: it clips to the plot by default, so
// values beyond fixed limits are cut at the frame without clipPath ids that
// would have to be unique across a page.
void AppendLines(const Plot& plot, std::string* out) {
  *out += "<svg width=\"" + Coordinate(plot.frame.plot_width) + "\" height=\"" +
          Coordinate(plot.frame.plot_height) + "\">";
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const ChartSeries& cs = plot.series[s];
    size_t points = 0;
    for (const auto& run : plot.drawn[s]) points += run.size();
    *out += "<path class=\"series\" data-series=\"" + HtmlEscape(cs.name) +
            "\" data-points=\"" + std::to_string(points) + "\" fill=\"none\" stroke=\"" +
            HtmlEscape(cs.color) + "\" stroke-width=\"1.6\" stroke-linejoin=\"round\"" +
            (cs.dashed ? " stroke-dasharray=\"6 3\"" : "") + " d=\"";
    // "M x,y x,y ...": pairs after a moveto are implicit linetos.
    bool first = true;
    for (const auto& run : plot.drawn[s]) {
      for (size_t k = 0; k < run.size(); ++k) {
        *out += k == 0 ? (first ? "M" : " M") : " ";
        AppendCoordinate(plot.Px(run[k]), out);
        out->push_back(',');
        AppendCoordinate(plot.Py(cs.y[run[k]]), out);
        first = false;
      }
    }
    *out += "\"><title>" + HtmlEscape(cs.name) + "</title></path>";
  }
  *out += "</svg>";
}

// Dots with tooltips: every drawn point of a sparse series, and lone points of
// any series (a one-point path draws nothing).
void AppendMarkers(const Plot& plot, std::string* out) {
  const ChartOptions& options = plot.options;
  for (size_t s = 0; s < plot.series.size(); ++s) {
    const ChartSeries& cs = plot.series[s];
    for (const auto& run : plot.drawn[s]) {
      if (!cs.markers && run.size() != 1) continue;
      for (size_t i : run) {
        double py = plot.Py(cs.y[i]);
        if (py < -0.5 || py > plot.frame.plot_height + 0.5) continue;
        *out += "<circle class=\"marker\" cx=\"" + Coordinate(plot.Px(i)) + "\" cy=\"" +
                Coordinate(py) + "\" r=\"2.6\" fill=\"" + HtmlEscape(cs.color) + "\"><title>" +
                HtmlEscape(cs.name + " at " + options.x_label + " " + FormatX(plot.x[i], options) +
                           ": " + FormatNumber(cs.y[i], 4) + options.value_suffix) +
                "</title></circle>";
      }
    }
  }
}

}  // namespace

std::string RenderLineChart(const std::vector<double>& x_in,
                            const std::vector<ChartSeries>& series_in,
                            const ChartOptions& options) {
  // Sort by x when a caller passed points out of order (downsampling and the
  // hover search need ascending x).
  std::vector<double> sorted_x;
  std::vector<ChartSeries> sorted_series;
  const bool sorted = std::is_sorted(x_in.begin(), x_in.end());
  if (!sorted) {
    std::vector<size_t> order(x_in.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return x_in[a] < x_in[b]; });
    for (size_t i : order) sorted_x.push_back(x_in[i]);
    for (const ChartSeries& s : series_in) {
      ChartSeries copy = s;
      copy.y.assign(order.size(), kNaN);
      for (size_t k = 0; k < order.size(); ++k) {
        if (order[k] < s.y.size()) copy.y[k] = s.y[order[k]];
      }
      sorted_series.push_back(std::move(copy));
    }
  }
  Plot plot(sorted ? x_in : sorted_x, sorted ? series_in : sorted_series, options);

  const double width = std::max(options.width, 160);
  const double height = std::max(options.height, 120);
  int legend_rows = 0;
  std::vector<LegendItem> legend = LayoutLegend(plot.series, width, &legend_rows);
  plot.top = kTitleHeight + legend_rows * kLegendRowHeight + 8;
  plot.frame.plot_width = width - kMarginLeft - kMarginRight;
  plot.frame.plot_height = std::max(height - plot.top - kMarginBottom, 40.0);

  SetXRange(&plot);
  const int buckets =
      options.downsample ? std::max(1, static_cast<int>(plot.frame.plot_width)) : 0;
  for (const ChartSeries& cs : plot.series) {
    plot.drawn.push_back(MinMaxDownsample(plot.x, cs.y, plot.frame.x_lo, plot.frame.x_hi,
                                          buckets, options.log_y));
  }
  double y_step = 0;
  std::vector<double> y_ticks = SetYRange(&plot, &y_step);

  std::string out;
  out.reserve(16384);
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 " +
         Coordinate(width) + " " + Coordinate(height) + "\" width=\"" + Coordinate(width) +
         "\" height=\"" + Coordinate(height) + "\" role=\"img\" font-family=\"sans-serif\">";
  out += "<title>" + HtmlEscape(options.title) + "</title>";
  // Hover feedback without script: the column under the pointer darkens.
  out += "<style>.hover rect:hover{fill-opacity:.06}</style>";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>";
  AppendTitleAndLegend(plot, legend, &out);
  out += "<g transform=\"translate(" + Coordinate(kMarginLeft) + "," + Coordinate(plot.top) +
         ")\">";
  AppendAxes(plot, y_ticks, y_step, &out);
  AppendHoverColumns(plot, &out);
  AppendLines(plot, &out);
  AppendMarkers(plot, &out);
  out += "</g></svg>";
  return out;
}

}  // namespace camoe::coordinator
