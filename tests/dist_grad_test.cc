// Data-parallel gradients are exact: W ranks (threads) training a tiny CAMoE
// on slices of a global batch end with the same parameter gradients as one
// process on the whole batch; plus the differentiable all-gather, parameter
// broadcast and bucket ordering.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <thread>

#include "tests/camoe_test_util.h"
#include "worker/camoe/losses.h"
#include "worker/dist/thread_communicator.h"
#include "worker/dist/torch_dist.h"

namespace camoe {
namespace {

void RunRanks(int world, const std::function<void(int, Communicator&)>& body) {
  ThreadWorld w(world);
  std::vector<std::unique_ptr<Communicator>> comms;
  for (int r = 0; r < world; ++r) comms.push_back(w.Connect(r, {absl::Seconds(60)}));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) threads.emplace_back([&, r] { body(r, *comms[r]); });
  for (auto& t : threads) t.join();
}

TEST(AllGatherRowsTest, GathersUnevenRowsAndReduceScattersGradients) {
  RunRanks(3, [](int rank, Communicator& comm) {
    // Rank r holds r + 1 rows filled with r.
    torch::Tensor local =
        torch::full({rank + 1, 2}, static_cast<double>(rank), torch::kFloat32).requires_grad_(true);
    torch::Tensor all = AllGatherRows(comm, local);
    ASSERT_EQ(all.size(0), 6);
    EXPECT_EQ(all[0][0].item<float>(), 0.0f);
    EXPECT_EQ(all[1][0].item<float>(), 1.0f);
    EXPECT_EQ(all[5][1].item<float>(), 2.0f);
    // Every rank weights global row i by (i + 1) * (rank + 1); the gradient of
    // the sum over ranks for row i is (i + 1) * (1 + 2 + 3) = 6 (i + 1).
    torch::Tensor weights = torch::arange(1, 7, torch::kFloat32).unsqueeze(1) * (rank + 1);
    (all * weights).sum().backward();
    const int64_t first = rank * (rank + 1) / 2;  // rows before this rank
    for (int64_t i = 0; i <= rank; ++i) {
      EXPECT_FLOAT_EQ(local.grad()[i][0].item<float>(), 6.0f * (first + i + 1));
    }
  });
}

TEST(BroadcastParametersTest, MakesReplicasIdentical) {
  RunRanks(3, [](int rank, Communicator& comm) {
    torch::manual_seed(rank);  // different replicas
    torch::nn::Linear layer(8, 4);
    auto params = layer->parameters();
    auto agree = ParametersAgree(comm, params);
    ASSERT_TRUE(agree.ok());
    EXPECT_FALSE(*agree);
    ASSERT_TRUE(BroadcastParameters(comm, params).ok());
    agree = ParametersAgree(comm, params);
    ASSERT_TRUE(agree.ok());
    EXPECT_TRUE(*agree);
  });
}

// Slices rows [begin, begin + n) of every tensor of a batch.
VideoInput Slice(const VideoInput& v, int64_t begin, int64_t n) {
  return {v.frames.narrow(0, begin, n), v.frame_mask.narrow(0, begin, n)};
}
TextInput Slice(const TextInput& t, int64_t begin, int64_t n) {
  TextInput s = t;
  for (torch::Tensor* x : {&s.tokens, &s.entity_keep, &s.action_keep, &s.entity_tokens,
                           &s.action_tokens, &s.has_entity, &s.has_action}) {
    *x = x->narrow(0, begin, n);
  }
  return s;
}

struct Setup {
  CamoeConfig heads;
  ClipConfig clip;
  VideoInput videos;
  TextInput texts;
  LossConfig loss;
};

Setup MakeSetup() {
  Setup s;
  s.clip = testing::TinyCamoeClip();
  s.heads = *ResolveCamoeConfig(testing::TinyCamoeHeads(), 32);
  s.videos = testing::RandomVideos(8, 4, 32, 21);
  s.texts = testing::RandomTexts(8, 12, 22);
  s.texts.has_entity[3] = false;  // one caption without an entity keyword
  return s;
}

// One process, the whole batch, from `initial` parameter values.
std::vector<torch::Tensor> ReferenceGradients(const Setup& s,
                                              const std::vector<torch::Tensor>& initial) {
  CamoeModel model(s.clip, s.heads);
  {
    torch::NoGradGuard no_grad;
    auto params = model->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(initial[i]);
  }
  VideoOutput video = model->EncodeVideo(s.videos);
  StreamEmbeddings text = model->EncodeText(s.texts);
  LossOutput loss = CamoeLoss(text, video.embeddings, s.texts.has_entity, s.texts.has_action,
                              model->LogitScale(), s.loss);
  loss.total.backward();
  std::vector<torch::Tensor> grads;
  for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
  return grads;
}

void ExpectDataParallelGradientsExact(int world, int64_t bucket_bytes) {
  const Setup s = MakeSetup();
  // The global RNG is shared by the rank threads: draw the initialisation here.
  torch::manual_seed(0);
  std::vector<torch::Tensor> initial;
  for (const auto& p : CamoeModel(s.clip, s.heads)->parameters()) initial.push_back(p.detach().clone());
  const std::vector<torch::Tensor> expected = ReferenceGradients(s, initial);
  const int64_t local = 8 / world;
  std::vector<std::vector<torch::Tensor>> got(world);
  std::vector<double> hidden(world);
  RunRanks(world, [&](int rank, Communicator& comm) {
    CamoeModel model(s.clip, s.heads);  // replicas start different (shared RNG)...
    auto params = model->parameters();
    if (rank == 0) {
      // ...and rank 0 holds the reference initialisation, which the broadcast spreads.
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < params.size(); ++i) params[i].copy_(initial[i]);
    }
    ASSERT_TRUE(BroadcastParameters(comm, params).ok());
    GradientSyncOptions options;
    options.bucket_bytes = bucket_bytes;
    GradientSynchronizer sync(&comm, params, options);
    sync.Prepare();
    VideoInput videos = Slice(s.videos, rank * local, local);
    TextInput texts = Slice(s.texts, rank * local, local);
    VideoOutput video = model->EncodeVideo(videos);
    StreamEmbeddings text = model->EncodeText(texts);
    StreamEmbeddings global_video, global_text;
    for (int st = 0; st < kNumStreams; ++st) {
      global_video.streams[st] = AllGatherRows(comm, video.embeddings.streams[st]);
      global_text.streams[st] = AllGatherRows(comm, text.streams[st]);
    }
    torch::Tensor has_entity = AllGatherRows(comm, texts.has_entity.to(torch::kFloat32)) > 0.5;
    torch::Tensor has_action = AllGatherRows(comm, texts.has_action.to(torch::kFloat32)) > 0.5;
    LossOutput loss = CamoeLoss(global_text, global_video, has_entity, has_action,
                                model->LogitScale(), s.loss);
    (loss.total / world).backward();
    auto stats = sync.Finish();
    ASSERT_TRUE(stats.ok()) << stats.status();
    hidden[rank] = stats->hidden_fraction();
    for (const auto& p : params) got[rank].push_back(p.grad().clone());
  });
  // Per parameter tensor: ||g_W - g_1|| / ||g_1|| <= 1e-5 (tensors whose
  // gradient is essentially zero are compared against 1e-6 of the largest norm).
  double largest = 0;
  for (const auto& g : expected) largest = std::max(largest, g.norm().item<double>());
  double worst = 0;
  for (int r = 0; r < world; ++r) {
    ASSERT_EQ(got[r].size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      const double norm = std::max(expected[i].norm().item<double>(), 1e-6 * largest);
      const double rel = (got[r][i] - expected[i]).norm().item<double>() / norm;
      worst = std::max(worst, rel);
      EXPECT_LT(rel, 1e-5) << "world " << world << " rank " << r << " parameter " << i;
    }
  }
  std::printf("world %d: worst per-tensor relative gradient difference %.2e\n", world, worst);
  std::printf("world %d: gradients match one process; hidden fraction on rank 0: %.2f\n", world,
              hidden[0]);
}

