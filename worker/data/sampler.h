// DistributedSampler: which samples each rank trains on, batch by batch, in
// one epoch. The contract, see Note [Global batch order]:
//   - The epoch's global order is a permutation of [0, num_samples) that
//     depends only on (seed, epoch) - never on the world size or the rank.
//   - Global batch b is positions [b * G, (b + 1) * G) of that order, for the
//     global batch size G. Rank r of W takes the contiguous slice
//     [r * G / W, (r + 1) * G / W) of every global batch.
// So global batch b holds the same samples whatever the world size, and a job
// resumed on a different number of ranks continues the same optimisation.
// With drop_last an incomplete final global batch is dropped (each sample is
// seen at most once per epoch); without it the final batch is filled by
// wrapping around to the start of the order (a few samples are seen twice,
// as with PyTorch's DistributedSampler). Every rank must construct it with the
// same options except rank. Immutable after Create; thread-safe.
#ifndef CAMOE_WORKER_DATA_SAMPLER_H_
#define CAMOE_WORKER_DATA_SAMPLER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace camoe::data {

struct SamplerOptions {
  int64_t num_samples = 0;        // samples per epoch (TrainView::size())
  int64_t global_batch_size = 1;  // G, summed over ranks; a multiple of world_size
  int world_size = 1;
  int rank = 0;
  uint64_t seed = 0;              // runtime.seed
  bool shuffle = true;            // false: the order is 0, 1, 2, ...
  bool drop_last = true;          // drop the final incomplete global batch
};

class DistributedSampler {
 public:
  // InvalidArgument for world_size < 1, rank outside [0, world_size),
  // global_batch_size < 1 or not a multiple of world_size, no samples, or
  // (with drop_last) fewer samples than one global batch.
  static absl::StatusOr<DistributedSampler> Create(const SamplerOptions& options);

  const SamplerOptions& options() const { return options_; }
  int64_t num_batches() const { return num_batches_; }        // per epoch, same on every rank
  int64_t local_batch_size() const { return local_batch_size_; }  // G / W

  // The epoch's global order: every sample once, num_samples entries.
  std::vector<int64_t> GlobalOrder(int64_t epoch) const;

  // This rank's samples for the epoch: num_batches() * local_batch_size()
  // indices, batch after batch.
  std::vector<int64_t> Indices(int64_t epoch) const;

  // This rank's part of global batch `batch` (local_batch_size() indices).
  // REQUIRES: 0 <= batch < num_batches(); `order` is GlobalOrder(epoch).
  std::vector<int64_t> LocalBatch(const std::vector<int64_t>& order, int64_t batch) const;

 private:
  explicit DistributedSampler(const SamplerOptions& options);

  SamplerOptions options_;
  int64_t num_batches_ = 0;
  int64_t local_batch_size_ = 0;
};

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_SAMPLER_H_
