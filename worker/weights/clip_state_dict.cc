#include "worker/weights/clip_state_dict.h"

#include <cmath>
#include <cstring>
#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace camoe {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

bool IsDroppable(const std::string& name) {
  static const std::set<std::string> kTopLevel = {"input_resolution", "context_length",
                                                  "vocab_size"};
  return kTopLevel.count(name) > 0 || absl::EndsWith(name, "attn_mask") ||
         absl::EndsWith(name, "position_ids");
}

// Transposes a 2-D row-major buffer (any element size).
NamedBuffer Transposed(const NamedBuffer& in, const std::string& name) {
  NamedBuffer out;
  out.name = name;
  out.dtype = in.dtype;
  const int64_t rows = in.shape[0], cols = in.shape[1];
  out.shape = {cols, rows};
  const int elem = DtypeSize(in.dtype);
  out.bytes.resize(in.bytes.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      std::memcpy(&out.bytes[(c * rows + r) * elem], &in.bytes[(r * cols + c) * elem], elem);
    }
  }
  return out;
}

// Hugging Face CLIPModel -> OpenAI names. q/k/v projections are concatenated
// into in_proj_*; the two projection matrices are stored transposed.
absl::StatusOr<std::vector<NamedBuffer>> FromHuggingFace(std::vector<NamedBuffer> in,
                                                         std::vector<std::string>* dropped) {
  static const std::vector<std::pair<std::string, std::string>> kRenames = {
      {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
      {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
      {"text_model.final_layer_norm.", "ln_final."},
      {"text_model.encoder.layers.", "transformer.resblocks."},
      {"vision_model.embeddings.class_embedding", "visual.class_embedding"},
      {"vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"},
      {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
      {"vision_model.pre_layrnorm.", "visual.ln_pre."},
      {"vision_model.post_layernorm.", "visual.ln_post."},
      {"vision_model.encoder.layers.", "visual.transformer.resblocks."},
  };
  static const std::vector<std::pair<std::string, std::string>> kLayerParts = {
      {".self_attn.out_proj.", ".attn.out_proj."}, {".layer_norm1.", ".ln_1."},
      {".layer_norm2.", ".ln_2."},                 {".mlp.fc1.", ".mlp.c_fc."},
      {".mlp.fc2.", ".mlp.c_proj."},
  };
  std::vector<NamedBuffer> out;
  // q/k/v parts per (layer prefix, "weight"|"bias").
  std::map<std::string, std::map<char, NamedBuffer>> qkv;
  for (NamedBuffer& t : in) {
    if (IsDroppable(t.name)) {
      dropped->push_back(t.name);
      continue;
    }
    if (t.name == "text_projection.weight" || t.name == "visual_projection.weight") {
      if (t.shape.size() != 2) {
        return absl::InvalidArgumentError(absl::StrCat("key '", t.name, "' is not a matrix"));
      }
      out.push_back(Transposed(t, t.name == "text_projection.weight" ? "text_projection"
                                                                     : "visual.proj"));
      continue;
    }
    std::string name = t.name;
    for (const auto& [from, to] : kRenames) {
      if (absl::StartsWith(name, from)) {
        name = to + name.substr(from.size());
        break;
      }
    }
    for (const auto& [from, to] : kLayerParts) {
      size_t at = name.find(from);
      if (at != std::string::npos) name.replace(at, from.size(), to);
    }
    static const std::regex kQkv(R"((.*)\.self_attn\.([qkv])_proj\.(weight|bias))");
    std::smatch m;
    if (std::regex_match(name, m, kQkv)) {
      qkv[absl::StrCat(m[1].str(), "|", m[3].str())][m[2].str()[0]] = std::move(t);
      continue;
    }
    t.name = name;
    out.push_back(std::move(t));
  }
  for (auto& [key, parts] : qkv) {
    size_t bar = key.find('|');
    std::string layer = key.substr(0, bar), kind = key.substr(bar + 1);
    if (parts.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("Hugging Face weights: layer '", layer, "' lacks one of q/k/v_proj.", kind));
    }
    NamedBuffer merged;
    merged.name = absl::StrCat(layer, ".attn.in_proj_", kind);
    merged.dtype = parts['q'].dtype;
    merged.shape = parts['q'].shape;
    for (char c : {'q', 'k', 'v'}) {
      if (parts[c].shape != parts['q'].shape || parts[c].dtype != merged.dtype) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Hugging Face weights: layer '", layer, "' has q/k/v_proj.", kind,
            " of different shapes or dtypes"));
      }
      merged.bytes += parts[c].bytes;
    }
    merged.shape[0] *= 3;
    out.push_back(std::move(merged));
  }
  return out;
}

}  // namespace

