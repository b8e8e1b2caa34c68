// SampleFrames and ProbeVideo on clips written by VideoWriter in several
// containers and codecs: frame counts, timestamps, the frames' contents
// (each frame's colour encodes its index), segments, short clips, and the
// sequential and seeking strategies giving identical frames.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "worker/video/frame_selection.h"
#include "worker/video/video_decoder.h"
#include "worker/video/video_writer.h"

namespace camoe {
namespace {

using testing::DecodeIndex;
using testing::WriteIndexedClip;
using video::SampleFrames;
using video::SampleOptions;
using video::VideoCodec;

constexpr int kWidth = 96;
constexpr int kHeight = 64;
constexpr double kFps = 10;

// The decoded index of a frame (left half), checked at a few interior points.
int FrameIndex(const image::RgbImage& frame) {
  const int x = frame.width() / 6;
  const int a = DecodeIndex(frame.At(x, frame.height() / 4));
  const int b = DecodeIndex(frame.At(x, frame.height() * 3 / 4));
  return a == b ? a : -2;
}

// All frame times of `path` (rule 3 with N above the frame count).
std::vector<double> AllTimes(const std::string& path) {
  SampleOptions options;
  options.num_frames = 4096;
  options.size = 16;
  auto clip = SampleFrames(path, options);
  EXPECT_TRUE(clip.ok()) << clip.status();
  return clip.ok() ? clip->timestamps : std::vector<double>{};
}

struct Format {
  VideoCodec codec;
  const char* extension;
  const char* ffmpeg_codec;
};

class VideoDecodeFormatTest : public ::testing::TestWithParam<Format> {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir(std::string("video_decode_") + GetParam().extension + "_" +
                            video::VideoCodecName(GetParam().codec));
    path_ = dir_ + "/clip" + GetParam().extension;
    ASSERT_TRUE(WriteIndexedClip(path_, GetParam().codec, 30, kFps, kWidth, kHeight).ok());
  }
  std::string dir_;
  std::string path_;
};

TEST_P(VideoDecodeFormatTest, ProbeReportsSizeRateAndDuration) {
  auto info = video::ProbeVideo(path_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, kWidth);
  EXPECT_EQ(info->height, kHeight);
  EXPECT_NEAR(info->fps, kFps, 1e-6);
  EXPECT_NEAR(info->duration_seconds, 3.0, 0.11);
  EXPECT_NEAR(static_cast<double>(info->frame_count_estimate), 30, 1);
  EXPECT_EQ(info->codec, GetParam().ffmpeg_codec);
}

TEST_P(VideoDecodeFormatTest, EveryFrameDecodesWithItsIndexAndTimestamp) {
  SampleOptions options;
  options.num_frames = 100;  // more than the clip has: each frame once
  options.size = 0;
  auto clip = SampleFrames(path_, options);
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_EQ(clip->valid_frames, 30);
  EXPECT_FALSE(clip->truncated) << clip->problem;
  for (int i = 0; i < 30; ++i) {
    EXPECT_NEAR(clip->timestamps[i], i / kFps, 1e-6) << i;
    const image::RgbImage& frame = clip->frames[i];
    ASSERT_EQ(frame.width(), kWidth);
    ASSERT_EQ(frame.height(), kHeight);
    EXPECT_EQ(FrameIndex(frame), i);
    // The right half: white on top, black below (within codec error).
    EXPECT_GT(frame.At(kWidth * 3 / 4, kHeight / 4)[1], 235);
    EXPECT_LT(frame.At(kWidth * 3 / 4, kHeight * 3 / 4)[1], 20);
  }
}

TEST_P(VideoDecodeFormatTest, SamplesTheFramesNearestTheSegmentCentres) {
  SampleOptions options;
  options.num_frames = 12;
  options.size = 64;  // 96x64 -> short side already 64 -> centre crop x 16..79
  auto clip = SampleFrames(path_, options);
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_EQ(clip->valid_frames, 12);
  std::vector<double> times;
  for (int i = 0; i < 30; ++i) times.push_back(i / kFps);
  const std::vector<int> expected = video::SelectFrames(times, 0, 3.0, 12);
  ASSERT_EQ(expected.size(), 12u);
  for (int k = 0; k < 12; ++k) {
    EXPECT_NEAR(clip->timestamps[k], times[expected[k]], 1e-6);
    const image::RgbImage& frame = clip->frames[k];
    ASSERT_EQ(frame.width(), 64);
    ASSERT_EQ(frame.height(), 64);
    EXPECT_EQ(FrameIndex(frame), expected[k]);
    EXPECT_GT(frame.At(56, 8)[0], 235);   // cropped right half, top: white
    EXPECT_LT(frame.At(56, 56)[0], 20);   // bottom: black
  }
}

INSTANTIATE_TEST_SUITE_P(
    Containers, VideoDecodeFormatTest,
    ::testing::Values(Format{VideoCodec::kH264, ".mp4", "h264"},
                      Format{VideoCodec::kH264, ".mkv", "h264"},
                      Format{VideoCodec::kH265, ".mp4", "hevc"},
                      Format{VideoCodec::kMpeg4, ".avi", "mpeg4"},
                      Format{VideoCodec::kVp9, ".webm", "vp9"},
                      Format{VideoCodec::kMjpeg, ".mkv", "mjpeg"},
                      Format{VideoCodec::kMjpeg, ".avi", "mjpeg"}),
    [](const ::testing::TestParamInfo<Format>& info) {
      return video::VideoCodecName(info.param.codec) + "_" + (info.param.extension + 1);
    });

class VideoSamplingTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("video_sampling"); }
  std::string dir_;
};

