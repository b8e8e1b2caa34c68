#include "tests/loader_test_util.h"

#include <filesystem>
#include <sstream>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/video_test_util.h"
#include "worker/cli/cli.h"

namespace camoe::testing {

LoaderDataset WriteLoaderDataset(const std::string& dir,
                                 const std::vector<std::string>& extra_train_videos,
                                 double max_bad) {
  LoaderDataset d{dir, dir + "/data.pbtxt", dir + "/videos"};
  std::filesystem::create_directories(d.videos);
  const auto h264 = video::VideoCodec::kH264;
  EXPECT_TRUE(WriteIndexedClip(d.videos + "/a.mp4", h264, 20, 10, 32, 24).ok());
  EXPECT_TRUE(WriteIndexedClip(d.videos + "/b.mp4", h264, 30, 10, 32, 24).ok());
  EXPECT_TRUE(WriteIndexedClip(d.videos + "/short.mp4", h264, 4, 10, 32, 24).ok());
  std::string train =
      "{\"video\": \"a.mp4\", \"captions\": [\"a counter counts up\", \"numbers go by\"]}\n"
      "{\"video\": \"b.mp4\", \"caption\": \"the first second\", \"start\": 0.5, \"end\": 1.5}\n"
      "{\"video\": \"b.mp4\", \"caption\": \"the rest\", \"start\": 1.5, \"end\": 3}\n"
      "{\"video\": \"short.mp4\", \"caption\": \"four frames only\"}\n";
  for (const std::string& name : extra_train_videos) {
    train += absl::StrFormat("{\"video\": \"%s\", \"caption\": \"video %s\"}\n", name, name);
  }
  WriteBytes(dir + "/train.jsonl", train);
  WriteBytes(dir + "/eval.jsonl",
             "{\"video\": \"a.mp4\", \"caption\": \"a counter\"}\n"
             "{\"video\": \"b.mp4\", \"caption\": \"one second\", \"start\": 0.5, \"end\": 1.5}\n");
  WriteBytes(d.config, absl::StrFormat("format: DATASET_JSONL\n"
                                       "annotation_dir: \"%s\"\n"
                                       "train_annotation: \"train.jsonl\"\n"
                                       "eval_annotation: \"eval.jsonl\"\n"
                                       "video_dir: \"%s\"\n"
                                       "num_frames: 6\n"
                                       "max_bad_video_fraction: %g\n",
                                       dir, d.videos, max_bad));
  return d;
}

std::string WriteJobSpec(const std::string& path, const std::string& data_text, int resolution,
                         int max_words) {
  WriteBytes(path, absl::StrFormat("name: \"loader-test\"\n"
                                   "model { clip { vision { image_resolution: %d patch_size: 8 "
                                   "} } }\n"
                                   "tokenizer { max_words: %d }\n"
                                   "data {\n%s}\n",
                                   resolution, max_words, data_text));
  return path;
}

}  // namespace camoe::testing
