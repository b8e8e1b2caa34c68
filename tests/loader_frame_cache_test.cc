// The frame cache as the loader sees it: frames that `camoe cache-frames`
// stored read back through FrameSource byte for byte as SampleFrames decodes
// them (whole videos and segments); a damaged entry is named by the reader
// and decoded instead by FrameSource; a replaced video is not served stale;
// a cache with other settings is refused.
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/loader_test_util.h"
#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "worker/data/dataset.h"
#include "worker/data/frame_cache.h"
#include "worker/data/video_paths.h"
#include "worker/loader/frame_source.h"
#include "worker/video/video_decoder.h"

namespace camoe::data {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr int kFrames = 6;
constexpr int kSize = 16;

// The bytes SampleFrames gives for `video`, frames back to back.
std::string DecodeDirectly(const VideoRecord& video) {
  video::SampleOptions options;
  options.num_frames = kFrames;
  options.size = kSize;
  options.start_seconds = video.start_seconds;
  options.end_seconds = video.end_seconds;
  auto clip = video::SampleFrames(video.path, options);
  EXPECT_TRUE(clip.ok()) << clip.status();
  std::string bytes;
  if (!clip.ok()) return bytes;
  for (const image::RgbImage& frame : clip->frames) {
    bytes.append(frame.pixels().begin(), frame.pixels().end());
  }
  return bytes;
}

std::string Bytes(const ClipFrames& clip) {
  return std::string(clip.pixels.begin(), clip.pixels.end());
}

class LoaderFrameCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir("loader_frame_cache");
    dataset_ = testing::WriteLoaderDataset(dir_);
    cache_ = dir_ + "/cache";
    auto r = testing::RunCamoe({"cache-frames", "--dataset=" + dataset_.config, "--out=" + cache_,
                                "--size=16", "--threads=2"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    DataConfig config;
    config.set_format(DATASET_JSONL);
    config.set_annotation_dir(dir_);
    config.set_train_annotation("train.jsonl");
    config.set_video_dir(dataset_.videos);
    auto split = LoadSplit(config, SplitRole::kTrain);
    ASSERT_TRUE(split.ok()) << split.status();
    train_ = std::move(*split);
    ResolveVideoPaths(VideoPathOptionsFromConfig(config), &train_);
    ASSERT_EQ(train_.videos.size(), 4u);
  }

  std::unique_ptr<FrameSource> Source(bool with_cache) {
    FrameSourceOptions options;
    options.num_frames = kFrames;
    options.size = kSize;
    options.memory_budget_bytes = 0;  // every Get goes to the cache or the decoder
    if (with_cache) options.cache_dir = cache_;
    auto source = FrameSource::Create(options);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? std::move(*source) : nullptr;
  }

  std::string dir_, cache_;
  testing::LoaderDataset dataset_;
  DatasetSplit train_;
};

TEST_F(LoaderFrameCacheTest, CachedFramesEqualDirectDecodingIncludingSegments) {
  auto source = Source(true);
  ASSERT_NE(source, nullptr);
  int segments = 0;
  for (const VideoRecord& video : train_.videos) {
    auto clip = source->Get(video);
    ASSERT_TRUE(clip.ok()) << clip.status();
    EXPECT_TRUE((*clip)->from_cache) << video.id;
    EXPECT_EQ(Bytes(**clip), DecodeDirectly(video)) << video.id;
    segments += video.start_seconds >= 0;
  }
  EXPECT_EQ(segments, 2);
  EXPECT_EQ(source->stats().cache_hits, 4);
  EXPECT_EQ(source->stats().decodes, 0);
  // The segments are different frames of one file.
  auto first = source->Get(train_.videos[1]);
  auto second = source->Get(train_.videos[2]);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(Bytes(**first), Bytes(**second));
  // The clip shorter than num_frames keeps its 4 frames.
  auto short_clip = source->Get(train_.videos[3]);
  ASSERT_TRUE(short_clip.ok());
  EXPECT_EQ((*short_clip)->valid_frames, 4);
}

TEST_F(LoaderFrameCacheTest, DamagedEntryIsNamedByTheReaderAndDecodedByTheSource) {
  // Flip one byte inside the first video's frames (just past the 64-byte header).
  std::string shard;
  for (const auto& file : fs::directory_iterator(cache_)) {
    if (file.path().extension() == ".cfc") shard = file.path().string();
  }
  ASSERT_FALSE(shard.empty());
  std::string bytes = testing::ReadBytes(shard);
  auto reader = FrameCacheReader::Open(cache_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::string damaged_id;
  for (const std::string& id : (*reader)->VideoIds()) {
    auto found = (*reader)->Find(id);
    ASSERT_TRUE(found.ok());
    if (found->entry->offset() == 64) damaged_id = id;
  }
  ASSERT_FALSE(damaged_id.empty());
  reader->reset();
  bytes[64 + 100] = static_cast<char>(bytes[64 + 100] ^ 0x5a);
  testing::WriteBytes(shard, bytes);

  reader = FrameCacheReader::Open(cache_);
  ASSERT_TRUE(reader.ok()) << reader.status();  // the index is intact
  auto found = (*reader)->Find(damaged_id);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(found.status().message()), HasSubstr(shard));
  EXPECT_THAT(std::string(found.status().message()), HasSubstr(damaged_id));
  EXPECT_THAT(std::string((*reader)->VerifyAll().message()), HasSubstr(damaged_id));

  // FrameSource decodes the damaged video from its file (right frames, not
  // the damaged ones), serves the others from the cache, and says why.
  auto source = Source(true);
  ASSERT_NE(source, nullptr);
  for (const VideoRecord& video : train_.videos) {
    auto clip = source->Get(video);
    ASSERT_TRUE(clip.ok()) << clip.status();
    EXPECT_EQ((*clip)->from_cache, CacheKey(video) != damaged_id) << video.id;
    EXPECT_EQ(Bytes(**clip), DecodeDirectly(video)) << video.id;
  }
  EXPECT_EQ(source->stats().cache_damaged, 1);
  EXPECT_EQ(source->stats().decodes, 1);
  ASSERT_EQ(source->cache_problems().size(), 1u);
  EXPECT_THAT(source->cache_problems()[0], HasSubstr(shard));
  EXPECT_THAT(source->cache_problems()[0], HasSubstr(damaged_id));
}

TEST_F(LoaderFrameCacheTest, ReplacedVideoIsDecodedNotServedStale) {
  // a.mp4 becomes another clip (40 frames) after caching.
  const VideoRecord& a = train_.videos[0];
  ASSERT_EQ(fs::path(a.path).filename(), "a.mp4");
  ASSERT_TRUE(testing::WriteIndexedClip(a.path, video::VideoCodec::kH264, 40, 10, 32, 24).ok());
  auto source = Source(true);
  ASSERT_NE(source, nullptr);
  auto clip = source->Get(a);
  ASSERT_TRUE(clip.ok()) << clip.status();
  EXPECT_FALSE((*clip)->from_cache);
  EXPECT_EQ(Bytes(**clip), DecodeDirectly(a));
  EXPECT_EQ(source->stats().cache_stale, 1);
  ASSERT_EQ(source->cache_problems().size(), 1u);
  EXPECT_THAT(source->cache_problems()[0], HasSubstr(a.path));
}

TEST_F(LoaderFrameCacheTest, SourceRefusesACacheMadeWithOtherSettings) {
  FrameSourceOptions options;
  options.num_frames = 8;
  options.size = kSize;
  options.cache_dir = cache_;
  auto source = FrameSource::Create(options);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(source.status().message()), HasSubstr("num_frames=6"));
  EXPECT_THAT(std::string(source.status().message()), HasSubstr("cache-frames"));
}

}  // namespace
}  // namespace camoe::data
