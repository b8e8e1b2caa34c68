// A ViT-B/32-sized CLIP runs one forward with the right shapes (label: slow).
#include <gtest/gtest.h>

#include <cmath>

#include "worker/model/clip_encoder.h"
#include "worker/weights/clip_state_dict.h"

namespace camoe {
namespace {

TEST(ClipViTB32SmokeTest, OneForwardHasTheRightShapes) {
  RuntimeConfig runtime;
  ASSERT_TRUE(ConfigureTorchThreads(runtime).ok());
  ClipConfig config;  // defaults are ViT-B/32
  auto encoder = ClipEncoder::CreateRandom(config, 1);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ((*encoder)->parameter_count(), 151277313);
  EXPECT_EQ((*encoder)->parameter_count(), ClipParameterCount(config));
  std::vector<float> image(3 * 224 * 224);
  for (size_t i = 0; i < image.size(); ++i) image[i] = std::sin(0.001f * i);
  auto images = (*encoder)->EncodeImages({image});
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_EQ(images->rows, 1);
  EXPECT_EQ(images->cols, 512);
  std::vector<int32_t> text = {49406, 320, 1929, 49407};
  std::vector<int32_t> full(77, 0);
  full[0] = 49406;
  for (int i = 1; i < 76; ++i) full[i] = 320 + i;
  full[76] = 49407;
  auto texts = (*encoder)->EncodeText({text, full});
  ASSERT_TRUE(texts.ok()) << texts.status();
  EXPECT_EQ(texts->rows, 2);
  EXPECT_EQ(texts->cols, 512);
  for (float v : texts->values) ASSERT_TRUE(std::isfinite(v));
  for (float v : images->values) ASSERT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace camoe