TEST_F(VideoSamplingTest, SegmentSamplingPicksOnlyFramesInsideTheSegment) {
  const std::string path = dir_ + "/long.mp4";
  ASSERT_TRUE(WriteIndexedClip(path, VideoCodec::kH264, 60, kFps, kWidth, kHeight).ok());
  SampleOptions options;
  options.num_frames = 8;
  options.size = 32;
  options.start_seconds = 2.05;
  options.end_seconds = 4.0;
  auto clip = SampleFrames(path, options);
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_EQ(clip->valid_frames, 8);
  const std::vector<double> times = AllTimes(path);
  ASSERT_EQ(times.size(), 60u);
  const std::vector<int> expected = video::SelectFrames(times, 2.05, 4.0, 8);
  for (int k = 0; k < 8; ++k) {
    EXPECT_GE(clip->timestamps[k], 2.05);
    EXPECT_LT(clip->timestamps[k], 4.0);
    EXPECT_DOUBLE_EQ(clip->timestamps[k], times[expected[k]]);
    EXPECT_EQ(FrameIndex(clip->frames[k]), expected[k]);
  }
}

TEST_F(VideoSamplingTest, SegmentShorterThanAFrameGivesTheFrameOnScreen) {
  const std::string path = dir_ + "/clip.mp4";
  ASSERT_TRUE(WriteIndexedClip(path, VideoCodec::kH264, 20, kFps, kWidth, kHeight).ok());
  SampleOptions options;
  options.size = 0;
  options.start_seconds = 0.52;
  options.end_seconds = 0.58;
  auto clip = SampleFrames(path, options);
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_EQ(clip->valid_frames, 1);
  EXPECT_NEAR(clip->timestamps[0], 0.5, 1e-9);
  EXPECT_EQ(FrameIndex(clip->frames[0]), 5);
}

