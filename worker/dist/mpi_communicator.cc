#include "worker/dist/mpi_communicator.h"

#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include <climits>
#include <mutex>

#include "absl/strings/str_format.h"

namespace camoe {

struct MpiCommunicator::Handle {
  MPI_Comm comm = MPI_COMM_NULL;
};

namespace {

std::mutex init_mu;
bool we_initialized = false;  // GUARDED_BY(init_mu)

absl::Status MpiStatus(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return absl::OkStatus();
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return absl::InternalError(
      absl::StrFormat("%s failed at %s:%d: %s", call, file, line, std::string(text, length)));
}

#define CAMOE_MPI(call) MpiStatus((call), #call, __FILE__, __LINE__)
#define CAMOE_MPI_RETURN(call)                    \
  do {                                            \
    absl::Status mpi_status_ = CAMOE_MPI(call);   \
    if (!mpi_status_.ok()) return mpi_status_;    \
  } while (0)

MPI_Datatype ToMpi(DataType type) {
  switch (type) {
    case DataType::kFloat32: return MPI_FLOAT;
    case DataType::kFloat64: return MPI_DOUBLE;
    case DataType::kInt32: return MPI_INT32_T;
    case DataType::kInt64: return MPI_INT64_T;
    case DataType::kUInt8: return MPI_UINT8_T;
  }
  return MPI_BYTE;
}

MPI_Op ToMpi(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return MPI_SUM;
    case ReduceOp::kMax: return MPI_MAX;
    case ReduceOp::kMin: return MPI_MIN;
  }
  return MPI_SUM;
}

// MPI counts are ints: large buffers go in chunks.
constexpr int64_t kMaxChunk = INT_MAX / 8;

}  // namespace

absl::Status EnsureMpiInitialized() {
  std::lock_guard<std::mutex> lock(init_mu);
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return absl::OkStatus();
  int provided = 0;
  absl::Status status =
      CAMOE_MPI(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided));
  if (!status.ok()) return status;
  we_initialized = true;
  if (provided < MPI_THREAD_SERIALIZED) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "the MPI library provides thread level %d; camoe needs MPI_THREAD_SERIALIZED (%d) or more",
        provided, MPI_THREAD_SERIALIZED));
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return absl::OkStatus();
}

void FinalizeMpi() {
  std::lock_guard<std::mutex> lock(init_mu);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (we_initialized && !finalized) MPI_Finalize();
}

MpiCommunicator::MpiCommunicator(std::unique_ptr<Handle> handle, int rank, int size,
                                 CommunicatorOptions options)
    : Communicator(options), handle_(std::move(handle)), rank_(rank), size_(size) {}

MpiCommunicator::~MpiCommunicator() {
  Shutdown();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && handle_->comm != MPI_COMM_NULL) MPI_Comm_free(&handle_->comm);
}

absl::StatusOr<std::unique_ptr<MpiCommunicator>> MpiCommunicator::World(
    CommunicatorOptions options) {
  absl::Status status = EnsureMpiInitialized();
  if (!status.ok()) return status;
  auto handle = std::make_unique<Handle>();
  CAMOE_MPI_RETURN(MPI_Comm_dup(MPI_COMM_WORLD, &handle->comm));
  MPI_Comm_set_errhandler(handle->comm, MPI_ERRORS_RETURN);
  int rank = 0, size = 0;
  CAMOE_MPI_RETURN(MPI_Comm_rank(handle->comm, &rank));
  CAMOE_MPI_RETURN(MPI_Comm_size(handle->comm, &size));
  return std::unique_ptr<MpiCommunicator>(
      new MpiCommunicator(std::move(handle), rank, size, options));
}

absl::StatusOr<std::unique_ptr<MpiCommunicator>> MpiCommunicator::Group(
    const std::vector<int>& world_ranks, int tag, CommunicatorOptions options) {
  absl::Status status = EnsureMpiInitialized();
  if (!status.ok()) return status;
  if (world_ranks.empty()) return absl::InvalidArgumentError("an MPI group needs at least one rank");
  MPI_Group world_group, group;
  CAMOE_MPI_RETURN(MPI_Comm_group(MPI_COMM_WORLD, &world_group));
  CAMOE_MPI_RETURN(MPI_Group_incl(world_group, static_cast<int>(world_ranks.size()),
                                  world_ranks.data(), &group));
  auto handle = std::make_unique<Handle>();
  status = CAMOE_MPI(MPI_Comm_create_group(MPI_COMM_WORLD, group, tag, &handle->comm));
  MPI_Group_free(&group);
  MPI_Group_free(&world_group);
  if (!status.ok()) return status;
  if (handle->comm == MPI_COMM_NULL) {
    return absl::InvalidArgumentError("this process is not a member of the requested MPI group");
  }
  MPI_Comm_set_errhandler(handle->comm, MPI_ERRORS_RETURN);
  int rank = 0, size = 0;
  CAMOE_MPI_RETURN(MPI_Comm_rank(handle->comm, &rank));
  CAMOE_MPI_RETURN(MPI_Comm_size(handle->comm, &size));
  return std::unique_ptr<MpiCommunicator>(
      new MpiCommunicator(std::move(handle), rank, size, options));
}

absl::Status MpiCommunicator::DoAllReduce(void* data, int64_t count, DataType type, ReduceOp op) {
  const int element = DataTypeSize(type);
  for (int64_t done = 0; done < count; done += kMaxChunk) {
    const int n = static_cast<int>(std::min(kMaxChunk, count - done));
    CAMOE_MPI_RETURN(MPI_Allreduce(MPI_IN_PLACE, static_cast<char*>(data) + done * element, n,
                                   ToMpi(type), ToMpi(op), handle_->comm));
  }
  return absl::OkStatus();
}

absl::Status MpiCommunicator::DoAllGather(const void* send, int64_t bytes_per_rank, void* recv) {
  if (bytes_per_rank > kMaxChunk) {
    // Embedding all-gathers are kilobytes to megabytes; refuse rather than chunk.
    return absl::UnimplementedError(absl::StrFormat(
        "all-gather of %d bytes per rank exceeds the supported %d", bytes_per_rank, kMaxChunk));
  }
  CAMOE_MPI_RETURN(MPI_Allgather(send, static_cast<int>(bytes_per_rank), MPI_BYTE, recv,
                                 static_cast<int>(bytes_per_rank), MPI_BYTE, handle_->comm));
  return absl::OkStatus();
}

absl::Status MpiCommunicator::DoBroadcast(void* data, int64_t bytes, int root) {
  for (int64_t done = 0; done < bytes; done += kMaxChunk) {
    const int n = static_cast<int>(std::min(kMaxChunk, bytes - done));
    CAMOE_MPI_RETURN(MPI_Bcast(static_cast<char*>(data) + done, n, MPI_BYTE, root, handle_->comm));
  }
  return absl::OkStatus();
}

absl::Status MpiCommunicator::DoBarrier() {
  CAMOE_MPI_RETURN(MPI_Barrier(handle_->comm));
  return absl::OkStatus();
}

}  // namespace camoe
