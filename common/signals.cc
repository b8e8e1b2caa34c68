#include "common/signals.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

namespace camoe {
namespace {

sigset_t WatchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

ShutdownSignals::ShutdownSignals() {
  sigset_t set = WatchedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ShutdownSignals::~ShutdownSignals() {
  stop_ = true;
  if (watcher_.joinable()) watcher_.join();
}

void ShutdownSignals::Watch(std::function<void(int)> handler) {
  watcher_ = std::thread([this, handler = std::move(handler)] {
    const sigset_t set = WatchedSignals();
    const timespec poll = {0, 200 * 1000 * 1000};
    bool handled = false;
    while (!stop_) {
      const int received = sigtimedwait(&set, nullptr, &poll);
      if (received <= 0) continue;  // timeout or EINTR: check stop_
      if (handled) _exit(128 + received);  // a second signal means "now"
      handled = true;
      handler(received);
    }
  });
}

}  // namespace camoe
