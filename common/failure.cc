#include "common/failure.h"

#include "absl/strings/cord.h"

namespace camoe {
namespace {

constexpr char kPayloadUrl[] = "type.camoe/failure_class";

}  // namespace

absl::Status WithFailureClass(absl::Status status, std::string_view failure_class) {
  if (!status.ok()) {
    status.SetPayload(kPayloadUrl, absl::Cord(std::string(failure_class)));
  }
  return status;
}

std::string FailureClassOf(const absl::Status& status) {
  if (auto payload = status.GetPayload(kPayloadUrl)) return std::string(*payload);
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted:
      return kFailureOutOfMemory;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kPermissionDenied:
      return kFailureConfig;
    case absl::StatusCode::kDataLoss:
      return kFailureData;
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
      return kFailureCommunication;
    default:
      return kFailureOther;
  }
}

bool IsRetryableFailure(std::string_view failure_class) {
  return failure_class == kFailureCommunication || failure_class == kFailureWorkerLost ||
         failure_class == kFailureOther;
}

}  // namespace camoe
