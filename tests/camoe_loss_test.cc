// InfoNCE and the Dual Softmax Loss against hand computation, finite-difference
// gradients, stream exclusion, and a tiny CAMoE overfitting one batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "tests/camoe_test_util.h"
#include "worker/camoe/losses.h"

namespace camoe {
namespace {

using Matrix = std::vector<std::vector<double>>;

// -mean_i log softmax(row i)[i], written out.
double RowCe(const Matrix& s) {
  double total = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    double z = 0;
    for (double v : s[i]) z += std::exp(v);
    total += -(s[i][i] - std::log(z));
  }
  return total / s.size();
}

Matrix Transpose(const Matrix& s) {
  Matrix t(s[0].size(), std::vector<double>(s.size()));
  for (size_t i = 0; i < s.size(); ++i)
    for (size_t j = 0; j < s[i].size(); ++j) t[j][i] = s[i][j];
  return t;
}

// S * softmax(S / T over dim 0) * N, written out.
Matrix DslRevise(const Matrix& s, double temperature) {
  const size_t n = s.size();
  Matrix out = s;
  for (size_t j = 0; j < n; ++j) {
    double z = 0;
    for (size_t i = 0; i < n; ++i) z += std::exp(s[i][j] / temperature);
    for (size_t i = 0; i < n; ++i) out[i][j] = s[i][j] * std::exp(s[i][j] / temperature) / z * n;
  }
  return out;
}

torch::Tensor ToTensor(const Matrix& m) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(m.size()), static_cast<int64_t>(m[0].size())},
                                 torch::kFloat64);
  for (size_t i = 0; i < m.size(); ++i)
    for (size_t j = 0; j < m[i].size(); ++j) t[i][j] = m[i][j];
  return t;
}

const Matrix kLogits = {{3.0, 1.0, -2.0}, {2.5, 0.5, 0.0}, {-1.0, 4.0, 1.5}};

TEST(LossTest, InfoNceMatchesHandComputation) {
  double expected = (RowCe(kLogits) + RowCe(Transpose(kLogits))) / 2;
  EXPECT_NEAR(SymmetricInfoNce(ToTensor(kLogits)).item<double>(), expected, 1e-12);
}

TEST(LossTest, DualSoftmaxMatchesHandComputation) {
  for (double temperature : {1.0, 3.0, 1000.0}) {
    double expected = (RowCe(DslRevise(kLogits, temperature)) +
                       RowCe(DslRevise(Transpose(kLogits), temperature))) / 2;
    EXPECT_NEAR(DualSoftmaxLoss(ToTensor(kLogits), temperature).item<double>(), expected, 1e-12)
        << "T = " << temperature;
  }
  // The prior changes the loss at small temperatures.
  EXPECT_GT(std::abs(DualSoftmaxLoss(ToTensor(kLogits), 1.0).item<double>() -
                     SymmetricInfoNce(ToTensor(kLogits)).item<double>()), 1e-3);
}

TEST(LossTest, DualSoftmaxTendsToInfoNceAsTemperatureGrows) {
  torch::Tensor s = torch::randn({6, 6}, torch::kFloat64) * 5;
  EXPECT_NEAR(DualSoftmaxLoss(s, 1e12).item<double>(), SymmetricInfoNce(s).item<double>(), 1e-9);
}

// Central differences against autograd, in fp64.
void CheckGradient(const std::function<torch::Tensor(const torch::Tensor&)>& loss) {
  torch::Tensor s = (torch::randn({4, 4}, torch::kFloat64) * 3).requires_grad_(true);
  loss(s).backward();
  torch::Tensor analytic = s.grad().clone();
  torch::NoGradGuard no_grad;
  const double h = 1e-6;
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 4; ++j) {
      torch::Tensor plus = s.detach().clone(), minus = s.detach().clone();
      plus[i][j] += h;
      minus[i][j] -= h;
      double numeric = (loss(plus).item<double>() - loss(minus).item<double>()) / (2 * h);
      EXPECT_NEAR(analytic[i][j].item<double>(), numeric, 1e-6) << i << "," << j;
    }
  }
}

TEST(LossTest, GradientsMatchFiniteDifferences) {
  CheckGradient([](const torch::Tensor& s) { return SymmetricInfoNce(s); });
  CheckGradient([](const torch::Tensor& s) { return DualSoftmaxLoss(s, 2.0); });
  CheckGradient([](const torch::Tensor& s) { return DualSoftmaxLoss(s, 1000.0); });
}

