#include "coordinator/core/validation.h"

#include <filesystem>

#include "absl/strings/str_format.h"
#include "common/config.h"
#include "common/status_macros.h"
#include "worker/data/data_config.h"

namespace camoe::coordinator {
namespace {

namespace fs = std::filesystem;

// `path` made absolute against `base`, with "..", "." and symlinks of the
// existing prefix resolved (so a symlink cannot smuggle a path out).
std::string Normalise(const std::string& path, const std::string& base) {
  fs::path p(path);
  if (p.is_relative() && !base.empty()) p = fs::path(base) / p;
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(p, ec);
  return (ec ? p.lexically_normal() : canonical).string();
}

bool Inside(const std::string& path, const std::string& root) {
  const fs::path p = fs::path(path).lexically_normal();
  const fs::path r = fs::path(root).lexically_normal();
  auto pi = p.begin();
  for (auto ri = r.begin(); ri != r.end(); ++ri, ++pi) {
    if (ri->empty()) continue;  // trailing separator
    if (pi == p.end() || *pi != *ri) return false;
  }
  return true;
}

// Rewrites `*path` (a field of the spec) to its absolute form inside `root`.
absl::Status Confine(std::string* path, const std::string& field, const std::string& root,
                     const std::string& root_flag) {
  if (path->empty()) return absl::OkStatus();
  if (path->find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: contains a NUL byte", field));
  }
  const std::string normalised = Normalise(*path, root);
  if (!root.empty() && !Inside(normalised, Normalise(root, ""))) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: '%s' resolves to '%s', outside %s '%s'; paths must stay inside it", field, *path,
        normalised, root_flag, root));
  }
  *path = normalised;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<JobSpec> ValidateSubmittedSpec(const JobSpec& input, const std::string& job_id,
                                              const ValidationOptions& options) {
  JobSpec spec = input;
  CAMOE_RETURN_IF_ERROR(ValidateJobSpec(spec));
  CAMOE_RETURN_IF_ERROR(data::ValidateDataConfig(spec.data(), "data"));
  if (spec.data().format() == DATASET_FORMAT_UNSPECIFIED) {
    return absl::InvalidArgumentError("data.format: a training job needs a dataset");
  }
  if (spec.distributed().world_size() > options.max_world_size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "distributed.world_size: %d exceeds the service's limit of %d ranks",
        spec.distributed().world_size(), options.max_world_size));
  }
  const std::string& data = options.data_root;
  DataConfig* d = spec.mutable_data();
  CAMOE_RETURN_IF_ERROR(Confine(d->mutable_annotation_dir(), "data.annotation_dir", data, "--data_root"));
  CAMOE_RETURN_IF_ERROR(Confine(d->mutable_train_annotation(), "data.train_annotation", data, "--data_root"));
  CAMOE_RETURN_IF_ERROR(Confine(d->mutable_eval_annotation(), "data.eval_annotation", data, "--data_root"));
  CAMOE_RETURN_IF_ERROR(Confine(d->mutable_video_dir(), "data.video_dir", data, "--data_root"));
  CAMOE_RETURN_IF_ERROR(Confine(d->mutable_frame_cache_dir(), "data.frame_cache_dir", data, "--data_root"));
  CAMOE_RETURN_IF_ERROR(Confine(spec.mutable_model()->mutable_clip_weights(), "model.clip_weights", data,
                                "--data_root"));
  CAMOE_RETURN_IF_ERROR(Confine(spec.mutable_tokenizer()->mutable_vocab_path(), "tokenizer.vocab_path",
                                data, "--data_root"));
  CheckpointConfig* c = spec.mutable_checkpoint();
  if (c->dir().empty() && !options.checkpoint_root.empty()) {
    c->set_dir((fs::path(options.checkpoint_root) / job_id).string());
  }
  CAMOE_RETURN_IF_ERROR(Confine(c->mutable_dir(), "checkpoint.dir", options.checkpoint_root,
                                "--checkpoint_root"));
  return spec;
}

}  // namespace camoe::coordinator
