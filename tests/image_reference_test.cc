// worker/image against an independent reference: Pillow 9.4 and numpy run by
// tests/reference/image_ref.py (Debian's python3-pil / python3-numpy). Every
// test skips with a message when that Python lacks them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "stb_image_write.h"
#include "tests/test_paths.h"
#include "worker/image/image.h"
#include "worker/image/preprocess.h"
#include "worker/image/resample.h"
#include "worker/image/shapes.h"

namespace camoe::image {
namespace {

RgbImage Noise(int width, int height, uint32_t seed) {
  std::mt19937 rng(seed);
  RgbImage image(width, height);
  for (size_t i = 0; i < image.pixels().size(); ++i) image.data()[i] = rng() & 0xff;
  return image;
}

RgbImage Gradient(int width, int height) {
  RgbImage image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.At(x, y)[0] = static_cast<uint8_t>(x * 255 / std::max(width - 1, 1));
      image.At(x, y)[1] = static_cast<uint8_t>(y * 255 / std::max(height - 1, 1));
      image.At(x, y)[2] = static_cast<uint8_t>(128 + 100 * std::sin(0.05 * (x + 2 * y)));
    }
  }
  return image;
}

// Black/white checks of 3 px and saturated stripes: bicubic overshoots at
// these edges, exercising the 0..255 clipping after each pass.
RgbImage SharpEdges(int width, int height) {
  RgbImage image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const uint8_t check = ((x / 3 + y / 3) % 2) ? 255 : 0;
      image.At(x, y)[0] = check;
      image.At(x, y)[1] = (x % 7 < 3) ? 255 : 0;
      image.At(x, y)[2] = (y % 5 < 2) ? 0 : 255;
    }
  }
  return image;
}

RgbImage Scene(int width, int height) {
  absl::StatusOr<RgbImage> image =
      RenderScene(width, height, Color::kWhite,
                  {{Shape::kStar, Color::kRed, 0.3, 0.4, 0.6, 12.0},
                   {Shape::kCircle, Color::kBlue, 0.7, 0.6, 0.35, 0.0},
                   {Shape::kTriangle, Color::kGreen, 0.5, 0.8, 0.3, 200.0}});
  return image.ok() ? *image : RgbImage();
}

struct Difference {
  int max = 0;
  size_t differing = 0;
};

template <typename T>
Difference Compare(const std::vector<T>& ours, const std::vector<T>& reference) {
  Difference d;
  for (size_t i = 0; i < std::min(ours.size(), reference.size()); ++i) {
    const double diff = std::abs(static_cast<double>(ours[i]) - static_cast<double>(reference[i]));
    if (diff != 0) ++d.differing;
    d.max = std::max(d.max, static_cast<int>(std::ceil(diff)));
  }
  return d;
}

class ImageReferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!camoe::testing::PythonHasModules("PIL numpy")) {
      GTEST_SKIP() << camoe::testing::Python()
                   << " cannot import PIL and numpy (Debian: apt-get install python3-pil "
                      "python3-numpy); skipping the Pillow reference comparison";
    }
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = camoe::testing::TempDir("image_reference_" + test);
  }

  // Writes `image` as PNG, runs `image_ref.py <command> <png> <args> <out>`,
  // and returns the raw output; `shape` receives the printed output shape.
  std::string RunReference(const std::string& command, const RgbImage& image,
                           const std::string& args, std::string* shape) {
    const std::string name = absl::StrCat(dir_, "/case", case_++);
    EXPECT_TRUE(WritePng(name + ".png", image).ok());
    return RunReferenceOnFile(command, name + ".png", args, shape);
  }

  std::string RunReferenceOnFile(const std::string& command, const std::string& input,
                                 const std::string& args, std::string* shape) {
    const std::string out = absl::StrCat(dir_, "/out", case_++, ".raw");
    const std::string line = absl::StrCat(
        camoe::testing::Python(), " '", camoe::testing::SourceDir(),
        "/tests/reference/image_ref.py' ", command, " '", input, "' ", args, " '", out, "' 2>&1");
    shape->clear();
    const int rc = camoe::testing::RunCommand(line, shape);
    EXPECT_EQ(rc, 0) << line << "\n" << *shape;
    while (!shape->empty() && shape->back() == '\n') shape->pop_back();
    absl::StatusOr<std::string> bytes = ReadFile(out);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return bytes.ok() ? *bytes : std::string();
  }

  static std::vector<uint8_t> Bytes(const std::string& raw) {
    return std::vector<uint8_t>(raw.begin(), raw.end());
  }

  static std::vector<float> Floats(const std::string& raw) {
    std::vector<float> values(raw.size() / sizeof(float));
    std::memcpy(values.data(), raw.data(), values.size() * sizeof(float));
    return values;
  }

  std::string dir_;
  int case_ = 0;
};

