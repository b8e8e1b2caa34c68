// Shared helpers of the loader tests: a tiny JSONL dataset of generated clips
// (whole videos, two segments of one file, a clip shorter than num_frames, a
// video shared by the train and eval splits) and its DataConfig file, plus
// running `camoe` in process. Test-only; not thread-safe.
#ifndef CAMOE_TESTS_LOADER_TEST_UTIL_H_
#define CAMOE_TESTS_LOADER_TEST_UTIL_H_

#include <string>

#include "tests/cli_runner.h"
#include <vector>

namespace camoe::testing {

// Under `dir`:
//   videos/a.mp4      20 frames at 10 fps, 32x24 (2 s)
//   videos/b.mp4      30 frames at 10 fps, 32x24 (3 s), used as segments
//                     [0.5, 1.5] and [1.5, 3]
//   videos/short.mp4  4 frames (fewer than the tests' num_frames of 6)
//   train.jsonl       a (two captions), b [0.5, 1.5], b [1.5, 3], short, and
//                     `extra_train_videos` (names under videos/, one caption each)
//   eval.jsonl        a and b [0.5, 1.5] again (shared with train)
//   data.pbtxt        a DataConfig: DATASET_JSONL, num_frames 6,
//                     max_bad_video_fraction `max_bad`
// Distinct videos (cache keys): 4 + extra_train_videos.size().
struct LoaderDataset {
  std::string dir;
  std::string config;  // data.pbtxt
  std::string videos;  // dir/videos
};
LoaderDataset WriteLoaderDataset(const std::string& dir,
                                 const std::vector<std::string>& extra_train_videos = {},
                                 double max_bad = 0.01);

// Writes a JobSpec around the DataConfig `data` (its text) with the given
// model resolution and tokenizer.max_words.
std::string WriteJobSpec(const std::string& path, const std::string& data_text, int resolution,
                         int max_words);


}  // namespace camoe::testing

#endif  // CAMOE_TESTS_LOADER_TEST_UTIL_H_
