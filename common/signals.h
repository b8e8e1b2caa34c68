// Graceful shutdown for the daemons (camoe-coordinator, camoe-worker): SIGINT
// and SIGTERM are blocked in every thread and received by one watcher thread,
// which calls a handler in ordinary (not async-signal) context, so the
// handler may lock mutexes and log. A second signal while shutting down
// exits at once with status 130 / 143.
#ifndef CAMOE_COMMON_SIGNALS_H_
#define CAMOE_COMMON_SIGNALS_H_

#include <functional>
#include <thread>

namespace camoe {

class ShutdownSignals {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread (and so in every thread
  // it creates afterwards): construct it first thing in main.
  ShutdownSignals();
  // Stops the watcher if it still runs.
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Starts the watcher; `handler(signal)` runs on it for the first signal.
  void Watch(std::function<void(int)> handler);

 private:
  std::thread watcher_;
};

}  // namespace camoe

#endif  // CAMOE_COMMON_SIGNALS_H_
