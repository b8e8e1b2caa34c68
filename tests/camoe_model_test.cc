// CAMoE heads: aggregators, experts, gates, variants and the text streams.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/camoe_test_util.h"
#include "worker/camoe/aggregators.h"
#include "worker/camoe/camoe_model.h"
#include "worker/camoe/precision.h"

namespace camoe {
namespace {

// Gives every parameter a random value so no test passes because of zero init.
void Randomize(torch::nn::Module& module, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) p.normal_(0, 0.2, gen);
}

AggregatorConfig Kind(AggregatorKind kind) {
  AggregatorConfig c;
  c.set_kind(kind);
  c.set_attention_heads(4);
  c.set_se_reduction(2);
  return c;
}

class AggregatorTest : public ::testing::TestWithParam<AggregatorKind> {};

TEST_P(AggregatorTest, PaddingFramesChangeNothing) {
  auto agg = MakeAggregator(Kind(GetParam()), 32, 6);
  Randomize(*agg, 1);
  torch::Tensor x = torch::randn({3, 6, 32});
  torch::Tensor mask = torch::ones({3, 6}, torch::kBool);
  mask[0][5] = false;
  mask[1][3] = mask[1][4] = mask[1][5] = false;
  torch::Tensor y = x.clone();
  y[0][5] = 100.0;  // padding content differs wildly
  y[1].narrow(0, 3, 3).normal_(0, 50);
  torch::NoGradGuard no_grad;
  torch::Tensor a = agg->forward(x, mask), b = agg->forward(y, mask);
  EXPECT_EQ(a.sizes(), torch::IntArrayRef({3, 32}));
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-6)) << (a - b).abs().max();
  // A real frame does change the output.
  y[2][0] += 1.0;
  EXPECT_FALSE(torch::allclose(agg->forward(x, mask)[2], agg->forward(y, mask)[2], 1e-5, 1e-6));
}

TEST_P(AggregatorTest, AcceptsFewerFramesThanItsMaximum) {
  auto agg = MakeAggregator(Kind(GetParam()), 32, 8);
  Randomize(*agg, 2);
  torch::NoGradGuard no_grad;
  torch::Tensor out = agg->forward(torch::randn({2, 5, 32}), torch::ones({2, 5}, torch::kBool));
  EXPECT_EQ(out.sizes(), torch::IntArrayRef({2, 32}));
  EXPECT_FALSE(torch::isnan(out).any().item<bool>());
}

INSTANTIATE_TEST_SUITE_P(AllKinds, AggregatorTest,
                         ::testing::Values(AGGREGATOR_MEAN, AGGREGATOR_SE,
                                           AGGREGATOR_SELF_ATTENTION));

TEST(MeanAggregatorTest, IsTheMaskedMean) {
  torch::Tensor x = torch::tensor({{{1.0, 2.0}, {3.0, 4.0}, {100.0, 100.0}}});
  torch::Tensor mask = torch::tensor({{true, true, false}});
  torch::Tensor out = MakeAggregator(Kind(AGGREGATOR_MEAN), 2, 3)->forward(x, mask);
  EXPECT_TRUE(torch::allclose(out, torch::tensor({{2.0, 3.0}})));
}

TEST(SeAggregatorTest, FrameWeightsAreInZeroOneAndZeroOnPadding) {
  SeAggregatorImpl se(4, 2);
  Randomize(se, 3);
  torch::Tensor mask = torch::tensor({{true, true, true, false}});
  torch::Tensor x = torch::randn({1, 4, 8});
  torch::Tensor out = se.forward(x, mask);
  torch::Tensor w = se.last_frame_weights();
  EXPECT_GT(w[0][0].item<float>(), 0.0f);
  EXPECT_LT(w.max().item<float>(), 1.0f);
  EXPECT_EQ(w[0][3].item<float>(), 0.0f);
  // The output is sum_c w_c x_c over the 3 real frames, divided by 3.
  torch::Tensor expected = (x[0].narrow(0, 0, 3) * w[0].narrow(0, 0, 3).unsqueeze(1)).sum(0) / 3;
  EXPECT_TRUE(torch::allclose(out[0], expected, 1e-5, 1e-6));
}

