// Frame aggregators: modules that turn per-frame features x [B, C, d] and a
// frame mask [B, C] (true = a real frame) into one vector per video [B, d].
// CAMoE uses them as experts and as the gate's input (paper Table 5):
//   mean            masked mean over frames
//   SE attention    one weight per frame from a squeeze-excitation FFN over the
//                   C frame scores, then a weighted masked mean
//   self-attention  learned frame position embedding, transformer layer(s) over
//                   the frames with padding frames masked out as keys, masked mean
// Padding frames never influence the output: their features are zeroed before
// anything reads them and they are excluded from every mean. A video needs at
// least one real frame. Modules are not thread-safe while training.
#ifndef CAMOE_WORKER_CAMOE_AGGREGATORS_H_
#define CAMOE_WORKER_CAMOE_AGGREGATORS_H_

#include <torch/torch.h>

#include "camoe/config.pb.h"

namespace camoe {

// Mean over the real frames: sum(x * m) / sum(m).
torch::Tensor MaskedMean(const torch::Tensor& x, const torch::Tensor& mask);

class FrameAggregatorImpl : public torch::nn::Module {
 public:
  // x: [B, C, d]; mask: [B, C] bool. Returns [B, d].
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) = 0;
  // Per-frame weights of the last forward, [B, C] (SE only; undefined otherwise).
  virtual torch::Tensor last_frame_weights() const { return {}; }
};

class MeanAggregatorImpl : public FrameAggregatorImpl {
 public:
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) override;
};

// Squeeze (mean over d) -> Linear(C, hidden) -> ReLU -> Linear(hidden, C) ->
// sigmoid gives w [B, C]; output = sum_c w_c m_c x_c / sum_c m_c. Dividing by
// the frame count (not by sum w) keeps the output on the scale of mean pooling
// while a weight of 0.5 still halves a frame's contribution.
class SeAggregatorImpl : public FrameAggregatorImpl {
 public:
  SeAggregatorImpl(int64_t frames, int64_t reduction);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) override;
  torch::Tensor last_frame_weights() const override { return last_weights_; }

 private:
  int64_t frames_;
  torch::nn::Linear squeeze_fc_{nullptr}, excite_fc_{nullptr};
  torch::Tensor last_weights_;
};

// x + p -> pre-LN transformer layer(s) (multi-head self-attention with padding
// frames masked as keys, QuickGELU MLP) -> masked mean. The position embedding
// and each residual branch's output projection start at zero, so a fresh
// aggregator equals mean pooling and training departs from it smoothly.
class SelfAttentionAggregatorImpl : public FrameAggregatorImpl {
 public:
  SelfAttentionAggregatorImpl(int64_t width, int64_t frames, int64_t heads, int64_t layers);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) override;

  torch::Tensor frame_position_embedding;

 private:
  std::vector<std::shared_ptr<torch::nn::Module>> blocks_;
  int64_t frames_;
};

// Builds the aggregator `config` describes for features of `width` and up to
// `frames` frames. REQUIRES: a validated config (ValidateCamoeConfig).
std::shared_ptr<FrameAggregatorImpl> MakeAggregator(const AggregatorConfig& config, int64_t width,
                                                    int64_t frames);

}  // namespace camoe

#endif  // CAMOE_WORKER_CAMOE_AGGREGATORS_H_
