#include "worker/camoe/aggregators.h"

#include <limits>

#include "worker/model/clip_model.h"

namespace camoe {
namespace {

// Zeroes padding frames so that nothing downstream can read their content.
torch::Tensor ZeroPadding(const torch::Tensor& x, const torch::Tensor& mask) {
  return x * mask.unsqueeze(-1).to(x.scalar_type());
}

}  // namespace

torch::Tensor MaskedMean(const torch::Tensor& x, const torch::Tensor& mask) {
  torch::Tensor m = mask.unsqueeze(-1).to(x.scalar_type());
  return (x * m).sum(1) / m.sum(1).clamp_min(1.0);
}

torch::Tensor MeanAggregatorImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  return MaskedMean(x, mask);
}

SeAggregatorImpl::SeAggregatorImpl(int64_t frames, int64_t reduction) : frames_(frames) {
  const int64_t hidden = std::max<int64_t>(1, frames / std::max<int64_t>(1, reduction));
  squeeze_fc_ = register_module("squeeze_fc", torch::nn::Linear(frames, hidden));
  excite_fc_ = register_module("excite_fc", torch::nn::Linear(hidden, frames));
}

torch::Tensor SeAggregatorImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  TORCH_CHECK(x.size(1) <= frames_, "SE aggregator built for ", frames_, " frames, got ",
              x.size(1));
  torch::Tensor clean = ZeroPadding(x, mask);
  torch::Tensor scores = clean.mean(-1);  // [B, C]
  if (x.size(1) < frames_) {
    // Fewer frames than the FFN's width: the missing positions read as padding.
    scores = torch::nn::functional::pad(
        scores, torch::nn::functional::PadFuncOptions({0, frames_ - x.size(1)}));
  }
  torch::Tensor weights =
      torch::sigmoid(excite_fc_(torch::relu(squeeze_fc_(scores)))).narrow(1, 0, x.size(1));
  torch::Tensor m = mask.to(x.scalar_type());
  weights = weights * m;
  last_weights_ = weights.detach();
  return (clean * weights.unsqueeze(-1)).sum(1) / m.sum(1, true).clamp_min(1.0);
}

namespace {

// One pre-LN transformer layer over frames, in the shape of CLIP's blocks.
class FrameBlockImpl : public torch::nn::Module {
 public:
  FrameBlockImpl(int64_t width, int64_t heads) {
    attn_ = register_module("attn", SelfAttention(width, heads));
    ln_1_ = register_module("ln_1", LayerNormFp32(width));
    c_fc_ = register_module("c_fc", torch::nn::Linear(width, 4 * width));
    c_proj_ = register_module("c_proj", torch::nn::Linear(4 * width, width));
    ln_2_ = register_module("ln_2", LayerNormFp32(width));
    torch::NoGradGuard no_grad;
    const double std = std::pow(static_cast<double>(width), -0.5);
    attn_->in_proj_weight.normal_(0, std);
    // Zero residual outputs: the block starts as the identity.
    attn_->out_proj->weight.zero_();
    attn_->out_proj->bias.zero_();
    c_proj_->weight.zero_();
    c_proj_->bias.zero_();
  }

  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) {
    torch::Tensor h = x + attn_(ln_1_(x), mask);
    torch::Tensor m = c_fc_(ln_2_(h));
    return h + c_proj_(m * torch::sigmoid(1.702 * m));
  }

 private:
  SelfAttention attn_{nullptr};
  LayerNormFp32 ln_1_{nullptr}, ln_2_{nullptr};
  torch::nn::Linear c_fc_{nullptr}, c_proj_{nullptr};
};
TORCH_MODULE(FrameBlock);

}  // namespace

SelfAttentionAggregatorImpl::SelfAttentionAggregatorImpl(int64_t width, int64_t frames,
                                                         int64_t heads, int64_t layers)
    : frames_(frames) {
  frame_position_embedding =
      register_parameter("frame_position_embedding", torch::zeros({frames, width}));
  auto list = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i) {
    FrameBlock block(width, heads);
    list->push_back(block);
    blocks_.push_back(block.ptr());
  }
}

torch::Tensor SelfAttentionAggregatorImpl::forward(const torch::Tensor& x,
                                                   const torch::Tensor& mask) {
  const int64_t frames = x.size(1);
  TORCH_CHECK(frames <= frames_, "self-attention aggregator built for ", frames_,
              " frames, got ", frames);
  torch::Tensor h = ZeroPadding(x, mask) + frame_position_embedding.narrow(0, 0, frames);
  // Padding frames are never keys; every real frame attends to real frames only.
  const double neg_inf = -std::numeric_limits<double>::infinity();
  torch::Tensor key_mask = torch::zeros(mask.sizes(), h.options())
                               .masked_fill(mask.logical_not(), neg_inf)
                               .view({x.size(0), 1, 1, frames});
  for (auto& block : blocks_) {
    h = std::static_pointer_cast<FrameBlockImpl>(block)->forward(h, key_mask);
  }
  return MaskedMean(h, mask);
}

std::shared_ptr<FrameAggregatorImpl> MakeAggregator(const AggregatorConfig& config, int64_t width,
                                                    int64_t frames) {
  switch (config.kind()) {
    case AGGREGATOR_MEAN:
      return std::make_shared<MeanAggregatorImpl>();
    case AGGREGATOR_SELF_ATTENTION:
      return std::make_shared<SelfAttentionAggregatorImpl>(width, frames, config.attention_heads(),
                                                           config.attention_layers());
    case AGGREGATOR_SE:
    default:
      return std::make_shared<SeAggregatorImpl>(frames, config.se_reduction());
  }
}

}  // namespace camoe
