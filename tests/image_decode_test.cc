// Decoding, PNG writing and size limits of worker/image (no Python needed).
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stb_image_write.h"
#include "tests/test_paths.h"
#include "worker/image/image.h"
#include "worker/image/preprocess.h"
#include "worker/image/resample.h"

namespace camoe::image {
namespace {

using ::testing::HasSubstr;

// A deterministic image whose every byte differs from its neighbours'.
RgbImage Pattern(int width, int height) {
  RgbImage image(width, height);
  for (size_t i = 0; i < image.pixels().size(); ++i) {
    image.data()[i] = static_cast<uint8_t>((i * 37 + i / 7) % 251);
  }
  return image;
}

class ImageDecodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = camoe::testing::TempDir("image_decode_" + test);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Writes `pixels` (width x height x channels bytes) as a PNG with
  // stb_image_write, independently of WritePng.
  std::string WriteStbPng(const std::string& name, int width, int height, int channels,
                          const std::vector<uint8_t>& pixels) {
    const std::string path = Path(name);
    EXPECT_NE(stbi_write_png(path.c_str(), width, height, channels, pixels.data(),
                             width * channels),
              0);
    return path;
  }

  std::string dir_;
};

TEST_F(ImageDecodeTest, WritePngThenDecodeRoundTripsExactly) {
  const RgbImage image = Pattern(37, 23);
  const std::string path = Path("pattern.png");
  ASSERT_TRUE(WritePng(path, image).ok());
  absl::StatusOr<RgbImage> decoded = DecodeImageFile(path);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->width(), 37);
  EXPECT_EQ(decoded->height(), 23);
  EXPECT_TRUE(*decoded == image);
}

TEST_F(ImageDecodeTest, GreyPngBecomesRgbWithEqualChannels) {
  std::vector<uint8_t> grey(5 * 4);
  for (size_t i = 0; i < grey.size(); ++i) grey[i] = static_cast<uint8_t>(i * 13);
  absl::StatusOr<RgbImage> decoded = DecodeImageFile(WriteStbPng("grey.png", 5, 4, 1, grey));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->pixels().size(), 3 * grey.size());
  for (size_t i = 0; i < grey.size(); ++i) {
    EXPECT_EQ(decoded->pixels()[3 * i + 0], grey[i]);
    EXPECT_EQ(decoded->pixels()[3 * i + 1], grey[i]);
    EXPECT_EQ(decoded->pixels()[3 * i + 2], grey[i]);
  }
}

TEST_F(ImageDecodeTest, RgbaPngDropsAlphaWithoutCompositing) {
  // PIL's convert("RGB") keeps the colour of transparent pixels; so must we.
  const std::vector<uint8_t> rgba = {200, 100, 50, 0,   10, 20, 30, 255,
                                     1,   2,   3,  128, 90, 80, 70, 7};
  absl::StatusOr<RgbImage> decoded = DecodeImageFile(WriteStbPng("rgba.png", 2, 2, 4, rgba));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const std::vector<uint8_t> expected = {200, 100, 50, 10, 20, 30, 1, 2, 3, 90, 80, 70};
  EXPECT_EQ(decoded->pixels(), expected);
}

TEST_F(ImageDecodeTest, GreyAlphaPngKeepsGreyAndDropsAlpha) {
  const std::vector<uint8_t> grey_alpha = {77, 0, 155, 255};
  absl::StatusOr<RgbImage> decoded =
      DecodeImageFile(WriteStbPng("grey_alpha.png", 2, 1, 2, grey_alpha));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const std::vector<uint8_t> expected = {77, 77, 77, 155, 155, 155};
  EXPECT_EQ(decoded->pixels(), expected);
}

TEST_F(ImageDecodeTest, JpegDecodesToNearlyTheEncodedColours) {
  // Flat colour blocks survive JPEG at high quality within a few levels.
  const int width = 32;
  const int height = 16;
  std::vector<uint8_t> pixels(3 * width * height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool left = x < width / 2;
      uint8_t* p = &pixels[3 * (y * width + x)];
      p[0] = left ? 200 : 40;
      p[1] = left ? 60 : 180;
      p[2] = left ? 90 : 120;
    }
  }
  const std::string path = Path("blocks.jpg");
  ASSERT_NE(stbi_write_jpg(path.c_str(), width, height, 3, pixels.data(), 95), 0);
  absl::StatusOr<RgbImage> decoded = DecodeImageFile(path);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->width(), width);
  ASSERT_EQ(decoded->height(), height);
  // Away from the colour edge (x = 15 / 16), chroma subsampling cannot blur.
  for (int x : {2, 5, 26, 29}) {
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(decoded->At(x, 8)[c], pixels[3 * (8 * width + x) + c], 4)
          << "x=" << x << " channel " << c;
    }
  }
}

