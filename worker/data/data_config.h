// Validation of DataConfig (proto/camoe/data.proto): ranges, the fields each
// format needs, and split names. Errors name the field by its path in the job
// ("data.num_frames: 0 is out of range [1, 256]") and say what to do. Checks
// the config only; files are looked at when a split is loaded. Thread-safe.
#ifndef CAMOE_WORKER_DATA_DATA_CONFIG_H_
#define CAMOE_WORKER_DATA_DATA_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "camoe/data.pb.h"

namespace camoe::data {

inline constexpr int kMaxNumFrames = 256;
inline constexpr int kMaxLoaderThreads = 1024;
inline constexpr int kMaxPrefetchBatches = 64;

// `path` is the field path of `config` in its enclosing message. A config
// without a format (no dataset) is valid as long as no dataset field is set.
absl::Status ValidateDataConfig(const DataConfig& config, const std::string& path = "data");

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_DATA_CONFIG_H_
