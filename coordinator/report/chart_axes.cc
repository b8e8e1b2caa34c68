#include "coordinator/report/chart_axes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "coordinator/report/html_text.h"

namespace camoe::coordinator {
namespace {

// multiple * 10^exponent as the double nearest the decimal it stands for
// (dividing by 10^-e keeps 0.3 from becoming 0.30000000000000004).
double Scaled(double multiple, int exponent) {
  return exponent >= 0 ? multiple * std::pow(10.0, exponent)
                       : multiple / std::pow(10.0, -exponent);
}

}  // namespace

AxisTicks NiceTicks(double lo, double hi, int target_count, bool integer) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi == lo) {
    double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    if (integer) pad = std::max(pad, 1.0);
    lo -= pad;
    hi += pad;
  }
  target_count = std::max(target_count, 2);
  double raw = (hi - lo) / target_count;
  int exponent = static_cast<int>(std::floor(std::log10(raw)));
  double fraction = raw / std::pow(10.0, exponent);
  double mantissa = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  if (mantissa == 10) {
    mantissa = 1;
    ++exponent;
  }
  if (integer && exponent < 0) {
    mantissa = 1;
    exponent = 0;
  }
  AxisTicks ticks;
  ticks.step = Scaled(mantissa, exponent);
  // Work in whole multiples k of the step so every value is k * step exactly
  // as written in decimal, not an accumulated sum.
  double k_lo = std::floor(lo / ticks.step + 1e-9);
  double k_hi = std::ceil(hi / ticks.step - 1e-9);
  ticks.nice_lo = Scaled(k_lo * mantissa, exponent);
  ticks.nice_hi = Scaled(k_hi * mantissa, exponent);
  for (double k = k_lo; k <= k_hi && ticks.values.size() < 1000; ++k) {
    ticks.values.push_back(Scaled(k * mantissa, exponent));
  }
  return ticks;
}

std::vector<double> LogTicks(double lo, double hi, int target_count) {
  std::vector<double> ticks;
  if (!(lo > 0) || !(hi >= lo) || !std::isfinite(hi)) return ticks;
  int e_lo = static_cast<int>(std::floor(std::log10(lo)));
  int e_hi = static_cast<int>(std::ceil(std::log10(hi)));
  const double slack = 1e-9;
  const auto inside = [&](double v) { return v >= lo * (1 - slack) && v <= hi * (1 + slack); };
  const std::vector<std::vector<int>> mantissa_sets = {{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  bool powers_only = true;
  for (const std::vector<int>& mantissas : mantissa_sets) {
    powers_only = mantissas.size() == 1;
    ticks.clear();
    for (int e = e_lo; e <= e_hi; ++e) {
      for (int m : mantissas) {
        double v = Scaled(m, e);
        if (inside(v)) ticks.push_back(v);
      }
    }
    if (ticks.size() >= 3) break;
  }
  if (ticks.size() >= 3 && !powers_only) {
    // Keep labels apart: greedily accept powers of ten, then 2 and 5, then
    // the other digits, each only if it is not too close to one accepted.
    const double min_gap =
        (std::log10(hi) - std::log10(lo)) / (2.0 * std::max(target_count, 2));
    const auto priority = [](double v) {
      double mantissa = v / std::pow(10.0, std::floor(std::log10(v) + 1e-9));
      int digit = static_cast<int>(std::lround(mantissa));
      return digit == 1 ? 0 : (digit == 2 || digit == 5) ? 1 : 2;
    };
    std::vector<double> candidates = ticks;
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](double a, double b) { return priority(a) < priority(b); });
    std::vector<double> accepted;
    for (double v : candidates) {
      bool clear = true;
      for (double a : accepted) clear = clear && std::fabs(std::log10(v / a)) >= min_gap;
      if (clear) accepted.push_back(v);
    }
    std::sort(accepted.begin(), accepted.end());
    ticks = accepted;
  }
  if (powers_only && ticks.size() > static_cast<size_t>(std::max(target_count, 2)) * 3 / 2 + 1) {
    // Powers of ten over many decades: keep every stride-th decade.
    size_t stride = (ticks.size() + target_count - 1) / std::max(target_count, 1);
    std::vector<double> thinned;
    for (double v : ticks) {
      int e = static_cast<int>(std::lround(std::log10(v)));
      if (e % static_cast<int>(stride) == 0) thinned.push_back(v);
    }
    if (thinned.size() >= 2) ticks = thinned;
  }
  if (ticks.size() < 2) {
    // Narrower than 1..2: linear ticks read better than one lonely label.
    ticks.clear();
    for (double v : NiceTicks(lo, hi, target_count).values) {
      if (v > 0 && inside(v)) ticks.push_back(v);
    }
  }
  return ticks;
}

std::string FormatTick(double value, double step) {
  if (value == 0) return "0";
  step = std::fabs(step);
  if (!(step > 0) || !std::isfinite(step)) return FormatNumber(value);
  double magnitude = std::fabs(value);
  if (step < 1e-3) {
    // Learning rates: "2.5e-5"; enough digits to tell neighbours apart.
    int digits = static_cast<int>(std::floor(std::log10(magnitude)) -
                                  std::floor(std::log10(step) + 1e-9)) + 1;
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.*e", std::max(digits, 1) - 1, value);
    std::string text = buffer;
    size_t e = text.find('e');
    std::string mantissa = text.substr(0, e);
    if (mantissa.find('.') != std::string::npos) {
      while (mantissa.back() == '0') mantissa.pop_back();
      if (mantissa.back() == '.') mantissa.pop_back();
    }
    return mantissa + "e" + std::to_string(std::atoi(text.c_str() + e + 1));
  }
  double unit = 1;
  const char* suffix = "";
  if (magnitude >= 1e9 && step >= 1e6) {
    unit = 1e9, suffix = "G";
  } else if (magnitude >= 1e6 && step >= 1e3) {
    unit = 1e6, suffix = "M";
  } else if (magnitude >= 1e3 && step >= 100) {
    unit = 1e3, suffix = "k";
  }
  double scaled_step = step / unit;
  int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(scaled_step) + 1e-9)));
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value / unit);
  std::string out = buffer;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out + suffix;
}

}  // namespace camoe::coordinator
