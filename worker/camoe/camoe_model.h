// The CAMoE model: CLIP encoders plus the multi-stream heads of the paper.
//
// Video side: every real frame goes through CLIP's vision tower ([B, C, D]
// frame features); three experts aggregate them (fusion: SE attention,
// entity and action: self-attention by default) and a gate (softmax over the
// experts from an SE-aggregated input) mixes all three into the fusion
// stream's video vector, while the entity and action streams use their
// experts as they are. Text side: the fusion stream encodes the full caption;
// the entity and action streams encode the caption's nouns and verbs with the
// configured sentence strategy (MUW, RKW or AKWE). Variants for the paper's
// ablations: single task, MTAC and multi-gate (CamoeConfig.variant).
//
// Inputs are tensors; worker/pos builds the token ids and keyword masks. The
// module is not thread-safe while training; concurrent no-grad forwards are fine.
#ifndef CAMOE_WORKER_CAMOE_CAMOE_MODEL_H_
#define CAMOE_WORKER_CAMOE_CAMOE_MODEL_H_

#include <torch/torch.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "camoe/config.pb.h"
#include "worker/camoe/aggregators.h"
#include "worker/camoe/streams.h"
#include "worker/model/clip_model.h"

namespace camoe {


struct VideoInput {
  torch::Tensor frames;      // [B, C, 3, R, R] float, CLIP-normalised
  torch::Tensor frame_mask;  // [B, C] bool, true = real frame; at least one per video
};

struct TextInput {
  torch::Tensor tokens;       // [B, L] int64: SOT ... EOT, zero padded
  torch::Tensor entity_keep;  // [B, L] bool: SOT, EOT and entity keyword tokens (MUW, AKWE)
  torch::Tensor action_keep;  // [B, L] bool: SOT, EOT and action keyword tokens
  torch::Tensor entity_tokens;  // [B, L'] int64: RKW sentence of the nouns (RKW only)
  torch::Tensor action_tokens;  // [B, L'] int64: RKW sentence of the verbs (RKW only)
  torch::Tensor has_entity;   // [B] bool: the caption has an entity keyword
  torch::Tensor has_action;   // [B] bool
};

// Per-stream embeddings, each [B, D] (projected, not normalised). Streams a
// variant does not have are undefined tensors.
struct StreamEmbeddings {
  torch::Tensor streams[kNumStreams];
};

struct VideoOutput {
  StreamEmbeddings embeddings;
  // [B, 3] gate weights over (fusion, entity, action) experts for the fusion
  // stream; undefined for the single-task variant. Multi-gate: fusion's gate.
  torch::Tensor gate_weights;
};

// Fills the role defaults the schema cannot express (entity and action experts
// default to self-attention) and checks ranges. `width` is the embedding size.
absl::StatusOr<CamoeConfig> ResolveCamoeConfig(const CamoeConfig& config, int64_t width,
                                               const std::string& path = "model.camoe");

// The video-side heads: experts and gate(s) over frame features.
class CamoeHeadsImpl : public torch::nn::Module {
 public:
  // REQUIRES: `config` from ResolveCamoeConfig.
  CamoeHeadsImpl(const CamoeConfig& config, int64_t width);
  // features: [B, C, D]; mask: [B, C] bool.
  VideoOutput forward(const torch::Tensor& features, const torch::Tensor& mask);

 private:
  torch::Tensor Gate(int stream, const torch::Tensor& features, const torch::Tensor& mask);

  CamoeConfig config_;
  std::shared_ptr<FrameAggregatorImpl> experts_[kNumStreams];
  // Gate input aggregators and projections, one per gated stream.
  std::shared_ptr<FrameAggregatorImpl> gate_inputs_[kNumStreams];
  torch::nn::Linear gate_proj_[kNumStreams] = {nullptr, nullptr, nullptr};
};
TORCH_MODULE(CamoeHeads);

class CamoeModelImpl : public torch::nn::Module {
 public:
  // REQUIRES: validated configs; `camoe` from ResolveCamoeConfig.
  CamoeModelImpl(const ClipConfig& clip, const CamoeConfig& camoe);

  // CLIP image features of every real frame: [B, C, D] (padding rows zero).
  torch::Tensor EncodeFrames(const VideoInput& video);
  VideoOutput EncodeVideo(const VideoInput& video);
  StreamEmbeddings EncodeText(const TextInput& text);
  // exp(logit_scale) clamped at 100.
  torch::Tensor LogitScale() const { return clip->LogitScale(); }

  const CamoeConfig& config() const { return config_; }
  bool HasStream(int stream) const;

  // Initialises every parameter (CLIP's and the heads') from `seed` with its
  // own generator, so replicas built concurrently on threads agree.
  void ResetParameters(uint64_t seed);

  ClipModel clip{nullptr};
  CamoeHeads heads{nullptr};

 private:
  // Mean of the keyword tokens' outputs (keep without SOT/EOT), projected.
  torch::Tensor AverageKeywordEmbedding(const torch::Tensor& token_outputs,
                                        const torch::Tensor& tokens, const torch::Tensor& keep);

  CamoeConfig config_;
};
TORCH_MODULE(CamoeModel);

}  // namespace camoe

#endif  // CAMOE_WORKER_CAMOE_CAMOE_MODEL_H_
