// Data-parallel building blocks on libtorch tensors, over any Communicator.
//
// Gradient contract (docs/distributed.md, Note [Exact global gradients]):
// every rank builds the same global loss L from all-gathered embeddings and
// back-propagates L / W. AllGatherRows' backward reduce-scatters (sums across
// ranks, keeps its own rows), so each rank receives exactly dL/d(its rows);
// GradientSynchronizer then SUMS parameter gradients across ranks. The result
// equals the gradient one process computes on the whole global batch, for
// parameters before the gather (towers, heads) and after it (logit_scale).
//
// Cross-rank contract: all ranks call these in the same order with the same
// parameter lists. Collective buffers live in host memory, or on the tensors'
// CUDA device when the communicator needs device memory (NCCL).
#ifndef CAMOE_WORKER_DIST_TORCH_DIST_H_
#define CAMOE_WORKER_DIST_TORCH_DIST_H_

#include <torch/torch.h>

#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/dist/communicator.h"

namespace camoe {

// Differentiable all-gather of rows: every rank's `local` [n_r, ...] stacked in
// rank order, [sum n_r, ...] (ranks may hold different row counts). Throws
// c10::Error if a collective fails (autograd cannot carry a Status); callers
// catch it at the step boundary.
torch::Tensor AllGatherRows(Communicator& comm, const torch::Tensor& local);

// Copies rank `root`'s values of `parameters` to every rank (one flat broadcast).
absl::Status BroadcastParameters(Communicator& comm, const std::vector<torch::Tensor>& parameters,
                                 int root = 0);

// All-reduces `count` host int64 values in place, staging them through the
// communicator's device when it needs device memory (NCCL). For the small
// control values every rank must agree on (dropped videos, stop requests,
// the outcome of the chief's checkpoint write).
absl::Status AllReduceHostInt64(Communicator& comm, int64_t* values, int64_t count, ReduceOp op,
                                const std::string& what);

// A checksum of `parameters` (sum of squares and a weighted sum, in fp64) and
// whether it is identical on every rank: a cheap check that replicas agree.
absl::StatusOr<bool> ParametersAgree(Communicator& comm,
                                     const std::vector<torch::Tensor>& parameters);

struct GradientSyncOptions {
  // Bucket capacity; buckets are launched as they fill during backward.
  int64_t bucket_bytes = 25 << 20;
};

struct GradientSyncStats {
  int buckets = 0;
  int64_t bytes = 0;
  double comm_seconds = 0;     // time the all-reduces took
  double exposed_seconds = 0;  // time Finish() waited for them after backward
  // Share of communication overlapped with backward: 1 - exposed / comm.
  double hidden_fraction() const;
};

// Bucketed, overlapped gradient all-reduce. Parameters are assigned to buckets
// in reverse order (gradients arrive roughly last layer first); a bucket is
// launched from the autograd hook that completes it, but never before the
// buckets ahead of it, so every rank issues the same all-reduces in the same
// order. Not thread-safe across steps: Prepare, backward, Finish, repeat.
class GradientSynchronizer {
 public:
  // `parameters`: the trained parameters, the same list on every rank.
  GradientSynchronizer(Communicator* comm, std::vector<torch::Tensor> parameters,
                       GradientSyncOptions options = {});
  ~GradientSynchronizer();
  GradientSynchronizer(const GradientSynchronizer&) = delete;
  GradientSynchronizer& operator=(const GradientSynchronizer&) = delete;

  // Arms the hooks for the next backward pass.
  void Prepare();
  // Launches what backward did not (parameters without a gradient contribute
  // zeros), waits up to the communicator's timeout, and sets every
  // parameter's .grad to the sum of its gradients over ranks.
  absl::StatusOr<GradientSyncStats> Finish();

  int num_buckets() const { return static_cast<int>(buckets_.size()); }
  // Buckets launched from autograd hooks in the current step, i.e. while
  // backward was still running (observable overlap, independent of timing).
  int launched_from_hooks() const;

 private:
  struct Bucket {
    std::vector<int> params;      // indices into parameters_
    torch::Tensor flat;           // fp32 buffer, all-reduced in place
    int pending = 0;              // gradients still missing this step
    std::shared_ptr<Work> work;   // in flight, once launched
  };
  void OnGradient(int param, const torch::Tensor& grad);
  void LaunchReadyBuckets();  // REQUIRES: mu_ held

  Communicator* comm_;
  std::vector<torch::Tensor> parameters_;
  std::vector<int> bucket_of_;       // per parameter
  std::vector<int64_t> offset_of_;   // per parameter, in its bucket
  std::vector<Bucket> buckets_;
  std::vector<bool> ready_;          // per parameter, this step
  int next_launch_ = 0;
  int launched_from_hooks_ = 0;
  bool armed_ = false;
  mutable std::mutex mu_;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_DIST_TORCH_DIST_H_
