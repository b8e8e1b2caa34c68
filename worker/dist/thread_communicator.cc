#include "worker/dist/thread_communicator.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"

namespace camoe {
namespace {

template <typename T>
void Reduce(T* out, const T* in, int64_t count, ReduceOp op) {
  for (int64_t i = 0; i < count; ++i) {
    switch (op) {
      case ReduceOp::kSum: out[i] += in[i]; break;
      case ReduceOp::kMax: out[i] = std::max(out[i], in[i]); break;
      case ReduceOp::kMin: out[i] = std::min(out[i], in[i]); break;
    }
  }
}

void ReduceInto(void* out, const void* in, int64_t count, DataType type, ReduceOp op) {
  switch (type) {
    case DataType::kFloat32:
      Reduce(static_cast<float*>(out), static_cast<const float*>(in), count, op);
      break;
    case DataType::kFloat64:
      Reduce(static_cast<double*>(out), static_cast<const double*>(in), count, op);
      break;
    case DataType::kInt32:
      Reduce(static_cast<int32_t*>(out), static_cast<const int32_t*>(in), count, op);
      break;
    case DataType::kInt64:
      Reduce(static_cast<int64_t*>(out), static_cast<const int64_t*>(in), count, op);
      break;
    case DataType::kUInt8:
      Reduce(static_cast<uint8_t*>(out), static_cast<const uint8_t*>(in), count, op);
      break;
  }
}

}  // namespace

class ThreadCommunicator : public Communicator {
 public:
  ThreadCommunicator(ThreadWorld* world, int rank, CommunicatorOptions options,
                     std::unique_ptr<ThreadWorld> owned = nullptr)
      : Communicator(options), owned_(std::move(owned)), world_(world), rank_(rank) {}
  ~ThreadCommunicator() override { Shutdown(); }

  int rank() const override { return rank_; }
  int size() const override { return world_->size(); }

 protected:
  absl::Status DoAllReduce(void* data, int64_t count, DataType type, ReduceOp op) override {
    const int64_t bytes = count * DataTypeSize(type);
    // Every rank reduces all inputs in rank order into a private copy, so all
    // ranks get bit-identical results (as MPI's deterministic reductions do).
    std::vector<char> result(bytes);
    ThreadWorld::Arrival arrival{
        absl::StrFormat("all-reduce %d x %s op %d", count, DataTypeName(type), static_cast<int>(op)),
        data, nullptr};
    absl::Status status = world_->Collective(
        rank_, arrival, options().timeout, [&](const std::vector<ThreadWorld::Arrival>& all) {
          std::memcpy(result.data(), all[0].send, bytes);
          for (size_t r = 1; r < all.size(); ++r) ReduceInto(result.data(), all[r].send, count, type, op);
        });
    if (status.ok() && bytes > 0) std::memcpy(data, result.data(), bytes);
    return status;
  }

  absl::Status DoAllGather(const void* send, int64_t bytes_per_rank, void* recv) override {
    ThreadWorld::Arrival arrival{absl::StrFormat("all-gather %d bytes", bytes_per_rank), send,
                                 recv};
    return world_->Collective(rank_, arrival, options().timeout,
                              [&](const std::vector<ThreadWorld::Arrival>& all) {
                                for (size_t r = 0; r < all.size(); ++r) {
                                  std::memcpy(static_cast<char*>(recv) + r * bytes_per_rank,
                                              all[r].send, bytes_per_rank);
                                }
                              });
  }

  absl::Status DoBroadcast(void* data, int64_t bytes, int root) override {
    ThreadWorld::Arrival arrival{absl::StrFormat("broadcast %d bytes from %d", bytes, root), data,
                                 data};
    std::vector<char> copy(bytes);
    absl::Status status = world_->Collective(
        rank_, arrival, options().timeout, [&](const std::vector<ThreadWorld::Arrival>& all) {
          if (bytes > 0) std::memcpy(copy.data(), all[root].send, bytes);
        });
    if (status.ok() && rank_ != root && bytes > 0) std::memcpy(data, copy.data(), bytes);
    return status;
  }

