// What every way of starting a training rank shares (`camoe train`, the
// camoe-worker agent): which CUDA device the rank drives, and the
// communicator its collectives run on (NCCL over a bootstrap communicator for
// DEVICE_CUDA, the bootstrap itself otherwise).
#ifndef CAMOE_WORKER_TRAIN_RANK_SETUP_H_
#define CAMOE_WORKER_TRAIN_RANK_SETUP_H_

#include <memory>

#include "absl/status/statusor.h"
#include "camoe/config.pb.h"
#include "worker/dist/communicator.h"

namespace camoe {

// The CUDA device of a rank: its rank on the node (OMPI_COMM_WORLD_LOCAL_RANK,
// else `rank`) modulo the devices this process sees.
int LocalCudaDevice(int rank);

// The communicator a rank trains with. `comm` is `bootstrap` or `owned`.
struct RankCommunicator {
  std::unique_ptr<Communicator> owned;
  Communicator* comm = nullptr;
};

// For DEVICE_CUDA an NCCL communicator on `device` whose id `bootstrap`
// distributes (collective over bootstrap's ranks); otherwise `bootstrap`.
// FailedPrecondition when CUDA training with several ranks is asked of a
// build without NCCL.
absl::StatusOr<RankCommunicator> MakeRankCommunicator(const JobSpec& spec, Communicator* bootstrap,
                                                      int device);

}  // namespace camoe

#endif  // CAMOE_WORKER_TRAIN_RANK_SETUP_H_
