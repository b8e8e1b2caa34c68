// Decode throughput of SampleFrames on 320x240 30 fps H.264 clips at N = 12:
// sequential vs seeking vs auto, for 10 s with x264's default keyframe
// spacing (250) and with a keyframe every 10 frames, and for 60 s with a
// keyframe every second; and the cost per clip of
// sampling + CLIP preprocessing (224). Prints the figures docs/video.md
// quotes; asserts only that the strategies agree (timings vary by machine).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "worker/video/video_decoder.h"

namespace camoe {
namespace {

using video::SampleOptions;

struct Timing {
  double ms_per_clip;
  double frames_per_second;
  video::SampledClip clip;
};

Timing Measure(const std::string& path, SampleOptions options, int repeats) {
  Timing timing{};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) {
    auto clip = video::SampleFrames(path, options);
    EXPECT_TRUE(clip.ok()) << clip.status();
    if (clip.ok()) timing.clip = std::move(*clip);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
  timing.ms_per_clip = seconds * 1e3;
  timing.frames_per_second = timing.clip.frames_decoded / seconds;
  return timing;
}

TEST(VideoBenchmarkTest, SequentialVersusSeekOn320x240TenSecondClip) {
  const std::string dir = testing::TempDir("video_benchmark");
  for (auto [frames, gop] : {std::pair{300, 0}, std::pair{300, 10}, std::pair{1800, 30}}) {
    const std::string path = dir + "/clip_gop" + std::to_string(gop) + ".mp4";
    video::VideoWriterOptions writer;
    writer.keyframe_interval = gop;
    writer.preset = "veryfast";
    ASSERT_TRUE(testing::WriteIndexedClip(path, video::VideoCodec::kH264, frames, 30, 320, 240,
                                          writer).ok());
    for (int size : {0, 224}) {
      SampleOptions options;
      options.num_frames = 12;
      options.size = size;
      std::printf("320x240 H.264, %d frames (%d s), keyframe interval %s, N=12, size %d:\n",
                  frames, frames / 30, gop == 0 ? "250 (x264 default)" : std::to_string(gop).c_str(),
                  size);
      Timing reference;
      for (auto [strategy, name] :
           {std::pair{SampleOptions::Strategy::kSequential, "sequential"},
            std::pair{SampleOptions::Strategy::kSeek, "seek"},
            std::pair{SampleOptions::Strategy::kAuto, "auto"}}) {
        options.strategy = strategy;
        Timing t = Measure(path, options, 3);
        std::printf("  %-10s %7.2f ms/clip, %4lld frames decoded, %2d seeks, %6.0f frames decoded/s\n",
                    name, t.ms_per_clip, static_cast<long long>(t.clip.frames_decoded),
                    t.clip.seeks, t.frames_per_second);
        if (strategy == SampleOptions::Strategy::kSequential) {
          reference = std::move(t);
        } else {
          EXPECT_EQ(t.clip.timestamps, reference.clip.timestamps) << name;
          EXPECT_TRUE(t.clip.frames == reference.clip.frames) << name;
        }
      }
    }
  }
}

}  // namespace
}  // namespace camoe
