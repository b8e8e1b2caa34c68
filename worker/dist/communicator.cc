#include "worker/dist/communicator.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_format.h"

namespace camoe {

int DataTypeSize(DataType type) {
  switch (type) {
    case DataType::kFloat32:
    case DataType::kInt32:
      return 4;
    case DataType::kFloat64:
    case DataType::kInt64:
      return 8;
    case DataType::kUInt8:
      return 1;
  }
  return 0;
}

const char* DataTypeName(DataType type) {
  switch (type) {
    case DataType::kFloat32: return "float32";
    case DataType::kFloat64: return "float64";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kUInt8: return "uint8";
  }
  return "?";
}

absl::Status Work::Wait(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool finished = cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] {
    return done_;
  });
  if (!finished) {
    return absl::DeadlineExceededError(absl::StrFormat(
        "%s did not complete within %s; a peer rank may be dead, hung or behind", description_,
        absl::FormatDuration(timeout)));
  }
  return status_;
}

bool Work::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

double Work::seconds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seconds_;
}

void Work::Finish(absl::Status status, double seconds) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    status_ = std::move(status);
    seconds_ = seconds;
  }
  cv_.notify_all();
}

Communicator::Communicator(CommunicatorOptions options)
    : options_(options), thread_([this] { Loop(); }) {}

Communicator::~Communicator() { Shutdown(); }

void Communicator::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Communicator::Loop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

std::shared_ptr<Work> Communicator::Enqueue(std::string description, int64_t bytes,
                                            std::function<absl::Status()> run) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t sequence = sequence_++;
  auto work = std::make_shared<Work>(absl::StrFormat("rank %d/%d: %s (collective #%d)", rank(),
                                                     size(), description, sequence));
  if (!broken_.ok() || stopping_) {
    work->Finish(absl::FailedPreconditionError(absl::StrFormat(
                     "%s not started: the communicator is unusable after an earlier failure: %s",
                     work->description(), broken_.ok() ? "shutting down" : broken_.message())),
                 0);
    return work;
  }
  queue_.push_back([this, work, bytes, run = std::move(run)] {
    const auto start = std::chrono::steady_clock::now();
    absl::Status status = run();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard<std::mutex> lock(mu_);
      busy_seconds_ += seconds;
      bytes_moved_ += bytes;
      if (!status.ok() && broken_.ok()) {
        broken_ = absl::Status(status.code(), absl::StrFormat("%s: %s", work->description(),
                                                              status.message()));
      }
    }
    if (!status.ok()) {
      status = absl::Status(status.code(),
                            absl::StrFormat("%s failed: %s", work->description(), status.message()));
    }
    work->Finish(std::move(status), seconds);
  });
  cv_.notify_all();
  return work;
}

std::shared_ptr<Work> Communicator::AllReduceAsync(void* data, int64_t count, DataType type,
                                                   ReduceOp op, const std::string& label) {
  return Enqueue(absl::StrFormat("all-reduce '%s' (%d x %s)", label, count, DataTypeName(type)),
                 count * DataTypeSize(type),
                 [=] { return DoAllReduce(data, count, type, op); });
}

std::shared_ptr<Work> Communicator::AllGatherAsync(const void* send, int64_t bytes_per_rank,
                                                   void* recv, const std::string& label) {
  return Enqueue(absl::StrFormat("all-gather '%s' (%d bytes per rank)", label, bytes_per_rank),
                 bytes_per_rank * size(),
                 [=] { return DoAllGather(send, bytes_per_rank, recv); });
}

std::shared_ptr<Work> Communicator::BroadcastAsync(void* data, int64_t bytes, int root,
                                                   const std::string& label) {
  if (root < 0 || root >= size()) {
    auto work = std::make_shared<Work>(absl::StrFormat("broadcast '%s'", label));
    work->Finish(absl::InvalidArgumentError(
                     absl::StrFormat("broadcast root %d outside [0, %d)", root, size())),
                 0);
    return work;
  }
  return Enqueue(absl::StrFormat("broadcast '%s' (%d bytes from rank %d)", label, bytes, root),
                 bytes, [=] { return DoBroadcast(data, bytes, root); });
}

std::shared_ptr<Work> Communicator::BarrierAsync(const std::string& label) {
  return Enqueue(absl::StrFormat("barrier '%s'", label), 0, [=] { return DoBarrier(); });
}

absl::Status Communicator::Wait(const std::shared_ptr<Work>& work) {
  const absl::Duration grace = std::max(absl::Milliseconds(200), options_.timeout / 10);
  absl::Status status = work->Wait(options_.timeout + grace);
  if (status.code() == absl::StatusCode::kDeadlineExceeded && !work->done()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (broken_.ok()) broken_ = status;
  }
  return status;
}

absl::Status Communicator::AllReduce(void* data, int64_t count, DataType type, ReduceOp op,
                                     const std::string& label) {
  return Wait(AllReduceAsync(data, count, type, op, label));
}

absl::Status Communicator::AllGather(const void* send, int64_t bytes_per_rank, void* recv,
                                     const std::string& label) {
  return Wait(AllGatherAsync(send, bytes_per_rank, recv, label));
}

absl::Status Communicator::Broadcast(void* data, int64_t bytes, int root,
                                     const std::string& label) {
  return Wait(BroadcastAsync(data, bytes, root, label));
}

absl::Status Communicator::Barrier(const std::string& label) {
  return Wait(BarrierAsync(label));
}

double Communicator::busy_seconds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_seconds_;
}

int64_t Communicator::bytes_moved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_moved_;
}

}  // namespace camoe
