// The synthetic default dataset: determinism, the MSR-VTT annotation files
// (parsed with protobuf's JSON parser, an independent reader), the
// entity/action design property, and the videos matching their plan.
#include <gtest/gtest.h>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "worker/video/synthetic.h"
#include "worker/video/video_decoder.h"

namespace camoe {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using testing::ReadBytes;
using video::SyntheticOptions;

Struct ParseJson(const std::string& path) {
  Struct root;
  const auto status = google::protobuf::util::JsonStringToMessage(ReadBytes(path), &root);
  EXPECT_TRUE(status.ok()) << path << ": " << status.ToString();
  return root;
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(ReadBytes(path), '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, ','));
  }
  return rows;
}

SyntheticOptions SmallOptions(uint64_t seed) {
  SyntheticOptions options;
  options.videos = 40;
  options.seed = seed;
  options.frames_per_video = 10;
  options.captions_per_video = 6;
  return options;
}

class SyntheticDatasetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::TempDir("synthetic_dataset"));
    summary_ = new video::SyntheticSummary(
        *video::WriteSyntheticDataset(*dir_ + "/a", SmallOptions(5)));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete summary_;
  }
  static std::string* dir_;
  static video::SyntheticSummary* summary_;
};
std::string* SyntheticDatasetTest::dir_ = nullptr;
video::SyntheticSummary* SyntheticDatasetTest::summary_ = nullptr;

TEST_F(SyntheticDatasetTest, SameSeedGivesIdenticalFilesOtherSeedDiffers) {
  ASSERT_TRUE(video::WriteSyntheticDataset(*dir_ + "/b", SmallOptions(5)).ok());
  ASSERT_TRUE(video::WriteSyntheticDataset(*dir_ + "/c", SmallOptions(6)).ok());
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(*dir_ + "/a")) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = entry.path().string().substr(dir_->size() + 2);
    EXPECT_TRUE(ReadBytes(entry.path().string()) == ReadBytes(*dir_ + "/b" + relative))
        << relative;
    ++files;
  }
  EXPECT_EQ(files, 40 + 8);
  EXPECT_NE(ReadBytes(*dir_ + "/a/MSRVTT_data.json"), ReadBytes(*dir_ + "/c/MSRVTT_data.json"));
  EXPECT_NE(ReadBytes(*dir_ + "/a/videos/all/video0.mp4"),
            ReadBytes(*dir_ + "/c/videos/all/video0.mp4"));
}

TEST_F(SyntheticDatasetTest, AnnotationsFollowMsrvttFormat) {
  const Struct data = ParseJson(*dir_ + "/a/MSRVTT_data.json");
  const auto& videos = data.fields().at("videos").list_value().values();
  const auto& sentences = data.fields().at("sentences").list_value().values();
  ASSERT_EQ(videos.size(), 40);
  ASSERT_EQ(sentences.size(), 40 * 6);
  EXPECT_EQ(summary_->captions, 240);
  std::map<std::string, std::string> split_of;
  for (int i = 0; i < videos.size(); ++i) {
    const auto& v = videos[i].struct_value().fields();
    const std::string id = v.at("video_id").string_value();
    EXPECT_EQ(id, "video" + std::to_string(i));
    EXPECT_EQ(v.at("id").number_value(), i);
    EXPECT_EQ(v.at("start time").number_value(), 0);
    EXPECT_NEAR(v.at("end time").number_value(), 10 / 8.0, 1e-3);
    EXPECT_TRUE(v.count("category") && v.count("url"));
    split_of[id] = v.at("split").string_value();
    EXPECT_TRUE(std::filesystem::exists(*dir_ + "/a/videos/all/" + id + ".mp4")) << id;
  }
  std::map<std::string, int> captions_of;
  for (int i = 0; i < sentences.size(); ++i) {
    const auto& s = sentences[i].struct_value().fields();
    EXPECT_EQ(s.at("sen_id").number_value(), i);
    EXPECT_FALSE(s.at("caption").string_value().empty());
    ++captions_of[s.at("video_id").string_value()];
  }
  for (const auto& [id, count] : captions_of) EXPECT_EQ(count, 6) << id;

  // Train CSV: header video_id, every non-test video; JSFusion CSV: the test
  // videos, one caption each, with the real file's columns.
  const auto train = ReadCsv(*dir_ + "/a/MSRVTT_train.9k.csv");
  ASSERT_FALSE(train.empty());
  EXPECT_EQ(train[0], std::vector<std::string>{"video_id"});
  const auto test = ReadCsv(*dir_ + "/a/MSRVTT_JSFUSION_test.csv");
  ASSERT_FALSE(test.empty());
  EXPECT_EQ(test[0], (std::vector<std::string>{"key", "vid_key", "video_id", "sentence"}));
  EXPECT_EQ(static_cast<int>(train.size() - 1 + test.size() - 1), 40);
  EXPECT_EQ(static_cast<int>(test.size()) - 1, summary_->test);
  for (size_t i = 1; i < train.size(); ++i) EXPECT_NE(split_of[train[i][0]], "test");
  for (size_t i = 1; i < test.size(); ++i) {
    ASSERT_EQ(test[i].size(), 4u) << "a caption holds a comma";
    EXPECT_EQ(test[i][0], "ret" + std::to_string(i - 1));
    EXPECT_EQ(test[i][1], "msr" + test[i][2].substr(5));
    EXPECT_EQ(split_of[test[i][2]], "test");
  }
  const auto full_test = ReadCsv(*dir_ + "/a/MSRVTT_test.full.csv");
  EXPECT_EQ(full_test.size(), test.size());
}

