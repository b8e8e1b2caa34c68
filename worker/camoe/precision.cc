#include "worker/camoe/precision.h"

#include <ATen/autocast_mode.h>

namespace camoe {
namespace {

// libtorch 2.4 replaced the per-device autocast setters with device-typed ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool IsEnabled(bool cuda) { return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU); }
void SetEnabled(bool cuda, bool on) {
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on);
}
at::ScalarType GetDtype(bool cuda) {
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
}
void SetDtype(bool cuda, at::ScalarType t) {
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, t);
}
#else
bool IsEnabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
void SetEnabled(bool cuda, bool on) {
  if (cuda) {
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_cpu_enabled(on);
  }
}
at::ScalarType GetDtype(bool cuda) {
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void SetDtype(bool cuda, at::ScalarType t) {
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(t);
  } else {
    at::autocast::set_autocast_cpu_dtype(t);
  }
}
#endif

}  // namespace

absl::Status CheckPrecision(Precision precision, const torch::Device& device) {
  if (precision == PRECISION_FP16 && !device.is_cuda()) {
    return absl::InvalidArgumentError(
        "model.precision: PRECISION_FP16 autocast needs a CUDA device; on CPU use "
        "PRECISION_BF16 or PRECISION_FP32");
  }
  return absl::OkStatus();
}

AutocastGuard::AutocastGuard(Precision precision, const torch::Device& device) {
  if (precision != PRECISION_BF16 && precision != PRECISION_FP16) return;
  active_ = true;
  cuda_ = device.is_cuda();
  previous_enabled_ = IsEnabled(cuda_);
  previous_dtype_ = GetDtype(cuda_);
  SetDtype(cuda_, precision == PRECISION_BF16 ? at::kBFloat16 : at::kHalf);
  SetEnabled(cuda_, true);
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  SetEnabled(cuda_, previous_enabled_);
  SetDtype(cuda_, previous_dtype_);
  // Cast weights are cached for the autocast region; drop them when it ends.
  if (!previous_enabled_) at::autocast::clear_cache();
}

}  // namespace camoe
