// BatchLoader over a real FrameSource: batches in order with the right
// samples, never more than prefetch_batches batches loaded ahead, bad videos
// dropped and named (never zeros), frame masks for short clips, and stats
// that add up.
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "worker/loader/batch_loader.h"
#include "worker/loader/frame_source.h"

namespace camoe::data {
namespace {

using ::testing::HasSubstr;

constexpr int kFrames = 6;
constexpr int kSize = 16;
constexpr int64_t kFrameBytes = int64_t{kSize} * kSize * 3;

class BatchLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir("loader_batch");
    clip_ = dir_ + "/clip.mp4";
    ASSERT_TRUE(testing::WriteIndexedClip(clip_, video::VideoCodec::kH264, 20, 10, 32, 24).ok());
    short_ = dir_ + "/short.mp4";
    ASSERT_TRUE(testing::WriteIndexedClip(short_, video::VideoCodec::kH264, 4, 10, 32, 24).ok());
    empty_ = dir_ + "/empty.mp4";
    testing::WriteBytes(empty_, "");
  }

  // A split of `n` videos that all read `path` under distinct ids (so each is
  // decoded on its own), one caption each.
  void AddVideos(int n, const std::string& path) {
    for (int i = 0; i < n; ++i) {
      VideoRecord video;
      video.id = "v" + std::to_string(split_.videos.size());
      video.path = path;
      split_.captions.push_back(
          {"caption of " + video.id, static_cast<int32_t>(split_.videos.size())});
      split_.videos.push_back(video);
    }
  }

  std::unique_ptr<FrameSource> Source() {
    FrameSourceOptions options;
    options.num_frames = kFrames;
    options.size = kSize;
    auto source = FrameSource::Create(options);
    EXPECT_TRUE(source.ok()) << source.status();
    return std::move(*source);
  }

  // Batches of `size` consecutive samples over every video.
  std::vector<std::vector<TrainSample>> Batches(int size) {
    std::vector<std::vector<TrainSample>> batches;
    for (int i = 0; i < static_cast<int>(split_.videos.size()); ++i) {
      if (i % size == 0) batches.emplace_back();
      batches.back().push_back({i, i});
    }
    return batches;
  }

  std::string dir_, clip_, short_, empty_;
  DatasetSplit split_;
};

TEST_F(BatchLoaderTest, BatchesComeInOrderWithTheirSamplesAndFrames) {
  AddVideos(7, clip_);
  auto source = Source();
  auto batches = Batches(3);  // 3, 3, 1
  BatchLoader loader(source.get(), &split_, batches, {/*threads=*/3, /*prefetch_batches=*/2});
  // The frames every sample must carry: the clip decoded directly.
  auto reference = source->Get(split_.videos[0]);
  ASSERT_TRUE(reference.ok());
  for (size_t b = 0; b < batches.size(); ++b) {
    auto batch = loader.Next();
    ASSERT_TRUE(batch.has_value());
    EXPECT_EQ(batch->index, static_cast<int64_t>(b));
    ASSERT_EQ(batch->samples.size(), batches[b].size());
    for (size_t i = 0; i < batches[b].size(); ++i) {
      EXPECT_EQ(batch->samples[i].video, batches[b][i].video);
      EXPECT_EQ(batch->samples[i].caption, batches[b][i].caption);
      EXPECT_EQ(0, std::memcmp(batch->pixels.data() + i * kFrames * kFrameBytes,
                               (*reference)->pixels.data(), kFrames * kFrameBytes));
    }
    EXPECT_TRUE(batch->dropped.empty());
    EXPECT_EQ(batch->frames, kFrames);
    EXPECT_EQ(batch->size, kSize);
    EXPECT_EQ(std::count(batch->frame_mask.begin(), batch->frame_mask.end(), 1),
              static_cast<int64_t>(batches[b].size()) * kFrames);
  }
  EXPECT_FALSE(loader.Next().has_value());
}

