// The `camoe` command line: one binary, one sub-command per task. Each
// sub-command parses its own flags (common/cli.h) into an options struct,
// calls one library function and prints the result; machine-readable output
// goes to `out`, diagnostics to `err`. Returns the process exit status
// (0 success, 1 failure, 2 bad usage). Not thread-safe (sets libtorch's
// process-wide thread counts).
#ifndef CAMOE_WORKER_CLI_CLI_H_
#define CAMOE_WORKER_CLI_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace camoe {

// `args` excludes the program name: {"tokenize", "--vocab=...", "a dog"}.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace camoe

#endif  // CAMOE_WORKER_CLI_CLI_H_
