// The `camoe` binary: see worker/cli/cli.h and docs/cli.md.
#include <glog/logging.h>

#include <iostream>

#include "worker/cli/cli.h"

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  return camoe::RunCli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
