// The frame cache: round trips, damage detection, resuming an interrupted
// writer, one writer per folder, and concurrent readers.
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "worker/data/frame_cache.h"
#include "worker/data/frame_cache_format.h"

namespace camoe::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// Deterministic frames: every byte depends on the video, frame and position.
struct TestVideo {
  std::string id;
  int frames, height, width;
  std::string bytes;
  std::vector<double> timestamps;
};

TestVideo MakeVideo(int n, int frames = 3, int height = 8, int width = 6) {
  TestVideo v{"video" + std::to_string(n), frames, height, width, "", {}};
  v.bytes.resize(static_cast<size_t>(frames) * height * width * 3);
  for (size_t i = 0; i < v.bytes.size(); ++i) v.bytes[i] = static_cast<char>((i * 31 + n * 7) & 0xff);
  for (int f = 0; f < frames; ++f) v.timestamps.push_back(0.5 + f * 1.25 + n);
  return v;
}

FramesToCache ToCache(const TestVideo& v) {
  FramesToCache f;
  f.bytes = v.bytes;
  f.frame_count = v.frames;
  f.height = v.height;
  f.width = v.width;
  f.timestamps = v.timestamps;
  f.source = {1000u + v.frames, 1700000000123456789};
  return f;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

class FrameCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("frame_cache") + "/cache"; }

  // Writes videos 0..n-1 with shards of about two videos.
  void WriteCache(int n) {
    auto writer = FrameCacheWriter::Open(dir_, SmallShards());
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 0; i < n; ++i) ASSERT_TRUE((*writer)->Add(MakeVideo(i).id, ToCache(MakeVideo(i))).ok());
    ASSERT_TRUE((*writer)->Finish().ok());
  }

  static FrameCacheWriterOptions SmallShards(bool resume = false) {
    FrameCacheWriterOptions options;
    options.shard_bytes = 2 * 3 * 8 * 6 * 3;  // two default test videos
    options.resume = resume;
    options.metadata = {{"resolution", "8x6"}, {"frames", "3"}};
    return options;
  }

  void ExpectVideo(const FrameCacheReader& reader, int n) {
    TestVideo v = MakeVideo(n);
    auto frames = reader.Find(v.id);
    ASSERT_TRUE(frames.ok()) << frames.status();
    EXPECT_EQ(frames->bytes, v.bytes) << v.id;
    EXPECT_EQ(frames->frame_count, v.frames);
    EXPECT_EQ(frames->height, v.height);
    EXPECT_EQ(frames->width, v.width);
    EXPECT_THAT(std::vector<double>(frames->entry->timestamps().begin(),
                                    frames->entry->timestamps().end()),
                ::testing::ContainerEq(v.timestamps));
  }

  std::string ShardPath(int n) { return dir_ + "/" + internal::ShardFileName(n); }

  std::string dir_;
};

TEST_F(FrameCacheTest, RoundTripIsByteIdentical) {
  WriteCache(5);
  auto reader = FrameCacheReader::Open(dir_, {true, true});
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->num_videos(), 5);
  EXPECT_EQ((*reader)->manifest().shards_size(), 3);  // 2 + 2 + 1
  EXPECT_TRUE((*reader)->manifest().complete());
  EXPECT_EQ((*reader)->manifest().metadata().at("resolution"), "8x6");
  for (int i = 0; i < 5; ++i) ExpectVideo(**reader, i);
  EXPECT_THAT((*reader)->VideoIds(), ElementsAre("video0", "video1", "video2", "video3", "video4"));
  EXPECT_TRUE((*reader)->VerifyAll().ok());
  auto frames = (*reader)->Find("video1");
  ASSERT_TRUE(frames.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(frames->bytes.data()) % 64, 0u);  // aligned in the map
  EXPECT_EQ(frames->entry->source_size(), 1003u);
  EXPECT_FALSE(IsStale(*frames->entry, {1003, 1700000000123456789}));
  EXPECT_TRUE(IsStale(*frames->entry, {1003, 1700000000123456790}));
  auto missing = (*reader)->Find("video9");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FrameCacheTest, DamagedVideoIsReportedByNameAndItsNeighboursStillRead) {
  WriteCache(4);
  {
    auto reader = FrameCacheReader::Open(dir_);
    ASSERT_TRUE(reader.ok());
    auto frames = (*reader)->Find("video3");
    ASSERT_TRUE(frames.ok());
    // Flip one frame byte of video3 (shard 1, second entry) on disk.
    uint64_t offset = frames->entry->offset() + 17;
    std::fstream f(ShardPath(1), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(offset);
    char c;
    f.get(c);
    f.seekp(offset);
    f.put(static_cast<char>(c ^ 0x40));
  }
  auto reader = FrameCacheReader::Open(dir_);
  ASSERT_TRUE(reader.ok()) << reader.status();  // the index is intact
  auto bad = (*reader)->Find("video3");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(bad.status()), HasSubstr("shard-00001.cfc: video \"video3\" fails its CRC-32"));
  ExpectVideo(**reader, 2);  // same shard, undamaged
  absl::Status verify = (*reader)->VerifyAll();
  EXPECT_EQ(verify.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(verify), HasSubstr("2 problems"));
  EXPECT_THAT(Message(verify), HasSubstr("shard-00001.cfc: the shard fails its CRC-32"));
  // Without verification the reader hands out the bytes as they are.
  auto unchecked = FrameCacheReader::Open(dir_, {false, false});
  ASSERT_TRUE(unchecked.ok());
  EXPECT_TRUE((*unchecked)->Find("video3").ok());
}

