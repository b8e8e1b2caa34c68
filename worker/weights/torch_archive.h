// Reads the tensors out of PyTorch's zip archives without libtorch and without
// running any code: torch.save files (a pickled dict, OrderedDict, nested
// checkpoint dict or pickled nn.Module) and TorchScript archives from
// torch.jit.save (OpenAI's released CLIP weights are one). Tensors come back
// contiguous, in their stored dtype, named by their path in the pickled
// structure ("visual.conv1.weight"; nn.Module's _parameters/_buffers/_modules
// levels are left out of names). Thread-safe (no shared state).
#ifndef CAMOE_WORKER_WEIGHTS_TORCH_ARCHIVE_H_
#define CAMOE_WORKER_WEIGHTS_TORCH_ARCHIVE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tensor_file.h"

namespace camoe {

struct TorchArchive {
  enum class Kind { kTorchSave, kTorchScript };
  Kind kind = Kind::kTorchSave;
  std::vector<NamedBuffer> tensors;  // in pickle order
  // Names of non-tensor leaves (ints, strings, ...) that were not returned.
  std::vector<std::string> other_values;
};

// Parses an archive held in `data`. `source` names it in errors. Truncation,
// CRC mismatches and malformed pickles are DataLoss; unsupported dtypes (complex,
// quantized) and big-endian archives are Unimplemented naming the tensor.
absl::StatusOr<TorchArchive> ReadTorchArchive(std::string_view data, const std::string& source);

}  // namespace camoe

#endif  // CAMOE_WORKER_WEIGHTS_TORCH_ARCHIVE_H_