const char* ClipKeyLayoutName(ClipKeyLayout layout) {
  switch (layout) {
    case ClipKeyLayout::kOpenAi: return "openai";
    case ClipKeyLayout::kOpenClipText: return "open_clip";
    case ClipKeyLayout::kHuggingFace: return "huggingface";
  }
  return "?";
}

absl::StatusOr<CanonicalClipWeights> CanonicalizeClipWeights(std::vector<NamedBuffer> tensors) {
  CanonicalClipWeights result;
  // Find the wrapper prefix from a key every layout has.
  static const std::vector<std::pair<std::string, ClipKeyLayout>> kAnchors = {
      {"visual.conv1.weight", ClipKeyLayout::kOpenAi},
      {"vision_model.embeddings.patch_embedding.weight", ClipKeyLayout::kHuggingFace},
  };
  bool found = false;
  for (const NamedBuffer& t : tensors) {
    for (const auto& [anchor, layout] : kAnchors) {
      if (absl::EndsWith(t.name, anchor) &&
          (t.name.size() == anchor.size() || t.name[t.name.size() - anchor.size() - 1] == '.')) {
        result.stripped_prefix = t.name.substr(0, t.name.size() - anchor.size());
        result.layout = layout;
        found = true;
      }
    }
    if (found) break;
  }
  if (!found) {
    std::vector<std::string> sample;
    for (size_t i = 0; i < tensors.size() && i < 5; ++i) sample.push_back(tensors[i].name);
    return absl::InvalidArgumentError(absl::StrCat(
        "no CLIP vision tower found (looked for 'visual.conv1.weight' or Hugging Face's "
        "'vision_model.embeddings.patch_embedding.weight'); first keys: ",
        sample.empty() ? "(none)" : absl::StrJoin(sample, ", ")));
  }
  std::vector<NamedBuffer> inside;
  for (NamedBuffer& t : tensors) {
    if (!absl::StartsWith(t.name, result.stripped_prefix)) {
      result.ignored.push_back(t.name);
      continue;
    }
    t.name = t.name.substr(result.stripped_prefix.size());
    inside.push_back(std::move(t));
  }
  if (result.layout == ClipKeyLayout::kHuggingFace) {
    CAMOE_ASSIGN_OR_RETURN(result.tensors, FromHuggingFace(std::move(inside), &result.dropped));
    return result;
  }
  for (NamedBuffer& t : inside) {
    if (IsDroppable(t.name)) {
      result.dropped.push_back(t.name);
      continue;
    }
    if (absl::StartsWith(t.name, "text.")) {
      result.layout = ClipKeyLayout::kOpenClipText;
      t.name = t.name.substr(5);
    }
    result.tensors.push_back(std::move(t));
  }
  return result;
}

