// The SVG line chart and text helpers of the job report
// (coordinator/report/svg_chart.h, html_text.h): nice ticks, downsampling,
// point counts, gaps, escaping and well-formedness.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "coordinator/report/html_text.h"
#include "coordinator/report/svg_chart.h"
#include "tests/report_test_util.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::CheckWellFormedXml;
using ::camoe::testing::SeriesPoints;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A step is nice when it is 1, 2 or 5 times a power of ten.
bool IsNiceStep(double step) {
  double exponent = std::floor(std::log10(step) + 1e-9);
  double mantissa = step / std::pow(10.0, exponent);
  for (double m : {1.0, 2.0, 5.0}) {
    if (std::fabs(mantissa - m) < 1e-9) return true;
  }
  return false;
}

void ExpectValidSvg(const std::string& svg) {
  absl::Status status = CheckWellFormedXml(svg);
  EXPECT_TRUE(status.ok()) << status << "\n" << svg.substr(0, 2000);
  if (::camoe::testing::HaveXmllint()) {
    std::string output;
    EXPECT_EQ(::camoe::testing::RunXmllint("--noout", svg, &output), 0) << output;
  }
}

TEST(NiceTicksTest, StepsAreOneTwoOrFiveTimesAPowerOfTenAndValuesAreMultiples) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> exponent(-8, 8);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int trial = 0; trial < 2000; ++trial) {
    double scale = std::pow(10.0, exponent(rng));
    double lo = (unit(rng) - 0.5) * scale;
    double hi = lo + unit(rng) * scale + 1e-300;
    int target = 2 + trial % 8;
    AxisTicks ticks = NiceTicks(lo, hi, target);
    ASSERT_TRUE(IsNiceStep(ticks.step)) << lo << " " << hi << " step " << ticks.step;
    EXPECT_LE(ticks.nice_lo, lo);
    EXPECT_GE(ticks.nice_hi, hi);
    EXPECT_GE(ticks.values.size(), 2u);
    EXPECT_LE(ticks.values.size(), static_cast<size_t>(2 * target + 2)) << lo << " " << hi;
    for (double v : ticks.values) {
      double k = v / ticks.step;
      EXPECT_NEAR(k, std::round(k), 1e-6) << v << " / " << ticks.step;
      // Labels are short: no 0.30000000000000004.
      EXPECT_LE(FormatTick(v, ticks.step).size(), 9u) << v << " step " << ticks.step;
    }
  }
}

