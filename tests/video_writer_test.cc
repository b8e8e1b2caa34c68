// VideoWriter: round trips, deterministic bytes, and refusals.
#include <gtest/gtest.h>

#include "common/file_util.h"
#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "worker/video/video_decoder.h"
#include "worker/video/video_writer.h"

namespace camoe {
namespace {

using testing::IndexedFrame;
using testing::ReadBytes;
using testing::WriteIndexedClip;
using video::VideoCodec;
using video::VideoWriter;

class VideoWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("video_writer"); }
  std::string dir_;
};

TEST_F(VideoWriterTest, RoundTripKeepsFrameCountSizeAndPixels) {
  const std::string path = dir_ + "/round.mp4";
  ASSERT_TRUE(WriteIndexedClip(path, VideoCodec::kH264, 17, 8, 64, 48).ok());
  video::SampleOptions options;
  options.num_frames = 100;
  options.size = 0;
  auto clip = video::SampleFrames(path, options);
  ASSERT_TRUE(clip.ok()) << clip.status();
  ASSERT_EQ(clip->valid_frames, 17);
  EXPECT_NEAR(clip->info.duration_seconds, 17 / 8.0, 1e-6);
  double max_error = 0;
  for (int i = 0; i < 17; ++i) {
    const image::RgbImage expected = IndexedFrame(64, 48, i);
    // Compare the interiors of the flat regions (edges blur under 4:2:0).
    for (int y : {6, 18, 30, 42}) {
      for (int x : {4, 12, 20, 40, 52, 60}) {
        for (int c = 0; c < 3; ++c) {
          max_error = std::max(
              max_error, std::abs(double(clip->frames[i].At(x, y)[c]) - expected.At(x, y)[c]));
        }
      }
    }
  }
  std::printf("H.264 CRF 18 round trip: max |error| on flat regions %.0f levels\n", max_error);
  EXPECT_LE(max_error, 6);
}

TEST_F(VideoWriterTest, SameFramesGiveIdenticalBytes) {
  for (auto [codec, extension] : {std::pair{VideoCodec::kH264, ".mp4"},
                                  std::pair{VideoCodec::kVp9, ".webm"},
                                  std::pair{VideoCodec::kMpeg4, ".avi"},
                                  std::pair{VideoCodec::kMjpeg, ".mkv"}}) {
    const std::string a = dir_ + "/a" + extension;
    const std::string b = dir_ + "/b" + extension;
    ASSERT_TRUE(WriteIndexedClip(a, codec, 20, 10, 64, 48).ok());
    ASSERT_TRUE(WriteIndexedClip(b, codec, 20, 10, 64, 48).ok());
    const std::string bytes = ReadBytes(a);
    EXPECT_FALSE(bytes.empty());
    EXPECT_TRUE(bytes == ReadBytes(b)) << extension << " output differs between runs";
  }
}

TEST_F(VideoWriterTest, KeyframeIntervalShowsInTheIndex) {
  const std::string path = dir_ + "/gop.mp4";
  video::VideoWriterOptions options;
  options.keyframe_interval = 10;
  ASSERT_TRUE(WriteIndexedClip(path, VideoCodec::kH264, 60, 10, 64, 48, options).ok());
  auto info = video::ProbeVideo(path);
  ASSERT_TRUE(info.ok());
  EXPECT_NEAR(info->keyframe_interval, 10, 0.01);
}

TEST_F(VideoWriterTest, RefusesOddSizesBadRatesAndMismatchedContainers) {
  EXPECT_EQ(VideoWriter::Open(dir_ + "/odd.mp4", 65, 48, 10, VideoCodec::kH264).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoWriter::Open(dir_ + "/rate.mp4", 64, 48, 0, VideoCodec::kH264).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VideoWriter::Open(dir_ + "/x.unknownext", 64, 48, 10, VideoCodec::kH264)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status mismatch =
      VideoWriter::Open(dir_ + "/m.webm", 64, 48, 10, VideoCodec::kMjpeg).status();
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument) << mismatch;
  EXPECT_NE(mismatch.message().find("cannot hold"), std::string::npos) << mismatch;
  EXPECT_EQ(VideoWriter::Open(dir_ + "/nodir/x.mp4", 64, 48, 10, VideoCodec::kH264)
                .status()
                .code(),
            absl::StatusCode::kInternal);
}

TEST_F(VideoWriterTest, RefusesFramesOfAnotherSize) {
  auto writer = VideoWriter::Open(dir_ + "/size.mp4", 64, 48, 10, VideoCodec::kH264);
  ASSERT_TRUE(writer.ok());
  const absl::Status status = (*writer)->WriteFrame(IndexedFrame(32, 48, 0));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("32x48"), std::string::npos) << status;
}

TEST_F(VideoWriterTest, AbandonedWriterLeavesNoFile) {
  const std::string path = dir_ + "/abandoned.mp4";
  {
    auto writer = VideoWriter::Open(path, 64, 48, 10, VideoCodec::kH264);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->WriteFrame(IndexedFrame(64, 48, 0)).ok());
    EXPECT_FALSE(FileExists(path));
  }
  EXPECT_FALSE(FileExists(path));
  EXPECT_FALSE(FileExists(path + ".partial"));
}

TEST_F(VideoWriterTest, CodecNamesParse) {
  for (VideoCodec codec : {VideoCodec::kH264, VideoCodec::kH265, VideoCodec::kMpeg4,
                           VideoCodec::kVp9, VideoCodec::kMjpeg}) {
    auto parsed = video::ParseVideoCodec(video::VideoCodecName(codec));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, codec);
  }
  const absl::Status bad = video::ParseVideoCodec("divx").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("h264"), std::string::npos);
}

}  // namespace
}  // namespace camoe
