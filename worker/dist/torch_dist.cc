#include "worker/dist/torch_dist.h"

#include <chrono>
#include <cstring>

#include "absl/strings/str_format.h"

namespace camoe {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void Check(const absl::Status& status) {
  TORCH_CHECK(status.ok(), std::string(status.message()));
}

// Where collective buffers live: the tensor's CUDA device for a device-memory
// communicator (NCCL), host memory otherwise.
torch::Device StagingDevice(const Communicator& comm, const torch::Device& tensor_device) {
  return comm.device_memory() ? tensor_device : torch::Device(torch::kCPU);
}

// Device-memory collectives run on the communicator's own CUDA stream; finish
// libtorch's queued work first so they read what it wrote.
void SyncBeforeCollective(const Communicator& comm) {
  if (comm.device_memory()) torch::cuda::synchronize();
}

// Note [Exact global gradients]: forward gathers rows in rank order; backward
// sums the incoming gradient over ranks and keeps this rank's rows, i.e. a
// reduce-scatter. With every rank back-propagating L / W of the same global L,
// the sum over ranks is exactly dL/d(own rows).
class AllGatherRowsFunction : public torch::autograd::Function<AllGatherRowsFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& local,
                               int64_t comm_address) {
    auto* comm = reinterpret_cast<Communicator*>(comm_address);
    const int world = comm->size();
    int64_t rows = local.size(0);
    std::vector<int64_t> counts(world);
    const torch::Device staging = StagingDevice(*comm, local.device());
    if (comm->device_memory()) {
      torch::Tensor mine = torch::full({1}, rows, torch::TensorOptions(torch::kInt64).device(staging));
      torch::Tensor all = torch::empty({world}, mine.options());
      SyncBeforeCollective(*comm);
      Check(comm->AllGather(mine.data_ptr(), sizeof(int64_t), all.data_ptr(), "row counts"));
      all = all.cpu();
      std::memcpy(counts.data(), all.data_ptr<int64_t>(), world * sizeof(int64_t));
    } else {
      Check(comm->AllGather(&rows, sizeof(rows), counts.data(), "row counts"));
    }
    const int64_t max_rows = *std::max_element(counts.begin(), counts.end());
    std::vector<int64_t> shape = local.sizes().vec();
    shape[0] = max_rows;
    torch::Tensor padded = torch::zeros(shape, local.options().device(staging));
    padded.narrow(0, 0, rows).copy_(local.detach());
    shape[0] = max_rows * world;
    torch::Tensor gathered = torch::empty(shape, padded.options());
    SyncBeforeCollective(*comm);
    Check(comm->AllGather(padded.data_ptr(), padded.numel() * padded.element_size(),
                          gathered.data_ptr(), "embedding rows"));
    std::vector<torch::Tensor> parts;
    int64_t offset = 0;
    for (int r = 0; r < world; ++r) {
      parts.push_back(gathered.narrow(0, r * max_rows, counts[r]));
      if (r < comm->rank()) offset += counts[r];
    }
    ctx->saved_data["comm"] = comm_address;
    ctx->saved_data["offset"] = offset;
    ctx->saved_data["rows"] = rows;
    return torch::cat(parts).to(local.device());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto* comm = reinterpret_cast<Communicator*>(ctx->saved_data["comm"].toInt());
    torch::Tensor grad = grads[0]
                             .to(StagingDevice(*comm, grads[0].device()), torch::kFloat32)
                             .contiguous()
                             .clone();
    SyncBeforeCollective(*comm);
    Check(comm->AllReduce(grad.data_ptr(), grad.numel(), DataType::kFloat32, ReduceOp::kSum,
                          "embedding gradients"));
    torch::Tensor own = grad.narrow(0, ctx->saved_data["offset"].toInt(),
                                    ctx->saved_data["rows"].toInt());
    return {own.to(grads[0].device(), grads[0].scalar_type()), torch::Tensor()};
  }
};

// The CUDA device a device-memory communicator works on.
torch::Device CommDevice(const Communicator& comm) {
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(comm.device_index()));
}

