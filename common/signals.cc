#include "common/signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

namespace camoe {
namespace {

// SIGUSR2 only wakes the watcher when the process ends without a signal.
sigset_t WatchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  return set;
}

}  // namespace

ShutdownSignals::ShutdownSignals() {
  sigset_t set = WatchedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ShutdownSignals::~ShutdownSignals() {
  if (watcher_.joinable()) {
    pthread_kill(watcher_.native_handle(), SIGUSR2);
    watcher_.join();
  }
}

void ShutdownSignals::Watch(std::function<void(int)> handler) {
  watcher_ = std::thread([handler = std::move(handler)] {
    sigset_t set = WatchedSignals();
    int received = 0;
    if (sigwait(&set, &received) != 0 || received == SIGUSR2) return;
    handler(received);
    // A second SIGINT/SIGTERM means "now".
    while (sigwait(&set, &received) == 0) {
      if (received == SIGUSR2) return;
      _exit(128 + received);
    }
  });
}

}  // namespace camoe
