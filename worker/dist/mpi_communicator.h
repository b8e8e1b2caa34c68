// MpiCommunicator: collectives over Open MPI, for CPU tensors and across
// nodes. Processes are started by `mpirun` (or srun); rank and size come from
// the MPI communicator it wraps: a duplicate of MPI_COMM_WORLD, or a group of
// some of its ranks (a gang of workers running one job).
//
// MPI is initialised once per process with at least MPI_THREAD_SERIALIZED,
// because collectives run on the Communicator's own thread. MPI errors are
// returned (MPI_ERRORS_RETURN), never abort the process, and become Status
// values with MPI's error string. A blocked MPI call cannot be interrupted:
// the timeout reports it; a watchdog (reliability milestone) aborts the job.
// Thread-safe as every Communicator.
#ifndef CAMOE_WORKER_DIST_MPI_COMMUNICATOR_H_
#define CAMOE_WORKER_DIST_MPI_COMMUNICATOR_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/dist/communicator.h"

namespace camoe {

// Initialises MPI if needed (idempotent, thread-safe). FailedPrecondition if
// the library offers less than MPI_THREAD_SERIALIZED.
absl::Status EnsureMpiInitialized();

// Finalises MPI if this process initialised it. Call once at the end of main,
// after every MpiCommunicator is destroyed.
void FinalizeMpi();

class MpiCommunicator : public Communicator {
 public:
  // All processes of the launch.
  static absl::StatusOr<std::unique_ptr<MpiCommunicator>> World(CommunicatorOptions options = {});

  // The processes of `world_ranks` (ranks of the launch, in the new rank
  // order). Collective over those processes only (MPI_Comm_create_group);
  // every member must pass the same list and `tag`.
  static absl::StatusOr<std::unique_ptr<MpiCommunicator>> Group(const std::vector<int>& world_ranks,
                                                                int tag,
                                                                CommunicatorOptions options = {});
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }

 protected:
  absl::Status DoAllReduce(void* data, int64_t count, DataType type, ReduceOp op) override;
  absl::Status DoAllGather(const void* send, int64_t bytes_per_rank, void* recv) override;
  absl::Status DoBroadcast(void* data, int64_t bytes, int root) override;
  absl::Status DoBarrier() override;

 private:
  struct Handle;
  MpiCommunicator(std::unique_ptr<Handle> handle, int rank, int size, CommunicatorOptions options);
  std::unique_ptr<Handle> handle_;
  const int rank_;
  const int size_;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_DIST_MPI_COMMUNICATOR_H_
