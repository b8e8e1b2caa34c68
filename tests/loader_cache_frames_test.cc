// `camoe cache-frames` and BuildFrameCache: the parallel build equals the
// single-thread one, an interrupted build resumes decoding only what is
// missing, bad files are skipped, counted and named (exit 1 above the allowed
// fraction), and a cache is never extended with other settings.
#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/loader_test_util.h"
#include "tests/test_paths.h"
#include "tests/video_test_util.h"
#include "worker/data/dataset.h"
#include "worker/data/frame_cache.h"
#include "worker/data/video_paths.h"
#include "worker/loader/cache_builder.h"
#include "worker/loader/frame_source.h"

namespace camoe::data {
namespace {

using ::testing::HasSubstr;
using testing::RunCamoe;

// id -> frame bytes and timestamps of every video in a cache.
std::map<std::string, std::pair<std::string, std::vector<double>>> ReadCache(
    const std::string& dir) {
  std::map<std::string, std::pair<std::string, std::vector<double>>> videos;
  auto reader = FrameCacheReader::Open(dir);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return videos;
  for (const std::string& id : (*reader)->VideoIds()) {
    auto found = (*reader)->Find(id);
    EXPECT_TRUE(found.ok()) << found.status();
    if (!found.ok()) continue;
    videos[id] = {std::string(found->bytes),
                  {found->entry->timestamps().begin(), found->entry->timestamps().end()}};
  }
  return videos;
}

class CacheFramesTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("loader_cache_frames"); }

  testing::CliResult Cache(const std::string& config, const std::string& out,
                           std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"cache-frames", "--dataset=" + config, "--out=" + out,
                                     "--size=16"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCamoe(args);
  }

  // The train and eval videos of `d`, resolved, in CacheVideos order.
  std::vector<VideoRecord> Videos(const testing::LoaderDataset& d) {
    DataConfig config;
    config.set_format(DATASET_JSONL);
    config.set_annotation_dir(d.dir);
    config.set_train_annotation("train.jsonl");
    config.set_eval_annotation("eval.jsonl");
    config.set_video_dir(d.videos);
    std::vector<DatasetSplit> splits;
    for (SplitRole role : {SplitRole::kTrain, SplitRole::kEval}) {
      auto split = LoadSplit(config, role);
      EXPECT_TRUE(split.ok()) << split.status();
      splits.push_back(std::move(*split));
      ResolveVideoPaths(VideoPathOptionsFromConfig(config), &splits.back());
    }
    return CacheVideos({&splits[0], &splits[1]});
  }

  std::string dir_;
};

TEST_F(CacheFramesTest, ParallelRunEqualsSingleThreadRun) {
  auto d = testing::WriteLoaderDataset(dir_);
  auto one = Cache(d.config, dir_ + "/one", {"--threads=1"});
  ASSERT_EQ(one.code, 0) << one.out << one.err;
  auto three = Cache(d.config, dir_ + "/three", {"--threads=3"});
  ASSERT_EQ(three.code, 0) << three.out << three.err;
  // a.mp4 and the first b segment are in both splits: 4 distinct videos.
  EXPECT_THAT(one.out, HasSubstr("caching 4 videos (num_frames=6, size=16)"));
  EXPECT_THAT(one.out, HasSubstr("cached 4 videos"));
  const auto single = ReadCache(dir_ + "/one");
  const auto parallel = ReadCache(dir_ + "/three");
  ASSERT_EQ(single.size(), 4u);
  EXPECT_EQ(single, parallel);
  EXPECT_EQ(single.count("a.mp4"), 1u);
  // Segments are keyed by CacheKey: the id plus the segment.
  EXPECT_EQ(single.count("b.mp4#0.5-1.5@0.500-1.500"), 1u);
  EXPECT_EQ(single.count("b.mp4#1.5-3@1.500-3.000"), 1u);
}

TEST_F(CacheFramesTest, InterruptedBuildResumesDecodingOnlyTheMissingVideos) {
  auto d = testing::WriteLoaderDataset(dir_);
  const std::vector<VideoRecord> videos = Videos(d);
  ASSERT_EQ(videos.size(), 4u);
  const std::string cache = dir_ + "/cache";
  CacheBuildOptions options;
  options.num_frames = 6;
  options.size = 16;
  options.threads = 2;
  options.shard_bytes = 1;  // a shard per video, so each added video survives the stop
  options.stop_after = 2;   // then stop as a crash would: no Finish
  std::ostringstream progress;
  options.progress = &progress;
  options.progress_interval_seconds = 0;
  auto first = BuildFrameCache(cache, videos, options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->stopped_early);
  EXPECT_EQ(first->added, 2);
  EXPECT_EQ(first->cache_videos, 2);
  EXPECT_THAT(progress.str(), HasSubstr("videos/s, ETA"));
  {
    FrameCacheReaderOptions reader_options;
    reader_options.require_complete = true;
    EXPECT_FALSE(FrameCacheReader::Open(cache, reader_options).ok());
  }

  // Without --resume the interrupted cache is named as such.
  auto refused = Cache(d.config, cache);
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.err, HasSubstr("an interrupted frame cache (2 videos"));
  EXPECT_THAT(refused.err, HasSubstr("--resume"));

  auto resumed = Cache(d.config, cache, {"--resume"});
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("cached 2 videos"));
  EXPECT_THAT(resumed.out, HasSubstr("2 already in the cache; 0 failed"));
  FrameCacheReaderOptions reader_options;
  reader_options.require_complete = true;
  auto reader = FrameCacheReader::Open(cache, reader_options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->num_videos(), 4);

  // Resuming a complete cache decodes nothing.
  auto again = Cache(d.config, cache, {"--resume"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("cached 0 videos"));
  EXPECT_THAT(again.out, HasSubstr("4 already in the cache"));
  // And the result equals a build in one go.
  ASSERT_EQ(Cache(d.config, dir_ + "/fresh").code, 0);
  EXPECT_EQ(ReadCache(cache), ReadCache(dir_ + "/fresh"));
}

