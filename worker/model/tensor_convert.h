// Conversions between torch-free NamedBuffers (worker/weights, common) and
// libtorch tensors and modules. Model translation units only.
#ifndef CAMOE_WORKER_MODEL_TENSOR_CONVERT_H_
#define CAMOE_WORKER_MODEL_TENSOR_CONVERT_H_

#include <torch/torch.h>

#include <vector>

#include "absl/status/statusor.h"
#include "common/tensor_file.h"

namespace camoe {

// A tensor owning a copy of `buffer`'s bytes, in its stored dtype.
absl::StatusOr<torch::Tensor> ToTensor(const NamedBuffer& buffer);

// `tensor` (any device, any layout) as a contiguous CPU buffer.
absl::StatusOr<NamedBuffer> ToNamedBuffer(const std::string& name, const torch::Tensor& tensor);

// Copies each buffer into the module parameter or buffer of the same name,
// converting to the parameter's dtype (fp16 -> fp32 included). Strict: every
// parameter must be assigned and every buffer name must exist with the same
// shape; errors name the key and both shapes.
absl::Status LoadNamedBuffers(torch::nn::Module& module, const std::vector<NamedBuffer>& buffers);

// Every parameter of `module`, named as named_parameters() names it.
std::vector<NamedBuffer> ToNamedBuffers(const torch::nn::Module& module);

}  // namespace camoe

#endif  // CAMOE_WORKER_MODEL_TENSOR_CONVERT_H_
