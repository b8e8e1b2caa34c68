// ClipEncoder: a CLIP model behind a torch-free interface, for the CLI, the
// demo and anything else that only needs embeddings. It owns one ClipModel
// (fp32, CPU) built from random initialisation or from a weights file, and
// turns token ids and preprocessed images into projected features.
//
// Encode* are const and run under no-grad, so several threads may call them
// at once. ConfigureTorchThreads is process-wide.
#ifndef CAMOE_WORKER_MODEL_CLIP_ENCODER_H_
#define CAMOE_WORKER_MODEL_CLIP_ENCODER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "camoe/config.pb.h"
#include "worker/weights/clip_weights_file.h"

namespace camoe {

// A dense row-major float matrix.
struct FloatMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;
  const float* Row(int64_t r) const { return values.data() + r * cols; }
};

// Sets libtorch's intra-op threads (0: one per available core) and, the first
// time only, its inter-op threads: libtorch starts with 1 intra-op thread here
// and allows inter-op threads to be set once per process. Returns the
// intra-op thread count now in effect.
absl::StatusOr<int> ConfigureTorchThreads(const RuntimeConfig& runtime);

class ClipEncoder {
 public:
  // A randomly initialised model of `config` (validated), reproducible from `seed`.
  static absl::StatusOr<std::unique_ptr<ClipEncoder>> CreateRandom(const ClipConfig& config,
                                                                   uint64_t seed);
  // A model holding `weights` (converted to fp32).
  static absl::StatusOr<std::unique_ptr<ClipEncoder>> FromWeights(const ClipWeights& weights);
  // ReadClipWeights(path) + FromWeights.
  static absl::StatusOr<std::unique_ptr<ClipEncoder>> Load(const std::string& path,
                                                           const ClipWeightsOptions& options = {});
  ~ClipEncoder();

  const ClipConfig& config() const;
  int64_t parameter_count() const;
  // exp(logit_scale), clamped at 100.
  float logit_scale() const;

  // `tokens`: one sequence per text, SOT ... EOT, at most context_length ids
  // each, unpadded or zero padded. Returns [texts, embed_dim] projected,
  // un-normalised features. Errors name the offending text index.
  absl::StatusOr<FloatMatrix> EncodeText(const std::vector<std::vector<int32_t>>& tokens,
                                         int batch_size = 256) const;

  // `images`: preprocessed CHW floats, 3 x R x R each (R = image_resolution).
  absl::StatusOr<FloatMatrix> EncodeImages(const std::vector<std::vector<float>>& images,
                                           int batch_size = 64) const;

  // The parameters with OpenAI names, fp32.
  std::vector<NamedBuffer> ExportWeights() const;
  // ExportWeights() as a camoe tensor file (atomic write).
  absl::Status Save(const std::string& path) const;

 private:
  struct Impl;
  explicit ClipEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// scale * cosine similarity of every row of `a` with every row of `b`.
FloatMatrix ScaledCosineSimilarity(const FloatMatrix& a, const FloatMatrix& b, float scale);

}  // namespace camoe

#endif  // CAMOE_WORKER_MODEL_CLIP_ENCODER_H_