TEST_F(BatchLoaderTest, NeverLoadsMoreThanPrefetchBatchesAhead) {
  // Distinct ids: every sample is one decode, so the decode count says how
  // many samples were loaded. After k batches were taken, the loader may
  // have loaded batches [0, k + prefetch) and no more.
  constexpr int kBatch = 2, kBatches = 5, kPrefetch = 2;
  AddVideos(kBatch * kBatches, clip_);
  auto source = Source();
  BatchLoader loader(source.get(), &split_, Batches(kBatch), {/*threads=*/4, kPrefetch});
  auto loaded = [&] { return source->stats().decodes; };
  auto wait_for = [&](int64_t count) {
    // Liveness only: the bound below is checked without timing.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (loaded() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  for (int taken = 0; taken <= kBatches; ++taken) {
    const int64_t allowed = std::min(taken + kPrefetch, kBatches) * kBatch;
    wait_for(allowed);
    EXPECT_EQ(loaded(), allowed) << "after " << taken << " batches taken";
    if (taken < kBatches) {
      ASSERT_TRUE(loader.Next().has_value());
    }
  }
  EXPECT_FALSE(loader.Next().has_value());
}

TEST_F(BatchLoaderTest, BadVideoIsDroppedAndNamedNeverZeros) {
  AddVideos(1, clip_);
  AddVideos(1, empty_);
  AddVideos(1, clip_);
  VideoRecord missing;
  missing.id = "nowhere";
  split_.videos.push_back(missing);
  split_.captions.push_back({"a missing video", 3});
  auto source = Source();
  BatchLoader loader(source.get(), &split_, Batches(4), {2, 1});
  auto batch = loader.Next();
  ASSERT_TRUE(batch.has_value());
  ASSERT_EQ(batch->samples.size(), 2u);
  EXPECT_EQ(batch->samples[0].video, 0);
  EXPECT_EQ(batch->samples[1].video, 2);
  ASSERT_EQ(batch->dropped.size(), 2u);
  EXPECT_THAT(batch->dropped[0], HasSubstr(empty_));
  EXPECT_THAT(batch->dropped[1], HasSubstr("nowhere"));
  // Two samples' worth of pixels, every frame real.
  EXPECT_EQ(batch->pixels.size(), 2u * kFrames * kFrameBytes);
  EXPECT_EQ(std::count(batch->frame_mask.begin(), batch->frame_mask.end(), 1), 2 * kFrames);
  EXPECT_EQ(source->stats().bad, 2);
  EXPECT_EQ(source->bad_videos().size(), 2u);
}

TEST_F(BatchLoaderTest, ShortClipsAreMaskedAndPaddedWithZeros) {
  AddVideos(1, short_);
  AddVideos(1, clip_);
  auto source = Source();
  BatchLoader loader(source.get(), &split_, Batches(2), {2, 1});
  auto batch = loader.Next();
  ASSERT_TRUE(batch.has_value());
  ASSERT_EQ(batch->samples.size(), 2u);
  const std::vector<uint8_t> expected_mask = {1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(batch->frame_mask, expected_mask);
  // The 4 real frames are the clip's 4 frames, in order; the 2 after are zero.
  for (int f = 0; f < kFrames; ++f) {
    const uint8_t* frame = batch->pixels.data() + f * kFrameBytes;
    const bool any = std::any_of(frame, frame + kFrameBytes, [](uint8_t v) { return v != 0; });
    EXPECT_EQ(any, f < 4) << "frame " << f;
    if (f < 4) {
      EXPECT_EQ(testing::DecodeIndex(frame + (kSize / 2 * kSize + 2) * 3), f);
    }
  }
}

TEST_F(BatchLoaderTest, StatsAddUp) {
  AddVideos(5, clip_);
  AddVideos(1, empty_);
  auto source = Source();
  const auto start = std::chrono::steady_clock::now();
  int64_t samples = 0, dropped = 0, batches = 0;
  {
    BatchLoader loader(source.get(), &split_, Batches(2), {2, 2});
    while (auto batch = loader.Next()) {
      ++batches;
      samples += static_cast<int64_t>(batch->samples.size());
      dropped += static_cast<int64_t>(batch->dropped.size());
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const LoaderStats stats = loader.stats();
    EXPECT_EQ(stats.batches, 3);
    EXPECT_EQ(stats.batches, batches);
    EXPECT_EQ(stats.samples, samples);
    EXPECT_EQ(stats.dropped, dropped);
    EXPECT_EQ(stats.samples + stats.dropped, 6);
    EXPECT_EQ(stats.dropped, 1);
    EXPECT_GE(stats.wait_seconds, 0);
    EXPECT_LE(stats.wait_seconds, elapsed);
    EXPECT_GT(stats.load_seconds, 0);
  }
  // Five distinct good videos decoded once each; the bad one failed once.
  EXPECT_EQ(source->stats().decodes, 5);
  EXPECT_EQ(source->stats().bad, 1);
}

}  // namespace
}  // namespace camoe::data
