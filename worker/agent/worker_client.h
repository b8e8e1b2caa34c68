// WorkerClient: the worker's side of WorkerService, one call per RPC with a
// deadline. Errors are absl::Status values naming the RPC (FromGrpcStatus);
// retrying is the caller's decision. Thread-safe (gRPC stubs are).
#ifndef CAMOE_WORKER_AGENT_WORKER_CLIENT_H_
#define CAMOE_WORKER_AGENT_WORKER_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "camoe/service.grpc.pb.h"

namespace camoe::agent {

struct WorkerClientOptions {
  std::string address = "127.0.0.1:50051";  // the coordinator
  // Channel credentials; null: an insecure channel (loopback and tests).
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Sent as "authorization: Bearer <token>" on every call when set.
  std::string token;
  absl::Duration rpc_timeout = absl::Seconds(10);
};

class WorkerClient {
 public:
  explicit WorkerClient(const WorkerClientOptions& options);

  absl::StatusOr<RegisterWorkerResponse> Register(const RegisterWorkerRequest& request);
  absl::StatusOr<HeartbeatResponse> Heartbeat(const HeartbeatRequest& request);
  absl::Status ReportMetrics(const ReportMetricsRequest& request);
  absl::Status ReportEvent(const ReportEventRequest& request);

 private:
  void Prepare(grpc::ClientContext* context) const;

  const WorkerClientOptions options_;
  std::unique_ptr<WorkerService::Stub> stub_;
};

}  // namespace camoe::agent

#endif  // CAMOE_WORKER_AGENT_WORKER_CLIENT_H_
