// CLIP parameter names and shapes, torch-free. camoe's CLIP uses OpenAI's
// names ("visual.transformer.resblocks.0.attn.in_proj_weight", ...); this file
// maps other layouts onto them (Hugging Face CLIPModel, open_clip, wrapped
// checkpoints), infers the architecture from shapes, and lists the exact
// names and shapes an architecture needs, so weights are checked key by key
// before any tensor is built. Stateless; thread-safe.
#ifndef CAMOE_WORKER_WEIGHTS_CLIP_STATE_DICT_H_
#define CAMOE_WORKER_WEIGHTS_CLIP_STATE_DICT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "camoe/config.pb.h"
#include "common/tensor_file.h"

namespace camoe {

enum class ClipKeyLayout {
  kOpenAi,      // OpenAI's own names (also open_clip's default CLIP)
  kOpenClipText, // open_clip with the text tower under "text."
  kHuggingFace, // transformers' CLIPModel: split q/k/v, transposed projections
};
const char* ClipKeyLayoutName(ClipKeyLayout layout);

struct CanonicalClipWeights {
  ClipKeyLayout layout = ClipKeyLayout::kOpenAi;
  std::string stripped_prefix;           // e.g. "module.", "clip.", "state_dict."
  std::vector<NamedBuffer> tensors;      // OpenAI names
  std::vector<std::string> dropped;      // non-parameters removed (attn_mask, position_ids, ...)
  std::vector<std::string> ignored;      // keys outside the CLIP namespace (kept out of the model)
};

// Renames `tensors` to OpenAI's names. Keys found under a common wrapper prefix
// are kept; keys outside it (e.g. a retrieval head stored beside CLIP) are
// listed in `ignored`. Entries that are not parameters (OpenAI's
// input_resolution/context_length/vocab_size, attention masks, position ids)
// are listed in `dropped`. Errors: no CLIP keys at all, or a Hugging Face q/k/v
// triple that is incomplete or mismatched.
absl::StatusOr<CanonicalClipWeights> CanonicalizeClipWeights(std::vector<NamedBuffer> tensors);

// The architecture implied by OpenAI-named shapes: width = conv1 out channels,
// patch = conv1 kernel, grid = sqrt(visual positional rows - 1), layers =
// number of resblocks, heads = width / head_width. ResNet visual towers are
// Unimplemented. Missing keys needed for inference are InvalidArgument naming
// the key.
absl::StatusOr<ClipConfig> InferClipConfig(const std::vector<NamedBuffer>& tensors,
                                           int head_width = 64);

// Every parameter of `config` with its shape, in model order.
std::vector<std::pair<std::string, std::vector<int64_t>>> ExpectedClipShapes(
    const ClipConfig& config);

// Sum of the element counts of ExpectedClipShapes(config).
int64_t ClipParameterCount(const ClipConfig& config);

// Strict check of `tensors` against `config`: every expected key present with
// its exact shape, no extra key. Errors name the key and both shapes, e.g.
// "key 'visual.proj' has shape [768, 256] but the model needs [768, 512]".
absl::Status CheckClipShapes(const std::vector<NamedBuffer>& tensors, const ClipConfig& config,
                             const std::string& source);

}  // namespace camoe

#endif  // CAMOE_WORKER_WEIGHTS_CLIP_STATE_DICT_H_
