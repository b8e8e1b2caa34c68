#include "worker/video/frame_selection.h"

#include <algorithm>

namespace camoe::video {

std::vector<double> SegmentCentres(double start, double end, int n) {
  std::vector<double> centres(n);
  const double step = (end - start) / n;
  for (int k = 0; k < n; ++k) centres[k] = start + (k + 0.5) * step;
  return centres;
}

std::vector<int> SelectFrames(const std::vector<double>& times, double start, double end, int n) {
  const int first = static_cast<int>(std::lower_bound(times.begin(), times.end(), start) -
                                     times.begin());
  const int last = static_cast<int>(std::lower_bound(times.begin(), times.end(), end) -
                                    times.begin());  // one past the last candidate
  std::vector<int> picked;
  if (first >= last) {
    if (first > 0) picked.push_back(first - 1);
    return picked;
  }
  if (last - first <= n) {
    for (int i = first; i < last; ++i) picked.push_back(i);
    return picked;
  }
  for (double centre : SegmentCentres(start, end, n)) {
    // The first candidate at or after the centre, and the one before it.
    const int after = static_cast<int>(
        std::lower_bound(times.begin() + first, times.begin() + last, centre) - times.begin());
    int chosen;
    if (after == first) {
      chosen = first;
    } else if (after == last) {
      chosen = last - 1;
    } else {
      chosen = PreferEarlier(times[after - 1], centre, times[after]) ? after - 1 : after;
    }
    if (picked.empty() || picked.back() != chosen) picked.push_back(chosen);
  }
  return picked;
}

}  // namespace camoe::video
