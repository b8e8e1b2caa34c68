// Conversions between absl::Status and grpc::Status. Both use the canonical
// code numbering, so the code carries over unchanged; the message too.
#ifndef CAMOE_COMMON_GRPC_STATUS_H_
#define CAMOE_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace camoe {

grpc::Status ToGrpcStatus(const absl::Status& status);

// `call` names the RPC in the message: "SubmitJob: <server message>"; an
// unreachable server says so plainly.
absl::Status FromGrpcStatus(const grpc::Status& status, const std::string& call);

// Codes worth retrying the same request for (the server was unreachable,
// overloaded or restarting).
bool IsTransientGrpcCode(grpc::StatusCode code);

}  // namespace camoe

#endif  // CAMOE_COMMON_GRPC_STATUS_H_
