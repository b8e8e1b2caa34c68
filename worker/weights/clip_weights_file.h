// Reading CLIP weights from any supported file, torch-free: OpenAI's
// TorchScript release archives, torch.save zips of a state dict (OpenAI,
// Hugging Face or open_clip names, optionally wrapped, e.g. {"state_dict": ...}
// or a "module." / "clip." prefix), and camoe tensor files. The result has
// OpenAI names, the architecture (inferred from shapes, or stored in a camoe
// file), and has passed a strict key and shape check. Thread-safe.
#ifndef CAMOE_WORKER_WEIGHTS_CLIP_WEIGHTS_FILE_H_
#define CAMOE_WORKER_WEIGHTS_CLIP_WEIGHTS_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "camoe/config.pb.h"
#include "common/tensor_file.h"
#include "worker/weights/clip_state_dict.h"

namespace camoe {

enum class WeightsFormat { kTorchScript, kTorchSave, kCamoeTensorFile };
const char* WeightsFormatName(WeightsFormat format);

struct ClipWeights {
  WeightsFormat format = WeightsFormat::kCamoeTensorFile;
  ClipKeyLayout layout = ClipKeyLayout::kOpenAi;
  ClipConfig config;
  std::vector<NamedBuffer> tensors;  // OpenAI names, stored dtypes (fp16 stays fp16 here)
  std::vector<std::string> dropped;  // entries that are not parameters
  std::vector<std::string> ignored;  // entries outside the CLIP namespace
  std::string stripped_prefix;
  int64_t parameter_count = 0;
  // Distinct stored floating dtypes, e.g. {"float16"}.
  std::vector<std::string> dtypes;
};

struct ClipWeightsOptions {
  // Head size used to infer head counts from widths (OpenAI: 64). Ignored for
  // camoe tensor files, which store the architecture.
  int head_width = 64;
};

// Reads, canonicalises and checks `path`. Errors name the file and, for a bad
// tensor, the key: a missing key, a wrong shape (both shapes given), an
// unexpected key, a truncated or corrupt file, an unsupported format.
absl::StatusOr<ClipWeights> ReadClipWeights(const std::string& path,
                                            const ClipWeightsOptions& options = {});

// Writes OpenAI-named tensors and their architecture as a camoe tensor file.
absl::Status WriteClipWeights(const std::string& path, const std::vector<NamedBuffer>& tensors,
                              const ClipConfig& config);

}  // namespace camoe

#endif  // CAMOE_WORKER_WEIGHTS_CLIP_WEIGHTS_FILE_H_
