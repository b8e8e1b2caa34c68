#include "worker/train/rank_setup.h"

#include <cstdlib>

#ifdef CAMOE_HAVE_NCCL
#include "worker/dist/nccl_communicator.h"
#endif

namespace camoe {

int LocalCudaDevice(int rank) {
  const char* local = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  int index = local != nullptr ? atoi(local) : rank;
#ifdef CAMOE_HAVE_NCCL
  const int devices = CudaDeviceCount();
  if (devices > 0) index %= devices;
#endif
  return index;
}

absl::StatusOr<RankCommunicator> MakeRankCommunicator(const JobSpec& spec, Communicator* bootstrap,
                                                      int device) {
  RankCommunicator out;
  out.comm = bootstrap;
  if (spec.runtime().device() != DEVICE_CUDA) return out;
#ifdef CAMOE_HAVE_NCCL
  auto nccl = NcclCommunicator::Create(*bootstrap, device, bootstrap->options());
  if (!nccl.ok()) return nccl.status();
  out.owned = std::move(*nccl);
  out.comm = out.owned.get();
#else
  if (bootstrap->size() > 1) {
    return absl::FailedPreconditionError(
        "runtime.device is DEVICE_CUDA with several ranks, but this camoe was built without "
        "NCCL (configure with the CUDA toolkit and NCCL available)");
  }
#endif
  return out;
}

}  // namespace camoe