TEST_F(VideoSamplingTest, SegmentBeyondTheClipIsInvalidArgument) {
  const std::string path = dir_ + "/clip.mp4";
  ASSERT_TRUE(WriteIndexedClip(path, VideoCodec::kH264, 20, kFps, kWidth, kHeight).ok());
  SampleOptions options;
  options.start_seconds = 5;
  auto clip = SampleFrames(path, options);
  ASSERT_EQ(clip.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(clip.status().message().find(path), std::string::npos);
  options.start_seconds = 1.0;
  options.end_seconds = 0.5;
  EXPECT_EQ(SampleFrames(path, options).status().code(), absl::StatusCode::kInvalidArgument);
  options = SampleOptions();
  options.num_frames = 0;
  EXPECT_EQ(SampleFrames(path, options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(VideoSamplingTest, ShortClipYieldsEachFrameOnce) {
  const std::string path = dir_ + "/short.mp4";
  ASSERT_TRUE(WriteIndexedClip(path, VideoCodec::kH264, 5, kFps, kWidth, kHeight).ok());
  for (auto strategy : {SampleOptions::Strategy::kAuto, SampleOptions::Strategy::kSequential,
                        SampleOptions::Strategy::kSeek}) {
    SampleOptions options;
    options.num_frames = 12;
    options.size = 0;
    options.strategy = strategy;
    auto clip = SampleFrames(path, options);
    ASSERT_TRUE(clip.ok()) << clip.status();
    ASSERT_EQ(clip->valid_frames, 5);
    ASSERT_EQ(clip->frames.size(), 5u);
    for (int i = 0; i < 5; ++i) {
      EXPECT_NEAR(clip->timestamps[i], i / kFps, 1e-9);
      EXPECT_EQ(FrameIndex(clip->frames[i]), i);
    }
  }
}

TEST_F(VideoSamplingTest, ExactlyNFramesYieldsEveryFrame) {
  const std::string path = dir_ + "/twelve.mp4";
  ASSERT_TRUE(WriteIndexedClip(path, VideoCodec::kH264, 12, kFps, kWidth, kHeight).ok());
  SampleOptions options;
  options.num_frames = 12;
  options.size = 0;
  auto clip = SampleFrames(path, options);
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_EQ(clip->valid_frames, 12);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(FrameIndex(clip->frames[i]), i);
}

// Sequential decoding and seeking return the same frames (bit for bit) and
// timestamps, for codecs with B-frames, for segments, and for every N.
struct StrategyCase {
  VideoCodec codec;
  const char* extension;
  int keyframe_interval;
};

class VideoStrategyTest : public ::testing::TestWithParam<StrategyCase> {};

TEST_P(VideoStrategyTest, SequentialAndSeekReturnIdenticalFrames) {
  const StrategyCase& c = GetParam();
  const std::string dir = testing::TempDir("video_strategy");
  const std::string path = dir + "/clip" + c.extension;
  video::VideoWriterOptions writer_options;
  writer_options.keyframe_interval = c.keyframe_interval;
  ASSERT_TRUE(WriteIndexedClip(path, c.codec, 250, 25, kWidth, kHeight, writer_options).ok());
  const std::vector<double> times = AllTimes(path);
  ASSERT_EQ(times.size(), 250u);
  struct Query {
    int n;
    double start, end;
  };
  for (const Query& q : {Query{12, -1, -1}, Query{5, -1, -1}, Query{16, 2.5, 7.9},
                         Query{3, 9.0, -1}, Query{64, -1, -1}, Query{1, 4.0, 4.5}}) {
    SampleOptions options;
    options.num_frames = q.n;
    options.size = 48;
    options.start_seconds = q.start;
    options.end_seconds = q.end;
    options.strategy = SampleOptions::Strategy::kSequential;
    auto sequential = SampleFrames(path, options);
    options.strategy = SampleOptions::Strategy::kSeek;
    auto seek = SampleFrames(path, options);
    options.strategy = SampleOptions::Strategy::kAuto;
    auto automatic = SampleFrames(path, options);
    ASSERT_TRUE(sequential.ok()) << sequential.status();
    ASSERT_TRUE(seek.ok()) << seek.status();
    ASSERT_TRUE(automatic.ok()) << automatic.status();
    const std::string what = "N=" + std::to_string(q.n) + " start=" + std::to_string(q.start);
    EXPECT_EQ(sequential->seeks, 0) << what;
    EXPECT_EQ(sequential->timestamps, seek->timestamps) << what;
    EXPECT_EQ(sequential->timestamps, automatic->timestamps) << what;
    EXPECT_TRUE(sequential->frames == seek->frames) << what;
    EXPECT_TRUE(sequential->frames == automatic->frames) << what;
    // And both follow the rule on the full list of frame times.
    const double start = q.start < 0 ? 0 : q.start;
    const double end = q.end < 0 ? 10.0 : q.end;
    std::vector<double> expected;
    for (int i : video::SelectFrames(times, start, end, q.n)) expected.push_back(times[i]);
    EXPECT_EQ(sequential->timestamps, expected) << what;
    for (size_t k = 0; k < expected.size(); ++k) {
      EXPECT_EQ(FrameIndex(sequential->frames[k]), std::lround(expected[k] * 25) % 100) << what;
    }
    if (q.n <= 12 && c.keyframe_interval > 0 && c.keyframe_interval <= 10) {
      EXPECT_GT(seek->seeks, 0) << what;
      EXPECT_LT(seek->frames_decoded, sequential->frames_decoded) << what;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, VideoStrategyTest,
                         ::testing::Values(StrategyCase{VideoCodec::kH264, ".mp4", 10},
                                           StrategyCase{VideoCodec::kH264, ".mp4", 0},
                                           StrategyCase{VideoCodec::kH264, ".mkv", 8},
                                           StrategyCase{VideoCodec::kMpeg4, ".avi", 10},
                                           StrategyCase{VideoCodec::kVp9, ".webm", 10},
                                           StrategyCase{VideoCodec::kMjpeg, ".mkv", 0}),
                         [](const ::testing::TestParamInfo<StrategyCase>& info) {
                           return video::VideoCodecName(info.param.codec) + "_" +
                                  (info.param.extension + 1) + "_gop" +
                                  std::to_string(info.param.keyframe_interval);
                         });

TEST(VideoThreadsTest, DecoderThreadsGiveTheSameFrames) {
  const std::string dir = testing::TempDir("video_threads");
  const std::string path = dir + "/clip.mp4";
  ASSERT_TRUE(WriteIndexedClip(path, VideoCodec::kH264, 40, kFps, kWidth, kHeight).ok());
  SampleOptions options;
  options.size = 0;
  auto one = SampleFrames(path, options);
  options.thread_count = 4;
  auto four = SampleFrames(path, options);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_EQ(one->timestamps, four->timestamps);
  EXPECT_TRUE(one->frames == four->frames);
}

}  // namespace
}  // namespace camoe
