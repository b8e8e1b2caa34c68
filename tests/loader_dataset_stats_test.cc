// `camoe dataset-stats` on the synthetic dataset (numbers checked against the
// loaded splits and an independent tokenization) and on a fixture with a
// missing and a corrupt video; Summarize's percentiles.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/loader_test_util.h"
#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "worker/data/dataset.h"
#include "worker/data/json_reader.h"
#include "worker/loader/dataset_stats.h"
#include "worker/text/bpe_tokenizer.h"
#include "worker/video/synthetic.h"

namespace camoe::data {
namespace {

using ::testing::HasSubstr;
using testing::RunCamoe;

const JsonValue& Get(const JsonValue& object, const std::string& key) {
  static const JsonValue kNull;
  const JsonValue* value = object.Find(key);
  EXPECT_NE(value, nullptr) << "no key " << key;
  return value != nullptr ? *value : kNull;
}

double Number(const JsonValue& object, const std::string& path) {
  const JsonValue* value = &object;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    value = &Get(*value, path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  EXPECT_TRUE(value->is_number()) << path;
  return value->is_number() ? value->number() : -1;
}

TEST(SummarizeTest, NearestRankPercentiles) {
  std::vector<double> values;
  for (int i = 1; i <= 20; ++i) values.push_back(21 - i);  // unsorted on purpose
  const Distribution d = Summarize(values);
  EXPECT_EQ(d.count, 20);
  EXPECT_EQ(d.min, 1);
  EXPECT_EQ(d.max, 20);
  EXPECT_DOUBLE_EQ(d.mean, 10.5);
  EXPECT_EQ(d.p50, 10);  // ceil(0.5 * 20) = 10th value
  EXPECT_EQ(d.p95, 19);  // ceil(0.95 * 20) = 19th value
  EXPECT_EQ(Summarize({}).count, 0);
  EXPECT_EQ(Summarize({7}).p95, 7);
}

TEST(DatasetStatsTest, SyntheticDatasetMatchesTheLoadedSplits) {
  const std::string vocab = testing::BpeVocabPath();
  if (vocab.empty()) GTEST_SKIP() << "no BPE merges file (scripts/fetch-assets.sh)";
  const std::string dir = testing::TempDir("loader_stats_synthetic");
  video::SyntheticOptions synthetic;
  synthetic.videos = 24;
  ASSERT_TRUE(video::WriteSyntheticDataset(dir + "/syn", synthetic).ok());
  const std::string data_text = "format: DATASET_MSRVTT\nannotation_dir: \"" + dir +
                                "/syn\"\nvideo_dir: \"" + dir +
                                "/syn/videos/all\"\ntrain_split: \"9k\"\neval_split: \"full\"\n";
  constexpr int kMaxWords = 10;
  const std::string job = testing::WriteJobSpec(dir + "/job.pbtxt", data_text, 32, kMaxWords);
  auto r = RunCamoe({"dataset-stats", "--dataset=" + job, "--probe", "--json", "--vocab=" + vocab});
  ASSERT_EQ(r.code, 0) << r.err;
  auto json = ParseJson(r.out, "dataset-stats output");
  ASSERT_TRUE(json.ok()) << json.status() << "\n" << r.out;
  EXPECT_EQ(Get(*json, "dataset").string(), "MSR-VTT");
  EXPECT_EQ(Number(*json, "max_words"), kMaxWords);
  const auto& splits = Get(*json, "splits").array();
  ASSERT_EQ(splits.size(), 2u);

  auto tokenizer = BpeTokenizer::Load(vocab);
  ASSERT_TRUE(tokenizer.ok());
  DataConfig config;
  config.set_format(DATASET_MSRVTT);
  config.set_annotation_dir(dir + "/syn");
  config.set_train_split("9k");
  config.set_eval_split("full");
  for (int s = 0; s < 2; ++s) {
    const SplitRole role = s == 0 ? SplitRole::kTrain : SplitRole::kEval;
    auto split = LoadSplit(config, role);
    ASSERT_TRUE(split.ok()) << split.status();
    const JsonValue& stats = splits[s];
    EXPECT_EQ(Get(stats, "role").string(), SplitRoleName(role));
    EXPECT_EQ(Number(stats, "videos"), split->videos.size());
    EXPECT_EQ(Number(stats, "captions"), split->captions.size());
    EXPECT_EQ(Number(stats, "captions_per_video.min"), synthetic.captions_per_video);
    EXPECT_EQ(Number(stats, "captions_per_video.max"), synthetic.captions_per_video);
    // Token counts and the over-limit count, tokenized here independently.
    int max_tokens = 0, over = 0;
    double total = 0;
    for (const CaptionRecord& c : split->captions) {
      auto ids = (*tokenizer)->Encode(c.text);
      ASSERT_TRUE(ids.ok());
      const int n = static_cast<int>(ids->size());
      max_tokens = std::max(max_tokens, n);
      total += n;
      over += n + 2 > kMaxWords;
    }
    EXPECT_EQ(Number(stats, "tokens.max"), max_tokens);
    EXPECT_NEAR(Number(stats, "tokens.mean"), total / split->captions.size(), 1e-4);
    EXPECT_EQ(Number(stats, "over_max_words"), over);
    EXPECT_GT(over, 0);  // max_words 10 cuts some synthetic captions
    EXPECT_EQ(Number(stats, "videos_missing"), 0);
    EXPECT_EQ(Number(stats, "probe.readable"), split->videos.size());
    EXPECT_TRUE(Get(Get(stats, "probe"), "unreadable").array().empty());
    EXPECT_NEAR(Number(stats, "probe.duration_seconds.mean"), 2.0, 0.01);
    EXPECT_NEAR(Number(stats, "probe.fps.p50"), 8.0, 1e-6);
    EXPECT_EQ(Number(stats, "probe.width.max"), 64);
    EXPECT_EQ(Number(stats, "probe.resolutions.64x64"), split->videos.size());
  }
}

TEST(DatasetStatsTest, NamesMissingAndCorruptVideos) {
  const std::string vocab = testing::BpeVocabPath();
  if (vocab.empty()) GTEST_SKIP() << "no BPE merges file (scripts/fetch-assets.sh)";
  const std::string dir = testing::TempDir("loader_stats_bad");
  auto d = testing::WriteLoaderDataset(dir, {"corrupt.mp4", "gone.mp4"});
  testing::WriteBytes(d.videos + "/corrupt.mp4", "this is not a video at all");
  auto text = RunCamoe({"dataset-stats", "--dataset=" + d.config, "--probe", "--vocab=" + vocab});
  ASSERT_EQ(text.code, 0) << text.err;  // a report, not a check
  EXPECT_THAT(text.out, HasSubstr("train: JSONL"));
  EXPECT_THAT(text.out, HasSubstr("videos on disk:     5 of 6 found; 1 missing, e.g.:"));
  EXPECT_THAT(text.out, HasSubstr("gone.mp4"));
  EXPECT_THAT(text.out, HasSubstr("unreadable: " + d.videos + "/corrupt.mp4: "));
  // b.mp4's two segments are one file: probed once.
  EXPECT_THAT(text.out, HasSubstr("probe:              3 readable, 1 unreadable"));
  EXPECT_THAT(text.out, HasSubstr("eval: JSONL"));

  auto json = RunCamoe({"dataset-stats", "--dataset=" + d.config, "--probe", "--json",
                        "--vocab=" + vocab, "--splits=train"});
  ASSERT_EQ(json.code, 0) << json.err;
  auto parsed = ParseJson(json.out, "dataset-stats output");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const JsonValue& train = Get(*parsed, "splits").array().at(0);
  EXPECT_EQ(Number(train, "videos_missing"), 1);
  EXPECT_THAT(Get(train, "missing_examples").array().at(0).string(), HasSubstr("gone.mp4"));
  const auto& unreadable = Get(Get(train, "probe"), "unreadable").array();
  ASSERT_EQ(unreadable.size(), 1u);
  EXPECT_EQ(Get(unreadable[0], "path").string(), d.videos + "/corrupt.mp4");
  EXPECT_EQ(Number(train, "captions_per_video.max"), 2);  // a.mp4 has two captions
}

}  // namespace
}  // namespace camoe::data
