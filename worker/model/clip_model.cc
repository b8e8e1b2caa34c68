#include "worker/model/clip_model.h"

#include <cmath>
#include <limits>

#include "absl/strings/match.h"

namespace camoe {
namespace {

// The attention core, [B, H, L, hd] each. SDPA where libtorch has it (2.x); the
// explicit form otherwise, which is what SDPA computes for float masks.
torch::Tensor Attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const torch::Tensor& mask) {
#if TORCH_VERSION_MAJOR >= 2
  // An undefined tensor inside the optional would count as a mask: pass nullopt.
  c10::optional<at::Tensor> attn_mask;
  if (mask.defined()) attn_mask = mask.to(q.scalar_type());
  return at::scaled_dot_product_attention(q, k, v, attn_mask);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
  if (mask.defined()) scores = scores + mask.to(scores.scalar_type());
  return torch::matmul(torch::softmax(scores, -1), v);
#endif
}

torch::Tensor QuickGelu(const torch::Tensor& x) { return x * torch::sigmoid(1.702 * x); }

}  // namespace

LayerNormFp32Impl::LayerNormFp32Impl(int64_t dim) : dim_(dim) {
  weight = register_parameter("weight", torch::ones({dim}));
  bias = register_parameter("bias", torch::zeros({dim}));
}

torch::Tensor LayerNormFp32Impl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::layer_norm(x.to(torch::kFloat32), {dim_}, weight.to(torch::kFloat32),
                                      bias.to(torch::kFloat32), 1e-5);
  return y.to(x.scalar_type());
}

SelfAttentionImpl::SelfAttentionImpl(int64_t width, int64_t heads) : heads_(heads) {
  TORCH_CHECK(heads > 0 && width % heads == 0, "width ", width, " not divisible by ", heads);
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj = register_module("out_proj", torch::nn::Linear(width, width));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const int64_t batch = x.size(0), length = x.size(1), width = x.size(2);
  // [B, L, 3W] -> [3, B, H, L, head_dim]
  torch::Tensor qkv = torch::linear(x, in_proj_weight, in_proj_bias)
                          .view({batch, length, 3, heads_, width / heads_})
                          .permute({2, 0, 3, 1, 4});
  torch::Tensor out = Attend(qkv[0], qkv[1], qkv[2], mask);
  return out_proj(out.transpose(1, 2).reshape({batch, length, width}));
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(int64_t width, int64_t heads) {
  attn_ = register_module("attn", SelfAttention(width, heads));
  ln_1_ = register_module("ln_1", LayerNormFp32(width));
  mlp_ = register_module(
      "mlp", torch::nn::Sequential({{"c_fc", torch::nn::Linear(width, 4 * width)},
                                    {"gelu", torch::nn::Functional(QuickGelu)},
                                    {"c_proj", torch::nn::Linear(4 * width, width)}}));
  ln_2_ = register_module("ln_2", LayerNormFp32(width));
}

torch::Tensor ResidualAttentionBlockImpl::forward(const torch::Tensor& x,
                                                  const torch::Tensor& mask) {
  torch::Tensor h = x + attn_(ln_1_(x), mask);
  return h + mlp_->forward(ln_2_(h));
}

TransformerImpl::TransformerImpl(int64_t width, int64_t layers, int64_t heads) {
  auto list = register_module("resblocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < layers; ++i) {
    blocks_.push_back(ResidualAttentionBlock(width, heads));
    list->push_back(blocks_.back());
  }
}

torch::Tensor TransformerImpl::forward(torch::Tensor x, const torch::Tensor& mask) {
  for (auto& block : blocks_) x = block(x, mask);
  return x;
}

VisionTransformerImpl::VisionTransformerImpl(const VisionConfig& config, int64_t embed_dim)
    : config_(config) {
  const int64_t width = config.width();
  const int64_t grid = config.image_resolution() / config.patch_size();
  class_embedding = register_parameter("class_embedding", torch::zeros({width}));
  positional_embedding =
      register_parameter("positional_embedding", torch::zeros({grid * grid + 1, width}));
  proj = register_parameter("proj", torch::zeros({width, embed_dim}));
  conv1_ = register_module(
      "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, width, config.patch_size())
                                     .stride(config.patch_size())
                                     .bias(false)));
  ln_pre_ = register_module("ln_pre", LayerNormFp32(width));
  transformer_ = register_module("transformer",
                                 Transformer(width, config.layers(), config.heads()));
  ln_post_ = register_module("ln_post", LayerNormFp32(width));
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& images) {
  const int64_t r = config_.image_resolution();
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == r &&
                  images.size(3) == r,
              "images must be [B, 3, ", r, ", ", r, "], got ", images.sizes());
  torch::Tensor x = conv1_(images.to(proj.scalar_type()));  // [B, W, g, g]
  x = x.flatten(2).transpose(1, 2);                          // [B, g*g, W]
  torch::Tensor cls = class_embedding.view({1, 1, -1}).expand({x.size(0), 1, x.size(2)});
  x = torch::cat({cls, x}, 1) + positional_embedding;
  x = transformer_(ln_pre_(x));
  return torch::matmul(ln_post_(x.select(1, 0)), proj);
}

