// CLIP towers and weight loading, checked against an independent forward pass
// (tests/clip_reference.cc) and against a PyTorch model (python fixtures).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>

#include "common/file_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/clip_fixtures.h"
#include "tests/clip_reference.h"
#include "tests/test_paths.h"
#include "worker/model/clip_encoder.h"
#include "worker/model/clip_model.h"
#include "worker/model/tensor_convert.h"
#include "worker/weights/clip_state_dict.h"
#include "worker/weights/clip_weights_file.h"

namespace camoe {
namespace {

using testing::MaxAbsDiff;
using testing::ToMatrix;
using testing::WeightMap;

constexpr double kTolerance = 1e-5;

std::vector<NamedBuffer> ToBuffers(const WeightMap& weights) {
  std::vector<NamedBuffer> out;
  for (const auto& [name, tensor] : weights) out.push_back(*ToNamedBuffer(name, tensor));
  return out;
}

ClipWeights MakeWeights(const ClipConfig& config, const WeightMap& map) {
  ClipWeights weights;
  weights.config = config;
  weights.tensors = ToBuffers(map);
  return weights;
}

class ClipModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::TinyClipConfig();
    weights_ = testing::RandomClipWeights(config_, 7);
    auto gen = at::detail::createCPUGenerator(11);
    images_ = at::randn({3, 3, 32, 32}, gen);
    // Texts of different lengths: SOT, ids, EOT, zero padding.
    tokens_ = {{49406, 320, 1929, 49407}, {49406, 320, 2368, 536, 1125, 9, 49407},
               {49406, 49407}};
  }

  std::vector<std::vector<float>> ImageVectors() const {
    std::vector<std::vector<float>> out;
    for (int64_t i = 0; i < images_.size(0); ++i) {
      at::Tensor img = images_[i].contiguous();
      out.emplace_back(img.data_ptr<float>(), img.data_ptr<float>() + img.numel());
    }
    return out;
  }

  at::Tensor PaddedTokens() const {
    at::Tensor t = at::zeros({static_cast<int64_t>(tokens_.size()), 16}, at::kLong);
    for (size_t i = 0; i < tokens_.size(); ++i) {
      for (size_t j = 0; j < tokens_[i].size(); ++j) t[i][j] = tokens_[i][j];
    }
    return t;
  }

  // Encoder outputs vs the reference forward on `reference_weights`.
  void ExpectMatchesReference(const ClipEncoder& encoder, const WeightMap& reference_weights) {
    auto text = encoder.EncodeText(tokens_);
    ASSERT_TRUE(text.ok()) << text.status();
    auto image = encoder.EncodeImages(ImageVectors());
    ASSERT_TRUE(image.ok()) << image.status();
    torch::NoGradGuard no_grad;
    FloatMatrix ref_text = ToMatrix(testing::ReferenceEncodeText(
        reference_weights, PaddedTokens(), config_.text().heads()));
    FloatMatrix ref_image = ToMatrix(testing::ReferenceEncodeImage(
        reference_weights, images_, config_.vision().heads()));
    double text_diff = MaxAbsDiff(*text, ref_text);
    double image_diff = MaxAbsDiff(*image, ref_image);
    std::printf("max |ours - reference|: text %.3g, image %.3g (tolerance %.0e)\n", text_diff,
                image_diff, kTolerance);
    EXPECT_LT(text_diff, kTolerance);
    EXPECT_LT(image_diff, kTolerance);
  }

  ClipConfig config_;
  WeightMap weights_;
  at::Tensor images_;
  std::vector<std::vector<int32_t>> tokens_;
};

TEST_F(ClipModelTest, ParameterNamesAndShapesAreOpenAisExactly) {
  for (ClipConfig config : {testing::TinyClipConfig(), ClipConfig()}) {
    ClipModel model(config);
    std::map<std::string, std::vector<int64_t>> ours;
    for (const auto& p : model->named_parameters()) ours[p.key()] = p.value().sizes().vec();
    auto expected = ExpectedClipShapes(config);
    ASSERT_EQ(ours.size(), expected.size());
    for (const auto& [name, shape] : expected) {
      ASSERT_TRUE(ours.count(name)) << name;
      EXPECT_EQ(ours[name], shape) << name;
    }
  }
}

TEST_F(ClipModelTest, ViTB32AndB16HaveThePublishedParameterCounts) {
  ClipConfig b32;
  EXPECT_EQ(ClipParameterCount(b32), 151277313);
  ClipConfig b16;
  b16.mutable_vision()->set_patch_size(16);
  EXPECT_EQ(ClipParameterCount(b16), 149620737);
}

TEST_F(ClipModelTest, MatchesIndependentReferenceForward) {
  auto encoder = ClipEncoder::FromWeights(MakeWeights(config_, weights_));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  ExpectMatchesReference(**encoder, weights_);
}

