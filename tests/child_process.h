// A child process for tests that run the real binaries (the coordinator, a
// worker pool under mpirun, Prometheus). Output goes to a log file; the child
// gets SIGTERM if the test process dies first (a ctest timeout kills tests
// with SIGKILL and no destructor runs then); the destructor stops it.
#ifndef CAMOE_TESTS_CHILD_PROCESS_H_
#define CAMOE_TESTS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace camoe::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { Stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] (a path) with stdout and stderr into `log_path`.
  bool Spawn(const std::vector<std::string>& argv, const std::string& log_path);

  // Whether it has exited (and is reaped).
  bool Exited();
  void Signal(int signal);
  // Waits up to `seconds` for the exit; true if it exited.
  bool WaitFor(double seconds);
  // SIGTERM, then SIGKILL after `grace_seconds`; returns the wait status.
  int Stop(double grace_seconds = 15);

  pid_t pid() const { return pid_; }
  // The wait status once exited (see WIFEXITED and friends).
  int status() const { return status_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_CHILD_PROCESS_H_