ClipModelImpl::ClipModelImpl(const ClipConfig& config) : config_(config) {
  const TextConfig& text = config.text();
  visual = register_module("visual", VisionTransformer(config.vision(), config.embed_dim()));
  token_embedding =
      register_module("token_embedding", torch::nn::Embedding(text.vocab_size(), text.width()));
  positional_embedding = register_parameter("positional_embedding",
                                            torch::zeros({text.context_length(), text.width()}));
  transformer_ = register_module("transformer",
                                 Transformer(text.width(), text.layers(), text.heads()));
  ln_final_ = register_module("ln_final", LayerNormFp32(text.width()));
  text_projection =
      register_parameter("text_projection", torch::zeros({text.width(), config.embed_dim()}));
  logit_scale = register_parameter("logit_scale", torch::tensor(config.init_logit_scale()));
  ResetParameters(0);
}

torch::Tensor ClipModelImpl::EncodeImage(const torch::Tensor& images) { return visual(images); }

torch::Tensor ClipModelImpl::EncodeTextTokens(const torch::Tensor& tokens,
                                              const torch::Tensor& keep) {
  const int64_t batch = tokens.size(0), length = tokens.size(1);
  TORCH_CHECK(length <= config_.text().context_length(), "text of ", length,
              " tokens exceeds context length ", config_.text().context_length());
  torch::Tensor x = token_embedding(tokens) + positional_embedding.slice(0, 0, length);
  const auto options = torch::TensorOptions().dtype(x.scalar_type()).device(x.device());
  const double neg_inf = -std::numeric_limits<double>::infinity();
  torch::Tensor mask = torch::full({length, length}, neg_inf, options).triu(1);
  if (keep.defined()) {
    TORCH_CHECK(keep.sizes() == tokens.sizes(), "keep mask must match tokens");
    torch::Tensor kept = keep.to(torch::kBool).clone();
    kept.select(1, 0).fill_(true);  // SOT: every query keeps one key
    torch::Tensor key_mask =
        torch::zeros({batch, length}, options).masked_fill(kept.logical_not(), neg_inf);
    mask = mask.view({1, 1, length, length}) + key_mask.view({batch, 1, 1, length});
  }
  return ln_final_(transformer_(x, mask));
}

torch::Tensor ClipModelImpl::EncodeText(const torch::Tensor& tokens, const torch::Tensor& keep) {
  torch::Tensor x = EncodeTextTokens(tokens, keep);
  // EOT has the largest id, so argmax finds it (OpenAI's pooling rule).
  torch::Tensor eot = tokens.argmax(-1);
  torch::Tensor rows = torch::arange(tokens.size(0), eot.options());
  return torch::matmul(x.index({rows, eot}), text_projection);
}

torch::Tensor ClipModelImpl::LogitScale() const { return logit_scale.exp().clamp_max(100.0); }

void ClipModelImpl::ResetParameters(uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed);
  // OpenAI's scheme: small normals for embeddings and projections, residual
  // branches scaled by depth; biases zero, LayerNorm identity.
  auto init_blocks = [&](const std::string& prefix, double width, double layers) {
    const double attn_std = std::pow(width, -0.5);
    const double proj_std = attn_std * std::pow(2 * layers, -0.5);
    const double fc_std = std::pow(2 * width, -0.5);
    for (auto& p : named_parameters()) {
      const std::string& name = p.key();
      if (!absl::StartsWith(name, prefix)) continue;
      if (absl::EndsWith(name, ".bias")) {
        p.value().zero_();
      } else if (absl::EndsWith(name, "ln_1.weight") || absl::EndsWith(name, "ln_2.weight")) {
        p.value().fill_(1.0);
      } else if (absl::EndsWith(name, "in_proj_weight")) {
        p.value().normal_(0, attn_std, gen);
      } else if (absl::EndsWith(name, "c_fc.weight")) {
        p.value().normal_(0, fc_std, gen);
      } else if (absl::EndsWith(name, "out_proj.weight") || absl::EndsWith(name, "c_proj.weight")) {
        p.value().normal_(0, proj_std, gen);
      }
    }
  };
  const TextConfig& text = config_.text();
  const VisionConfig& vision = config_.vision();
  const double vscale = std::pow(vision.width(), -0.5);
  token_embedding->weight.normal_(0, 0.02, gen);
  positional_embedding.normal_(0, 0.01, gen);
  init_blocks("transformer.resblocks.", text.width(), text.layers());
  text_projection.normal_(0, std::pow(text.width(), -0.5), gen);
  visual->class_embedding.normal_(0, vscale, gen);
  visual->positional_embedding.normal_(0, vscale, gen);
  visual->proj.normal_(0, vscale, gen);
  for (auto& p : visual->named_parameters()) {
    if (p.key() == "conv1.weight") {
      p.value().normal_(0, std::pow(3.0 * vision.patch_size() * vision.patch_size(), -0.5), gen);
    }
  }
  init_blocks("visual.transformer.resblocks.", vision.width(), vision.layers());
  for (auto& p : named_parameters()) {
    const std::string& name = p.key();
    if (absl::EndsWith(name, "ln_pre.weight") || absl::EndsWith(name, "ln_post.weight") ||
        absl::EndsWith(name, "ln_final.weight")) {
      p.value().fill_(1.0);
    } else if (absl::EndsWith(name, "ln_pre.bias") || absl::EndsWith(name, "ln_post.bias") ||
               absl::EndsWith(name, "ln_final.bias")) {
      p.value().zero_();
    }
  }
  logit_scale.fill_(config_.init_logit_scale());
}

}  // namespace camoe
