// Note [Frame selection rule] as a pure function of frame times.
#include <gtest/gtest.h>

#include "worker/video/frame_selection.h"

namespace camoe::video {
namespace {

std::vector<double> Times(int count, double fps) {
  std::vector<double> times;
  for (int i = 0; i < count; ++i) times.push_back(i / fps);
  return times;
}

TEST(FrameSelectionTest, CentresSplitTheSegmentEvenly) {
  EXPECT_EQ(SegmentCentres(0, 4, 4), (std::vector<double>{0.5, 1.5, 2.5, 3.5}));
  EXPECT_EQ(SegmentCentres(10, 12, 1), (std::vector<double>{11}));
}

TEST(FrameSelectionTest, PicksTheFrameNearestEachCentre) {
  // 100 frames at 10 fps over 10 s, N = 4: centres 1.25, 3.75, 6.25, 8.75
  // fall halfway between frames; ties go to the earlier frame.
  EXPECT_EQ(SelectFrames(Times(100, 10), 0, 10, 4), (std::vector<int>{12, 37, 62, 87}));
  // N = 5: centres 1, 3, 5, 7, 9 s are frames exactly.
  EXPECT_EQ(SelectFrames(Times(100, 10), 0, 10, 5), (std::vector<int>{10, 30, 50, 70, 90}));
}

TEST(FrameSelectionTest, FewerCandidatesThanNGiveEachOnce) {
  EXPECT_EQ(SelectFrames(Times(5, 10), 0, 0.5, 12), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(SelectFrames(Times(12, 10), 0, 1.2, 12).size(), 12u);
}

TEST(FrameSelectionTest, OnlyFramesInsideTheSegment) {
  const std::vector<int> picked = SelectFrames(Times(100, 10), 2.05, 4.0, 8);
  ASSERT_EQ(picked.size(), 8u);
  for (int i : picked) {
    EXPECT_GE(i, 21);
    EXPECT_LE(i, 39);
  }
  // Segment end is exclusive: [2.0, 2.5) holds frames 20..24.
  EXPECT_EQ(SelectFrames(Times(100, 10), 2.0, 2.5, 12), (std::vector<int>{20, 21, 22, 23, 24}));
}

TEST(FrameSelectionTest, SegmentBetweenFramesGivesTheFrameOnScreen) {
  EXPECT_EQ(SelectFrames(Times(10, 10), 0.52, 0.58, 4), (std::vector<int>{5}));
  EXPECT_TRUE(SelectFrames(Times(10, 10), 5.0, 6.0, 4) == (std::vector<int>{9}));
  EXPECT_TRUE(SelectFrames({}, 0, 1, 4).empty());
}

TEST(FrameSelectionTest, IrregularTimesNeverRepeatAFrame) {
  // A burst of frames then a long gap: several centres share a frame.
  const std::vector<double> times = {0, 0.01, 0.02, 0.03, 0.04, 0.05, 5.0};
  const std::vector<int> picked = SelectFrames(times, 0, 6, 6);
  EXPECT_EQ(picked, (std::vector<int>{5, 6}));
}

}  // namespace
}  // namespace camoe::video
