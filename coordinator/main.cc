// The camoe-coordinator binary: see coordinator/service/coordinator_main.h
// and docs/operations.md.
#include <glog/logging.h>

#include "coordinator/service/coordinator_main.h"

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  return camoe::coordinator::CoordinatorMain(std::vector<std::string>(argv + 1, argv + argc));
}
