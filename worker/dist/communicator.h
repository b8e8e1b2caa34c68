// Communicator: the narrow collective interface data-parallel training needs
// (all-gather, all-reduce, broadcast, barrier, rank, size), over raw buffers so
// that implementations (MPI, ranks-as-threads, later NCCL) need no libtorch.
//
// Cross-rank contract: every rank issues the same collectives in the same order
// with matching sizes and types. Calls are queued and executed in call order on
// the communicator's own thread, so a caller may launch several asynchronous
// collectives (e.g. gradient buckets from autograd hooks) and wait later; the
// buffers passed in must stay alive and untouched until the Work completes.
// Every wait has a timeout; a timeout or a failure breaks the communicator
// (later calls fail fast with the original reason) because the ranks can no
// longer be known to agree. Errors name the rank, the operation and its label.
// All methods are thread-safe.
#ifndef CAMOE_WORKER_DIST_COMMUNICATOR_H_
#define CAMOE_WORKER_DIST_COMMUNICATOR_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace camoe {

enum class DataType { kFloat32, kFloat64, kInt32, kInt64, kUInt8 };
enum class ReduceOp { kSum, kMax, kMin };

int DataTypeSize(DataType type);
const char* DataTypeName(DataType type);

// A queued collective. Wait() may be called from any thread, several times.
class Work {
 public:
  explicit Work(std::string description) : description_(std::move(description)) {}
  // OK when the collective finished; its error if it failed; DeadlineExceeded
  // (naming the operation) if it did not finish within `timeout`.
  absl::Status Wait(absl::Duration timeout);
  bool done() const;
  // Seconds the collective itself took (0 until done).
  double seconds() const;
  const std::string& description() const { return description_; }

 private:
  friend class Communicator;
  void Finish(absl::Status status, double seconds);

  const std::string description_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;            // GUARDED_BY(mu_)
  absl::Status status_;          // GUARDED_BY(mu_)
  double seconds_ = 0;           // GUARDED_BY(mu_)
};

struct CommunicatorOptions {
  // How long a blocking call (or Wait with the default) waits for a collective.
  absl::Duration timeout = absl::Seconds(300);
};

class Communicator {
 public:
  explicit Communicator(CommunicatorOptions options);
  virtual ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // The one rank that logs, writes checkpoints and reports (rank 0).
  bool IsChief() const { return rank() == 0; }
  // Whether buffers must be device (CUDA) pointers rather than host memory.
  virtual bool device_memory() const { return false; }
  // The CUDA device of a device-memory communicator; -1 otherwise.
  virtual int device_index() const { return -1; }
  const CommunicatorOptions& options() const { return options_; }

  // In-place reduction of `count` elements of `data` across ranks.
  std::shared_ptr<Work> AllReduceAsync(void* data, int64_t count, DataType type, ReduceOp op,
                                       const std::string& label);
  // `recv` receives size() blocks of `bytes_per_rank` bytes, in rank order.
  std::shared_ptr<Work> AllGatherAsync(const void* send, int64_t bytes_per_rank, void* recv,
                                       const std::string& label);
  // `bytes` bytes of `data` from `root` to every rank.
  std::shared_ptr<Work> BroadcastAsync(void* data, int64_t bytes, int root,
                                       const std::string& label);
  std::shared_ptr<Work> BarrierAsync(const std::string& label);

  // Waits for `work` up to the timeout plus a grace period (so an
  // implementation's own, more precise timeout error arrives first). A timeout
  // breaks the communicator: the ranks may no longer agree on what ran.
  absl::Status Wait(const std::shared_ptr<Work>& work);

  // Blocking forms: the async call, then Wait(work).
  absl::Status AllReduce(void* data, int64_t count, DataType type, ReduceOp op,
                         const std::string& label);
  absl::Status AllGather(const void* send, int64_t bytes_per_rank, void* recv,
                         const std::string& label);
  absl::Status Broadcast(void* data, int64_t bytes, int root, const std::string& label);
  absl::Status Barrier(const std::string& label);

  // Total seconds spent inside collectives and bytes moved by this rank.
  double busy_seconds() const;
  int64_t bytes_moved() const;

 protected:
  // Implementations: blocking collectives, called on the communicator thread only.
  virtual absl::Status DoAllReduce(void* data, int64_t count, DataType type, ReduceOp op) = 0;
  virtual absl::Status DoAllGather(const void* send, int64_t bytes_per_rank, void* recv) = 0;
  virtual absl::Status DoBroadcast(void* data, int64_t bytes, int root) = 0;
  virtual absl::Status DoBarrier() = 0;

  // Stops the communicator thread after the queued work. Derived destructors
  // call it first, so no Do* runs on a half-destroyed object.
  void Shutdown();

 private:
  std::shared_ptr<Work> Enqueue(std::string description, int64_t bytes,
                                std::function<absl::Status()> run);
  void Loop();

  const CommunicatorOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  absl::Status broken_;                      // GUARDED_BY(mu_): first failure, sticky
  int64_t sequence_ = 0;                     // GUARDED_BY(mu_): collectives issued
  double busy_seconds_ = 0;                  // GUARDED_BY(mu_)
  int64_t bytes_moved_ = 0;                  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_DIST_COMMUNICATOR_H_