// Note [Synthetic design]: entity words alone and action words alone leave
// several candidates; the pair leaves one. Checked on the written metadata,
// for the whole set and for the test split, at several sizes and seeds.
TEST(SyntheticDesignTest, OnlyEntityAndActionTogetherIdentifyAVideo) {
  for (int videos : {20, 40, 200, 300}) {
    for (uint64_t seed : {1, 2, 3}) {
      SyntheticOptions options;
      options.videos = videos;
      options.seed = seed;
      auto plan = video::PlanSyntheticDataset(options);
      ASSERT_TRUE(plan.ok());
      for (const std::string split : {"", "test"}) {
        std::map<std::string, int> entity, action, pair;
        int members = 0;
        for (const auto& v : plan->videos) {
          if (!split.empty() && v.split != split) continue;
          ++members;
          const std::string e = image::ColorName(v.primary.color) + " " +
                                image::ShapeName(v.primary.shape);
          ++entity[e];
          ++action[video::ActionName(v.action)];
          ++pair[e + " " + video::ActionName(v.action)];
          EXPECT_FALSE(v.action == video::Action::kSpin &&
                       v.primary.shape == image::Shape::kCircle);
        }
        if (split == "test" && videos < 40) continue;  // one layer: too small to ask
        ASSERT_GE(members, 4) << videos;
        const std::string what = std::to_string(videos) + " videos, seed " +
                                 std::to_string(seed) + ", split '" + split + "'";
        for (const auto& [e, n] : entity) EXPECT_GE(n, 2) << e << " alone is unique; " << what;
        for (const auto& [a, n] : action) EXPECT_GE(n, 2) << a << " alone is unique; " << what;
        for (const auto& [p, n] : pair) EXPECT_EQ(n, 1) << p << " repeats; " << what;
        EXPECT_GE(entity.size(), 4u) << what;
        EXPECT_GE(action.size(), 2u) << what;
      }
    }
  }
}

TEST(SyntheticDesignTest, CaptionsNameTheEntityAndAreDistinct) {
  auto plan = video::PlanSyntheticDataset(SyntheticOptions());
  ASSERT_TRUE(plan.ok());
  for (const auto& v : plan->videos) {
    ASSERT_EQ(v.captions.size(), 10u);
    std::set<std::string> unique(v.captions.begin(), v.captions.end());
    EXPECT_EQ(unique.size(), 10u);
    for (const std::string& c : v.captions) {
      EXPECT_EQ(c.find(','), std::string::npos) << c;
      EXPECT_EQ(c, absl::AsciiStrToLower(c));
    }
  }
  EXPECT_FALSE(video::PlanSyntheticDataset(SyntheticOptions{0}).ok());
}

// The decoded video shows the plan: each decoded frame matches the frame the
// renderer draws, within H.264's error.
TEST_F(SyntheticDatasetTest, VideosDecodeToTheRenderedFrames) {
  const SyntheticOptions options = SmallOptions(5);
  auto plan = video::PlanSyntheticDataset(options);
  ASSERT_TRUE(plan.ok());
  for (int index : {0, 7, 13, 29}) {
    const auto& v = plan->videos[index];
    video::SampleOptions sample;
    sample.num_frames = options.frames_per_video;
    sample.size = 0;
    auto clip = video::SampleFrames(
        *dir_ + "/a/videos/all/video" + std::to_string(index) + ".mp4", sample);
    ASSERT_TRUE(clip.ok()) << clip.status();
    ASSERT_EQ(clip->valid_frames, options.frames_per_video);
    for (int f = 0; f < options.frames_per_video; ++f) {
      auto rendered = video::RenderSyntheticFrame(v, f, options);
      ASSERT_TRUE(rendered.ok());
      double total = 0;
      for (size_t i = 0; i < rendered->pixels().size(); ++i) {
        total += std::abs(int(rendered->pixels()[i]) - int(clip->frames[f].pixels()[i]));
      }
      const double mean = total / rendered->pixels().size();
      EXPECT_LT(mean, 4.0) << "video" << index << " frame " << f << " ("
                           << video::ActionName(v.action) << ")";
    }
  }
}

}  // namespace
}  // namespace camoe