TEST(SelfAttentionAggregatorTest, StartsAsMeanPoolingAndLearnsAway) {
  SelfAttentionAggregatorImpl sa(16, 4, 4, 1);
  torch::Tensor x = torch::randn({2, 4, 16});
  torch::Tensor mask = torch::ones({2, 4}, torch::kBool);
  mask[1][3] = false;
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(sa.forward(x, mask), MaskedMean(x, mask), 1e-5, 1e-6));
  Randomize(sa, 4);
  EXPECT_FALSE(torch::allclose(sa.forward(x, mask), MaskedMean(x, mask), 1e-3, 1e-3));
}

class CamoeModelTest : public ::testing::Test {
 protected:
  CamoeModel Make(MoeVariant variant, SentenceStrategy sentence = SENTENCE_MUW) {
    auto config = ResolveCamoeConfig(testing::TinyCamoeHeads(variant, sentence), 32);
    EXPECT_TRUE(config.ok()) << config.status();
    CamoeModel model(testing::TinyCamoeClip(), *config);
    Randomize(*model->heads, 5);
    model->eval();
    return model;
  }
  torch::Tensor ExpertOutput(CamoeModel& model, const std::string& name,
                             const torch::Tensor& features, const torch::Tensor& mask) {
    for (const auto& child : model->heads->named_children()) {
      if (child.key() == name) {
        return std::dynamic_pointer_cast<FrameAggregatorImpl>(child.value())->forward(features,
                                                                                      mask);
      }
    }
    ADD_FAILURE() << "no module " << name;
    return {};
  }
  VideoInput videos_ = testing::RandomVideos(4, 4, 32, 6);
  TextInput texts_ = testing::RandomTexts(4, 12, 7);
};

TEST_F(CamoeModelTest, ResolvesThePapersRoleDefaults) {
  auto config = ResolveCamoeConfig(CamoeConfig(), 512);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->variant(), MOE_SINGLE_GATE);
  EXPECT_EQ(config->sentence(), SENTENCE_MUW);
  EXPECT_EQ(config->fusion_expert().kind(), AGGREGATOR_SE);
  EXPECT_EQ(config->entity_expert().kind(), AGGREGATOR_SELF_ATTENTION);
  EXPECT_EQ(config->action_expert().kind(), AGGREGATOR_SELF_ATTENTION);
  EXPECT_EQ(config->gate_input().kind(), AGGREGATOR_SE);
  CamoeConfig bad;
  bad.mutable_entity_expert()->set_attention_heads(7);
  auto status = ResolveCamoeConfig(bad, 512).status();
  EXPECT_NE(status.message().find("model.camoe.entity_expert.attention_heads: 7 must divide"),
            std::string::npos)
      << status;
}