TEST_F(FrameCacheTest, TruncatedShardIsReportedAtOpenAndResumeRebuildsIt) {
  WriteCache(4);
  fs::resize_file(ShardPath(0), fs::file_size(ShardPath(0)) - 10);
  auto reader = FrameCacheReader::Open(dir_);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(reader.status()), HasSubstr("shard-00000.cfc"));
  EXPECT_THAT(Message(reader.status()), HasSubstr("truncated"));
  EXPECT_THAT(Message(reader.status()), HasSubstr("--resume"));

  auto writer = FrameCacheWriter::Open(dir_, SmallShards(/*resume=*/true));
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_FALSE((*writer)->Contains("video0"));
  EXPECT_FALSE((*writer)->Contains("video1"));
  EXPECT_TRUE((*writer)->Contains("video2"));
  ASSERT_EQ((*writer)->notes().size(), 1u);
  EXPECT_THAT((*writer)->notes()[0], HasSubstr("shard-00000.cfc: removed"));
  for (int i : {0, 1}) ASSERT_TRUE((*writer)->Add(MakeVideo(i).id, ToCache(MakeVideo(i))).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  writer->reset();
  auto rebuilt = FrameCacheReader::Open(dir_);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  for (int i = 0; i < 4; ++i) ExpectVideo(**rebuilt, i);
  EXPECT_TRUE((*rebuilt)->VerifyAll().ok());
}

