// Checks a submitted JobSpec before it is queued: every range the config
// validators know, plus the service's own rules - every path inside the
// configured data root (annotations, videos, frame cache, weights,
// vocabulary) or checkpoint root (checkpoint.dir), and no absurd sizes. Paths
// are normalised ("..", symlinks in existing prefixes) before the check.
// Relative paths are taken relative to the data root and rewritten absolute,
// so workers started anywhere read the same files. Errors are
// InvalidArgument naming the field and the rule. Thread-safe.
#ifndef CAMOE_COORDINATOR_CORE_VALIDATION_H_
#define CAMOE_COORDINATOR_CORE_VALIDATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "camoe/config.pb.h"

namespace camoe::coordinator {

struct ValidationOptions {
  std::string data_root;        // absolute; empty: paths are not confined
  std::string checkpoint_root;  // absolute; empty: checkpoint.dir is not confined
  int max_world_size = 1024;    // the biggest gang the service accepts
};

// The spec as it will run: validated, paths absolute, checkpoint.dir set to
// <checkpoint_root>/<job_id> when empty.
absl::StatusOr<JobSpec> ValidateSubmittedSpec(const JobSpec& spec, const std::string& job_id,
                                              const ValidationOptions& options);

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_CORE_VALIDATION_H_
