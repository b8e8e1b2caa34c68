// Runs the `camoe` command line in-process for tests and captures its output.
#ifndef CAMOE_TESTS_CLI_RUNNER_H_
#define CAMOE_TESTS_CLI_RUNNER_H_

#include <string>
#include <vector>

namespace camoe::testing {

struct CliResult {
  int code = 0;
  std::string out;
  std::string err;
};

// RunCli(args) with standard output and error captured.
CliResult RunCamoe(const std::vector<std::string>& args);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_CLI_RUNNER_H_