torch::Tensor Flatten(const std::vector<torch::Tensor>& tensors, const torch::Device& device) {
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.detach().to(device, torch::kFloat32).reshape(-1));
  return flat.empty() ? torch::zeros({0}, torch::TensorOptions().device(device)) : torch::cat(flat);
}

torch::Device ParametersDevice(const std::vector<torch::Tensor>& parameters) {
  return parameters.empty() ? torch::Device(torch::kCPU) : parameters[0].device();
}

}  // namespace

torch::Tensor AllGatherRows(Communicator& comm, const torch::Tensor& local) {
  return AllGatherRowsFunction::apply(local, reinterpret_cast<int64_t>(&comm));
}

absl::Status BroadcastParameters(Communicator& comm, const std::vector<torch::Tensor>& parameters,
                                 int root) {
  torch::Tensor flat =
      Flatten(parameters, StagingDevice(comm, ParametersDevice(parameters))).contiguous();
  SyncBeforeCollective(comm);
  absl::Status status = comm.Broadcast(flat.data_ptr(), flat.numel() * flat.element_size(), root,
                                       "initial parameters");
  if (!status.ok()) return status;
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& p : parameters) {
    const_cast<torch::Tensor&>(p).copy_(flat.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
  return absl::OkStatus();
}

absl::Status AllReduceHostInt64(Communicator& comm, int64_t* values, int64_t count, ReduceOp op,
                                const std::string& what) {
  if (!comm.device_memory()) return comm.AllReduce(values, count, DataType::kInt64, op, what);
  torch::Tensor staged = torch::from_blob(values, {count}, torch::kInt64).to(CommDevice(comm));
  SyncBeforeCollective(comm);
  absl::Status status = comm.AllReduce(staged.data_ptr(), count, DataType::kInt64, op, what);
  if (!status.ok()) return status;
  std::memcpy(values, staged.cpu().data_ptr<int64_t>(), count * sizeof(int64_t));
  return absl::OkStatus();
}

absl::StatusOr<bool> ParametersAgree(Communicator& comm,
                                     const std::vector<torch::Tensor>& parameters) {
  torch::Tensor flat = Flatten(parameters, torch::kCPU).to(torch::kFloat64);
  double mine[2] = {flat.pow(2).sum().item<double>(),
                    (flat * torch::arange(flat.numel(), flat.options()).remainder(97))
                        .sum().item<double>()};
  std::vector<double> all(2 * comm.size());
  absl::Status status;
  if (comm.device_memory()) {
    torch::Tensor send = torch::tensor({mine[0], mine[1]}, torch::kFloat64).to(CommDevice(comm));
    torch::Tensor recv = torch::empty({2 * comm.size()}, send.options());
    SyncBeforeCollective(comm);
    status = comm.AllGather(send.data_ptr(), sizeof(mine), recv.data_ptr(), "parameter checksums");
    if (status.ok()) std::memcpy(all.data(), recv.cpu().data_ptr<double>(), all.size() * sizeof(double));
  } else {
    status = comm.AllGather(mine, sizeof(mine), all.data(), "parameter checksums");
  }
  if (!status.ok()) return status;
  for (int r = 0; r < comm.size(); ++r) {
    if (all[2 * r] != mine[0] || all[2 * r + 1] != mine[1]) return false;
  }
  return true;
}

double GradientSyncStats::hidden_fraction() const {
  if (comm_seconds <= 0) return 1.0;
  return std::clamp(1.0 - exposed_seconds / comm_seconds, 0.0, 1.0);
}

GradientSynchronizer::GradientSynchronizer(Communicator* comm,
                                           std::vector<torch::Tensor> parameters,
                                           GradientSyncOptions options)
    : comm_(comm), parameters_(std::move(parameters)) {
  const int n = static_cast<int>(parameters_.size());
  bucket_of_.assign(n, -1);
  offset_of_.assign(n, 0);
  ready_.assign(n, false);
  int64_t filled = 0;
  for (int i = n - 1; i >= 0; --i) {
    const int64_t bytes = parameters_[i].numel() * 4;
    if (buckets_.empty() || (filled > 0 && filled + bytes > options.bucket_bytes)) {
      buckets_.emplace_back();
      filled = 0;
    }
    Bucket& bucket = buckets_.back();
    bucket_of_[i] = static_cast<int>(buckets_.size()) - 1;
    offset_of_[i] = filled / 4;
    bucket.params.push_back(i);
    filled += bytes;
  }
  const torch::Device staging = StagingDevice(*comm_, ParametersDevice(parameters_));
  for (Bucket& bucket : buckets_) {
    int64_t numel = 0;
    for (int i : bucket.params) numel += parameters_[i].numel();
    bucket.flat = torch::zeros({numel}, torch::TensorOptions().device(staging));
  }
  for (int i = 0; i < n; ++i) {
    parameters_[i].register_hook([this, i](torch::Tensor grad) { OnGradient(i, grad); });
  }
}

GradientSynchronizer::~GradientSynchronizer() {
  // Hooks hold `this`: make them inert; in-flight buckets must finish first.
  std::lock_guard<std::mutex> lock(mu_);
  armed_ = false;
  for (Bucket& b : buckets_) {
    if (b.work) b.work->Wait(comm_->options().timeout).IgnoreError();
  }
}

void GradientSynchronizer::Prepare() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Bucket& b : buckets_) {
    b.pending = static_cast<int>(b.params.size());
    b.work.reset();
  }
  std::fill(ready_.begin(), ready_.end(), false);
  next_launch_ = 0;
  launched_from_hooks_ = 0;
  armed_ = true;
}

