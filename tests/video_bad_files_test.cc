// Files that are not (whole) videos: each gives the Status docs/video.md
// promises, naming the file, never a crash and never frames of zeros.
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include <cmath>
#include <random>

#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "worker/image/image.h"
#include "worker/image/shapes.h"
#include "worker/video/video_decoder.h"

namespace camoe {
namespace {

using testing::ReadBytes;
using testing::WriteBytes;
using testing::WriteIndexedClip;
using video::SampleFrames;
using video::SampleOptions;
using video::VideoCodec;

class VideoBadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir("video_bad_files");
    good_ = dir_ + "/good.mp4";
    ASSERT_TRUE(WriteIndexedClip(good_, VideoCodec::kH264, 40, 10, 96, 64).ok());
  }

  // Both entry points fail with `code` and a message naming `path` and
  // containing `words`.
  void ExpectError(const std::string& path, absl::StatusCode code, const std::string& words) {
    const absl::Status probe = video::ProbeVideo(path).status();
    const absl::Status sample = SampleFrames(path, SampleOptions()).status();
    for (const absl::Status& status : {probe, sample}) {
      EXPECT_EQ(status.code(), code) << status;
      EXPECT_NE(status.message().find(path), std::string::npos) << status;
      EXPECT_NE(status.message().find(words), std::string::npos) << status;
    }
  }

  std::string dir_;
  std::string good_;
};

TEST_F(VideoBadFileTest, MissingFileIsNotFound) {
  ExpectError(dir_ + "/absent.mp4", absl::StatusCode::kNotFound, "no such video file");
}

TEST_F(VideoBadFileTest, DirectoryIsInvalidArgument) {
  ExpectError(dir_, absl::StatusCode::kInvalidArgument, "is a directory");
}

TEST_F(VideoBadFileTest, EmptyFileIsInvalidArgument) {
  WriteBytes(dir_ + "/empty.mp4", "");
  ExpectError(dir_ + "/empty.mp4", absl::StatusCode::kInvalidArgument, "empty");
}

TEST_F(VideoBadFileTest, RandomBytesAreNotAVideo) {
  std::mt19937 rng(7);
  std::string bytes(100000, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  WriteBytes(dir_ + "/noise.mp4", bytes);
  ExpectError(dir_ + "/noise.mp4", absl::StatusCode::kInvalidArgument, "not a video");
}

TEST_F(VideoBadFileTest, TextFilesAreNotVideos) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "a person is cooking in a kitchen, line " + std::to_string(i) + "\n";
  WriteBytes(dir_ + "/captions.mp4", text);
  ExpectError(dir_ + "/captions.mp4", absl::StatusCode::kInvalidArgument, "not a video");
  // FFmpeg would render a .txt as ANSI art ("tty"): refused by name.
  WriteBytes(dir_ + "/captions.txt", text);
  ExpectError(dir_ + "/captions.txt", absl::StatusCode::kInvalidArgument, "not a video");
}

TEST_F(VideoBadFileTest, PngRenamedMp4IsAStillImage) {
  auto scene = image::RenderScene(64, 48, image::Color::kBlue,
                                  {{image::Shape::kStar, image::Color::kYellow}});
  ASSERT_TRUE(scene.ok());
  ASSERT_TRUE(image::WritePng(dir_ + "/frame.mp4", *scene).ok());
  ExpectError(dir_ + "/frame.mp4", absl::StatusCode::kInvalidArgument, "still image");
}

TEST_F(VideoBadFileTest, AudioOnlyFileHasNoVideoStream) {
  // A 0.5 s 8 kHz mono 16-bit PCM WAV, written by hand.
  const int samples = 4000;
  std::string wav = "RIFF";
  auto u32 = [&](uint32_t v) { for (int i = 0; i < 4; ++i) wav += static_cast<char>(v >> (8 * i)); };
  auto u16 = [&](uint16_t v) { wav += static_cast<char>(v & 255); wav += static_cast<char>(v >> 8); };
  u32(36 + samples * 2);
  wav += "WAVEfmt ";
  u32(16); u16(1); u16(1); u32(8000); u32(16000); u16(2); u16(16);
  wav += "data";
  u32(samples * 2);
  for (int i = 0; i < samples; ++i) u16(static_cast<uint16_t>((i * 97) % 2000));
  WriteBytes(dir_ + "/speech.wav", wav);
  ExpectError(dir_ + "/speech.wav", absl::StatusCode::kInvalidArgument, "no video stream");
  // Also when it is named like a video.
  WriteBytes(dir_ + "/speech.mp4", wav);
  ExpectError(dir_ + "/speech.mp4", absl::StatusCode::kInvalidArgument, "no video stream");
}