TEST_F(ImageReferenceTest, BicubicResizeEqualsPillowBitForBit) {
  const struct {
    const char* what;
    RgbImage image;
    int width;
    int height;
  } cases[] = {
      {"noise 97x61 -> short side 64", Noise(97, 61, 1), 101, 64},
      {"noise portrait 61x97 -> short side 64", Noise(61, 97, 2), 64, 101},
      {"gradient 300x225 -> 224", Gradient(300, 225), 298, 224},
      {"edges 320x240 -> 224", SharpEdges(320, 240), 298, 224},
      {"edges 64x48 upscaled x4.67", SharpEdges(64, 48), 298, 224},
      {"noise 50x37 upscaled by non-integer factors", Noise(50, 37, 3), 131, 97},
      {"noise width only 200x100 -> 150x100", Noise(200, 100, 4), 150, 100},
      {"noise height only 100x200 -> 100x77", Noise(100, 200, 5), 100, 77},
      {"noise 640x480 shrunk x11", Noise(640, 480, 6), 57, 43},
      {"edges 33x1 -> 100x3", SharpEdges(33, 1), 100, 3},
      {"scene 160x120 -> 224x168", Scene(160, 120), 224, 168},
  };
  for (const auto& c : cases) {
    std::string shape;
    const std::vector<uint8_t> reference = Bytes(RunReference(
        "resize", c.image, absl::StrCat(c.width, " ", c.height), &shape));
    absl::StatusOr<RgbImage> ours = ResizeBicubic(c.image, c.width, c.height);
    ASSERT_TRUE(ours.ok()) << ours.status();
    ASSERT_EQ(shape, absl::StrCat(c.height, " ", c.width, " 3")) << c.what;
    ASSERT_EQ(reference.size(), ours->pixels().size()) << c.what;
    const Difference d = Compare(ours->pixels(), reference);
    EXPECT_EQ(d.max, 0) << c.what << ": " << d.differing << " of " << reference.size()
                        << " bytes differ from Pillow, by at most " << d.max;
  }
}

TEST_F(ImageReferenceTest, CenterCropEqualsTorchvisionIncludingPadding) {
  const struct {
    RgbImage image;
    int size;
  } cases[] = {{Noise(5, 8, 7), 8},    {Noise(7, 3, 8), 6},     {Noise(3, 4, 9), 8},
               {Noise(230, 227, 10), 224}, {Noise(10, 13, 11), 6}, {Noise(9, 9, 12), 9}};
  for (const auto& c : cases) {
    std::string shape;
    const std::vector<uint8_t> reference =
        Bytes(RunReference("crop", c.image, absl::StrCat(c.size), &shape));
    absl::StatusOr<RgbImage> ours = CenterCrop(c.image, c.size);
    ASSERT_TRUE(ours.ok()) << ours.status();
    EXPECT_EQ(ours->pixels(), reference)
        << c.image.width() << "x" << c.image.height() << " cropped to " << c.size;
  }
}

