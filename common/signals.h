// Graceful shutdown for the daemons (camoe-coordinator, camoe-worker): SIGINT,
// SIGTERM and SIGUSR1 are blocked in every thread and received by one watcher
// thread, which calls a handler in ordinary (not async-signal) context, so
// the handler may lock mutexes and log. SIGUSR1 is there because mpirun
// forwards it to every rank (while SIGTERM to mpirun kills the ranks): `kill
// -USR1 <mpirun pid>` drains a whole pool. A second signal while shutting
// down exits at once with status 128 + signal.
#ifndef CAMOE_COMMON_SIGNALS_H_
#define CAMOE_COMMON_SIGNALS_H_

#include <atomic>
#include <functional>
#include <thread>

namespace camoe {

class ShutdownSignals {
 public:
  // Blocks the signals in the calling thread (and so in every thread it
  // creates afterwards): construct it first thing in main.
  ShutdownSignals();
  // Stops the watcher if it still runs.
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Starts the watcher; `handler(signal)` runs on it for the first signal.
  void Watch(std::function<void(int)> handler);

 private:
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace camoe

#endif  // CAMOE_COMMON_SIGNALS_H_