TEST(LossTest, ScaledCosineLogitsNormaliseAndScale) {
  torch::Tensor t = torch::tensor({{3.0, 0.0}, {0.0, 2.0}}, torch::kFloat64);
  torch::Tensor v = torch::tensor({{1.0, 1.0}, {0.0, -5.0}}, torch::kFloat64);
  torch::Tensor logits = ScaledCosineLogits(t, v, torch::tensor(10.0, torch::kFloat64));
  EXPECT_NEAR(logits[0][0].item<double>(), 10 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(logits[1][1].item<double>(), -10.0, 1e-12);
}

StreamEmbeddings RandomStreams(int64_t n, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  StreamEmbeddings e;
  for (auto& s : e.streams) s = torch::randn({n, 8}, gen);
  return e;
}

TEST(CamoeLossTest, StreamsWithoutKeywordsAreExcludedAndCounted) {
  StreamEmbeddings text = RandomStreams(5, 1), video = RandomStreams(5, 2);
  torch::Tensor has_entity = torch::tensor({true, false, true, true, false});
  torch::Tensor has_action = torch::ones({5}, torch::kBool);
  LossConfig config;
  torch::Tensor scale = torch::tensor(20.0f);
  LossOutput out = CamoeLoss(text, video, has_entity, has_action, scale, config);
  EXPECT_EQ(out.excluded[kEntity], 2);
  EXPECT_EQ(out.excluded[kAction], 0);
  torch::Tensor index = torch::tensor({0, 2, 3});
  torch::Tensor entity = DualSoftmaxLoss(
      ScaledCosineLogits(text.streams[kEntity].index_select(0, index),
                         video.streams[kEntity].index_select(0, index), scale),
      config.dsl_temperature());
  EXPECT_NEAR(out.per_stream[kEntity].item<float>(), entity.item<float>(), 1e-6);
  EXPECT_NEAR(out.total.item<float>(),
              (out.per_stream[0] + out.per_stream[1] + out.per_stream[2]).item<float>(), 1e-5);
  // A stream with a single member has nothing to contrast against.
  LossOutput lonely = CamoeLoss(text, video, torch::tensor({true, false, false, false, false}),
                                has_action, scale, config);
  EXPECT_FALSE(lonely.per_stream[kEntity].defined());
}

TEST(CamoeLossTest, WeightsAndLossKindFollowTheConfig) {
  StreamEmbeddings text = RandomStreams(4, 3), video = RandomStreams(4, 4);
  torch::Tensor all = torch::ones({4}, torch::kBool);
  torch::Tensor scale = torch::tensor(10.0f);
  LossConfig config;
  config.set_dsl(false);
  config.set_entity_weight(0.5);
  config.set_action_weight(0.0);
  LossOutput out = CamoeLoss(text, video, all, all, scale, config);
  torch::Tensor fusion =
      SymmetricInfoNce(ScaledCosineLogits(text.streams[0], video.streams[0], scale));
  EXPECT_NEAR(out.per_stream[kFusion].item<float>(), fusion.item<float>(), 1e-6);
  EXPECT_NEAR(out.total.item<float>(),
              (out.per_stream[0] + 0.5 * out.per_stream[1]).item<float>(), 1e-5);
}

TEST(CamoeLossTest, TheLossDoesNotDependOnWhereRowsCameFrom) {
  // A gathered global batch may arrive in any rank order; a joint permutation of
  // texts and videos must not change the loss.
  StreamEmbeddings text = RandomStreams(6, 5), video = RandomStreams(6, 6);
  torch::Tensor all = torch::ones({6}, torch::kBool);
  torch::Tensor perm = torch::tensor({3, 4, 5, 0, 1, 2});
  StreamEmbeddings pt, pv;
  for (int s = 0; s < kNumStreams; ++s) {
    pt.streams[s] = text.streams[s].index_select(0, perm);
    pv.streams[s] = video.streams[s].index_select(0, perm);
  }
  LossConfig config;
  torch::Tensor scale = torch::tensor(30.0f);
  EXPECT_NEAR(CamoeLoss(text, video, all, all, scale, config).total.item<float>(),
              CamoeLoss(pt, pv, all, all, scale, config).total.item<float>(), 1e-5);
}

TEST(CamoeOverfitTest, TinyCamoeOverfitsABatchOfEight) {
  const auto start = std::chrono::steady_clock::now();
  torch::manual_seed(0);
  auto config = ResolveCamoeConfig(testing::TinyCamoeHeads(), 32);
  ASSERT_TRUE(config.ok());
  CamoeModel model(testing::TinyCamoeClip(), *config);
  VideoInput videos = testing::RandomVideos(8, 4, 32, 11);
  TextInput texts = testing::RandomTexts(8, 12, 12);
  LossConfig loss_config;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  double first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    VideoOutput video = model->EncodeVideo(videos);
    StreamEmbeddings text = model->EncodeText(texts);
    LossOutput loss = CamoeLoss(text, video.embeddings, texts.has_entity, texts.has_action,
                                model->LogitScale(), loss_config);
    ASSERT_TRUE(std::isfinite(loss.total.item<double>())) << "step " << step;
    if (step == 0) first = loss.total.item<double>();
    last = loss.total.item<double>();
    optimizer.zero_grad();
    loss.total.backward();
    optimizer.step();
    if (last < first / 20) break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("loss %.4f -> %.4f in %.1f s\n", first, last, seconds);
  EXPECT_LT(last, first / 10);
}

}  // namespace
}  // namespace camoe
