#include "worker/model/clip_encoder.h"

#include <cmath>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/status_macros.h"
#include "worker/model/clip_model.h"
#include "worker/model/tensor_convert.h"

namespace camoe {

struct ClipEncoder::Impl {
  explicit Impl(const ClipConfig& config) : model(config) { model->eval(); }
  ClipModel model;
};

ClipEncoder::ClipEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClipEncoder::~ClipEncoder() = default;

absl::StatusOr<int> ConfigureTorchThreads(const RuntimeConfig& runtime) {
  CAMOE_RETURN_IF_ERROR(ValidateRuntimeConfig(runtime));
  const int intra = ResolveThreadCount(runtime.intra_op_threads());
  at::set_num_threads(intra);
  static std::once_flag inter_once;
  absl::Status inter_status;
  std::call_once(inter_once, [&] {
    try {
      at::set_num_interop_threads(runtime.inter_op_threads());
    } catch (const c10::Error& e) {
      // Already fixed by earlier inter-op work in this process; keep going.
      inter_status = absl::FailedPreconditionError(e.what_without_backtrace());
    }
  });
  if (!inter_status.ok()) return inter_status;
  return intra;
}

absl::StatusOr<std::unique_ptr<ClipEncoder>> ClipEncoder::CreateRandom(const ClipConfig& config,
                                                                       uint64_t seed) {
  CAMOE_RETURN_IF_ERROR(ValidateClipConfig(config));
  auto impl = std::make_unique<Impl>(config);
  impl->model->ResetParameters(seed);
  return std::unique_ptr<ClipEncoder>(new ClipEncoder(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<ClipEncoder>> ClipEncoder::FromWeights(const ClipWeights& weights) {
  CAMOE_RETURN_IF_ERROR(ValidateClipConfig(weights.config));
  CAMOE_RETURN_IF_ERROR(CheckClipShapes(weights.tensors, weights.config, "weights"));
  auto impl = std::make_unique<Impl>(weights.config);
  CAMOE_RETURN_IF_ERROR(LoadNamedBuffers(*impl->model, weights.tensors));
  return std::unique_ptr<ClipEncoder>(new ClipEncoder(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<ClipEncoder>> ClipEncoder::Load(const std::string& path,
                                                               const ClipWeightsOptions& options) {
  CAMOE_ASSIGN_OR_RETURN(ClipWeights weights, ReadClipWeights(path, options));
  return FromWeights(weights);
}

const ClipConfig& ClipEncoder::config() const { return impl_->model->config(); }

int64_t ClipEncoder::parameter_count() const {
  int64_t total = 0;
  for (const auto& p : impl_->model->parameters()) total += p.numel();
  return total;
}

float ClipEncoder::logit_scale() const {
  torch::NoGradGuard no_grad;
  return impl_->model->LogitScale().item<float>();
}

absl::StatusOr<FloatMatrix> ClipEncoder::EncodeText(const std::vector<std::vector<int32_t>>& tokens,
                                                    int batch_size) const {
  const TextConfig& text = config().text();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].empty() || static_cast<int64_t>(tokens[i].size()) > text.context_length()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "text ", i, " has ", tokens[i].size(), " tokens; the model takes 1 to ",
          text.context_length()));
    }
    for (int32_t id : tokens[i]) {
      if (id < 0 || id >= text.vocab_size()) {
        return absl::InvalidArgumentError(absl::StrCat("text ", i, " holds token id ", id,
                                                       " outside the vocabulary [0, ",
                                                       text.vocab_size(), ")"));
      }
    }
  }
  FloatMatrix out;
  out.rows = static_cast<int64_t>(tokens.size());
  out.cols = config().embed_dim();
  out.values.resize(out.rows * out.cols);
  torch::NoGradGuard no_grad;
  for (size_t start = 0; start < tokens.size(); start += std::max(1, batch_size)) {
    const size_t end = std::min(tokens.size(), start + std::max(1, batch_size));
    size_t length = 0;
    for (size_t i = start; i < end; ++i) length = std::max(length, tokens[i].size());
    torch::Tensor batch = torch::zeros({static_cast<int64_t>(end - start),
                                        static_cast<int64_t>(length)}, torch::kInt64);
    auto acc = batch.accessor<int64_t, 2>();
    for (size_t i = start; i < end; ++i) {
      for (size_t j = 0; j < tokens[i].size(); ++j) acc[i - start][j] = tokens[i][j];
    }
    torch::Tensor features = impl_->model->EncodeText(batch).contiguous();
    std::memcpy(out.values.data() + start * out.cols, features.data_ptr<float>(),
                features.numel() * sizeof(float));
  }
  return out;
}

absl::StatusOr<FloatMatrix> ClipEncoder::EncodeImages(const std::vector<std::vector<float>>& images,
                                                      int batch_size) const {
  const int64_t r = config().vision().image_resolution();
  const size_t expected = static_cast<size_t>(3 * r * r);
  for (size_t i = 0; i < images.size(); ++i) {
    if (images[i].size() != expected) {
      return absl::InvalidArgumentError(absl::StrCat("image ", i, " has ", images[i].size(),
                                                     " values; the model takes 3 x ", r, " x ", r,
                                                     " = ", expected));
    }
  }
  FloatMatrix out;
  out.rows = static_cast<int64_t>(images.size());
  out.cols = config().embed_dim();
  out.values.resize(out.rows * out.cols);
  torch::NoGradGuard no_grad;
  for (size_t start = 0; start < images.size(); start += std::max(1, batch_size)) {
    const size_t end = std::min(images.size(), start + std::max(1, batch_size));
    torch::Tensor batch = torch::empty({static_cast<int64_t>(end - start), 3, r, r});
    for (size_t i = start; i < end; ++i) {
      std::memcpy(batch[i - start].data_ptr<float>(), images[i].data(), expected * sizeof(float));
    }
    torch::Tensor features = impl_->model->EncodeImage(batch).contiguous();
    std::memcpy(out.values.data() + start * out.cols, features.data_ptr<float>(),
                features.numel() * sizeof(float));
  }
  return out;
}

std::vector<NamedBuffer> ClipEncoder::ExportWeights() const { return ToNamedBuffers(*impl_->model); }

absl::Status ClipEncoder::Save(const std::string& path) const {
  return WriteClipWeights(path, ExportWeights(), config());
}

FloatMatrix ScaledCosineSimilarity(const FloatMatrix& a, const FloatMatrix& b, float scale) {
  FloatMatrix out;
  out.rows = a.rows;
  out.cols = b.rows;
  out.values.assign(a.rows * b.rows, 0.0f);
  auto norm = [](const float* v, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(v[i]) * v[i];
    return std::sqrt(s);
  };
  for (int64_t i = 0; i < a.rows; ++i) {
    const double na = norm(a.Row(i), a.cols);
    for (int64_t j = 0; j < b.rows; ++j) {
      const double nb = norm(b.Row(j), b.cols);
      double dot = 0;
      for (int64_t k = 0; k < a.cols; ++k) dot += static_cast<double>(a.Row(i)[k]) * b.Row(j)[k];
      out.values[i * out.cols + j] =
          static_cast<float>(scale * dot / std::max(na * nb, 1e-12));
    }
  }
  return out;
}

}  // namespace camoe
