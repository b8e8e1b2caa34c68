#include "common/config.h"

#include <sched.h>

#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/text_proto.h"

namespace camoe {
namespace {

// Upper bounds that stop absurd configs before they allocate: far above any
// published CLIP (ViT-L/14@336: width 1024, 24 layers, 336 px).
constexpr int kMaxWidth = 8192;
constexpr int kMaxLayers = 128;
constexpr int kMaxResolution = 4096;
constexpr int kMaxContext = 4096;
constexpr int kMaxVocab = 1 << 22;
constexpr int kMaxThreads = 1024;

absl::Status RangeError(const std::string& path, std::string_view field, int64_t value, int64_t lo,
                        int64_t hi) {
  return absl::InvalidArgumentError(absl::StrFormat("%s.%s: %d is out of range [%d, %d]", path,
                                                    field, value, lo, hi));
}

absl::Status CheckRange(const std::string& path, std::string_view field, int64_t value, int64_t lo,
                        int64_t hi) {
  if (value < lo || value > hi) return RangeError(path, field, value, lo, hi);
  return absl::OkStatus();
}

absl::Status CheckHeads(const std::string& path, int width, int heads) {
  CAMOE_RETURN_IF_ERROR(CheckRange(path, "heads", heads, 1, width));
  if (width % heads != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s.heads: width %d is not divisible by %d heads; pick heads so that width / heads is a "
        "whole head size (OpenAI CLIP uses 64)",
        path, width, heads));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateClipConfig(const ClipConfig& config, const std::string& path) {
  CAMOE_RETURN_IF_ERROR(CheckRange(path, "embed_dim", config.embed_dim(), 1, kMaxWidth));
  const VisionConfig& v = config.vision();
  std::string vpath = absl::StrCat(path, ".vision");
  CAMOE_RETURN_IF_ERROR(CheckRange(vpath, "image_resolution", v.image_resolution(), 1, kMaxResolution));
  CAMOE_RETURN_IF_ERROR(CheckRange(vpath, "patch_size", v.patch_size(), 1, v.image_resolution()));
  if (v.image_resolution() % v.patch_size() != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s.patch_size: image_resolution %d is not a multiple of patch_size %d", vpath,
        v.image_resolution(), v.patch_size()));
  }
  CAMOE_RETURN_IF_ERROR(CheckRange(vpath, "width", v.width(), 1, kMaxWidth));
  CAMOE_RETURN_IF_ERROR(CheckRange(vpath, "layers", v.layers(), 1, kMaxLayers));
  CAMOE_RETURN_IF_ERROR(CheckHeads(vpath, v.width(), v.heads()));
  const TextConfig& t = config.text();
  std::string tpath = absl::StrCat(path, ".text");
  CAMOE_RETURN_IF_ERROR(CheckRange(tpath, "context_length", t.context_length(), 2, kMaxContext));
  // SOT and EOT ids are 49406 and 49407, so a usable vocabulary holds them.
  CAMOE_RETURN_IF_ERROR(CheckRange(tpath, "vocab_size", t.vocab_size(), 49408, kMaxVocab));
  CAMOE_RETURN_IF_ERROR(CheckRange(tpath, "width", t.width(), 1, kMaxWidth));
  CAMOE_RETURN_IF_ERROR(CheckRange(tpath, "layers", t.layers(), 1, kMaxLayers));
  CAMOE_RETURN_IF_ERROR(CheckHeads(tpath, t.width(), t.heads()));
  if (config.init_logit_scale() != config.init_logit_scale() || config.init_logit_scale() < 0 ||
      config.init_logit_scale() > 4.6052) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s.init_logit_scale: %g must be in [0, ln 100 = 4.6052] (exp(logit_scale) is clamped "
        "at 100)",
        path, config.init_logit_scale()));
  }
  return absl::OkStatus();
}

absl::Status ValidateRuntimeConfig(const RuntimeConfig& config, const std::string& path) {
  CAMOE_RETURN_IF_ERROR(CheckRange(path, "intra_op_threads", config.intra_op_threads(), 0, kMaxThreads));
  CAMOE_RETURN_IF_ERROR(CheckRange(path, "inter_op_threads", config.inter_op_threads(), 1, kMaxThreads));
  return absl::OkStatus();
}

absl::Status ValidateTokenizerConfig(const TokenizerConfig& config, const std::string& path) {
  // SOT + at least one token + EOT.
  return CheckRange(path, "max_words", config.max_words(), 3, kMaxContext);
}

