#include "tests/clip_fixtures.h"

#include <torch/script.h>

#include <cmath>
#include <fstream>

#include "worker/weights/clip_state_dict.h"

namespace camoe::testing {

ClipConfig TinyClipConfig() {
  ClipConfig config;
  config.set_embed_dim(24);
  VisionConfig* v = config.mutable_vision();
  v->set_image_resolution(32);
  v->set_patch_size(8);
  v->set_width(64);
  v->set_layers(2);
  v->set_heads(2);
  TextConfig* t = config.mutable_text();
  t->set_context_length(16);
  t->set_vocab_size(49408);
  t->set_width(64);
  t->set_layers(2);
  t->set_heads(2);
  return config;
}

WeightMap RandomClipWeights(const ClipConfig& config, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  WeightMap out;
  for (const auto& [name, shape] : ExpectedClipShapes(config)) {
    at::Tensor t = at::empty(shape);
    // Spread values enough that every layer matters; LayerNorm weights near 1.
    if (name.find("ln_") != std::string::npos && name.find(".weight") != std::string::npos) {
      t.uniform_(0.5, 1.5, gen);
    } else if (name == "logit_scale") {
      t.fill_(2.6592600);
    } else {
      t.normal_(0, 0.1, gen);
    }
    out[name] = t;
  }
  return out;
}

void WriteTorchScriptArchive(const std::string& path, const WeightMap& weights, bool fp16,
                             const ClipConfig& config) {
  torch::jit::Module root("__torch__.model.CLIP");
  std::map<std::string, torch::jit::Module> modules;  // by dotted path
  int counter = 0;
  auto module_at = [&](const std::string& module_path) -> torch::jit::Module {
    if (module_path.empty()) return root;
    auto it = modules.find(module_path);
    if (it != modules.end()) return it->second;
    torch::jit::Module parent = root;
    std::string walked;
    size_t start = 0;
    while (start <= module_path.size()) {
      size_t dot = module_path.find('.', start);
      if (dot == std::string::npos) dot = module_path.size();
      std::string part = module_path.substr(start, dot - start);
      walked = walked.empty() ? part : walked + "." + part;
      auto found = modules.find(walked);
      if (found == modules.end()) {
        torch::jit::Module child("__torch__.model.M" + std::to_string(counter++));
        parent.register_module(part, child);
        found = modules.emplace(walked, child).first;
      }
      parent = found->second;
      start = dot + 1;
    }
    return parent;
  };
  for (const auto& [name, tensor] : weights) {
    size_t dot = name.rfind('.');
    std::string owner = dot == std::string::npos ? "" : name.substr(0, dot);
    std::string leaf = dot == std::string::npos ? name : name.substr(dot + 1);
    at::Tensor value = fp16 ? tensor.to(at::kHalf) : tensor;
    module_at(owner).register_parameter(leaf, value, /*is_buffer=*/false);
  }
  // OpenAI's archive also carries these scalars and the text blocks' causal masks.
  root.register_buffer("input_resolution", torch::tensor(config.vision().image_resolution()));
  root.register_buffer("context_length", torch::tensor(config.text().context_length()));
  root.register_buffer("vocab_size", torch::tensor(config.text().vocab_size()));
  const int64_t ctx = config.text().context_length();
  for (int i = 0; i < config.text().layers(); ++i) {
    module_at("transformer.resblocks." + std::to_string(i))
        .register_attribute("attn_mask", c10::TensorType::get(),
                            torch::full({ctx, ctx}, -INFINITY).triu(1));
  }
  root.save(path);
}

void WriteTorchSaveZip(const std::string& path, const WeightMap& weights) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : weights) dict.insert(name, tensor);
  std::vector<char> bytes = torch::pickle_save(dict);
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
}

WeightMap RoundedToHalf(const WeightMap& weights) {
  WeightMap out;
  for (const auto& [name, tensor] : weights) out[name] = tensor.to(at::kHalf).to(at::kFloat);
  return out;
}

FloatMatrix ToMatrix(const at::Tensor& t) {
  at::Tensor c = t.contiguous().to(at::kFloat);
  FloatMatrix m;
  m.rows = c.size(0);
  m.cols = c.size(1);
  m.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return m;
}

double MaxAbsDiff(const FloatMatrix& a, const FloatMatrix& b) {
  if (a.rows != b.rows || a.cols != b.cols) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.values.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a.values[i]) - b.values[i]));
  }
  return worst;
}

}  // namespace camoe::testing
