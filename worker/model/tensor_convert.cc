#include "worker/model/tensor_convert.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace camoe {
namespace {

absl::StatusOr<torch::ScalarType> ToScalarType(TensorDtype dtype) {
  switch (dtype) {
    case DTYPE_FLOAT32: return torch::kFloat32;
    case DTYPE_FLOAT16: return torch::kFloat16;
    case DTYPE_BFLOAT16: return torch::kBFloat16;
    case DTYPE_FLOAT64: return torch::kFloat64;
    case DTYPE_INT64: return torch::kInt64;
    case DTYPE_INT32: return torch::kInt32;
    case DTYPE_UINT8: return torch::kUInt8;
    default: return absl::InvalidArgumentError(absl::StrCat("unsupported dtype ", dtype));
  }
}

absl::StatusOr<TensorDtype> ToDtype(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return DTYPE_FLOAT32;
    case torch::kFloat16: return DTYPE_FLOAT16;
    case torch::kBFloat16: return DTYPE_BFLOAT16;
    case torch::kFloat64: return DTYPE_FLOAT64;
    case torch::kInt64: return DTYPE_INT64;
    case torch::kInt32: return DTYPE_INT32;
    case torch::kUInt8: return DTYPE_UINT8;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported tensor type ", c10::toString(type)));
  }
}

std::string ShapeString(at::IntArrayRef shape) {
  return absl::StrCat("[", absl::StrJoin(shape.vec(), ", "), "]");
}

}  // namespace

absl::StatusOr<torch::Tensor> ToTensor(const NamedBuffer& buffer) {
  auto type = ToScalarType(buffer.dtype);
  if (!type.ok()) return absl::InvalidArgumentError(absl::StrCat("tensor '", buffer.name, "': ",
                                                                 type.status().message()));
  int64_t numel = 1;
  for (int64_t d : buffer.shape) numel *= d;
  if (static_cast<size_t>(numel) * torch::elementSize(*type) != buffer.bytes.size()) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", buffer.name,
                                                   "': byte count does not match its shape"));
  }
  torch::Tensor t = torch::empty(buffer.shape, torch::TensorOptions().dtype(*type));
  if (numel > 0) std::memcpy(t.data_ptr(), buffer.bytes.data(), buffer.bytes.size());
  return t;
}

absl::StatusOr<NamedBuffer> ToNamedBuffer(const std::string& name, const torch::Tensor& tensor) {
  NamedBuffer out;
  out.name = name;
  auto dtype = ToDtype(tensor.scalar_type());
  if (!dtype.ok()) return dtype.status();
  out.dtype = *dtype;
  torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  out.shape = t.sizes().vec();
  out.bytes.assign(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

absl::Status LoadNamedBuffers(torch::nn::Module& module, const std::vector<NamedBuffer>& buffers) {
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> targets;
  for (const auto& p : module.named_parameters()) targets[p.key()] = p.value();
  std::map<std::string, bool> assigned;
  for (const auto& b : module.named_buffers()) targets[b.key()] = b.value();
  for (const auto& p : module.named_parameters()) assigned[p.key()] = false;
  for (const NamedBuffer& buffer : buffers) {
    auto it = targets.find(buffer.name);
    if (it == targets.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected key '", buffer.name,
                                                     "': the model has no such parameter"));
    }
    if (it->second.sizes().vec() != buffer.shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key '", buffer.name, "' has shape ", ShapeString(buffer.shape),
          " but the model needs ", ShapeString(it->second.sizes())));
    }
    auto source = ToTensor(buffer);
    if (!source.ok()) return source.status();
    it->second.copy_(*source);  // converts dtype (fp16 -> fp32)
    assigned[buffer.name] = true;
  }
  for (const auto& [name, done] : assigned) {
    if (!done) {
      return absl::InvalidArgumentError(absl::StrCat("missing key '", name, "' (shape ",
                                                     ShapeString(targets[name].sizes()), ")"));
    }
  }
  return absl::OkStatus();
}

std::vector<NamedBuffer> ToNamedBuffers(const torch::nn::Module& module) {
  std::vector<NamedBuffer> out;
  for (const auto& p : module.named_parameters()) {
    auto buffer = ToNamedBuffer(p.key(), p.value());
    if (buffer.ok()) out.push_back(std::move(*buffer));
  }
  return out;
}

}  // namespace camoe
