// Shared helpers of the video tests: clips whose frames say which frame they
// are (so a decoded frame can be checked against its timestamp), and small
// file utilities. Test-only; not thread-safe.
#ifndef CAMOE_TESTS_VIDEO_TEST_UTIL_H_
#define CAMOE_TESTS_VIDEO_TEST_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "worker/image/image.h"
#include "worker/video/video_writer.h"

namespace camoe::testing {

// Frame `index` of an indexed clip: the left half is a colour that encodes
// the index (R = 16 + 24 * (index % 10), G = 16 + 24 * (index / 10 % 10),
// B = 128), the right half is white on top and black below.
image::RgbImage IndexedFrame(int width, int height, int index);

// The index encoded by a pixel of an IndexedFrame's left half, or -1 when its
// colour is further than 11 levels from every code.
int DecodeIndex(const uint8_t* rgb);

// Writes `frames` indexed frames to `path`.
absl::Status WriteIndexedClip(const std::string& path, video::VideoCodec codec, int frames,
                              double fps, int width, int height,
                              const video::VideoWriterOptions& options = {});

std::string ReadBytes(const std::string& path);
void WriteBytes(const std::string& path, const std::string& bytes);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_VIDEO_TEST_UTIL_H_
