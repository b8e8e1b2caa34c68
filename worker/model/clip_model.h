// CLIP's two towers as libtorch modules, with OpenAI's parameter names and
// semantics: pre-LN residual blocks with packed QKV attention, QuickGELU,
// LayerNorm in fp32 (eps 1e-5), causal text mask, EOT pooling, projections
// applied as x @ W, and a learned logit_scale. named_parameters() yields
// exactly ExpectedClipShapes(config) (worker/weights/clip_state_dict.h), so
// weights load by name without any mapping.
//
// Only the model translation units include this header (it pulls in
// <torch/torch.h>); everything else goes through ClipEncoder. A module is not
// thread-safe during training; concurrent forwards under NoGradGuard are fine.
#ifndef CAMOE_WORKER_MODEL_CLIP_MODEL_H_
#define CAMOE_WORKER_MODEL_CLIP_MODEL_H_

#include <torch/torch.h>

#include "camoe/config.pb.h"

namespace camoe {

// LayerNorm that always computes in fp32 and returns the input dtype, so fp16
// and bf16 towers keep fp32 statistics (as OpenAI's LayerNorm subclass does).
class LayerNormFp32Impl : public torch::nn::Module {
 public:
  explicit LayerNormFp32Impl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;

 private:
  int64_t dim_;
};
TORCH_MODULE(LayerNormFp32);

// Multi-head self-attention with PyTorch's packed in_proj_weight [3W, W].
class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int64_t width, int64_t heads);
  // x: [B, L, W]. mask: additive, broadcastable to [B, heads, L, L], or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);
  torch::Tensor in_proj_weight, in_proj_bias;
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(SelfAttention);

class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  ResidualAttentionBlockImpl(int64_t width, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

 private:
  SelfAttention attn_{nullptr};
  LayerNormFp32 ln_1_{nullptr}, ln_2_{nullptr};
  torch::nn::Sequential mlp_{nullptr};  // c_fc, QuickGELU, c_proj
};
TORCH_MODULE(ResidualAttentionBlock);

// A stack of residual blocks, registered as "resblocks.N".
class TransformerImpl : public torch::nn::Module {
 public:
  TransformerImpl(int64_t width, int64_t layers, int64_t heads);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& mask = {});

 private:
  std::vector<ResidualAttentionBlock> blocks_;
};
TORCH_MODULE(Transformer);

class VisionTransformerImpl : public torch::nn::Module {
 public:
  explicit VisionTransformerImpl(const VisionConfig& config, int64_t embed_dim);
  // images: [B, 3, R, R] normalised -> [B, embed_dim] (projected, not normalised).
  torch::Tensor forward(const torch::Tensor& images);

  torch::Tensor class_embedding, positional_embedding, proj;

 private:
  VisionConfig config_;
  torch::nn::Conv2d conv1_{nullptr};
  LayerNormFp32 ln_pre_{nullptr}, ln_post_{nullptr};
  Transformer transformer_{nullptr};
};
TORCH_MODULE(VisionTransformer);

class ClipModelImpl : public torch::nn::Module {
 public:
  explicit ClipModelImpl(const ClipConfig& config);

  // images: [B, 3, R, R] -> [B, D].
  torch::Tensor EncodeImage(const torch::Tensor& images);

  // tokens: [B, L] int64 (SOT ... EOT, zero padded), L <= context_length.
  // keep: optional bool [B, L]; false positions are masked out of attention as
  // keys (the causal mask still applies). Position 0 (SOT) is always kept so no
  // query row is empty. Returns the projected EOT features [B, D].
  torch::Tensor EncodeText(const torch::Tensor& tokens, const torch::Tensor& keep = {});

  // The per-token outputs after ln_final, before projection: [B, L, W_text].
  torch::Tensor EncodeTextTokens(const torch::Tensor& tokens, const torch::Tensor& keep = {});

  // exp(logit_scale) clamped at 100, as a 0-dim tensor.
  torch::Tensor LogitScale() const;

  // Parameter initialisation following OpenAI's scheme, from `seed`.
  void ResetParameters(uint64_t seed);

  const ClipConfig& config() const { return config_; }

  VisionTransformer visual{nullptr};
  torch::nn::Embedding token_embedding{nullptr};
  torch::Tensor positional_embedding, text_projection, logit_scale;

 private:
  ClipConfig config_;
  Transformer transformer_{nullptr};
  LayerNormFp32 ln_final_{nullptr};
};
TORCH_MODULE(ClipModel);

}  // namespace camoe

#endif  // CAMOE_WORKER_MODEL_CLIP_MODEL_H_