TEST_F(VideoBadFileTest, TruncatedMp4WithoutIndexIsDataLoss) {
  // The MP4 muxer writes the index (moov) last: cut the file and it is gone.
  const std::string bytes = ReadBytes(good_);
  WriteBytes(dir_ + "/cut.mp4", bytes.substr(0, bytes.size() / 2));
  ExpectError(dir_ + "/cut.mp4", absl::StatusCode::kDataLoss, "damaged or truncated");
}

TEST_F(VideoBadFileTest, HeaderOnlyIsDataLoss) {
  const std::string bytes = ReadBytes(good_);
  WriteBytes(dir_ + "/header.mp4", bytes.substr(0, 40));
  ExpectError(dir_ + "/header.mp4", absl::StatusCode::kDataLoss, "damaged or truncated");
}

TEST_F(VideoBadFileTest, TruncatedFaststartMp4GivesTheFramesBeforeTheCut) {
  video::VideoWriterOptions options;
  options.faststart = true;
  options.keyframe_interval = 5;  // so that whole GOPs survive the cut
  const std::string whole = dir_ + "/faststart.mp4";
  ASSERT_TRUE(WriteIndexedClip(whole, VideoCodec::kH264, 80, 10, 96, 64, options).ok());
  const std::string bytes = ReadBytes(whole);
  const std::string cut = dir_ + "/faststart_cut.mp4";
  // x264's first packet carries its ~600-byte settings SEI: cut well after.
  WriteBytes(cut, bytes.substr(0, bytes.size() * 3 / 4));
  SampleOptions sample;
  sample.size = 0;
  sample.num_frames = 12;
  auto clip = SampleFrames(cut, sample);
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_TRUE(clip->truncated);
  EXPECT_FALSE(clip->problem.empty());
  EXPECT_GE(clip->valid_frames, 1);
  EXPECT_LT(clip->valid_frames, 12);
  for (int k = 0; k < clip->valid_frames; ++k) {
    // Real frames (never zeros), in time order.
    EXPECT_EQ(testing::DecodeIndex(clip->frames[k].At(8, 16)),
              static_cast<int>(std::lround(clip->timestamps[k] * 10)));
  }
  // The whole file is not truncated.
  auto full = SampleFrames(whole, sample);
  ASSERT_TRUE(full.ok());
  EXPECT_FALSE(full->truncated) << full->problem;
  EXPECT_EQ(full->valid_frames, 12);
}

TEST_F(VideoBadFileTest, ZeroedFramesAreDataLoss) {
  // Keep the container, destroy every coded frame: the index survives but
  // nothing decodes.
  video::VideoWriterOptions options;
  options.faststart = true;
  const std::string whole = dir_ + "/zeroed_src.mp4";
  ASSERT_TRUE(WriteIndexedClip(whole, VideoCodec::kH264, 40, 10, 96, 64, options).ok());
  std::string bytes = ReadBytes(whole);
  const size_t mdat = bytes.find("mdat");
  ASSERT_NE(mdat, std::string::npos);
  for (size_t i = mdat + 4; i < bytes.size(); ++i) bytes[i] = 0;
  WriteBytes(dir_ + "/zeroed.mp4", bytes);
  const std::string path = dir_ + "/zeroed.mp4";
  const absl::Status status = SampleFrames(path, SampleOptions()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find(path), std::string::npos);
  EXPECT_NE(status.message().find("no frame could be decoded"), std::string::npos) << status;
}

TEST_F(VideoBadFileTest, UnreadableFileIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  const std::string path = dir_ + "/locked.mp4";
  std::filesystem::copy_file(good_, path);
  std::filesystem::permissions(path, std::filesystem::perms::none);
  ExpectError(path, absl::StatusCode::kPermissionDenied, "cannot read");
}

}  // namespace
}  // namespace camoe
