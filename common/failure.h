// Failure classes: why a job failed, in words a scheduler and a dashboard can
// act on. A class travels with an absl::Status as a payload (set where the
// cause is known, e.g. the trainer's non-finite loss check); without one it is
// derived from the status code. The class decides whether running the job
// again could help: a bad spec, unreadable data, a NaN loss or exhausted
// memory fail the same way again; a lost peer or a timed-out collective may not.
#ifndef CAMOE_COMMON_FAILURE_H_
#define CAMOE_COMMON_FAILURE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace camoe {

// The classes (also the `class` label of camoe_job_failures_total).
inline constexpr char kFailureNonFinite[] = "non_finite";    // NaN/Inf loss or gradient
inline constexpr char kFailureOutOfMemory[] = "oom";
inline constexpr char kFailureConfig[] = "config";           // the spec or its files
inline constexpr char kFailureData[] = "data";               // too many unreadable videos, corrupt files
inline constexpr char kFailureCommunication[] = "comm";      // collective failed or timed out
inline constexpr char kFailureWorkerLost[] = "worker_lost";  // a rank died or went silent
inline constexpr char kFailureOther[] = "other";

// `status` with the class attached (unchanged when OK).
absl::Status WithFailureClass(absl::Status status, std::string_view failure_class);

// The attached class, else one derived from the code: ResourceExhausted ->
// oom; InvalidArgument, NotFound, FailedPrecondition, PermissionDenied ->
// config; DataLoss -> data; DeadlineExceeded, Unavailable, Aborted -> comm;
// anything else -> other.
std::string FailureClassOf(const absl::Status& status);

// Whether a job failing with this class may succeed when run again.
bool IsRetryableFailure(std::string_view failure_class);

}  // namespace camoe

#endif  // CAMOE_COMMON_FAILURE_H_