TEST_F(ClipModelTest, PaddingAfterEotDoesNotChangeTextFeatures) {
  auto encoder = ClipEncoder::FromWeights(MakeWeights(config_, weights_));
  ASSERT_TRUE(encoder.ok());
  auto short_form = (*encoder)->EncodeText({tokens_[0]});
  std::vector<int32_t> padded = tokens_[0];
  padded.resize(16, 0);
  auto long_form = (*encoder)->EncodeText({padded});
  ASSERT_TRUE(short_form.ok() && long_form.ok());
  EXPECT_LT(MaxAbsDiff(*short_form, *long_form), 1e-5);
}

TEST_F(ClipModelTest, KeyMaskHidesTokensFromAttention) {
  ClipModel model(config_);
  ASSERT_TRUE(LoadNamedBuffers(*model, ToBuffers(weights_)).ok());
  torch::NoGradGuard no_grad;
  at::Tensor tokens = PaddedTokens();
  at::Tensor all = at::ones(tokens.sizes(), at::kBool);
  at::Tensor plain = model->EncodeText(tokens);
  EXPECT_TRUE(at::allclose(model->EncodeText(tokens, all), plain, 0, 1e-6));
  at::Tensor keep = all.clone();
  keep[1][3] = false;  // hide one word of text 1
  at::Tensor masked = model->EncodeText(tokens, keep);
  EXPECT_TRUE(at::allclose(masked[0], plain[0], 0, 1e-6));
  EXPECT_FALSE(at::allclose(masked[1], plain[1], 0, 1e-4));
  // SOT stays visible even if the caller masks it, so no row is empty (no NaN).
  keep[2][0] = false;
  EXPECT_FALSE(at::isnan(model->EncodeText(tokens, keep)).any().item<bool>());
}

TEST_F(ClipModelTest, LogitScaleIsExpClampedAt100) {
  ClipModel model(config_);
  EXPECT_NEAR(model->LogitScale().item<float>(), 1 / 0.07, 1e-3);
  torch::NoGradGuard no_grad;
  model->logit_scale.fill_(10.0);
  EXPECT_FLOAT_EQ(model->LogitScale().item<float>(), 100.0f);
}

TEST_F(ClipModelTest, RandomInitIsReproducibleFromTheSeed) {
  auto a = ClipEncoder::CreateRandom(config_, 5);
  auto b = ClipEncoder::CreateRandom(config_, 5);
  auto c = ClipEncoder::CreateRandom(config_, 6);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto fa = (*a)->EncodeText(tokens_), fb = (*b)->EncodeText(tokens_), fc = (*c)->EncodeText(tokens_);
  EXPECT_EQ(fa->values, fb->values);
  EXPECT_NE(fa->values, fc->values);
}

TEST_F(ClipModelTest, InvalidInputsAreErrorsNotCrashes) {
  auto encoder = ClipEncoder::CreateRandom(config_, 1);
  ASSERT_TRUE(encoder.ok());
  std::vector<int32_t> too_long(17, 1);
  EXPECT_NE((*encoder)->EncodeText({too_long}).status().message().find("text 0 has 17 tokens"),
            std::string::npos);
  EXPECT_FALSE((*encoder)->EncodeText({{49406, 60000, 49407}}).ok());
  EXPECT_FALSE((*encoder)->EncodeImages({std::vector<float>(10)}).ok());
  ClipConfig bad = config_;
  bad.mutable_vision()->set_heads(3);
  EXPECT_EQ(ClipEncoder::CreateRandom(bad, 1).status().code(), absl::StatusCode::kInvalidArgument);
}

class ClipWeightsFileTest : public ClipModelTest {
 protected:
  void SetUp() override {
    ClipModelTest::SetUp();
    dir_ = testing::TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    options_.head_width = 32;  // the tiny towers use 32-wide heads
  }
  std::string dir_;
  ClipWeightsOptions options_;
};

TEST_F(ClipWeightsFileTest, LoadsAnOpenAiStyleTorchScriptArchive) {
  std::string path = dir_ + "/clip.pt";
  testing::WriteTorchScriptArchive(path, weights_, /*fp16=*/false, config_);
  auto weights = ReadClipWeights(path, options_);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->format, WeightsFormat::kTorchScript);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equivalent(weights->config, config_))
      << weights->config.DebugString();
  // The three scalars and the masks are not parameters.
  EXPECT_EQ(weights->dropped.size(), 3u + config_.text().layers());
  auto encoder = ClipEncoder::FromWeights(*weights);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  ExpectMatchesReference(**encoder, weights_);
}

TEST_F(ClipWeightsFileTest, Fp16ArchiveLoadsAsFp32OfTheRoundedValues) {
  std::string path = dir_ + "/clip16.pt";
  testing::WriteTorchScriptArchive(path, weights_, /*fp16=*/true, config_);
  auto weights = ReadClipWeights(path, options_);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->dtypes, std::vector<std::string>({"float16"}));
  auto encoder = ClipEncoder::FromWeights(*weights);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  ExpectMatchesReference(**encoder, testing::RoundedToHalf(weights_));
}

