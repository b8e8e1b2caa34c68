// Loading and validating camoe configs (JobSpec in protobuf text format, see
// proto/camoe/config.proto). Validation errors name the field by its path in
// the config ("model.clip.vision.width") and the rule it breaks. Thread-safe.
#ifndef CAMOE_COMMON_CONFIG_H_
#define CAMOE_COMMON_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "camoe/config.pb.h"

namespace camoe {

// Parses and validates the JobSpec in `path`.
absl::StatusOr<JobSpec> LoadJobSpec(const std::string& path);

// Range and consistency checks. `path` is the field path of `config` in its
// enclosing message, used to name fields in errors.
absl::Status ValidateClipConfig(const ClipConfig& config, const std::string& path = "clip");
absl::Status ValidateRuntimeConfig(const RuntimeConfig& config, const std::string& path = "runtime");
absl::Status ValidateTokenizerConfig(const TokenizerConfig& config,
                                     const std::string& path = "tokenizer");
// Optimizer, schedule, checkpoint, distributed, loss and evaluation ranges
// (including batch_size divisible by world_size).
absl::Status ValidateTrainingConfigs(const JobSpec& spec);
// Everything above, plus model and tokenizer consistency. DataConfig is
// validated by worker/data (ValidateDataConfig), which knows the datasets.
absl::Status ValidateJobSpec(const JobSpec& spec);

// Threads to use for `requested` intra-op threads (0 means every available core).
int ResolveThreadCount(int requested);

// One line per field of a ClipConfig, for logs and `inspect-weights`.
std::string DescribeClipConfig(const ClipConfig& config);

}  // namespace camoe

#endif  // CAMOE_COMMON_CONFIG_H_
