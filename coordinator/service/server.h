// Runs the coordinator's gRPC server (JobService + WorkerService) on an
// address, with a bounded message size. Transport credentials are passed in
// (insecure for loopback tests; TLS comes from the security layer). The
// server owns its threads; Shutdown (or destruction) stops it, waiting for
// in-flight calls up to a deadline.
#ifndef CAMOE_COORDINATOR_SERVICE_SERVER_H_
#define CAMOE_COORDINATOR_SERVICE_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "coordinator/core/coordinator.h"
#include "coordinator/service/services.h"

namespace camoe::coordinator {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // port 0 picks a free one
  int max_message_bytes = 16 << 20;        // bigger requests are refused
  std::shared_ptr<grpc::ServerCredentials> credentials;  // null: insecure
};

class CoordinatorServer {
 public:
  static absl::StatusOr<std::unique_ptr<CoordinatorServer>> Start(Coordinator* coordinator,
                                                                  const ServerOptions& options);
  ~CoordinatorServer();
  // "host:port" actually bound.
  const std::string& address() const { return address_; }
  void Shutdown();
  void Wait();

 private:
  CoordinatorServer(Coordinator* coordinator) : jobs_(coordinator), workers_(coordinator) {}
  JobServiceImpl jobs_;
  WorkerServiceImpl workers_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_SERVICE_SERVER_H_