TEST_F(ClipWeightsFileTest, LoadsATorchSaveZipOfADict) {
  std::string path = dir_ + "/clip_sd.pt";
  testing::WriteTorchSaveZip(path, weights_);
  auto encoder = ClipEncoder::Load(path, options_);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  ExpectMatchesReference(**encoder, weights_);
}

TEST_F(ClipWeightsFileTest, CamoeFormatRoundTripKeepsHeadsAndOutputs) {
  auto encoder = ClipEncoder::FromWeights(MakeWeights(config_, weights_));
  ASSERT_TRUE(encoder.ok());
  std::string path = dir_ + "/clip.camoe";
  ASSERT_TRUE((*encoder)->Save(path).ok());
  // No head_width hint: the file carries the architecture.
  auto reloaded = ClipEncoder::Load(path);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ((*reloaded)->config().vision().heads(), 2);
  EXPECT_EQ((*reloaded)->EncodeText(tokens_)->values, (*encoder)->EncodeText(tokens_)->values);
  EXPECT_EQ((*reloaded)->EncodeImages(ImageVectors())->values,
            (*encoder)->EncodeImages(ImageVectors())->values);
}

TEST_F(ClipWeightsFileTest, TruncatedFileIsDataLossNamingTheFile) {
  std::string path = dir_ + "/clip.pt";
  testing::WriteTorchScriptArchive(path, weights_, false, config_);
  auto bytes = ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  std::string cut_path = dir_ + "/cut.pt";
  ASSERT_TRUE(WriteFileAtomically(cut_path, bytes->substr(0, bytes->size() / 2)).ok());
  auto weights = ReadClipWeights(cut_path, options_);
  ASSERT_EQ(weights.status().code(), absl::StatusCode::kDataLoss) << weights.status();
  EXPECT_NE(weights.status().message().find("cut.pt"), std::string::npos);
  EXPECT_NE(weights.status().message().find("truncated"), std::string::npos);
  // The same for our own format.
  ASSERT_TRUE(WriteClipWeights(dir_ + "/w.camoe", ToBuffers(weights_), config_).ok());
  bytes = ReadFile(dir_ + "/w.camoe");
  ASSERT_TRUE(WriteFileAtomically(cut_path, bytes->substr(0, bytes->size() - 100)).ok());
  EXPECT_EQ(ReadClipWeights(cut_path).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(ClipWeightsFileTest, WrongShapeNamesTheKeyAndBothShapes) {
  WeightMap bad = weights_;
  bad["visual.ln_post.weight"] = at::ones({65});
  std::string path = dir_ + "/bad.pt";
  testing::WriteTorchScriptArchive(path, bad, false, config_);
  auto weights = ReadClipWeights(path, options_);
  ASSERT_EQ(weights.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(weights.status().message().find(
                "key 'visual.ln_post.weight' has shape [65] but the model needs [64]"),
            std::string::npos)
      << weights.status();
}

TEST_F(ClipWeightsFileTest, MissingKeyIsNamed) {
  WeightMap bad = weights_;
  bad.erase("ln_final.bias");
  std::string path = dir_ + "/missing.pt";
  testing::WriteTorchSaveZip(path, bad);
  auto weights = ReadClipWeights(path, options_);
  ASSERT_EQ(weights.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(weights.status().message().find("missing key 'ln_final.bias' (shape [64])"),
            std::string::npos)
      << weights.status();
}

TEST_F(ClipWeightsFileTest, UnexpectedKeyIsNamed) {
  WeightMap bad = weights_;
  bad["visual.extra_head"] = at::ones({3});
  std::string path = dir_ + "/extra.pt";
  testing::WriteTorchSaveZip(path, bad);
  auto weights = ReadClipWeights(path, options_);
  ASSERT_EQ(weights.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(weights.status().message().find("unexpected key 'visual.extra_head'"),
            std::string::npos)
      << weights.status();
}

TEST_F(ClipWeightsFileTest, NonWeightFilesAreRefusedClearly) {
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/empty.pt", "").ok());
  EXPECT_NE(ReadClipWeights(dir_ + "/empty.pt").status().message().find("empty"),
            std::string::npos);
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/text.pt", "hello world").ok());
  EXPECT_NE(ReadClipWeights(dir_ + "/text.pt").status().message().find("not a weights file"),
            std::string::npos);
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/legacy.pt", std::string("\x80\x02\x8a\x0a", 4)).ok());
  EXPECT_EQ(ReadClipWeights(dir_ + "/legacy.pt").status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ReadClipWeights(dir_ + "/nope.pt").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace camoe
