// Ranks as threads in one process: a ThreadWorld of N ranks hands out one
// Communicator per rank; each is driven by its own thread in tests, exactly
// as separate processes would drive MPI. Real semantics (data really moves
// between the ranks' buffers, collectives must match across ranks or they
// fail with both calls named) plus fault switches for tests: a rank can be
// made to stop participating (dead) or to fail its n-th collective.
// Thread-safe; the world must outlive its communicators.
#ifndef CAMOE_WORKER_DIST_THREAD_COMMUNICATOR_H_
#define CAMOE_WORKER_DIST_THREAD_COMMUNICATOR_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "worker/dist/communicator.h"

namespace camoe {

class ThreadWorld {
 public:
  explicit ThreadWorld(int size);
  int size() const { return size_; }

  // The communicator of `rank`. REQUIRES: 0 <= rank < size, once per rank.
  std::unique_ptr<Communicator> Connect(int rank, CommunicatorOptions options = {});

  // Fault switches. A dead rank never arrives at any collective from its
  // `after`-th on (its calls return Unavailable; peers time out).
  void KillRank(int rank, int64_t after = 0);

 private:
  friend class ThreadCommunicator;
  struct Arrival {
    std::string signature;  // operation and size, to detect mismatches
    const void* send = nullptr;
    void* recv = nullptr;
  };
  // Runs one collective for `rank`: waits for all ranks to arrive, calls
  // `exchange` (which may read every arrival), waits for all to finish.
  absl::Status Collective(int rank, const Arrival& arrival, absl::Duration timeout,
                          const std::function<void(const std::vector<Arrival>&)>& exchange);

  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Arrival> arrivals_;   // GUARDED_BY(mu_)
  int arrived_ = 0;                 // GUARDED_BY(mu_)
  int departed_ = 0;                // GUARDED_BY(mu_)
  int64_t generation_ = 0;          // GUARDED_BY(mu_)
  bool exchange_open_ = false;      // GUARDED_BY(mu_)
  absl::Status broken_;             // GUARDED_BY(mu_)
  std::vector<int64_t> calls_;      // GUARDED_BY(mu_): collectives entered per rank
  std::vector<int64_t> dead_after_; // GUARDED_BY(mu_): -1 = alive
};

// A communicator of one rank that owns its world (a job that runs alone).
std::unique_ptr<Communicator> MakeSoloCommunicator(CommunicatorOptions options = {});

}  // namespace camoe

#endif  // CAMOE_WORKER_DIST_THREAD_COMMUNICATOR_H_
