// `camoe frames` and `camoe make-synthetic`, run in-process through RunCli.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "tests/cli_runner.h"
#include "worker/image/image.h"

namespace camoe {
namespace {

using Result = testing::CliResult;
using testing::RunCamoe;

int CountLines(const std::string& text, const std::string& prefix) {
  int count = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) count += line.rfind(prefix, 0) == 0;
  return count;
}

class VideoCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("video_cli"); }
  std::string dir_;
};

TEST_F(VideoCliTest, HelpDescribesTheFlags) {
  Result frames = RunCamoe({"frames", "--help"});
  EXPECT_EQ(frames.code, 0);
  EXPECT_NE(frames.out.find("--num_frames"), std::string::npos);
  EXPECT_NE(frames.out.find("--strategy"), std::string::npos);
  Result synthetic = RunCamoe({"make-synthetic", "--help"});
  EXPECT_EQ(synthetic.code, 0);
  EXPECT_NE(synthetic.out.find("--videos"), std::string::npos);
  Result usage = RunCamoe({"--help"});
  EXPECT_NE(usage.out.find("make-synthetic"), std::string::npos);
  EXPECT_NE(usage.out.find("frames"), std::string::npos);
}

TEST_F(VideoCliTest, FramesPrintsTimestampsAndWritesAContactSheet) {
  const std::string video = dir_ + "/clip.mp4";
  ASSERT_TRUE(testing::WriteIndexedClip(video, video::VideoCodec::kH264, 50, 10, 96, 64).ok());
  const std::string sheet = dir_ + "/sheet.png";
  Result r = RunCamoe({"frames", "--video=" + video, "--num_frames=6", "--size=64",
                       "--out=" + sheet, "--columns=3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(CountLines(r.out, "frame "), 6) << r.out;
  EXPECT_NE(r.out.find("t = 0.400 s"), std::string::npos) << r.out;  // centre 5/12 s -> frame 4
  EXPECT_NE(r.out.find("decoded frames/s"), std::string::npos);
  auto image = image::DecodeImageFile(sheet);
  ASSERT_TRUE(image.ok()) << image.status();
  // 3 columns x 2 rows of 64 px cells with padding and a label strip.
  EXPECT_EQ(image->width(), 3 * (64 + 4) + 4);
  EXPECT_EQ(image->height(), 2 * (64 + 7 + 4 + 4) + 4);
  // A label pixel is drawn in white below the first frame.
  bool white = false;
  for (int y = 4 + 64; y < 4 + 64 + 11; ++y) {
    for (int x = 4; x < 60; ++x) white = white || image->At(x, y)[0] == 255;
  }
  EXPECT_TRUE(white);
}

TEST_F(VideoCliTest, FramesReportsBadInput) {
  Result missing = RunCamoe({"frames", "--video=" + dir_ + "/none.mp4"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find(dir_ + "/none.mp4"), std::string::npos) << missing.err;
  EXPECT_EQ(RunCamoe({"frames"}).code, 2);
  EXPECT_EQ(RunCamoe({"frames", "--video=x.mp4", "--strategy=fastest"}).code, 2);
  EXPECT_EQ(RunCamoe({"frames", "--video=x.mp4", "--num_frame=3"}).code, 2);
}

TEST_F(VideoCliTest, MakeSyntheticWritesTheDataset) {
  const std::string out = dir_ + "/synthetic";
  Result r = RunCamoe({"make-synthetic", "--out=" + out, "--videos=12", "--seed=3",
                       "--frames_per_video=8", "--captions_per_video=5"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 12 videos"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("60 captions"), std::string::npos) << r.out;
  for (const char* file : {"MSRVTT_data.json", "MSRVTT_train.9k.csv", "MSRVTT_JSFUSION_test.csv",
                           "synthetic_meta.json", "videos/all/video11.mp4"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + file)) << file;
  }
  Result frames = RunCamoe({"frames", "--video=" + out + "/videos/all/video3.mp4",
                            "--num_frames=4"});
  EXPECT_EQ(frames.code, 0) << frames.err;
}

TEST_F(VideoCliTest, MakeSyntheticRejectsBadFlags) {
  EXPECT_EQ(RunCamoe({"make-synthetic"}).code, 2);
  Result odd = RunCamoe({"make-synthetic", "--out=" + dir_ + "/x", "--size=63"});
  EXPECT_EQ(odd.code, 2);
  EXPECT_NE(odd.err.find("size"), std::string::npos) << odd.err;
  EXPECT_EQ(RunCamoe({"make-synthetic", "--out=" + dir_ + "/x", "--videos=0"}).code, 2);
  EXPECT_EQ(RunCamoe({"make-synthetic", "--out=" + dir_ + "/x", "--seed=-4"}).code, 2);
}

}  // namespace
}  // namespace camoe
