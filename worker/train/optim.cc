#include "worker/train/optim.h"

#include <cmath>

#include "absl/strings/match.h"

namespace camoe {

std::vector<NamedParameter> GroupParameters(CamoeModelImpl& model) {
  std::vector<NamedParameter> out;
  for (const auto& item : model.named_parameters()) {
    const std::string& name = item.key();
    if (!item.value().requires_grad()) continue;
    const bool clip = absl::StartsWith(name, "clip.");
    const bool no_decay = absl::EndsWith(name, "bias") || name.find(".ln_") != std::string::npos ||
                          absl::EndsWith(name, "logit_scale") || item.value().dim() < 2;
    ParamGroup group = clip ? (no_decay ? kClipNoDecay : kClipDecay)
                            : (no_decay ? kHeadNoDecay : kHeadDecay);
    out.push_back({name, item.value(), group});
  }
  return out;
}

std::unique_ptr<torch::optim::AdamW> BuildOptimizer(const std::vector<NamedParameter>& params,
                                                    const OptimizerConfig& config) {
  std::vector<torch::Tensor> groups[4];
  for (const NamedParameter& p : params) groups[p.group].push_back(p.tensor);
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (int g = 0; g < 4; ++g) {
    auto options = std::make_unique<torch::optim::AdamWOptions>(
        (g == kClipDecay || g == kClipNoDecay) ? config.clip_lr() : config.head_lr());
    options->betas({config.beta1(), config.beta2()})
        .eps(config.eps())
        .weight_decay((g == kClipDecay || g == kHeadDecay) ? config.weight_decay() : 0.0);
    param_groups.emplace_back(groups[g], std::move(options));
  }
  auto defaults = torch::optim::AdamWOptions(config.head_lr());
  return std::make_unique<torch::optim::AdamW>(std::move(param_groups), defaults);
}

double LearningRateFactor(int64_t step, int64_t total_steps, double warmup_fraction) {
  if (total_steps <= 0) return 1.0;
  const double warmup = std::max(1.0, warmup_fraction * static_cast<double>(total_steps));
  const double s = static_cast<double>(step);
  if (s < warmup) return (s + 1) / warmup;
  const double progress = std::min(1.0, (s - warmup) / std::max(1.0, total_steps - warmup));
  return 0.5 * (1.0 + std::cos(M_PI * progress));
}

double ApplyLearningRates(torch::optim::AdamW& optimizer, const OptimizerConfig& config,
                          int64_t step, int64_t total_steps) {
  const double factor = LearningRateFactor(step, total_steps, config.warmup_fraction());
  auto& groups = optimizer.param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const double base = (g == kClipDecay || g == kClipNoDecay) ? config.clip_lr() : config.head_lr();
    static_cast<torch::optim::AdamWOptions&>(groups[g].options()).lr(base * factor);
  }
  return config.head_lr() * factor;
}

double ClipGradientNorm(const std::vector<NamedParameter>& params, double max_norm) {
  double squares = 0;
  for (const NamedParameter& p : params) {
    if (p.tensor.grad().defined()) squares += p.tensor.grad().to(torch::kFloat64).pow(2).sum().item<double>();
  }
  const double norm = std::sqrt(squares);
  if (max_norm > 0 && std::isfinite(norm) && norm > max_norm) {
    const double scale = max_norm / (norm + 1e-6);
    torch::NoGradGuard no_grad;
    for (const NamedParameter& p : params) {
      if (p.tensor.grad().defined()) p.tensor.mutable_grad().mul_(scale);
    }
  }
  return norm;
}

void ClampLogitScale(CamoeModelImpl& model) {
  torch::NoGradGuard no_grad;
  model.clip->logit_scale.clamp_(0.0, std::log(100.0));
}

}  // namespace camoe