TEST_F(CacheFramesTest, BadFilesAreSkippedCountedAndNamed) {
  auto d = testing::WriteLoaderDataset(dir_, {"empty.mp4", "cut.mp4", "gone.mp4"}, 0.5);
  testing::WriteBytes(d.videos + "/empty.mp4", "");
  const std::string a = testing::ReadBytes(d.videos + "/a.mp4");
  testing::WriteBytes(d.videos + "/cut.mp4", a.substr(0, a.size() / 2));
  auto r = Cache(d.config, dir_ + "/cache");
  ASSERT_EQ(r.code, 0) << r.out << r.err;  // 3 of 7 bad: within the allowed half
  EXPECT_THAT(r.out, HasSubstr("6 of 7 videos found; 1 missing"));
  EXPECT_THAT(r.out, HasSubstr("cached 4 videos"));
  EXPECT_THAT(r.out, HasSubstr("3 failed"));
  EXPECT_THAT(r.out, HasSubstr("failed: " + d.videos + "/empty.mp4: "));
  EXPECT_THAT(r.out, HasSubstr("failed: " + d.videos + "/cut.mp4: "));
  EXPECT_THAT(r.out, HasSubstr("failed: gone.mp4: no video file found"));
  const auto cached = ReadCache(dir_ + "/cache");
  EXPECT_EQ(cached.size(), 4u);
  for (const char* bad : {"empty.mp4", "cut.mp4", "gone.mp4"}) EXPECT_EQ(cached.count(bad), 0u);
}

TEST_F(CacheFramesTest, TooManyBadVideosExitWithFailureNamingThem) {
  auto d = testing::WriteLoaderDataset(dir_, {"empty.mp4"}, 0.1);
  testing::WriteBytes(d.videos + "/empty.mp4", "");
  auto r = Cache(d.config, dir_ + "/cache");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("1 of 5 videos (20.00%)"));
  EXPECT_THAT(r.err, HasSubstr(d.videos + "/empty.mp4"));
  EXPECT_THAT(r.err, HasSubstr("--resume"));
  // The good videos are cached all the same.
  FrameCacheReaderOptions complete;
  complete.require_complete = true;
  auto reader = FrameCacheReader::Open(dir_ + "/cache", complete);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->num_videos(), 4);
}

TEST_F(CacheFramesTest, RefusesToExtendACacheMadeWithOtherSettings) {
  auto d = testing::WriteLoaderDataset(dir_);
  const std::string cache = dir_ + "/cache";
  ASSERT_EQ(Cache(d.config, cache, {"--splits=eval"}).code, 0);
  auto other = Cache(d.config, cache, {"--resume", "--num_frames=8"});
  EXPECT_EQ(other.code, 1);
  EXPECT_THAT(other.err, HasSubstr("num_frames=6 size=16"));
  EXPECT_THAT(other.err, HasSubstr("num_frames=8 size=16"));
  EXPECT_THAT(other.err, HasSubstr("another --out"));
  auto bigger = RunCamoe(
      {"cache-frames", "--dataset=" + d.config, "--out=" + cache, "--size=32", "--resume"});
  EXPECT_EQ(bigger.code, 1);
  // Without --resume a complete cache is refused, saying what to do.
  auto again = Cache(d.config, cache);
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.err, HasSubstr("already holds a complete frame cache (2 videos"));
  EXPECT_THAT(again.err, HasSubstr("pass --resume"));
  // With the same settings it is extended by the train split's videos.
  auto extended = Cache(d.config, cache, {"--resume"});
  ASSERT_EQ(extended.code, 0) << extended.err;
  EXPECT_THAT(extended.out, HasSubstr("cached 2 videos"));
  EXPECT_EQ(ReadCache(cache).size(), 4u);
}

TEST_F(CacheFramesTest, JobSpecGivesTheFrameSizeAndBadFilesNameBothParses) {
  auto d = testing::WriteLoaderDataset(dir_);
  const std::string data_text = testing::ReadBytes(d.config);
  const std::string job = testing::WriteJobSpec(dir_ + "/job.pbtxt", data_text, 24, 16);
  auto r = RunCamoe({"cache-frames", "--dataset=" + job, "--out=" + dir_ + "/cache"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("num_frames=6, size=24"));
  auto reader = FrameCacheReader::Open(dir_ + "/cache");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->manifest().metadata().at("size"), "24");

  // A bare DataConfig has no frame size.
  auto no_size = RunCamoe({"cache-frames", "--dataset=" + d.config, "--out=" + dir_ + "/x"});
  EXPECT_EQ(no_size.code, 2);
  EXPECT_THAT(no_size.err, HasSubstr("--size"));
  // Neither message: both parse errors are shown.
  testing::WriteBytes(dir_ + "/bad.pbtxt", "num_frame: 3\n");
  auto bad = RunCamoe(
      {"cache-frames", "--dataset=" + dir_ + "/bad.pbtxt", "--out=" + dir_ + "/y", "--size=16"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.err, HasSubstr("as a JobSpec"));
  EXPECT_THAT(bad.err, HasSubstr("as a DataConfig"));
  EXPECT_THAT(bad.err, HasSubstr("num_frames"));  // the DataConfig parser's suggestion
}

}  // namespace
}  // namespace camoe::data
