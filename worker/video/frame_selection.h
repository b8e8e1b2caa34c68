// The frame sampling rule, as a pure function of presentation times: which of
// a video's frames SampleFrames returns for N frames over a segment
// [start, end). The decoder implements the same rule while streaming (it never
// holds every frame) and is tested against this function; docs/video.md
// states the rule. Stateless functions; thread-safe.
#ifndef CAMOE_WORKER_VIDEO_FRAME_SELECTION_H_
#define CAMOE_WORKER_VIDEO_FRAME_SELECTION_H_

#include <vector>

namespace camoe::video {

// The N target times of the rule: the centres of N equal parts of
// [start, end), start + (k + 0.5) * (end - start) / N for k = 0 .. N - 1.
// REQUIRES: n >= 1, start < end (both finite).
std::vector<double> SegmentCentres(double start, double end, int n);

// Note [Frame selection rule]. Given every frame's presentation time in
// seconds (`times`, strictly increasing), returns the indices of the frames
// to sample, increasing:
//   1. Candidates are the frames with start <= t < end.
//   2. No candidate (a segment shorter than one frame interval): the frame on
//      screen at `start`, i.e. the last frame with t < start; none if there is
//      no such frame either.
//   3. At most N candidates: every candidate, once (a short clip gives fewer
//      than N frames and the caller masks the rest).
//   4. Otherwise, for each centre c of SegmentCentres(start, end, n), the
//      candidate nearest to c (ties go to the earlier frame); a frame picked
//      for two centres appears once (only possible with irregular times).
// REQUIRES: n >= 1, start < end.
std::vector<int> SelectFrames(const std::vector<double>& times, double start, double end, int n);

// Rule 4 alone for one centre, written the way the streaming decoder decides
// it: `before` is the latest candidate earlier than `centre`, `after` the
// first candidate at or after it. True when `before` wins.
inline bool PreferEarlier(double before, double centre, double after) {
  return centre - before <= after - centre;
}

}  // namespace camoe::video

#endif  // CAMOE_WORKER_VIDEO_FRAME_SELECTION_H_
