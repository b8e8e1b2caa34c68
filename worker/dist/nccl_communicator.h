// NcclCommunicator: collectives on CUDA device memory with NCCL, for GPU
// training. The unique id is created by rank 0 and shared through a bootstrap
// Communicator (MPI across nodes, or threads in one process); each rank binds
// one CUDA device. Collectives run on the communicator's own CUDA stream, on
// the Communicator thread, in call order; buffers passed in are DEVICE
// pointers. A wait polls the stream until the timeout, then aborts the NCCL
// communicator (ncclCommAbort), so a dead peer cannot hang the job. NCCL and
// CUDA errors become Status values naming the call, file and line.
// Thread-safe as every Communicator. Built when the CUDA toolkit and NCCL are
// found (CAMOE_HAVE_NCCL), GPU or not.
#ifndef CAMOE_WORKER_DIST_NCCL_COMMUNICATOR_H_
#define CAMOE_WORKER_DIST_NCCL_COMMUNICATOR_H_

#include <memory>

#include "absl/status/statusor.h"
#include "worker/dist/communicator.h"

namespace camoe {

// Number of CUDA devices this process sees (0 without a driver or device).
int CudaDeviceCount();

class NcclCommunicator : public Communicator {
 public:
  // Collective over `bootstrap`'s ranks: same rank and size, on `device`.
  static absl::StatusOr<std::unique_ptr<NcclCommunicator>> Create(Communicator& bootstrap,
                                                                  int device,
                                                                  CommunicatorOptions options = {});
  ~NcclCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  bool device_memory() const override { return true; }
  int device() const { return device_; }
  int device_index() const override { return device_; }

 protected:
  absl::Status DoAllReduce(void* data, int64_t count, DataType type, ReduceOp op) override;
  absl::Status DoAllGather(const void* send, int64_t bytes_per_rank, void* recv) override;
  absl::Status DoBroadcast(void* data, int64_t bytes, int root) override;
  absl::Status DoBarrier() override;

 private:
  struct Handle;
  NcclCommunicator(std::unique_ptr<Handle> handle, int rank, int size, int device,
                   CommunicatorOptions options);
  // Waits for the stream; on timeout aborts the communicator.
  absl::Status Synchronize(const char* what);

  std::unique_ptr<Handle> handle_;
  const int rank_;
  const int size_;
  const int device_;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_DIST_NCCL_COMMUNICATOR_H_