TEST(NiceTicksTest, UnitRangeGivesTenthsOrFifths) {
  AxisTicks ticks = NiceTicks(0, 1, 5);
  EXPECT_EQ(ticks.step, 0.2);
  std::vector<std::string> labels;
  for (double v : ticks.values) labels.push_back(FormatTick(v, ticks.step));
  EXPECT_EQ(labels, (std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1"}));
}

TEST(NiceTicksTest, IntegerAxesNeverStepBelowOne) {
  AxisTicks ticks = NiceTicks(0, 3, 10, /*integer=*/true);
  EXPECT_EQ(ticks.step, 1);
  EXPECT_EQ(ticks.values, (std::vector<double>{0, 1, 2, 3}));
}

TEST(NiceTicksTest, EmptyAndInvertedRangesAreWidened) {
  AxisTicks same = NiceTicks(5, 5, 5);
  EXPECT_LT(same.nice_lo, 5);
  EXPECT_GT(same.nice_hi, 5);
  AxisTicks zero = NiceTicks(0, 0, 5);
  EXPECT_LT(zero.nice_lo, zero.nice_hi);
  AxisTicks inverted = NiceTicks(10, 0, 5);
  EXPECT_EQ(inverted.nice_lo, 0);
  EXPECT_EQ(inverted.nice_hi, 10);
}

TEST(LogTicksTest, PicksPowersOrOneTwoFiveOrAllDigitsByRange) {
  EXPECT_EQ(LogTicks(1e-7, 1e-4, 5), (std::vector<double>{1e-7, 1e-6, 1e-5, 1e-4}));
  EXPECT_EQ(LogTicks(0.05, 5, 5), (std::vector<double>{0.05, 0.1, 0.2, 0.5, 1, 2, 5}));
  // 0.9 would crowd 1 on the axis.
  EXPECT_EQ(LogTicks(0.8, 4.2, 5), (std::vector<double>{0.8, 1, 2, 3, 4}));
  // Fifteen decades: every third power.
  std::vector<double> wide = LogTicks(1e-12, 1e3, 5);
  EXPECT_GE(wide.size(), 3u);
  EXPECT_LE(wide.size(), 7u);
  // Narrower than a digit step: linear ticks inside.
  std::vector<double> narrow = LogTicks(1.1, 1.2, 5);
  ASSERT_GE(narrow.size(), 2u);
  for (double v : narrow) {
    EXPECT_GE(v, 1.1 - 1e-12);
    EXPECT_LE(v, 1.2 + 1e-12);
  }
  EXPECT_TRUE(LogTicks(0, 1, 5).empty());
}

TEST(FormatTickTest, UsesSuffixesForLargeAndExponentsForTinyValues) {
  EXPECT_EQ(FormatTick(250000, 50000), "250k");
  EXPECT_EQ(FormatTick(1000000, 200000), "1M");
  EXPECT_EQ(FormatTick(1200000, 200000), "1.2M");
  EXPECT_EQ(FormatTick(1500, 500), "1.5k");
  EXPECT_EQ(FormatTick(40, 20), "40");
  EXPECT_EQ(FormatTick(2.5e-5, 5e-6), "2.5e-5");
  EXPECT_EQ(FormatTick(1e-7, 1e-7), "1e-7");
  EXPECT_EQ(FormatTick(0.05, 0.05), "0.05");
  EXPECT_EQ(FormatTick(0, 0.1), "0");
  EXPECT_EQ(FormatTick(-0.4, 0.2), "-0.4");
}

TEST(HtmlTextTest, EscapesMarkupQuotesAndAmpersands) {
  EXPECT_EQ(HtmlEscape("<script>alert(\"x\")</script> & 'q'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
}

TEST(HtmlTextTest, ReplacesControlCharactersAndInvalidUtf8) {
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_EQ(HtmlEscape(std::string("a\x01" "b", 3)), "a" + replacement + "b");
  EXPECT_EQ(HtmlEscape(std::string("n\0m", 3)), "n" + replacement + "m");
  EXPECT_EQ(HtmlEscape("bad \xFF byte"), "bad " + replacement + " byte");
  EXPECT_EQ(HtmlEscape("overlong \xC0\xAF"), "overlong " + replacement + replacement);
  EXPECT_EQ(HtmlEscape("cut \xE6\x97"), "cut " + replacement + replacement);
  // Valid multi-byte text, tabs and newlines pass through.
  EXPECT_EQ(HtmlEscape("日本 \xF0\x9F\x8E\xA5\tok\n"), "日本 \xF0\x9F\x8E\xA5\tok\n");
}

TEST(HtmlTextTest, FormatsNumbersCountsDurationsAndTimes) {
  EXPECT_EQ(FormatNumber(1234.5, 6), "1234.5");
  EXPECT_EQ(FormatNumber(0.000123), "0.000123");
  EXPECT_EQ(FormatNumber(1.5e-7), "1.5e-7");
  EXPECT_EQ(FormatNumber(2.0), "2");
  EXPECT_EQ(FormatNumber(kNaN), "NaN");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatCount(-1000), "-1,000");
  EXPECT_EQ(FormatCount(12), "12");
  EXPECT_EQ(FormatDuration(850), "850 ms");
  EXPECT_EQ(FormatDuration(12'345), "12.3 s");
  EXPECT_EQ(FormatDuration(245'000), "4 min 05 s");
  EXPECT_EQ(FormatDuration(7'380'000), "2 h 03 min");
  EXPECT_EQ(FormatDuration(273'600'000), "3 d 04 h");
  EXPECT_EQ(FormatTimeUtc(1714564803000), "2024-05-01 12:00:03 UTC");
  EXPECT_EQ(FormatTimeUtc(0), "-");
}

TEST(MinMaxDownsampleTest, KeepsEveryPointWhenThereAreFewAndSplitsAtGaps) {
  std::vector<double> x = {0, 1, 2, 3, 4, 5};
  std::vector<double> y = {1, 2, kNaN, 4, 5, 6};
  auto runs = MinMaxDownsample(x, y, 0, 5, 100);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0], (std::vector<size_t>{0, 1}));
  EXPECT_EQ(runs[1], (std::vector<size_t>{3, 4, 5}));
}

TEST(MinMaxDownsampleTest, KeepsAtMostTwoPointsPerColumnAndEverySpike) {
  const size_t n = 1'000'000;
  std::vector<double> x(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<double>(i);
    y[i] = 1 + std::sin(i * 0.001) * 0.1;
  }
  y[543'210] = 100;   // a loss spike
  y[765'432] = -50;   // and a dip
  const int buckets = 500;
  auto runs = MinMaxDownsample(x, y, 0, n - 1, buckets);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_LE(runs[0].size(), 2u * buckets);
  EXPECT_GE(runs[0].size(), static_cast<size_t>(buckets));
  EXPECT_TRUE(std::is_sorted(runs[0].begin(), runs[0].end()));
  EXPECT_NE(std::find(runs[0].begin(), runs[0].end(), 543'210u), runs[0].end());
  EXPECT_NE(std::find(runs[0].begin(), runs[0].end(), 765'432u), runs[0].end());
}

TEST(MinMaxDownsampleTest, GapsSurviveDownsampling) {
  const size_t n = 100'000;
  std::vector<double> x(n), y(n, 1.0);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i);
  for (size_t i = 40'000; i < 50'000; ++i) y[i] = kNaN;  // a lost stretch of reports
  auto runs = MinMaxDownsample(x, y, 0, n - 1, 200);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_LT(runs[0].back(), 40'000u);
  EXPECT_GE(runs[1].front(), 50'000u);
}

class LineChartTest : public ::testing::Test {
 protected:
  static std::vector<double> Steps(size_t n) {
    std::vector<double> x(n);
    for (size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i + 1);
    return x;
  }
  static ChartSeries Series(const std::string& name, std::vector<double> y) {
    ChartSeries s;
    s.name = name;
    s.y = std::move(y);
    return s;
  }
};

TEST_F(LineChartTest, DrawsEveryPointOfAShortSeries) {
  std::vector<double> x = Steps(100);
  std::vector<double> y(100);
  for (int i = 0; i < 100; ++i) y[i] = 1.0 / (i + 1);
  ChartOptions options;
  options.title = "Loss";
  options.log_y = true;
  std::string svg = RenderLineChart(x, {Series("total", y), Series("half", {0.5, 0.25})}, options);
  ExpectValidSvg(svg);
  auto points = SeriesPoints(svg);
  EXPECT_EQ(points["total"], 100);
  EXPECT_EQ(points["half"], 2);  // a short series ends early
}

TEST_F(LineChartTest, DownsamplesLongSeriesToTwoPointsPerPixelUnlessAskedNotTo) {
  const size_t n = 100'000;
  std::vector<double> x = Steps(n);
  std::vector<double> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = std::sin(i * 0.37);
  ChartOptions options;
  options.width = 560;
  std::string svg = RenderLineChart(x, {Series("noise", y)}, options);
  ExpectValidSvg(svg);
  long drawn = SeriesPoints(svg)["noise"];
  const long plot_width = 560 - 54 - 14;
  EXPECT_GT(drawn, plot_width);
  EXPECT_LE(drawn, 2 * plot_width);
  options.downsample = false;
  EXPECT_EQ(SeriesPoints(RenderLineChart(x, {Series("noise", y)}, options))["noise"],
            static_cast<long>(n));
}

TEST_F(LineChartTest, EmptyChartSaysNoDataAndStaysWellFormed) {
  ChartOptions options;
  options.title = "Nothing";
  std::string svg = RenderLineChart({}, {Series("loss", {})}, options);
  ExpectValidSvg(svg);
  EXPECT_NE(svg.find("no data"), std::string::npos);
  EXPECT_EQ(SeriesPoints(svg)["loss"], 0);
  std::string all_gaps = RenderLineChart(Steps(3), {Series("loss", {kNaN, kNaN, kNaN})}, options);
  ExpectValidSvg(all_gaps);
  EXPECT_NE(all_gaps.find("no data"), std::string::npos);
  ExpectValidSvg(RenderLineChart({}, {}, options));
}

TEST_F(LineChartTest, SinglePointGetsAMarkerWithATooltip) {
  ChartOptions options;
  std::string svg = RenderLineChart({1200}, {Series("R@1", {43.25})}, options);
  ExpectValidSvg(svg);
  EXPECT_EQ(SeriesPoints(svg)["R@1"], 1);
  EXPECT_NE(svg.find("<circle"), std::string::npos);
  EXPECT_NE(svg.find("R@1 at step 1,200: 43.25"), std::string::npos);
}

TEST_F(LineChartTest, LogAxisTreatsNonPositiveValuesAsGaps) {
  ChartOptions options;
  options.log_y = true;
  std::string svg =
      RenderLineChart(Steps(5), {Series("lr", {0, 1e-5, 2e-5, -1, 3e-5})}, options);
  ExpectValidSvg(svg);
  EXPECT_EQ(SeriesPoints(svg)["lr"], 3);
  // Two runs: "M.. .." then a lone point drawn as a marker.
  EXPECT_NE(svg.find(" M"), std::string::npos);
}

TEST_F(LineChartTest, UnsortedStepsAreSortedWithTheirValues) {
  ChartOptions options;
  options.hover_columns = 0;
  std::string sorted = RenderLineChart({1, 2, 3}, {Series("a", {10, 20, 30})}, options);
  std::string shuffled = RenderLineChart({3, 1, 2}, {Series("a", {30, 10, 20})}, options);
  EXPECT_EQ(sorted, shuffled);
}

TEST_F(LineChartTest, EscapesTitlesAndSeriesNames) {
  ChartOptions options;
  options.title = "<script>alert('t')</script> & \"q\"";
  std::string svg =
      RenderLineChart(Steps(3), {Series("<img src=x onerror=alert(1)>", {1, 2, 3})}, options);
  ExpectValidSvg(svg);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("<img"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; &amp; &quot;q&quot;"),
            std::string::npos);
}

TEST_F(LineChartTest, HoverColumnsListEverySeriesAtTheirStep) {
  ChartOptions options;
  options.hover_columns = 4;
  std::string svg = RenderLineChart(Steps(4), {Series("a", {1, 2, 3, 4}), Series("b", {5, 6, 7, 8})},
                                    options);
  ExpectValidSvg(svg);
  EXPECT_NE(svg.find("<title>step 3\na: 3\nb: 7</title>"), std::string::npos) << svg;
}

TEST_F(LineChartTest, FixedLimitsKeepTicksInsideThem) {
  ChartOptions options;
  options.y_min = 0;
  options.y_max = 1;
  std::string svg = RenderLineChart(Steps(3), {Series("gate", {0.2, 0.5, 1.7})}, options);
  ExpectValidSvg(svg);
  EXPECT_NE(svg.find(">0.8</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">1.2</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">1.6</text>"), std::string::npos);
}

}  // namespace
}  // namespace camoe::coordinator
