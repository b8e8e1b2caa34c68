// The optimizer recipe of the paper and CLIP4Clip: AdamW with two learning
// rates (pretrained CLIP towers vs new CAMoE modules), decoupled weight decay
// on weight matrices only, linear warmup then cosine decay, global gradient
// clipping, and logit_scale kept within [0, ln 100]. Not thread-safe.
#ifndef CAMOE_WORKER_TRAIN_OPTIM_H_
#define CAMOE_WORKER_TRAIN_OPTIM_H_

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "camoe/config.pb.h"
#include "worker/camoe/camoe_model.h"

namespace camoe {

// Parameter groups in a fixed order (the order is part of checkpoints).
enum ParamGroup { kClipDecay = 0, kClipNoDecay = 1, kHeadDecay = 2, kHeadNoDecay = 3 };

struct NamedParameter {
  std::string name;
  torch::Tensor tensor;
  ParamGroup group;
};

// Every trainable parameter of `model` with its group: CLIP's ("clip.*") get
// the CLIP rate, the heads' the head rate; biases, LayerNorm parameters,
// logit_scale and other 1-element or 1-D gains get no weight decay.
std::vector<NamedParameter> GroupParameters(CamoeModelImpl& model);

// AdamW over the four groups, with (beta1, beta2, eps, weight decay) from `config`.
std::unique_ptr<torch::optim::AdamW> BuildOptimizer(const std::vector<NamedParameter>& params,
                                                    const OptimizerConfig& config);

// The multiplier of the base learning rate at `step` (0-based) of
// `total_steps`: linear from 1/warmup to 1 over the warmup steps, then
// 0.5 * (1 + cos(pi * progress)) down to 0.
double LearningRateFactor(int64_t step, int64_t total_steps, double warmup_fraction);

// Sets every group's learning rate for `step`. Returns the head group's rate.
double ApplyLearningRates(torch::optim::AdamW& optimizer, const OptimizerConfig& config,
                          int64_t step, int64_t total_steps);

// The global L2 norm of all gradients; scales them down to `max_norm` when
// larger (max_norm <= 0: no clipping). A non-finite norm is returned as is and
// nothing is scaled: the caller refuses the step.
double ClipGradientNorm(const std::vector<NamedParameter>& params, double max_norm);

// Keeps exp(logit_scale) <= 100 and >= 1 by clamping the log-space parameter.
void ClampLogitScale(CamoeModelImpl& model);

}  // namespace camoe

#endif  // CAMOE_WORKER_TRAIN_OPTIM_H_
