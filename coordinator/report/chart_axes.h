// Axis ticks for the report's charts: "nice" linear ticks (1, 2 or 5 times a
// power of ten), logarithmic ticks that stay readable from a fraction of a
// decade to many decades, and compact tick labels. Pure functions on values;
// thread-safe.
#ifndef CAMOE_COORDINATOR_REPORT_CHART_AXES_H_
#define CAMOE_COORDINATOR_REPORT_CHART_AXES_H_

#include <string>
#include <vector>

namespace camoe::coordinator {

// Ticks of a linear axis covering [lo, hi]: a step of 1, 2 or 5 times a power
// of ten giving about `target_count` ticks, with every value an integer
// multiple of the step. `nice_lo`/`nice_hi` are lo/hi widened to multiples of
// the step; `values` are the multiples inside [nice_lo, nice_hi]. With
// `integer`, the step is at least 1. An empty or inverted range is widened.
struct AxisTicks {
  double nice_lo = 0;
  double nice_hi = 1;
  double step = 1;
  std::vector<double> values;
};
AxisTicks NiceTicks(double lo, double hi, int target_count, bool integer = false);

// Ticks of a logarithmic axis inside [lo, hi] (REQUIRES: 0 < lo <= hi):
// powers of ten, or 1-2-5 or 1..9 times powers of ten when the range spans
// too few decades for three ticks; linear nice ticks for a very narrow range.
std::vector<double> LogTicks(double lo, double hi, int target_count);

// A tick label: as many decimals as `step` needs, k/M/G for large values,
// "2.5e-5" style for tiny steps. Log axes pass each value as its own step.
std::string FormatTick(double value, double step);

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_REPORT_CHART_AXES_H_