TEST(DataParallelTest, TwoRanksGiveTheSingleProcessGradients) {
  ExpectDataParallelGradientsExact(2, 25 << 20);
}

TEST(DataParallelTest, FourRanksWithSmallBucketsGiveTheSingleProcessGradients) {
  ExpectDataParallelGradientsExact(4, 64 << 10);
}

TEST(GradientSynchronizerTest, BucketsFillInReverseParameterOrder) {
  ThreadWorld world(1);
  auto comm = world.Connect(0);
  torch::nn::Sequential net(torch::nn::Linear(100, 100), torch::nn::Linear(100, 10));
  GradientSyncOptions options;
  options.bucket_bytes = 100 * 100 * 4;  // the big weight fills a bucket alone
  GradientSynchronizer sync(comm.get(), net->parameters(), options);
  EXPECT_EQ(sync.num_buckets(), 2);
  sync.Prepare();
  net->forward(torch::randn({4, 100})).sum().backward();
  auto stats = sync.Finish();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->buckets, 2);
  EXPECT_EQ(stats->bytes, (100 * 100 + 100 + 100 * 10 + 10) * 4);
  // World size 1: the synchronised gradient is the gradient.
  for (const auto& p : net->parameters()) EXPECT_TRUE(p.grad().defined());
}

TEST(GradientSynchronizerTest, BucketsLaunchDuringBackwardAndEqualOneBucket) {
  // Two ranks; the same model and data on both. Small buckets must give
  // bit-identical gradients to a single bucket, and launch before backward ends.
  std::vector<std::vector<torch::Tensor>> grads(2);
  std::vector<int> from_hooks(2);
  for (int variant = 0; variant < 2; ++variant) {
    RunRanks(2, [&, variant](int rank, Communicator& comm) {
      auto gen = at::detail::createCPUGenerator(5);
      torch::NoGradGuard init;
      std::vector<torch::Tensor> weights;
      for (int layer = 0; layer < 6; ++layer) {
        weights.push_back(torch::randn({64, 64}, gen).mul_(0.1).requires_grad_(true));
      }
      GradientSyncOptions options;
      options.bucket_bytes = variant == 0 ? (int64_t{1} << 30) : 64 * 64 * 4;
      GradientSynchronizer sync(&comm, weights, options);
      sync.Prepare();
      torch::Tensor x = torch::randn({8, 64}, gen) + rank;
      {
        torch::AutoGradMode grad(true);
        for (const auto& w : weights) x = torch::tanh(torch::matmul(x, w));
        x.sum().backward();
      }
      const int launched = sync.launched_from_hooks();
      ASSERT_TRUE(sync.Finish().ok());
      if (rank == 0) {
        from_hooks[variant] = launched;
        for (const auto& w : weights) grads[variant].push_back(w.grad().clone());
      }
    });
  }
  // One bucket completes only with the last gradient: nothing overlaps.
  EXPECT_EQ(from_hooks[0], 1);
  // Six buckets: the first five launch while backward still runs, in order.
  EXPECT_EQ(from_hooks[1], 6);
  ASSERT_EQ(grads[0].size(), grads[1].size());
  for (size_t i = 0; i < grads[0].size(); ++i) EXPECT_TRUE(torch::equal(grads[0][i], grads[1][i]));
}

}  // namespace
}  // namespace camoe
