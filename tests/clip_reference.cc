#include "tests/clip_reference.h"

#include <cmath>

namespace camoe::testing {
namespace {

const at::Tensor& W(const WeightMap& w, const std::string& name) {
  auto it = w.find(name);
  TORCH_CHECK(it != w.end(), "reference: missing weight ", name);
  return it->second;
}

at::Tensor Norm(const WeightMap& w, const std::string& prefix, const at::Tensor& x) {
  // (x - mean) / sqrt(var + eps) * gamma + beta over the last dimension.
  at::Tensor mean = x.mean(-1, true);
  at::Tensor var = (x - mean).pow(2).mean(-1, true);
  return (x - mean) / at::sqrt(var + 1e-5) * W(w, prefix + ".weight") + W(w, prefix + ".bias");
}

// x: [L, B, width]; mask: [L, L] additive or undefined.
at::Tensor Block(const WeightMap& w, const std::string& p, at::Tensor x, int64_t heads,
                 const at::Tensor& mask) {
  const int64_t width = x.size(2);
  const int64_t hd = width / heads;
  at::Tensor h = Norm(w, p + "ln_1", x);
  at::Tensor wqkv = W(w, p + "attn.in_proj_weight");
  at::Tensor bqkv = W(w, p + "attn.in_proj_bias");
  at::Tensor q = at::matmul(h, wqkv.slice(0, 0, width).t()) + bqkv.slice(0, 0, width);
  at::Tensor k = at::matmul(h, wqkv.slice(0, width, 2 * width).t()) + bqkv.slice(0, width, 2 * width);
  at::Tensor v = at::matmul(h, wqkv.slice(0, 2 * width).t()) + bqkv.slice(0, 2 * width);
  std::vector<at::Tensor> outs;
  for (int64_t head = 0; head < heads; ++head) {
    // [L, B, hd] -> [B, L, hd]
    at::Tensor qh = q.slice(2, head * hd, (head + 1) * hd).permute({1, 0, 2});
    at::Tensor kh = k.slice(2, head * hd, (head + 1) * hd).permute({1, 0, 2});
    at::Tensor vh = v.slice(2, head * hd, (head + 1) * hd).permute({1, 0, 2});
    at::Tensor scores = at::bmm(qh / std::sqrt(static_cast<double>(hd)), kh.transpose(1, 2));
    if (mask.defined()) scores = scores + mask;
    outs.push_back(at::bmm(at::softmax(scores, -1), vh).permute({1, 0, 2}));
  }
  at::Tensor attn = at::cat(outs, 2);
  x = x + at::matmul(attn, W(w, p + "attn.out_proj.weight").t()) + W(w, p + "attn.out_proj.bias");
  at::Tensor m = Norm(w, p + "ln_2", x);
  m = at::matmul(m, W(w, p + "mlp.c_fc.weight").t()) + W(w, p + "mlp.c_fc.bias");
  m = m * at::sigmoid(1.702 * m);
  m = at::matmul(m, W(w, p + "mlp.c_proj.weight").t()) + W(w, p + "mlp.c_proj.bias");
  return x + m;
}

int64_t CountLayers(const WeightMap& w, const std::string& prefix) {
  int64_t n = 0;
  while (w.count(prefix + std::to_string(n) + ".ln_1.weight")) ++n;
  return n;
}

}  // namespace

at::Tensor ReferenceEncodeImage(const WeightMap& w, const at::Tensor& images, int64_t heads) {
  const at::Tensor& conv = W(w, "visual.conv1.weight");  // [width, 3, P, P]
  const int64_t width = conv.size(0), patch = conv.size(2);
  const int64_t batch = images.size(0), grid = images.size(2) / patch;
  // [B, 3, g, P, g, P] -> [B, g, g, 3, P, P] -> [B, g*g, 3*P*P]
  at::Tensor patches = images.reshape({batch, 3, grid, patch, grid, patch})
                           .permute({0, 2, 4, 1, 3, 5})
                           .reshape({batch, grid * grid, 3 * patch * patch});
  at::Tensor x = at::matmul(patches, conv.reshape({width, -1}).t());
  at::Tensor cls = W(w, "visual.class_embedding").expand({batch, 1, width});
  x = at::cat({cls, x}, 1) + W(w, "visual.positional_embedding");
  x = Norm(w, "visual.ln_pre", x).transpose(0, 1);  // [L, B, width]
  const std::string prefix = "visual.transformer.resblocks.";
  for (int64_t i = 0, n = CountLayers(w, prefix); i < n; ++i) {
    x = Block(w, prefix + std::to_string(i) + ".", x, heads, at::Tensor());
  }
  at::Tensor pooled = Norm(w, "visual.ln_post", x[0]);
  return at::matmul(pooled, W(w, "visual.proj"));
}

at::Tensor ReferenceEncodeText(const WeightMap& w, const at::Tensor& tokens, int64_t heads) {
  const int64_t batch = tokens.size(0), length = tokens.size(1);
  at::Tensor x = W(w, "token_embedding.weight").index_select(0, tokens.reshape({-1}));
  x = x.reshape({batch, length, -1}) + W(w, "positional_embedding").slice(0, 0, length);
  x = x.transpose(0, 1);
  at::Tensor mask = at::zeros({length, length});
  for (int64_t i = 0; i < length; ++i) {
    for (int64_t j = i + 1; j < length; ++j) mask[i][j] = -INFINITY;
  }
  const std::string prefix = "transformer.resblocks.";
  for (int64_t i = 0, n = CountLayers(w, prefix); i < n; ++i) {
    x = Block(w, prefix + std::to_string(i) + ".", x, heads, mask);
  }
  x = Norm(w, "ln_final", x.transpose(0, 1));  // [B, L, width]
  std::vector<at::Tensor> rows;
  for (int64_t b = 0; b < batch; ++b) {
    rows.push_back(x[b][tokens[b].argmax().item<int64_t>()]);
  }
  return at::matmul(at::stack(rows), W(w, "text_projection"));
}

}  // namespace camoe::testing
