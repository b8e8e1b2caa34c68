// The camoe-coordinator program (docs/operations.md): flags, the SQLite store,
// the Prometheus exporter, the gRPC server, and a graceful stop on
// SIGINT/SIGTERM (in-flight calls finish, watchers are told, the store is
// closed cleanly).
#ifndef CAMOE_COORDINATOR_SERVICE_COORDINATOR_MAIN_H_
#define CAMOE_COORDINATOR_SERVICE_COORDINATOR_MAIN_H_

#include <string>
#include <vector>

namespace camoe::coordinator {

// `args` without the program name. Returns the process exit status.
int CoordinatorMain(const std::vector<std::string>& args);

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_SERVICE_COORDINATOR_MAIN_H_
