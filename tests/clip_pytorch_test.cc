// CLIP weight files written by Python's torch (Debian's python3-torch), loaded
// by camoe and compared with PyTorch's own forward of the same model. Label
// `python`: skips with a message when python3-torch is missing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>

#include "common/file_util.h"
#include "tests/clip_fixtures.h"
#include "tests/test_paths.h"
#include "worker/model/clip_encoder.h"
#include "worker/model/tensor_convert.h"
#include "worker/weights/clip_weights_file.h"
#include "worker/weights/torch_archive.h"

namespace camoe {
namespace {

using testing::MaxAbsDiff;
using testing::ToMatrix;

constexpr double kTolerance = 1e-5;

class PythonFixtureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::PythonHasModules("torch")) return;
    dir_ = new std::string(testing::TempDir("python_clip_fixtures"));
    std::string out;
    int rc = testing::RunCommand(testing::Python() + " " + testing::SourceDir() +
                                     "/tests/reference/make_clip_fixtures.py " + *dir_ + " 2>&1",
                                 &out);
    ok_ = rc == 0;
    if (!ok_) std::fprintf(stderr, "fixture script failed:\n%s\n", out.c_str());
  }

  void SetUp() override {
    if (!testing::PythonHasModules("torch")) {
      GTEST_SKIP() << testing::Python() << " has no torch module (Debian: python3-torch)";
    }
    ASSERT_TRUE(ok_) << "tests/reference/make_clip_fixtures.py failed";
  }

  static std::map<std::string, at::Tensor> ReadTensors(const std::string& name) {
    auto file = MappedFile::Open(*dir_ + "/" + name);
    EXPECT_TRUE(file.ok());
    auto archive = ReadTorchArchive((*file)->data(), name);
    EXPECT_TRUE(archive.ok()) << archive.status();
    std::map<std::string, at::Tensor> out;
    for (const NamedBuffer& b : archive->tensors) out[b.name] = *ToTensor(b);
    return out;
  }

  void ExpectMatchesPyTorch(const std::string& file, const std::string& suffix) {
    ClipWeightsOptions options;
    options.head_width = 32;
    auto weights = ReadClipWeights(*dir_ + "/" + file, options);
    ASSERT_TRUE(weights.ok()) << weights.status();
    auto encoder = ClipEncoder::FromWeights(*weights);
    ASSERT_TRUE(encoder.ok()) << encoder.status();
    auto inputs = ReadTensors("inputs.pt");
    auto expected = ReadTensors("expected.pt");
    at::Tensor tokens = inputs["tokens"];
    std::vector<std::vector<int32_t>> ids;
    for (int64_t i = 0; i < tokens.size(0); ++i) {
      std::vector<int32_t> row;
      for (int64_t j = 0; j < tokens.size(1); ++j) row.push_back(tokens[i][j].item<int32_t>());
      ids.push_back(row);
    }
    std::vector<std::vector<float>> images;
    at::Tensor img = inputs["images"].contiguous();
    for (int64_t i = 0; i < img.size(0); ++i) {
      images.emplace_back(img[i].data_ptr<float>(), img[i].data_ptr<float>() + img[i].numel());
    }
    double text_diff = MaxAbsDiff(*(*encoder)->EncodeText(ids), ToMatrix(expected["text" + suffix]));
    double image_diff =
        MaxAbsDiff(*(*encoder)->EncodeImages(images), ToMatrix(expected["image" + suffix]));
    std::printf("%s: max |ours - pytorch|: text %.3g, image %.3g\n", file.c_str(), text_diff,
                image_diff);
    EXPECT_LT(text_diff, kTolerance);
    EXPECT_LT(image_diff, kTolerance);
  }

  static std::string* dir_;
  static bool ok_;
};
std::string* PythonFixtureTest::dir_ = nullptr;
bool PythonFixtureTest::ok_ = false;

TEST_F(PythonFixtureTest, TracedFp16ArchiveLikeOpenAisRelease) {
  ExpectMatchesPyTorch("openai_jit.pt", "_fp16");
}
TEST_F(PythonFixtureTest, TorchSaveStateDict) { ExpectMatchesPyTorch("state_dict.pt", ""); }
TEST_F(PythonFixtureTest, HuggingFaceNames) { ExpectMatchesPyTorch("huggingface.pt", ""); }
TEST_F(PythonFixtureTest, OpenClipTextPrefix) { ExpectMatchesPyTorch("open_clip.pt", ""); }
TEST_F(PythonFixtureTest, WrappedCheckpointWithPrefixAndExtraKeys) {
  ExpectMatchesPyTorch("wrapped.pt", "");
  auto weights = ReadClipWeights(*dir_ + "/wrapped.pt");
  ASSERT_TRUE(weights.ok());
  EXPECT_EQ(weights->stripped_prefix, "state_dict.module.clip.");
  EXPECT_EQ(weights->ignored, std::vector<std::string>({"head.weight"}));
}

}  // namespace
}  // namespace camoe