TEST_F(ImageReferenceTest, PreprocessForClipEqualsClipTransform) {
  const struct {
    const char* what;
    RgbImage image;
    int resolution;
  } cases[] = {
      {"noise 300x225 @224", Noise(300, 225, 13), 224},
      {"noise 97x61 @64", Noise(97, 61, 14), 64},
      {"scene 320x240 @224", Scene(320, 240), 224},
      {"gradient portrait 225x300 @224", Gradient(225, 300), 224},
      {"edges 224x230 @224 (no resize)", SharpEdges(224, 230), 224},
      {"noise 100x50 @224 (upscale)", Noise(100, 50, 15), 224},
      {"noise 3x2 @32", Noise(3, 2, 16), 32},
  };
  for (const auto& c : cases) {
    std::string shape;
    const std::vector<float> reference =
        Floats(RunReference("clip", c.image, absl::StrCat(c.resolution), &shape));
    absl::StatusOr<std::vector<float>> ours = PreprocessForClip(c.image, c.resolution);
    ASSERT_TRUE(ours.ok()) << ours.status();
    ASSERT_EQ(shape, absl::StrCat("3 ", c.resolution, " ", c.resolution)) << c.what;
    ASSERT_EQ(ours->size(), reference.size()) << c.what;
    float max_diff = 0.0f;
    for (size_t i = 0; i < reference.size(); ++i) {
      max_diff = std::max(max_diff, std::abs((*ours)[i] - reference[i]));
    }
    EXPECT_EQ(max_diff, 0.0f) << c.what << ": max |ours - reference| = " << max_diff;
  }
}

TEST_F(ImageReferenceTest, DecodedPngsEqualPillowConvertRgb) {
  std::mt19937 rng(17);
  for (int channels : {1, 2, 3, 4}) {
    const int width = 23;
    const int height = 11;
    std::vector<uint8_t> pixels(static_cast<size_t>(width) * height * channels);
    for (uint8_t& p : pixels) p = rng() & 0xff;
    const std::string path = absl::StrCat(dir_, "/channels", channels, ".png");
    ASSERT_NE(stbi_write_png(path.c_str(), width, height, channels, pixels.data(),
                             width * channels),
              0);
    std::string shape;
    const std::vector<uint8_t> reference = Bytes(RunReferenceOnFile("decode", path, "", &shape));
    absl::StatusOr<RgbImage> ours = DecodeImageFile(path);
    ASSERT_TRUE(ours.ok()) << ours.status();
    EXPECT_EQ(ours->pixels(), reference) << channels << "-channel PNG";
  }
}

TEST_F(ImageReferenceTest, DecodedJpegIsCloseToPillow) {
  // stb_image and libjpeg-turbo (Pillow) use different IDCTs and chroma
  // upsampling, so JPEG pixels may differ by a few levels; see
  // docs/images.md. This bounds and prints the difference.
  for (int quality : {75, 95}) {
    const RgbImage image = Scene(160, 120);
    const std::string path = absl::StrCat(dir_, "/scene_q", quality, ".jpg");
    ASSERT_NE(stbi_write_jpg(path.c_str(), image.width(), image.height(), 3, image.data(),
                             quality),
              0);
    std::string shape;
    const std::vector<uint8_t> reference = Bytes(RunReferenceOnFile("decode", path, "", &shape));
    absl::StatusOr<RgbImage> ours = DecodeImageFile(path);
    ASSERT_TRUE(ours.ok()) << ours.status();
    ASSERT_EQ(ours->pixels().size(), reference.size());
    const Difference d = Compare(ours->pixels(), reference);
    double mean = 0.0;
    for (size_t i = 0; i < reference.size(); ++i) {
      mean += std::abs(static_cast<int>(ours->pixels()[i]) - static_cast<int>(reference[i]));
    }
    mean /= reference.size();
    std::printf("JPEG q%d: %zu of %zu bytes differ from Pillow, max %d, mean %.4f\n", quality,
                d.differing, reference.size(), d.max, mean);
    EXPECT_LE(d.max, 4) << "quality " << quality;
    EXPECT_LT(mean, 0.1) << "quality " << quality;
  }
}

}  // namespace
}  // namespace camoe::image
