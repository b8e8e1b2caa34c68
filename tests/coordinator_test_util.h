// Helpers for the coordinator's tests (scheduler, validation, Coordinator,
// gRPC services): a JobSpec the service accepts, pool workers, and the
// messages a worker sends. No torch, no data files: validation only looks at
// paths, never opens them.
#ifndef CAMOE_TESTS_COORDINATOR_TEST_UTIL_H_
#define CAMOE_TESTS_COORDINATOR_TEST_UTIL_H_

#include <string>

#include "camoe/config.pb.h"
#include "camoe/service.pb.h"

namespace camoe::testing {

// A tiny MSR-VTT training spec with relative data paths ("msrvtt",
// "msrvtt/videos"), global batch 2 * world_size, and no checkpoint.dir: valid
// for ValidateSubmittedSpec under any data and checkpoint root.
JobSpec ServiceSpec(int world_size = 1);

// A worker of launch `launch_id` at `launch_rank` of `launch_size`, on `host`,
// with id "<launch_id>/<launch_rank>" (what the Coordinator assigns).
Worker PoolWorker(const std::string& launch_id, int launch_rank, int launch_size,
                  const std::string& host);

// An event of `type` from `worker_id` about (job, attempt).
ReportEventRequest WorkerEvent(const std::string& worker_id, const std::string& job_id,
                               int attempt, WorkerEventType type);

// A step report for `step` of `total` with `loss`.
StepReport Step(int64_t step, int64_t total, double loss);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_COORDINATOR_TEST_UTIL_H_
