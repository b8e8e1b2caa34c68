#include "worker/dist/nccl_communicator.h"

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_format.h"

namespace camoe {

struct NcclCommunicator::Handle {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  void* scratch = nullptr;  // one float for barriers
  bool aborted = false;
};

namespace {

absl::Status CudaStatus(cudaError_t code, const char* call, const char* file, int line) {
  if (code == cudaSuccess) return absl::OkStatus();
  return absl::InternalError(absl::StrFormat("%s failed at %s:%d: %s (%s)", call, file, line,
                                             cudaGetErrorString(code), cudaGetErrorName(code)));
}

absl::Status NcclStatus(ncclResult_t code, const char* call, const char* file, int line) {
  if (code == ncclSuccess) return absl::OkStatus();
  return absl::InternalError(
      absl::StrFormat("%s failed at %s:%d: %s", call, file, line, ncclGetErrorString(code)));
}

#define CAMOE_CUDA(call)                                                      \
  do {                                                                        \
    absl::Status s_ = CudaStatus((call), #call, __FILE__, __LINE__);          \
    if (!s_.ok()) return s_;                                                  \
  } while (0)
#define CAMOE_NCCL(call)                                                      \
  do {                                                                        \
    absl::Status s_ = NcclStatus((call), #call, __FILE__, __LINE__);          \
    if (!s_.ok()) return s_;                                                  \
  } while (0)

ncclDataType_t ToNccl(DataType type) {
  switch (type) {
    case DataType::kFloat32: return ncclFloat32;
    case DataType::kFloat64: return ncclFloat64;
    case DataType::kInt32: return ncclInt32;
    case DataType::kInt64: return ncclInt64;
    case DataType::kUInt8: return ncclUint8;
  }
  return ncclUint8;
}

ncclRedOp_t ToNccl(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return ncclSum;
    case ReduceOp::kMax: return ncclMax;
    case ReduceOp::kMin: return ncclMin;
  }
  return ncclSum;
}

}  // namespace

int CudaDeviceCount() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return 0;
  return count;
}

NcclCommunicator::NcclCommunicator(std::unique_ptr<Handle> handle, int rank, int size, int device,
                                   CommunicatorOptions options)
    : Communicator(options), handle_(std::move(handle)), rank_(rank), size_(size), device_(device) {}

NcclCommunicator::~NcclCommunicator() {
  Shutdown();
  cudaSetDevice(device_);
  if (handle_->comm != nullptr) {
    if (handle_->aborted) {
      ncclCommAbort(handle_->comm);
    } else {
      ncclCommDestroy(handle_->comm);
    }
  }
  if (handle_->scratch != nullptr) cudaFree(handle_->scratch);
  if (handle_->stream != nullptr) cudaStreamDestroy(handle_->stream);
}

absl::StatusOr<std::unique_ptr<NcclCommunicator>> NcclCommunicator::Create(
    Communicator& bootstrap, int device, CommunicatorOptions options) {
  const int count = CudaDeviceCount();
  if (device < 0 || device >= count) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rank %d: CUDA device %d requested but %d device(s) visible", bootstrap.rank(), device,
        count));
  }
  // Rank 0 makes the id; every rank receives it over the bootstrap network.
  ncclUniqueId id;
  if (bootstrap.IsChief()) CAMOE_NCCL(ncclGetUniqueId(&id));
  absl::Status status = bootstrap.Broadcast(&id, sizeof(id), 0, "NCCL unique id");
  if (!status.ok()) return status;
  auto handle = std::make_unique<Handle>();
  CAMOE_CUDA(cudaSetDevice(device));
  CAMOE_CUDA(cudaStreamCreateWithFlags(&handle->stream, cudaStreamNonBlocking));
  CAMOE_CUDA(cudaMalloc(&handle->scratch, sizeof(float)));
  CAMOE_NCCL(ncclCommInitRank(&handle->comm, bootstrap.size(), id, bootstrap.rank()));
  return std::unique_ptr<NcclCommunicator>(new NcclCommunicator(
      std::move(handle), bootstrap.rank(), bootstrap.size(), device, options));
}

absl::Status NcclCommunicator::Synchronize(const char* what) {
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(options().timeout);
  while (true) {
    cudaError_t state = cudaStreamQuery(handle_->stream);
    if (state == cudaSuccess) break;
    if (state != cudaErrorNotReady) return CudaStatus(state, what, __FILE__, __LINE__);
    ncclResult_t async = ncclSuccess;
    ncclCommGetAsyncError(handle_->comm, &async);
    if (async != ncclSuccess) {
      handle_->aborted = true;
      return NcclStatus(async, what, __FILE__, __LINE__);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      // A peer is gone or hung: abort so the stream and this thread come back.
      handle_->aborted = true;
      ncclCommAbort(handle_->comm);
      handle_->comm = nullptr;
      return absl::DeadlineExceededError(absl::StrFormat(
          "rank %d: %s did not finish within %s; the NCCL communicator was aborted", rank_, what,
          absl::FormatDuration(options().timeout)));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return absl::OkStatus();
}

absl::Status NcclCommunicator::DoAllReduce(void* data, int64_t count, DataType type, ReduceOp op) {
  if (handle_->comm == nullptr) return absl::FailedPreconditionError("NCCL communicator aborted");
  CAMOE_CUDA(cudaSetDevice(device_));
  CAMOE_NCCL(ncclAllReduce(data, data, static_cast<size_t>(count), ToNccl(type), ToNccl(op),
                           handle_->comm, handle_->stream));
  return Synchronize("ncclAllReduce");
}

absl::Status NcclCommunicator::DoAllGather(const void* send, int64_t bytes_per_rank, void* recv) {
  if (handle_->comm == nullptr) return absl::FailedPreconditionError("NCCL communicator aborted");
  CAMOE_CUDA(cudaSetDevice(device_));
  CAMOE_NCCL(ncclAllGather(send, recv, static_cast<size_t>(bytes_per_rank), ncclUint8,
                           handle_->comm, handle_->stream));
  return Synchronize("ncclAllGather");
}

absl::Status NcclCommunicator::DoBroadcast(void* data, int64_t bytes, int root) {
  if (handle_->comm == nullptr) return absl::FailedPreconditionError("NCCL communicator aborted");
  CAMOE_CUDA(cudaSetDevice(device_));
  CAMOE_NCCL(ncclBroadcast(data, data, static_cast<size_t>(bytes), ncclUint8, root, handle_->comm,
                           handle_->stream));
  return Synchronize("ncclBroadcast");
}

absl::Status NcclCommunicator::DoBarrier() {
  if (handle_->comm == nullptr) return absl::FailedPreconditionError("NCCL communicator aborted");
  CAMOE_CUDA(cudaSetDevice(device_));
  CAMOE_NCCL(ncclAllReduce(handle_->scratch, handle_->scratch, 1, ncclFloat32, ncclSum,
                           handle_->comm, handle_->stream));
  return Synchronize("barrier (ncclAllReduce)");
}

}  // namespace camoe
