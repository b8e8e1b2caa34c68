#include "worker/camoe/camoe_model.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"

namespace camoe {
namespace {

constexpr int32_t kSotId = 49406;
constexpr int32_t kEotId = 49407;

absl::Status CheckAggregator(const AggregatorConfig& a, int64_t width, const std::string& path) {
  if (a.se_reduction() < 1 || a.se_reduction() > 1024) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s.se_reduction: %d is out of range [1, 1024]", path, a.se_reduction()));
  }
  if (a.kind() == AGGREGATOR_SELF_ATTENTION) {
    if (a.attention_layers() < 1 || a.attention_layers() > 12) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s.attention_layers: %d is out of range [1, 12]", path, a.attention_layers()));
    }
    if (a.attention_heads() < 1 || width % a.attention_heads() != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s.attention_heads: %d must divide the embedding size %d", path, a.attention_heads(),
          width));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CamoeConfig> ResolveCamoeConfig(const CamoeConfig& config, int64_t width,
                                               const std::string& path) {
  CamoeConfig out = config;
  // An expert whose kind was not written takes its role's default from the paper.
  auto fill = [](AggregatorConfig* a, AggregatorKind role_default) {
    if (!a->has_kind() || a->kind() == AGGREGATOR_UNSPECIFIED) a->set_kind(role_default);
  };
  fill(out.mutable_fusion_expert(), AGGREGATOR_SE);
  fill(out.mutable_entity_expert(), AGGREGATOR_SELF_ATTENTION);
  fill(out.mutable_action_expert(), AGGREGATOR_SELF_ATTENTION);
  fill(out.mutable_gate_input(), AGGREGATOR_SE);
  if (out.variant() == MOE_UNSPECIFIED) out.set_variant(MOE_SINGLE_GATE);
  if (out.sentence() == SENTENCE_UNSPECIFIED) out.set_sentence(SENTENCE_MUW);
  if (out.max_frames() < 1 || out.max_frames() > 1024) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s.max_frames: %d is out of range [1, 1024]", path, out.max_frames()));
  }
  CAMOE_RETURN_IF_ERROR(CheckAggregator(out.fusion_expert(), width, path + ".fusion_expert"));
  CAMOE_RETURN_IF_ERROR(CheckAggregator(out.entity_expert(), width, path + ".entity_expert"));
  CAMOE_RETURN_IF_ERROR(CheckAggregator(out.action_expert(), width, path + ".action_expert"));
  CAMOE_RETURN_IF_ERROR(CheckAggregator(out.gate_input(), width, path + ".gate_input"));
  return out;
}

CamoeHeadsImpl::CamoeHeadsImpl(const CamoeConfig& config, int64_t width) : config_(config) {
  const int64_t frames = config.max_frames();
  const AggregatorConfig* expert_configs[kNumStreams] = {
      &config.fusion_expert(), &config.entity_expert(), &config.action_expert()};
  const bool single_task = config.variant() == MOE_SINGLE_TASK;
  for (int s = 0; s < kNumStreams; ++s) {
    if (single_task && s != kFusion) continue;
    experts_[s] = MakeAggregator(*expert_configs[s], width, frames);
    register_module(std::string(StreamName(s)) + "_expert", experts_[s]);
  }
  for (int s = 0; s < kNumStreams; ++s) {
    const bool gated = (s == kFusion && !single_task) || config.variant() == MOE_MULTI_GATE;
    if (!gated) continue;
    gate_inputs_[s] = MakeAggregator(config.gate_input(), width, frames);
    register_module(std::string(StreamName(s)) + "_gate_input", gate_inputs_[s]);
    gate_proj_[s] = register_module(std::string(StreamName(s)) + "_gate_proj",
                                    torch::nn::Linear(width, kNumStreams));
  }
}

torch::Tensor CamoeHeadsImpl::Gate(int stream, const torch::Tensor& features,
                                   const torch::Tensor& mask) {
  return torch::softmax(gate_proj_[stream](gate_inputs_[stream]->forward(features, mask)), -1);
}

VideoOutput CamoeHeadsImpl::forward(const torch::Tensor& features, const torch::Tensor& mask) {
  VideoOutput out;
  torch::Tensor expert_outputs[kNumStreams];
  for (int s = 0; s < kNumStreams; ++s) {
    if (experts_[s]) expert_outputs[s] = experts_[s]->forward(features, mask);
  }
  if (config_.variant() == MOE_SINGLE_TASK) {
    out.embeddings.streams[kFusion] = expert_outputs[kFusion];
    return out;
  }
  // [B, 3, D]: the experts stacked in stream order.
  torch::Tensor stacked = torch::stack(
      {expert_outputs[kFusion], expert_outputs[kEntity], expert_outputs[kAction]}, 1);
  for (int s = 0; s < kNumStreams; ++s) {
    if (gate_proj_[s]) {
      torch::Tensor g = Gate(s, features, mask);  // [B, 3]
      out.embeddings.streams[s] = (g.unsqueeze(-1) * stacked).sum(1);
      if (s == kFusion) out.gate_weights = g;
    } else {
      // Entity and action streams are ungated in the paper (gating them overfits).
      out.embeddings.streams[s] = expert_outputs[s];
    }
  }
  return out;
}