absl::StatusOr<ClipConfig> InferClipConfig(const std::vector<NamedBuffer>& tensors,
                                           int head_width) {
  std::map<std::string, const NamedBuffer*> by_name;
  for (const NamedBuffer& t : tensors) by_name[t.name] = &t;
  auto get = [&](const std::string& name, size_t rank) -> absl::StatusOr<const NamedBuffer*> {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing key '", name, "', needed to infer the architecture"));
    }
    if (it->second->shape.size() != rank) {
      return absl::InvalidArgumentError(absl::StrCat("key '", name, "' has shape ",
                                                     ShapeString(it->second->shape),
                                                     ", expected rank ", rank));
    }
    return it->second;
  };
  if (by_name.count("visual.layer1.0.conv1.weight") || by_name.count("visual.attnpool.k_proj.weight")) {
    return absl::UnimplementedError(
        "these are ResNet CLIP weights (visual.layer1...); camoe supports ViT towers only");
  }
  auto count_layers = [&](const std::string& prefix) {
    int layers = 0;
    while (by_name.count(absl::StrCat(prefix, layers, ".ln_1.weight"))) ++layers;
    return layers;
  };
  ClipConfig config;
  CAMOE_ASSIGN_OR_RETURN(const NamedBuffer* conv1, get("visual.conv1.weight", 4));
  CAMOE_ASSIGN_OR_RETURN(const NamedBuffer* vpos, get("visual.positional_embedding", 2));
  CAMOE_ASSIGN_OR_RETURN(const NamedBuffer* vproj, get("visual.proj", 2));
  CAMOE_ASSIGN_OR_RETURN(const NamedBuffer* tok, get("token_embedding.weight", 2));
  CAMOE_ASSIGN_OR_RETURN(const NamedBuffer* tpos, get("positional_embedding", 2));
  CAMOE_ASSIGN_OR_RETURN(const NamedBuffer* tproj, get("text_projection", 2));
  VisionConfig* v = config.mutable_vision();
  const int64_t width = conv1->shape[0];
  const int64_t patch = conv1->shape[3];
  const int64_t grid = std::llround(std::sqrt(static_cast<double>(vpos->shape[0] - 1)));
  if (grid * grid + 1 != vpos->shape[0]) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key 'visual.positional_embedding' has ", vpos->shape[0],
        " rows; a ViT needs grid*grid + 1 (class token) rows"));
  }
  v->set_width(static_cast<int32_t>(width));
  v->set_patch_size(static_cast<int32_t>(patch));
  v->set_image_resolution(static_cast<int32_t>(patch * grid));
  v->set_layers(count_layers("visual.transformer.resblocks."));
  v->set_heads(static_cast<int32_t>(std::max<int64_t>(1, width / head_width)));
  TextConfig* t = config.mutable_text();
  t->set_vocab_size(static_cast<int32_t>(tok->shape[0]));
  t->set_width(static_cast<int32_t>(tok->shape[1]));
  t->set_context_length(static_cast<int32_t>(tpos->shape[0]));
  t->set_layers(count_layers("transformer.resblocks."));
  t->set_heads(static_cast<int32_t>(std::max<int64_t>(1, tok->shape[1] / head_width)));
  config.set_embed_dim(static_cast<int32_t>(tproj->shape[1]));
  if (vproj->shape[1] != tproj->shape[1]) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key 'visual.proj' has shape ", ShapeString(vproj->shape), " but 'text_projection' has ",
        ShapeString(tproj->shape), ": the two towers must project to the same embedding size"));
  }
  return config;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> ExpectedClipShapes(
    const ClipConfig& c) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  auto blocks = [&out](const std::string& prefix, int64_t w, int layers) {
    for (int i = 0; i < layers; ++i) {
      std::string p = absl::StrCat(prefix, i, ".");
      out.push_back({p + "attn.in_proj_weight", {3 * w, w}});
      out.push_back({p + "attn.in_proj_bias", {3 * w}});
      out.push_back({p + "attn.out_proj.weight", {w, w}});
      out.push_back({p + "attn.out_proj.bias", {w}});
      out.push_back({p + "ln_1.weight", {w}});
      out.push_back({p + "ln_1.bias", {w}});
      out.push_back({p + "mlp.c_fc.weight", {4 * w, w}});
      out.push_back({p + "mlp.c_fc.bias", {4 * w}});
      out.push_back({p + "mlp.c_proj.weight", {w, 4 * w}});
      out.push_back({p + "mlp.c_proj.bias", {w}});
      out.push_back({p + "ln_2.weight", {w}});
      out.push_back({p + "ln_2.bias", {w}});
    }
  };
  const int64_t d = c.embed_dim();
  const VisionConfig& v = c.vision();
  const int64_t vw = v.width();
  const int64_t grid = v.image_resolution() / v.patch_size();
  out.push_back({"visual.class_embedding", {vw}});
  out.push_back({"visual.positional_embedding", {grid * grid + 1, vw}});
  out.push_back({"visual.proj", {vw, d}});
  out.push_back({"visual.conv1.weight", {vw, 3, v.patch_size(), v.patch_size()}});
  out.push_back({"visual.ln_pre.weight", {vw}});
  out.push_back({"visual.ln_pre.bias", {vw}});
  blocks("visual.transformer.resblocks.", vw, v.layers());
  out.push_back({"visual.ln_post.weight", {vw}});
  out.push_back({"visual.ln_post.bias", {vw}});
  const TextConfig& t = c.text();
  const int64_t tw = t.width();
  out.push_back({"positional_embedding", {t.context_length(), tw}});
  out.push_back({"text_projection", {tw, d}});
  out.push_back({"logit_scale", {}});
  out.push_back({"token_embedding.weight", {t.vocab_size(), tw}});
  blocks("transformer.resblocks.", tw, t.layers());
  out.push_back({"ln_final.weight", {tw}});
  out.push_back({"ln_final.bias", {tw}});
  return out;
}

int64_t ClipParameterCount(const ClipConfig& config) {
  int64_t total = 0;
  for (const auto& [name, shape] : ExpectedClipShapes(config)) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    total += n;
  }
  return total;
}

absl::Status CheckClipShapes(const std::vector<NamedBuffer>& tensors, const ClipConfig& config,
                             const std::string& source) {
  std::map<std::string, const NamedBuffer*> by_name;
  for (const NamedBuffer& t : tensors) by_name[t.name] = &t;
  std::set<std::string> expected_names;
  for (const auto& [name, shape] : ExpectedClipShapes(config)) {
    expected_names.insert(name);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": missing key '", name,
                                                     "' (shape ", ShapeString(shape), ")"));
    }
    if (it->second->shape != shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": key '", name, "' has shape ", ShapeString(it->second->shape),
          " but the model needs ", ShapeString(shape)));
    }
  }
  for (const NamedBuffer& t : tensors) {
    if (!expected_names.count(t.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": unexpected key '", t.name, "' (shape ", ShapeString(t.shape),
          ") is not a parameter of this CLIP architecture"));
    }
  }
  return absl::OkStatus();
}

}  // namespace camoe
