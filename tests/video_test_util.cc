#include "tests/video_test_util.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/status_macros.h"

namespace camoe::testing {

image::RgbImage IndexedFrame(int width, int height, int index) {
  image::RgbImage frame(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = frame.At(x, y);
      if (x < width / 2) {
        p[0] = static_cast<uint8_t>(16 + 24 * (index % 10));
        p[1] = static_cast<uint8_t>(16 + 24 * (index / 10 % 10));
        p[2] = 128;
      } else {
        const uint8_t v = y < height / 2 ? 255 : 0;
        p[0] = p[1] = p[2] = v;
      }
    }
  }
  return frame;
}

int DecodeIndex(const uint8_t* rgb) {
  const int ones = static_cast<int>(std::lround((rgb[0] - 16) / 24.0));
  const int tens = static_cast<int>(std::lround((rgb[1] - 16) / 24.0));
  if (ones < 0 || ones > 9 || tens < 0 || tens > 9) return -1;
  if (std::abs(rgb[0] - (16 + 24 * ones)) > 11 || std::abs(rgb[1] - (16 + 24 * tens)) > 11 ||
      std::abs(rgb[2] - 128) > 11) {
    return -1;
  }
  return ones + 10 * tens;
}

absl::Status WriteIndexedClip(const std::string& path, video::VideoCodec codec, int frames,
                              double fps, int width, int height,
                              const video::VideoWriterOptions& options) {
  CAMOE_ASSIGN_OR_RETURN(auto writer,
                         video::VideoWriter::Open(path, width, height, fps, codec, options));
  for (int i = 0; i < frames; ++i) {
    CAMOE_RETURN_IF_ERROR(writer->WriteFrame(IndexedFrame(width, height, i)));
  }
  return writer->Close();
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace camoe::testing