TEST_F(ImageDecodeTest, TruncatedPngIsAnErrorNamingTheFile) {
  absl::StatusOr<std::string> png = EncodePng(Pattern(64, 64));
  ASSERT_TRUE(png.ok());
  const std::string path = Path("truncated.png");
  ASSERT_TRUE(WriteFileAtomically(path, png->substr(0, png->size() / 2)).ok());
  absl::StatusOr<RgbImage> decoded = DecodeImageFile(path);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(path));
}

TEST_F(ImageDecodeTest, TruncatedJpegIsAnErrorOrAnImageNeverACrash) {
  // stb_image, like libjpeg, may fill a cut-off JPEG's missing rows instead of
  // failing; what matters is a clean result either way. A header-only cut must
  // fail.
  const RgbImage image = Pattern(48, 48);
  const std::string full = Path("full.jpg");
  ASSERT_NE(stbi_write_jpg(full.c_str(), 48, 48, 3, image.data(), 90), 0);
  absl::StatusOr<std::string> bytes = ReadFile(full);
  ASSERT_TRUE(bytes.ok());
  for (size_t keep : {size_t{20}, bytes->size() / 3, bytes->size() - 10}) {
    absl::StatusOr<RgbImage> decoded = DecodeImage(bytes->substr(0, keep), "cut.jpg");
    if (decoded.ok()) {
      EXPECT_EQ(decoded->width(), 48);
    } else {
      EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("cut.jpg"));
    }
  }
  EXPECT_FALSE(DecodeImage(bytes->substr(0, 20), "cut.jpg").ok());
}

TEST_F(ImageDecodeTest, EmptyFileIsAnErrorNamingTheFile) {
  const std::string path = Path("empty.png");
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  absl::StatusOr<RgbImage> decoded = DecodeImageFile(path);
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("empty"));
}

TEST_F(ImageDecodeTest, TextFileIsAnErrorNamingTheFileAndStbReason) {
  const std::string path = Path("notes.jpg");
  ASSERT_TRUE(WriteFileAtomically(path, "this is not an image, just some text\n").ok());
  absl::StatusOr<RgbImage> decoded = DecodeImageFile(path);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("stb_image: "));
}

TEST_F(ImageDecodeTest, MissingFileIsNotFoundNamingTheFile) {
  const std::string path = Path("does_not_exist.png");
  absl::StatusOr<RgbImage> decoded = DecodeImageFile(path);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(path));
}

// Rewrites the IHDR width and height of a PNG (stb_image does not check CRCs,
// so a decoder trusting the header would try to allocate the claimed size).
std::string WithPngSize(std::string png, uint32_t width, uint32_t height) {
  // 8-byte signature, 4-byte length, "IHDR", then big-endian width, height.
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<char>((width >> (24 - 8 * i)) & 0xff);
    png[20 + i] = static_cast<char>((height >> (24 - 8 * i)) & 0xff);
  }
  return png;
}

TEST_F(ImageDecodeTest, RefusesOversizedHeadersBeforeDecoding) {
  absl::StatusOr<std::string> png = EncodePng(Pattern(8, 8));
  ASSERT_TRUE(png.ok());
  ASSERT_EQ(png->substr(12, 4), "IHDR");
  for (const auto& [width, height] :
       std::vector<std::pair<uint32_t, uint32_t>>{{20000, 8}, {8, 16385}, {10000, 10000}}) {
    absl::StatusOr<RgbImage> decoded = DecodeImage(WithPngSize(*png, width, height), "huge.png");
    ASSERT_FALSE(decoded.ok()) << width << "x" << height;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("huge.png"));
    EXPECT_THAT(std::string(decoded.status().message()), HasSubstr("exceeds the limit"));
  }
}

TEST(ImageSizeLimitTest, RefusesOversizedAndEmptySizes) {
  EXPECT_TRUE(CheckImageSize(kMaxImageSide, 1, "x").ok());
  EXPECT_TRUE(CheckImageSize(8192, 8192, "x").ok());
  EXPECT_FALSE(CheckImageSize(kMaxImageSide + 1, 1, "x").ok());
  EXPECT_FALSE(CheckImageSize(1, kMaxImageSide + 1, "x").ok());
  EXPECT_FALSE(CheckImageSize(kMaxImageSide, kMaxImageSide, "x").ok());  // > kMaxImagePixels.
  EXPECT_FALSE(CheckImageSize(0, 5, "x").ok());
  EXPECT_FALSE(CheckImageSize(5, -1, "x").ok());

  const RgbImage small = Pattern(4, 4);
  EXPECT_FALSE(ResizeBicubic(small, 20000, 4).ok());
  EXPECT_FALSE(ResizeBicubic(small, 0, 4).ok());
  EXPECT_FALSE(CenterCrop(small, 20000).ok());
  // A 1000:1 strip resized to short side 224 would be 224000 px wide.
  EXPECT_FALSE(ResizeShortSide(Pattern(1000, 1), 224).ok());
  EXPECT_FALSE(EncodePng(RgbImage()).ok());
}

}  // namespace
}  // namespace camoe::image