  absl::Status DoBarrier() override {
    return world_->Collective(rank_, {"barrier", nullptr, nullptr}, options().timeout,
                              [](const std::vector<ThreadWorld::Arrival>&) {});
  }

 private:
  std::unique_ptr<ThreadWorld> owned_;  // a solo communicator's world
  ThreadWorld* world_;
  const int rank_;
};

ThreadWorld::ThreadWorld(int size)
    : size_(size), arrivals_(size), calls_(size, 0), dead_after_(size, -1) {}

std::unique_ptr<Communicator> ThreadWorld::Connect(int rank, CommunicatorOptions options) {
  return std::make_unique<ThreadCommunicator>(this, rank, options);
}

std::unique_ptr<Communicator> MakeSoloCommunicator(CommunicatorOptions options) {
  auto world = std::make_unique<ThreadWorld>(1);
  ThreadWorld* raw = world.get();
  return std::make_unique<ThreadCommunicator>(raw, 0, options, std::move(world));
}

void ThreadWorld::KillRank(int rank, int64_t after) {
  std::lock_guard<std::mutex> lock(mu_);
  dead_after_[rank] = after;
}

absl::Status ThreadWorld::Collective(
    int rank, const Arrival& arrival, absl::Duration timeout,
    const std::function<void(const std::vector<Arrival>&)>& exchange) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  const int64_t call = calls_[rank]++;
  if (dead_after_[rank] >= 0 && call >= dead_after_[rank]) {
    return absl::UnavailableError(absl::StrFormat("rank %d is dead (fault injected)", rank));
  }
  if (!broken_.ok()) return broken_;
  // Wait until the previous collective has fully drained.
  if (!cv_.wait_until(lock, deadline, [&] { return !exchange_open_ || !broken_.ok(); })) {
    broken_ = absl::DeadlineExceededError(absl::StrFormat(
        "rank %d waited %s for the previous collective to drain", rank,
        absl::FormatDuration(timeout)));
    cv_.notify_all();
    return broken_;
  }
  if (!broken_.ok()) return broken_;
  const int64_t generation = generation_;
  if (arrived_ > 0) {
    // Everyone who arrived before us must be doing the same thing.
    for (int r = 0; r < size_; ++r) {
      if (r != rank && !arrivals_[r].signature.empty() &&
          arrivals_[r].signature != arrival.signature) {
        broken_ = absl::InvalidArgumentError(absl::StrFormat(
            "collective mismatch: rank %d called %s while rank %d called %s", r,
            arrivals_[r].signature, rank, arrival.signature));
        cv_.notify_all();
        return broken_;
      }
    }
  }
  arrivals_[rank] = arrival;
  if (++arrived_ == size_) {
    exchange_open_ = true;
    cv_.notify_all();
  } else if (!cv_.wait_until(lock, deadline, [&] {
               return (exchange_open_ && generation_ == generation) || !broken_.ok();
             })) {
    std::string missing;
    for (int r = 0; r < size_; ++r) {
      if (arrivals_[r].signature.empty()) missing += absl::StrFormat(" %d", r);
    }
    broken_ = absl::DeadlineExceededError(absl::StrFormat(
        "rank %d: %s timed out after %s waiting for rank(s)%s", rank, arrival.signature,
        absl::FormatDuration(timeout), missing));
    cv_.notify_all();
    return broken_;
  }
  if (!broken_.ok()) return broken_;
  // Every rank has arrived; buffers are stable until all have departed.
  lock.unlock();
  exchange(arrivals_);
  lock.lock();
  if (++departed_ == size_) {
    for (Arrival& a : arrivals_) a = Arrival();
    arrived_ = departed_ = 0;
    exchange_open_ = false;
    ++generation_;
    cv_.notify_all();
    return absl::OkStatus();
  }
  if (!cv_.wait_until(lock, deadline, [&] { return generation_ != generation || !broken_.ok(); })) {
    broken_ = absl::DeadlineExceededError(
        absl::StrFormat("rank %d: peers did not finish %s", rank, arrival.signature));
    cv_.notify_all();
    return broken_;
  }
  return broken_.ok() ? absl::OkStatus() : broken_;
}

}  // namespace camoe
