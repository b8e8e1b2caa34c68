// The camoe-worker binary: see worker/agent/worker_main.h and docs/operations.md.
#include <glog/logging.h>

#include "worker/agent/worker_main.h"

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  return camoe::agent::WorkerMain(std::vector<std::string>(argv + 1, argv + argc));
}
