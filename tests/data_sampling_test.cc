// The deterministic RNG, the distributed sampler's global-batch contract, and
// the training and evaluation views.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/data/dataset.h"
#include "worker/data/rng.h"
#include "worker/data/sampler.h"
#include "worker/data/views.h"

namespace camoe::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SplitMix64Test, MatchesThePublishedSequence) {
  // The reference implementation's first outputs for seed 0 (Vigna's splitmix64.c).
  SplitMix64 rng(0);
  EXPECT_EQ(rng.Next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(rng.Next(), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(rng.Next(), 0x06C45D188009454Full);
}

TEST(SplitMix64Test, BelowIsInRangeAndRoughlyUniform) {
  SplitMix64 rng(7);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) ++counts[rng.Below(6)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);  // > 4 sigma
  EXPECT_EQ(rng.Below(1), 0u);
}

TEST(DistributedSamplerTest, GlobalOrderIsAFixedPermutationOfSeedAndEpoch) {
  // Golden orders from an independent Python transcription of SplitMix64,
  // MixSeed and Fisher-Yates: the same on every platform and standard library.
  auto sampler = DistributedSampler::Create({10, 2, 1, 0, 42, true, true});
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  EXPECT_THAT(sampler->GlobalOrder(0), ElementsAre(6, 1, 8, 7, 5, 4, 0, 2, 9, 3));
  EXPECT_THAT(sampler->GlobalOrder(1), ElementsAre(0, 2, 7, 5, 9, 3, 1, 8, 4, 6));
  auto ordered = DistributedSampler::Create({5, 1, 1, 0, 42, false, true});
  ASSERT_TRUE(ordered.ok());
  EXPECT_THAT(ordered->Indices(3), ElementsAre(0, 1, 2, 3, 4));
}

// Global batch b of an epoch, reassembled from every rank's slice.
std::vector<std::vector<int64_t>> GlobalBatches(int64_t n, int64_t g, int world, bool drop_last,
                                                int64_t epoch) {
  std::vector<std::vector<int64_t>> per_rank;
  int64_t batches = 0, local = 0;
  for (int r = 0; r < world; ++r) {
    auto s = DistributedSampler::Create({n, g, world, r, 1234, true, drop_last});
    EXPECT_TRUE(s.ok()) << s.status();
    per_rank.push_back(s->Indices(epoch));
    batches = s->num_batches();
    local = s->local_batch_size();
  }
  std::vector<std::vector<int64_t>> out(batches);
  for (int64_t b = 0; b < batches; ++b) {
    for (int r = 0; r < world; ++r) {
      out[b].insert(out[b].end(), per_rank[r].begin() + b * local,
                    per_rank[r].begin() + (b + 1) * local);
    }
  }
  return out;
}

TEST(DistributedSamplerTest, GlobalBatchesDoNotDependOnWorldSize) {
  for (bool drop_last : {true, false}) {
    auto one = GlobalBatches(103, 8, 1, drop_last, 5);
    for (int world : {2, 4, 8}) {
      EXPECT_EQ(GlobalBatches(103, 8, world, drop_last, 5), one)
          << "world " << world << " drop_last " << drop_last;
    }
  }
}

TEST(DistributedSamplerTest, DropLastSeesEverySampleAtMostOnce) {
  auto batches = GlobalBatches(103, 8, 4, true, 0);
  ASSERT_EQ(batches.size(), 12u);  // 96 of 103 samples
  std::set<int64_t> seen;
  for (const auto& b : batches) {
    for (int64_t i : b) EXPECT_TRUE(seen.insert(i).second) << "sample " << i << " twice";
  }
  EXPECT_EQ(seen.size(), 96u);
}

TEST(DistributedSamplerTest, WithoutDropLastEverySampleOnceAndTheTailWraps) {
  auto batches = GlobalBatches(103, 8, 4, false, 0);
  ASSERT_EQ(batches.size(), 13u);
  std::map<int64_t, int> count;
  for (const auto& b : batches) {
    ASSERT_EQ(b.size(), 8u);
    for (int64_t i : b) ++count[i];
  }
  EXPECT_EQ(count.size(), 103u);  // every sample
  int twice = 0;
  for (const auto& [i, c] : count) twice += c == 2;
  EXPECT_EQ(twice, 1);  // 104 slots for 103 samples: the order's first sample again
  auto s = DistributedSampler::Create({103, 8, 1, 0, 1234, true, false});
  EXPECT_EQ(batches.back().back(), s->GlobalOrder(0).front());
}

TEST(DistributedSamplerTest, EpochsDiffer) {
  auto s = DistributedSampler::Create({1000, 10, 1, 0, 1, true, true});
  ASSERT_TRUE(s.ok());
  EXPECT_NE(s->GlobalOrder(0), s->GlobalOrder(1));
  auto again = DistributedSampler::Create({1000, 10, 1, 0, 1, true, true});
  EXPECT_EQ(s->GlobalOrder(7), again->GlobalOrder(7));
}

TEST(DistributedSamplerTest, RejectsInconsistentOptions) {
  EXPECT_THAT(std::string(DistributedSampler::Create({100, 10, 3, 0, 0, true, true}).status().message()),
              HasSubstr("global batch size 10 must be a positive multiple of the world size 3"));
  EXPECT_THAT(std::string(DistributedSampler::Create({100, 8, 2, 2, 0, true, true}).status().message()),
              HasSubstr("rank 2 is outside [0, 2)"));
  EXPECT_THAT(std::string(DistributedSampler::Create({5, 8, 2, 0, 0, true, true}).status().message()),
              HasSubstr("fewer than one global batch"));
  EXPECT_FALSE(DistributedSampler::Create({0, 8, 2, 0, 0, true, false}).ok());
  // Without drop_last a tiny dataset wraps around as often as needed.
  auto tiny = DistributedSampler::Create({3, 8, 2, 1, 0, false, false});
  ASSERT_TRUE(tiny.ok());
  EXPECT_THAT(tiny->Indices(0), ElementsAre(1, 2, 0, 1));
}

DatasetSplit ThreeVideos() {
  DatasetBuilder builder;
  int32_t a = builder.AddVideo("a", {"a"});
  int32_t b = builder.AddVideo("b", {"b"});
  int32_t c = builder.AddVideo("c", {"c"});
  builder.AddVideo("no captions", {});
  builder.AddCaption(a, "a1");
  builder.AddCaption(b, "b1");
  builder.AddCaption(a, "a2");
  builder.AddCaption(c, "c1");
  builder.AddCaption(a, "a3");
  DatasetSplit split;
  builder.Finish("test", &split);
  return split;
}

TEST(ViewsTest, AllPairsVisitsEveryCaption) {
  DatasetSplit split = ThreeVideos();
  TrainView view(split, TRAIN_SAMPLING_ALL_PAIRS, 1);
  ASSERT_EQ(view.size(), 5);
  std::vector<std::string> seen;
  for (int64_t i = 0; i < view.size(); ++i) {
    TrainSample s = view.Get(i, 0);
    seen.push_back(split.videos[s.video].id + ":" + split.captions[s.caption].text);
  }
  EXPECT_THAT(seen, ElementsAre("a:a1", "b:b1", "a:a2", "c:c1", "a:a3"));
}

TEST(ViewsTest, OneCaptionPerVideoIsSeededByEpochAndCoversAllCaptions) {
  DatasetSplit split = ThreeVideos();
  TrainView view(split, TRAIN_SAMPLING_ONE_CAPTION_PER_VIDEO, 99);
  ASSERT_EQ(view.size(), 3);  // the caption-less video was dropped
  std::set<std::string> a_captions;
  for (int64_t epoch = 0; epoch < 64; ++epoch) {
    TrainSample s = view.Get(0, epoch);
    EXPECT_EQ(s.video, 0);
    EXPECT_EQ(split.captions[s.caption].video, 0);
    a_captions.insert(split.captions[s.caption].text);
    EXPECT_EQ(view.Get(0, epoch).caption, s.caption);  // same answer every time
    EXPECT_EQ(split.captions[view.Get(1, epoch).caption].text, "b1");
  }
  EXPECT_EQ(a_captions.size(), 3u);
}

TEST(ViewsTest, EvalViewMapsEveryCaptionToItsVideo) {
  DatasetSplit split = ThreeVideos();
  EvalView view = MakeEvalView(split);
  EXPECT_THAT(view.videos, ElementsAre(0, 1, 2));
  EXPECT_THAT(view.captions, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(view.video_of_text, ElementsAre(0, 1, 0, 2, 0));
  ASSERT_EQ(split.warnings.size(), 1u);
  EXPECT_THAT(split.warnings[0], HasSubstr("1 listed videos have no captions"));
}

}  // namespace
}  // namespace camoe::data