namespace {

absl::Status CheckReal(const std::string& path, std::string_view field, double value, double lo,
                       double hi, bool lo_open = false) {
  const bool ok = std::isfinite(value) && (lo_open ? value > lo : value >= lo) && value <= hi;
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrFormat("%s.%s: %g is out of range %s%g, %g]", path,
                                                      std::string(field), value,
                                                      lo_open ? "(" : "[", lo, hi));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTrainingConfigs(const JobSpec& spec) {
  const OptimizerConfig& o = spec.optimizer();
  CAMOE_RETURN_IF_ERROR(CheckReal("optimizer", "clip_lr", o.clip_lr(), 0, 1));
  CAMOE_RETURN_IF_ERROR(CheckReal("optimizer", "head_lr", o.head_lr(), 0, 1, /*lo_open=*/true));
  CAMOE_RETURN_IF_ERROR(CheckReal("optimizer", "beta1", o.beta1(), 0, 0.999999));
  CAMOE_RETURN_IF_ERROR(CheckReal("optimizer", "beta2", o.beta2(), 0, 0.999999));
  CAMOE_RETURN_IF_ERROR(CheckReal("optimizer", "eps", o.eps(), 0, 1, /*lo_open=*/true));
  CAMOE_RETURN_IF_ERROR(CheckReal("optimizer", "weight_decay", o.weight_decay(), 0, 10));
  CAMOE_RETURN_IF_ERROR(CheckReal("optimizer", "grad_clip_norm", o.grad_clip_norm(), 0, 1e6));
  CAMOE_RETURN_IF_ERROR(CheckReal("optimizer", "warmup_fraction", o.warmup_fraction(), 0, 1));
  const ScheduleConfig& s = spec.schedule();
  CAMOE_RETURN_IF_ERROR(CheckRange("schedule", "epochs", s.epochs(), 1, 100000));
  CAMOE_RETURN_IF_ERROR(CheckRange("schedule", "batch_size", s.batch_size(), 1, 1 << 20));
  CAMOE_RETURN_IF_ERROR(CheckRange("schedule", "max_steps", s.max_steps(), 0, int64_t{1} << 40));
  CAMOE_RETURN_IF_ERROR(CheckRange("schedule", "eval_every_epochs", s.eval_every_epochs(), 0, 100000));
  CAMOE_RETURN_IF_ERROR(CheckRange("schedule", "log_every_steps", s.log_every_steps(), 1, 1 << 30));
  const CheckpointConfig& c = spec.checkpoint();
  CAMOE_RETURN_IF_ERROR(CheckRange("checkpoint", "every_steps", c.every_steps(), 0, 1 << 30));
  CAMOE_RETURN_IF_ERROR(CheckRange("checkpoint", "keep", c.keep(), 1, 10000));
  const DistributedConfig& d = spec.distributed();
  CAMOE_RETURN_IF_ERROR(CheckRange("distributed", "world_size", d.world_size(), 1, 65536));
  CAMOE_RETURN_IF_ERROR(
      CheckRange("distributed", "bucket_bytes", d.bucket_bytes(), 1024, int64_t{4} << 30));
  CAMOE_RETURN_IF_ERROR(CheckRange("distributed", "collective_timeout_seconds",
                                   d.collective_timeout_seconds(), 1, 7 * 86400));
  if (s.batch_size() % d.world_size() != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "schedule.batch_size: %d is not divisible by distributed.world_size %d; the global batch "
        "is split evenly across ranks",
        s.batch_size(), d.world_size()));
  }
  const LossConfig& l = spec.loss();
  CAMOE_RETURN_IF_ERROR(CheckReal("loss", "dsl_temperature", l.dsl_temperature(), 0, 1e12, true));
  CAMOE_RETURN_IF_ERROR(CheckReal("loss", "fusion_weight", l.fusion_weight(), 0, 1e6));
  CAMOE_RETURN_IF_ERROR(CheckReal("loss", "entity_weight", l.entity_weight(), 0, 1e6));
  CAMOE_RETURN_IF_ERROR(CheckReal("loss", "action_weight", l.action_weight(), 0, 1e6));
  const EvalConfig& e = spec.eval();
  CAMOE_RETURN_IF_ERROR(CheckReal("eval", "qb_norm_beta", e.qb_norm_beta(), 0, 1e6, true));
  CAMOE_RETURN_IF_ERROR(CheckRange("eval", "qb_norm_k", e.qb_norm_k(), 1, 1 << 20));
  CAMOE_RETURN_IF_ERROR(CheckRange("eval", "qb_norm_bank_size", e.qb_norm_bank_size(), 0, 1 << 30));
  CAMOE_RETURN_IF_ERROR(CheckRange("eval", "block_size", e.block_size(), 1, 1 << 20));
  return absl::OkStatus();
}

absl::Status ValidateJobSpec(const JobSpec& spec) {
  CAMOE_RETURN_IF_ERROR(ValidateClipConfig(spec.model().clip(), "model.clip"));
  CAMOE_RETURN_IF_ERROR(ValidateTrainingConfigs(spec));
  CAMOE_RETURN_IF_ERROR(ValidateTokenizerConfig(spec.tokenizer(), "tokenizer"));
  CAMOE_RETURN_IF_ERROR(ValidateRuntimeConfig(spec.runtime(), "runtime"));
  if (spec.model().clip_weights().empty() &&
      spec.tokenizer().max_words() > spec.model().clip().text().context_length()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "tokenizer.max_words: %d exceeds model.clip.text.context_length %d",
        spec.tokenizer().max_words(), spec.model().clip().text().context_length()));
  }
  return absl::OkStatus();
}

absl::StatusOr<JobSpec> LoadJobSpec(const std::string& path) {
  JobSpec spec;
  CAMOE_RETURN_IF_ERROR(ParseTextProtoFile(path, &spec));
  absl::Status valid = ValidateJobSpec(spec);
  if (!valid.ok()) return Annotate(valid, path);
  return spec;
}

int ResolveThreadCount(int requested) {
  if (requested > 0) return requested;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string DescribeClipConfig(const ClipConfig& c) {
  return absl::StrFormat(
      "embed_dim %d | vision: %dpx patch %d width %d layers %d heads %d | text: context %d vocab "
      "%d width %d layers %d heads %d",
      c.embed_dim(), c.vision().image_resolution(), c.vision().patch_size(), c.vision().width(),
      c.vision().layers(), c.vision().heads(), c.text().context_length(), c.text().vocab_size(),
      c.text().width(), c.text().layers(), c.text().heads());
}

}  // namespace camoe