CamoeModelImpl::CamoeModelImpl(const ClipConfig& clip_config, const CamoeConfig& camoe)
    : config_(camoe) {
  clip = register_module("clip", ClipModel(clip_config));
  heads = register_module("heads", CamoeHeads(camoe, clip_config.embed_dim()));
}

void CamoeModelImpl::ResetParameters(uint64_t seed) {
  clip->ResetParameters(seed);
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed ^ 0x9e3779b97f4a7c15ULL);
  for (auto& p : heads->named_parameters()) {
    const std::string& name = p.key();
    torch::Tensor t = p.value();
    // Residual outputs and frame position embeddings start at zero so a fresh
    // self-attention aggregator equals mean pooling (docs/model.md).
    const bool zero = name.find("frame_position_embedding") != std::string::npos ||
                      name.find("out_proj") != std::string::npos ||
                      name.find("c_proj") != std::string::npos ||
                      (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0);
    if (zero) {
      t.zero_();
    } else if (name.find(".ln_") != std::string::npos) {
      t.fill_(1.0);
    } else if (name.find("in_proj_weight") != std::string::npos) {
      t.normal_(0, std::pow(static_cast<double>(t.size(1)), -0.5), gen);
    } else if (t.dim() == 2) {
      // PyTorch's default for Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
      const double bound = std::pow(static_cast<double>(t.size(1)), -0.5);
      t.uniform_(-bound, bound, gen);
    }
  }
}

bool CamoeModelImpl::HasStream(int stream) const {
  return stream == kFusion || config_.variant() != MOE_SINGLE_TASK;
}

torch::Tensor CamoeModelImpl::EncodeFrames(const VideoInput& video) {
  const auto& f = video.frames;
  TORCH_CHECK(f.dim() == 5 && video.frame_mask.dim() == 2, "frames must be [B, C, 3, R, R]");
  const int64_t batch = f.size(0), frames = f.size(1);
  torch::Tensor flat_mask = video.frame_mask.reshape({-1});
  torch::Tensor real = flat_mask.nonzero().squeeze(1);
  // Only real frames go through the vision tower; padding rows stay zero.
  torch::Tensor encoded = clip->EncodeImage(f.reshape({batch * frames, f.size(2), f.size(3),
                                                      f.size(4)}).index_select(0, real));
  torch::Tensor features =
      torch::zeros({batch * frames, encoded.size(1)}, encoded.options())
          .index_copy(0, real, encoded);
  return features.view({batch, frames, -1});
}

VideoOutput CamoeModelImpl::EncodeVideo(const VideoInput& video) {
  return heads(EncodeFrames(video), video.frame_mask);
}

torch::Tensor CamoeModelImpl::AverageKeywordEmbedding(const torch::Tensor& token_outputs,
                                                      const torch::Tensor& tokens,
                                                      const torch::Tensor& keep) {
  torch::Tensor keyword = keep.to(torch::kBool) & (tokens != kSotId) & (tokens != kEotId);
  torch::Tensor pooled = MaskedMean(token_outputs, keyword);
  return torch::matmul(pooled, clip->text_projection);
}

StreamEmbeddings CamoeModelImpl::EncodeText(const TextInput& text) {
  StreamEmbeddings out;
  const auto variant = config_.variant();
  if (variant == MOE_SINGLE_TASK || variant == MOE_MTAC) {
    torch::Tensor full = clip->EncodeText(text.tokens);
    out.streams[kFusion] = full;
    if (variant == MOE_MTAC) out.streams[kEntity] = out.streams[kAction] = full;
    return out;
  }
  const int64_t batch = text.tokens.size(0);
  switch (config_.sentence()) {
    case SENTENCE_RKW:
      out.streams[kFusion] = clip->EncodeText(text.tokens);
      out.streams[kEntity] = clip->EncodeText(text.entity_tokens);
      out.streams[kAction] = clip->EncodeText(text.action_tokens);
      break;
    case SENTENCE_AKWE: {
      torch::Tensor outputs = clip->EncodeTextTokens(text.tokens);
      torch::Tensor eot = text.tokens.argmax(-1);
      torch::Tensor rows = torch::arange(batch, eot.options());
      out.streams[kFusion] = torch::matmul(outputs.index({rows, eot}), clip->text_projection);
      out.streams[kEntity] = AverageKeywordEmbedding(outputs, text.tokens, text.entity_keep);
      out.streams[kAction] = AverageKeywordEmbedding(outputs, text.tokens, text.action_keep);
      break;
    }
    case SENTENCE_MUW:
    default: {
      // One pass over 3B sequences: the full caption, then each stream's
      // keywords with every other word masked out of attention.
      torch::Tensor all = torch::ones(text.tokens.sizes(), torch::kBool);
      torch::Tensor tokens = torch::cat({text.tokens, text.tokens, text.tokens});
      torch::Tensor keep = torch::cat({all.to(text.tokens.device()),
                                       text.entity_keep.to(torch::kBool),
                                       text.action_keep.to(torch::kBool)});
      torch::Tensor encoded = clip->EncodeText(tokens, keep);
      out.streams[kFusion] = encoded.narrow(0, 0, batch);
      out.streams[kEntity] = encoded.narrow(0, batch, batch);
      out.streams[kAction] = encoded.narrow(0, 2 * batch, batch);
      break;
    }
  }
  return out;
}

}  // namespace camoe
