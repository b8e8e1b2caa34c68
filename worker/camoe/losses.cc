#include "worker/camoe/losses.h"

namespace camoe {
namespace {

// Losses compute in fp32 at least (fp64 stays fp64, for gradient checks).
torch::Tensor AtLeastFloat(const torch::Tensor& t) {
  return t.scalar_type() == torch::kFloat64 ? t : t.to(torch::kFloat32);
}

}  // namespace

torch::Tensor SymmetricInfoNce(const torch::Tensor& logits) {
  torch::Tensor s = AtLeastFloat(logits);
  torch::Tensor target = torch::arange(s.size(0), torch::TensorOptions().dtype(torch::kLong)
                                                      .device(s.device()));
  return (torch::nn::functional::cross_entropy(s, target) +
          torch::nn::functional::cross_entropy(s.t(), target)) / 2;
}

torch::Tensor DualSoftmaxDirection(const torch::Tensor& logits, double temperature) {
  torch::Tensor s = AtLeastFloat(logits);
  const double n = static_cast<double>(s.size(0));
  // The prior is the softmax in the cross direction (over dim 0), rescaled so a
  // uniform prior leaves S unchanged. Its gradient flows, as in the official code.
  torch::Tensor revised = s * torch::softmax(s / temperature, 0) * n;
  return -torch::log_softmax(revised, -1).diagonal().mean();
}

torch::Tensor DualSoftmaxLoss(const torch::Tensor& logits, double temperature) {
  return (DualSoftmaxDirection(logits, temperature) +
          DualSoftmaxDirection(logits.t(), temperature)) / 2;
}

torch::Tensor ScaledCosineLogits(const torch::Tensor& text, const torch::Tensor& video,
                                 const torch::Tensor& scale) {
  torch::Tensor t = torch::nn::functional::normalize(
      AtLeastFloat(text), torch::nn::functional::NormalizeFuncOptions().dim(-1));
  torch::Tensor v = torch::nn::functional::normalize(
      AtLeastFloat(video), torch::nn::functional::NormalizeFuncOptions().dim(-1));
  return AtLeastFloat(scale).to(t.scalar_type()) * torch::matmul(t, v.t());
}

LossOutput CamoeLoss(const StreamEmbeddings& text, const StreamEmbeddings& video,
                     const torch::Tensor& has_entity, const torch::Tensor& has_action,
                     const torch::Tensor& logit_scale, const LossConfig& config) {
  LossOutput out;
  const float weights[kNumStreams] = {config.fusion_weight(), config.entity_weight(),
                                      config.action_weight()};
  const torch::Tensor* members[kNumStreams] = {nullptr, &has_entity, &has_action};
  for (int s = 0; s < kNumStreams; ++s) {
    if (!text.streams[s].defined() || !video.streams[s].defined()) continue;
    torch::Tensor t = text.streams[s], v = video.streams[s];
    if (members[s] != nullptr && members[s]->defined()) {
      torch::Tensor keep = members[s]->to(torch::kBool).to(t.device());
      out.excluded[s] = keep.numel() - keep.sum().item<int64_t>();
      if (out.excluded[s] > 0) {
        torch::Tensor index = keep.nonzero().squeeze(1);
        t = t.index_select(0, index);
        v = v.index_select(0, index);
      }
    }
    if (t.size(0) < 2) continue;  // no negatives: nothing to contrast
    torch::Tensor logits = ScaledCosineLogits(t, v, logit_scale);
    out.per_stream[s] = config.dsl() ? DualSoftmaxLoss(logits, config.dsl_temperature())
                                     : SymmetricInfoNce(logits);
    torch::Tensor weighted = weights[s] * out.per_stream[s];
    out.total = out.total.defined() ? out.total + weighted : weighted;
  }
  if (!out.total.defined()) out.total = torch::zeros({}, logit_scale.options());
  return out;
}

}  // namespace camoe
