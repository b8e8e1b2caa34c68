// Mixed precision for the forward pass: an RAII guard that turns libtorch's
// autocast on for bf16/fp16 and restores the previous state on exit. Weights
// stay fp32 (the optimizer updates fp32 master weights); CLIP's LayerNorms
// compute in fp32 regardless (LayerNormFp32); losses compute in fp32.
// Autocast state is thread-local in libtorch, so a guard affects its thread only.
#ifndef CAMOE_WORKER_CAMOE_PRECISION_H_
#define CAMOE_WORKER_CAMOE_PRECISION_H_

#include <torch/torch.h>

#include "absl/status/status.h"
#include "camoe/config.pb.h"

namespace camoe {

// Whether `precision` can run on `device`: fp16 autocast needs CUDA; bf16 runs
// on CPU (libtorch's CPU autocast) and CUDA.
absl::Status CheckPrecision(Precision precision, const torch::Device& device);

class AutocastGuard {
 public:
  // REQUIRES: CheckPrecision(precision, device).ok(). FP32 is a no-op.
  AutocastGuard(Precision precision, const torch::Device& device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kBFloat16;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_CAMOE_PRECISION_H_
