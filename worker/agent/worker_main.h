// The camoe-worker program (docs/operations.md): flags, launch discovery,
// signals, then a WorkerAgent until SIGINT/SIGTERM.
#ifndef CAMOE_WORKER_AGENT_WORKER_MAIN_H_
#define CAMOE_WORKER_AGENT_WORKER_MAIN_H_

#include <string>
#include <vector>

namespace camoe::agent {

// `args` without the program name. Returns the process exit status.
int WorkerMain(const std::vector<std::string>& args);

}  // namespace camoe::agent

#endif  // CAMOE_WORKER_AGENT_WORKER_MAIN_H_
