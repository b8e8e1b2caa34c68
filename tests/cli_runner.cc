#include "tests/cli_runner.h"

#include <sstream>

#include "worker/cli/cli.h"

namespace camoe::testing {

CliResult RunCamoe(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace camoe::testing