TEST_F(FrameCacheTest, ResumeAfterAnInterruptedWriteKeepsCompletedShards) {
  {
    auto writer = FrameCacheWriter::Open(dir_, SmallShards());
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*writer)->Add(MakeVideo(i).id, ToCache(MakeVideo(i))).ok());
    // Destroyed without Finish: shards 0 and 1 are complete, video4 was in
    // the open shard. A crash would also leave its temporary file.
  }
  std::ofstream(ShardPath(2) + ".tmp") << "half a shard";
  {
    auto partial = FrameCacheReader::Open(dir_, {true, /*require_complete=*/true});
    EXPECT_EQ(partial.status().code(), absl::StatusCode::kFailedPrecondition);
    auto readable = FrameCacheReader::Open(dir_);
    ASSERT_TRUE(readable.ok());
    EXPECT_EQ((*readable)->num_videos(), 4);  // completed shards can be read meanwhile
  }
  auto fresh = FrameCacheWriter::Open(dir_, SmallShards(/*resume=*/false));
  ASSERT_FALSE(fresh.ok());
  EXPECT_THAT(Message(fresh.status()), HasSubstr("already holds a frame cache"));

  auto writer = FrameCacheWriter::Open(dir_, SmallShards(/*resume=*/true));
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_EQ((*writer)->num_videos(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE((*writer)->Contains(MakeVideo(i).id));
  EXPECT_FALSE((*writer)->Contains("video4"));
  EXPECT_THAT((*writer)->notes(), ElementsAre(HasSubstr("shard-00002.cfc.tmp: a partial shard")));
  EXPECT_EQ((*writer)->Add("video1", ToCache(MakeVideo(1))).code(), absl::StatusCode::kAlreadyExists);
  for (int i = 4; i < 7; ++i) ASSERT_TRUE((*writer)->Add(MakeVideo(i).id, ToCache(MakeVideo(i))).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  writer->reset();

  auto reader = FrameCacheReader::Open(dir_, {true, true});
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->num_videos(), 7);
  for (int i = 0; i < 7; ++i) ExpectVideo(**reader, i);
  EXPECT_TRUE((*reader)->VerifyAll().ok());
  EXPECT_FALSE(fs::exists(ShardPath(2) + ".tmp"));
}

TEST_F(FrameCacheTest, ResumeAdoptsAWholeShardTheManifestMissed) {
  WriteCache(4);
  // As if the writer stopped between renaming shard 1 and rewriting MANIFEST.
  auto manifest = internal::ReadManifestFile(dir_);
  ASSERT_TRUE(manifest.ok());
  manifest->mutable_shards()->RemoveLast();
  manifest->set_complete(false);
  ASSERT_TRUE(internal::WriteManifestFile(dir_, *manifest).ok());

  auto writer = FrameCacheWriter::Open(dir_, SmallShards(/*resume=*/true));
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_TRUE((*writer)->Contains("video3"));
  EXPECT_THAT((*writer)->notes(), ElementsAre(HasSubstr("shard-00001.cfc: a whole shard missing")));
  ASSERT_TRUE((*writer)->Add(MakeVideo(4).id, ToCache(MakeVideo(4))).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  writer->reset();
  auto reader = FrameCacheReader::Open(dir_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  for (int i = 0; i < 5; ++i) ExpectVideo(**reader, i);
  EXPECT_TRUE((*reader)->VerifyAll().ok());
}

TEST_F(FrameCacheTest, ResumeRefusesDifferentSettingsAndASecondWriter) {
  WriteCache(1);
  FrameCacheWriterOptions other = SmallShards(/*resume=*/true);
  other.metadata["resolution"] = "224x224";
  auto mismatch = FrameCacheWriter::Open(dir_, other);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(Message(mismatch.status()), HasSubstr("made with other settings"));

  auto first = FrameCacheWriter::Open(dir_, SmallShards(/*resume=*/true));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = FrameCacheWriter::Open(dir_, SmallShards(/*resume=*/true));
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(Message(second.status()), HasSubstr("another frame cache writer is running here"));
}

TEST_F(FrameCacheTest, AddRejectsInconsistentFrames) {
  auto writer = FrameCacheWriter::Open(dir_, SmallShards());
  ASSERT_TRUE(writer.ok());
  FramesToCache frames = ToCache(MakeVideo(0));
  frames.height = 9;
  EXPECT_THAT(Message((*writer)->Add("v", frames)), HasSubstr("bytes for 3 frames of 6x9 RGB"));
  frames = ToCache(MakeVideo(0));
  frames.timestamps.pop_back();
  EXPECT_THAT(Message((*writer)->Add("v", frames)), HasSubstr("2 timestamps for 3 frames"));
  ASSERT_TRUE((*writer)->Add("v", ToCache(MakeVideo(0))).ok());
  EXPECT_EQ((*writer)->Add("v", ToCache(MakeVideo(0))).code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(FrameCacheTest, ConcurrentReadersSeeTheSameBytes) {
  WriteCache(6);
  auto shared = FrameCacheReader::Open(dir_);
  ASSERT_TRUE(shared.ok());
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      // Half the threads share one reader, half open their own.
      std::unique_ptr<FrameCacheReader> own;
      const FrameCacheReader* reader = shared->get();
      if (t % 2 == 1) {
        auto opened = FrameCacheReader::Open(dir_);
        if (!opened.ok()) {
          ++failures[t];
          return;
        }
        own = std::move(*opened);
        reader = own.get();
      }
      for (int round = 0; round < 50; ++round) {
        int n = (round + t) % 6;
        auto frames = reader->Find(MakeVideo(n).id);
        if (!frames.ok() || frames->bytes != MakeVideo(n).bytes) ++failures[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(failures, ::testing::Each(0));
}

TEST_F(FrameCacheTest, OpenWithoutACacheSaysHowToMakeOne) {
  fs::create_directories(dir_);
  auto reader = FrameCacheReader::Open(dir_);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(reader.status()), HasSubstr("camoe cache-frames"));
}

}  // namespace
}  // namespace camoe::data