TEST_F(CamoeModelTest, SingleGateMixesExpertsIntoFusionOnly) {
  CamoeModel model = Make(MOE_SINGLE_GATE);
  torch::NoGradGuard no_grad;
  torch::Tensor features = model->EncodeFrames(videos_);
  VideoOutput out = model->heads(features, videos_.frame_mask);
  ASSERT_EQ(out.gate_weights.sizes(), torch::IntArrayRef({4, 3}));
  EXPECT_TRUE(torch::allclose(out.gate_weights.sum(1), torch::ones({4}), 1e-5, 1e-6));
  EXPECT_GT(out.gate_weights.min().item<float>(), 0.0f);
  torch::Tensor e[3] = {ExpertOutput(model, "fusion_expert", features, videos_.frame_mask),
                        ExpertOutput(model, "entity_expert", features, videos_.frame_mask),
                        ExpertOutput(model, "action_expert", features, videos_.frame_mask)};
  torch::Tensor mixed = out.gate_weights.select(1, 0).unsqueeze(1) * e[0] +
                        out.gate_weights.select(1, 1).unsqueeze(1) * e[1] +
                        out.gate_weights.select(1, 2).unsqueeze(1) * e[2];
  EXPECT_TRUE(torch::allclose(out.embeddings.streams[kFusion], mixed, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.embeddings.streams[kEntity], e[1], 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(out.embeddings.streams[kAction], e[2], 1e-6, 1e-7));
}

TEST_F(CamoeModelTest, PaddingFramesChangeNothingEndToEnd) {
  CamoeModel model = Make(MOE_SINGLE_GATE);
  torch::NoGradGuard no_grad;
  VideoInput noisy = videos_;
  noisy.frames = videos_.frames.clone();
  noisy.frames[1][3].normal_(0, 10);  // video 1's last frame is padding
  VideoOutput a = model->EncodeVideo(videos_), b = model->EncodeVideo(noisy);
  for (int s = 0; s < kNumStreams; ++s) {
    EXPECT_TRUE(torch::allclose(a.embeddings.streams[s], b.embeddings.streams[s], 1e-5, 1e-6));
  }
}

TEST_F(CamoeModelTest, MultiGateGatesEveryStream) {
  CamoeModel model = Make(MOE_MULTI_GATE);
  torch::NoGradGuard no_grad;
  torch::Tensor features = model->EncodeFrames(videos_);
  VideoOutput out = model->heads(features, videos_.frame_mask);
  torch::Tensor entity_expert = ExpertOutput(model, "entity_expert", features, videos_.frame_mask);
  EXPECT_FALSE(torch::allclose(out.embeddings.streams[kEntity], entity_expert, 1e-4, 1e-4));
  int gates = 0;
  for (const auto& child : model->heads->named_children()) {
    gates += child.key().find("_gate_proj") != std::string::npos;
  }
  EXPECT_EQ(gates, 3);
}

TEST_F(CamoeModelTest, SingleTaskHasOnlyTheFusionStream) {
  CamoeModel model = Make(MOE_SINGLE_TASK);
  torch::NoGradGuard no_grad;
  VideoOutput video = model->EncodeVideo(videos_);
  StreamEmbeddings text = model->EncodeText(texts_);
  EXPECT_TRUE(video.embeddings.streams[kFusion].defined());
  EXPECT_FALSE(video.embeddings.streams[kEntity].defined());
  EXPECT_FALSE(video.gate_weights.defined());
  EXPECT_FALSE(text.streams[kAction].defined());
  EXPECT_FALSE(model->HasStream(kEntity));
}

TEST_F(CamoeModelTest, MtacFeedsEveryStreamTheFullCaption) {
  CamoeModel model = Make(MOE_MTAC);
  torch::NoGradGuard no_grad;
  StreamEmbeddings text = model->EncodeText(texts_);
  EXPECT_TRUE(torch::equal(text.streams[kEntity], text.streams[kFusion]));
  EXPECT_TRUE(torch::equal(text.streams[kAction], model->clip->EncodeText(texts_.tokens)));
}

TEST_F(CamoeModelTest, MuwMaskedWordsCannotInfluenceTheKeywordStreams) {
  CamoeModel model = Make(MOE_SINGLE_GATE, SENTENCE_MUW);
  torch::NoGradGuard no_grad;
  StreamEmbeddings before = model->EncodeText(texts_);
  TextInput changed = texts_;
  changed.tokens = texts_.tokens.clone();
  changed.tokens[0][3] = 12345;  // word 3 is no keyword of either stream
  StreamEmbeddings after = model->EncodeText(changed);
  EXPECT_TRUE(torch::allclose(before.streams[kEntity], after.streams[kEntity], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(before.streams[kAction], after.streams[kAction], 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(before.streams[kFusion][0], after.streams[kFusion][0], 1e-4, 1e-4));
  // Changing the entity keyword changes the entity stream only.
  changed.tokens = texts_.tokens.clone();
  changed.tokens[0][1] = 777;
  after = model->EncodeText(changed);
  EXPECT_FALSE(torch::allclose(before.streams[kEntity][0], after.streams[kEntity][0], 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(before.streams[kAction], after.streams[kAction], 1e-5, 1e-6));
  // MUW reads EOT of the masked sequence: the same as encoding with the keep mask directly.
  EXPECT_TRUE(torch::allclose(before.streams[kEntity],
                              model->clip->EncodeText(texts_.tokens, texts_.entity_keep), 1e-5,
                              1e-6));
}

TEST_F(CamoeModelTest, RkwEncodesTheRejoinedKeywords) {
  CamoeModel model = Make(MOE_SINGLE_GATE, SENTENCE_RKW);
  torch::NoGradGuard no_grad;
  StreamEmbeddings text = model->EncodeText(texts_);
  EXPECT_TRUE(torch::allclose(text.streams[kEntity], model->clip->EncodeText(texts_.entity_tokens),
                              1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(text.streams[kAction], model->clip->EncodeText(texts_.action_tokens),
                              1e-6, 1e-7));
}

TEST_F(CamoeModelTest, AkweAveragesTheKeywordTokenOutputs) {
  CamoeModel model = Make(MOE_SINGLE_GATE, SENTENCE_AKWE);
  torch::NoGradGuard no_grad;
  TextInput two = texts_;
  two.entity_keep = texts_.entity_keep.clone();
  two.entity_keep[0][2] = true;  // caption 0 has two entity keywords: tokens 1 and 2
  StreamEmbeddings text = model->EncodeText(two);
  torch::Tensor outputs = model->clip->EncodeTextTokens(texts_.tokens);
  torch::Tensor expected =
      torch::matmul((outputs[0][1] + outputs[0][2]) / 2, model->clip->text_projection);
  EXPECT_TRUE(torch::allclose(text.streams[kEntity][0], expected, 1e-5, 1e-6));
  torch::Tensor action = torch::matmul(outputs[0][2], model->clip->text_projection);
  EXPECT_TRUE(torch::allclose(text.streams[kAction][0], action, 1e-5, 1e-6));
}

TEST_F(CamoeModelTest, Bf16AutocastRunsOnCpuAndStaysCloseToFp32) {
  CamoeModel model = Make(MOE_SINGLE_GATE);
  torch::NoGradGuard no_grad;
  VideoOutput fp32 = model->EncodeVideo(videos_);
  StreamEmbeddings text32 = model->EncodeText(texts_);
  ASSERT_TRUE(CheckPrecision(PRECISION_BF16, torch::kCPU).ok());
  VideoOutput bf16;
  StreamEmbeddings text16;
  {
    AutocastGuard guard(PRECISION_BF16, torch::kCPU);
    bf16 = model->EncodeVideo(videos_);
    text16 = model->EncodeText(texts_);
  }
  for (const auto& p : model->parameters()) ASSERT_EQ(p.scalar_type(), torch::kFloat32);
  for (int s = 0; s < kNumStreams; ++s) {
    torch::Tensor a = fp32.embeddings.streams[s], b = bf16.embeddings.streams[s].to(torch::kFloat);
    double rel = ((a - b).norm() / a.norm()).item<double>();
    EXPECT_LT(rel, 0.05) << StreamName(s);
    rel = ((text32.streams[s] - text16.streams[s].to(torch::kFloat)).norm() /
           text32.streams[s].norm()).item<double>();
    EXPECT_LT(rel, 0.05) << StreamName(s);
  }
  // The guard restored fp32 execution.
  EXPECT_EQ(model->EncodeText(texts_).streams[kFusion].scalar_type(), torch::kFloat32);
  EXPECT_FALSE(CheckPrecision(PRECISION_FP16, torch::kCPU).ok());
}

}  // namespace
}  // namespace camoe