void GradientSynchronizer::OnGradient(int param, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!armed_ || ready_[param]) return;
  Bucket& bucket = buckets_[bucket_of_[param]];
  bucket.flat.narrow(0, offset_of_[param], grad.numel())
      .copy_(grad.detach().reshape(-1).to(bucket.flat.device(), torch::kFloat32));
  ready_[param] = true;
  if (--bucket.pending == 0) {
    const int before = next_launch_;
    LaunchReadyBuckets();
    launched_from_hooks_ += next_launch_ - before;
  }
}

int GradientSynchronizer::launched_from_hooks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return launched_from_hooks_;
}

void GradientSynchronizer::LaunchReadyBuckets() {
  while (next_launch_ < static_cast<int>(buckets_.size()) && buckets_[next_launch_].pending == 0) {
    Bucket& b = buckets_[next_launch_];
    SyncBeforeCollective(*comm_);
    b.work = comm_->AllReduceAsync(b.flat.data_ptr(), b.flat.numel(), DataType::kFloat32,
                                   ReduceOp::kSum,
                                   absl::StrFormat("gradient bucket %d", next_launch_));
    ++next_launch_;
  }
}

absl::StatusOr<GradientSyncStats> GradientSynchronizer::Finish() {
  const auto start = std::chrono::steady_clock::now();
  GradientSyncStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Parameters that got no gradient this step contribute zeros.
    for (size_t i = 0; i < parameters_.size(); ++i) {
      if (ready_[i]) continue;
      Bucket& bucket = buckets_[bucket_of_[i]];
      bucket.flat.narrow(0, offset_of_[i], parameters_[i].numel()).zero_();
      ready_[i] = true;
      --bucket.pending;
    }
    LaunchReadyBuckets();
    armed_ = false;
  }
  for (Bucket& b : buckets_) {
    absl::Status status = comm_->Wait(b.work);
    if (!status.ok()) return status;
    stats.comm_seconds += b.work->seconds();
    stats.bytes += b.flat.numel() * 4;
  }
  stats.buckets = num_buckets();
  stats.exposed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    torch::Tensor& p = parameters_[i];
    torch::Tensor synced = buckets_[bucket_of_[i]]
                               .flat.narrow(0, offset_of_[i], p.numel())
                               .view(p.sizes())
                               .to(p.device(), p.scalar_type());
    if (p.grad().defined()) {
      p.mutable_grad().copy_(synced);
    } else {
      p.mutable_grad() = synced.clone();
    }
  }
  return stats;
}

}  // namespace camoe
