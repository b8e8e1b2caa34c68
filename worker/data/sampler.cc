#include "worker/data/sampler.h"

#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "worker/data/rng.h"

namespace camoe::data {

// Note [Global batch order]
// The permutation is drawn from (seed, epoch) alone and cut into global
// batches before it is split between ranks. The loss of a global batch (the
// all-gathered B x B similarity matrices, docs/method.md) depends only on
// which samples the batch holds, so runs on 1, 2 or 8 ranks with the same
// global batch size follow the same sequence of batches and, up to float
// rounding, the same optimisation. Splitting the permutation per rank first
// (PyTorch's DistributedSampler interleaves i::W) would instead tie the
// batches to the world size.

absl::StatusOr<DistributedSampler> DistributedSampler::Create(const SamplerOptions& options) {
  if (options.world_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sampler: world size %d; it must be at least 1", options.world_size));
  }
  if (options.rank < 0 || options.rank >= options.world_size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "sampler: rank %d is outside [0, %d)", options.rank, options.world_size));
  }
  if (options.global_batch_size < 1 || options.global_batch_size % options.world_size != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "sampler: global batch size %d must be a positive multiple of the world size %d, so "
        "every rank holds the same number of samples",
        options.global_batch_size, options.world_size));
  }
  if (options.num_samples < 1) {
    return absl::InvalidArgumentError("sampler: the dataset has no samples");
  }
  if (options.drop_last && options.num_samples < options.global_batch_size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "sampler: %d samples are fewer than one global batch of %d, and drop_last would leave "
        "no batch; lower the batch size or turn drop_last off",
        options.num_samples, options.global_batch_size));
  }
  return DistributedSampler(options);
}

DistributedSampler::DistributedSampler(const SamplerOptions& options) : options_(options) {
  const int64_t g = options.global_batch_size;
  num_batches_ = options.drop_last ? options.num_samples / g : (options.num_samples + g - 1) / g;
  local_batch_size_ = g / options.world_size;
}

std::vector<int64_t> DistributedSampler::GlobalOrder(int64_t epoch) const {
  std::vector<int64_t> order(options_.num_samples);
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle) {
    SplitMix64 rng(MixSeed(options_.seed, static_cast<uint64_t>(epoch)));
    Shuffle(&order, &rng);
  }
  return order;
}

std::vector<int64_t> DistributedSampler::LocalBatch(const std::vector<int64_t>& order,
                                                    int64_t batch) const {
  std::vector<int64_t> out;
  out.reserve(local_batch_size_);
  const int64_t n = static_cast<int64_t>(order.size());
  int64_t begin = batch * options_.global_batch_size + options_.rank * local_batch_size_;
  for (int64_t i = 0; i < local_batch_size_; ++i) {
    // Past the end only without drop_last: wrap to the start of the order.
    out.push_back(order[(begin + i) % n]);
  }
  return out;
}

std::vector<int64_t> DistributedSampler::Indices(int64_t epoch) const {
  std::vector<int64_t> order = GlobalOrder(epoch);
  std::vector<int64_t> out;
  out.reserve(num_batches_ * local_batch_size_);
  for (int64_t b = 0; b < num_batches_; ++b) {
    std::vector<int64_t> batch = LocalBatch(order, b);
    out.insert(out.end(), batch.begin(), batch.end());
  }
  return out;
}

}  // namespace camoe::data
