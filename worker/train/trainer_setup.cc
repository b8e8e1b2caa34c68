// Trainer setup: data, caption streams, model, optimizer, resume.
#include <glog/logging.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "absl/strings/str_format.h"
#include "common/config.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/text_proto.h"
#include "worker/camoe/precision.h"
#include "worker/data/data_config.h"
#include "worker/data/video_paths.h"
#include "worker/model/clip_encoder.h"
#include "worker/model/tensor_convert.h"
#include "worker/train/trainer_state.h"
#include "worker/weights/clip_weights_file.h"

namespace camoe {
namespace {

absl::Status LoadSplitWithVideos(const DataConfig& config, data::SplitRole role,
                                 data::DatasetSplit* split, std::ostream& log, bool chief) {
  CAMOE_ASSIGN_OR_RETURN(*split, data::LoadSplit(config, role));
  data::VideoPathReport report =
      data::ResolveVideoPaths(data::VideoPathOptionsFromConfig(config), split);
  if (chief) {
    log << data::DescribeSplit(*split) << "; " << data::DescribeVideoPathReport(report) << "\n";
  }
  return data::CheckBadVideoFraction(report.missing, report.found + report.missing,
                                     config.max_bad_video_fraction(),
                                     role == data::SplitRole::kTrain ? "training videos"
                                                                     : "evaluation videos");
}

std::vector<std::string> CaptionTexts(const data::DatasetSplit& split) {
  std::vector<std::string> texts;
  texts.reserve(split.captions.size());
  for (const auto& c : split.captions) texts.push_back(c.text);
  return texts;
}

}  // namespace

absl::Status SetUpTrainer(Trainer::State* s) {
  const JobSpec& spec = s->spec;
  const bool chief = s->comm->IsChief();
  std::ostream& log = *s->log;
  CAMOE_RETURN_IF_ERROR(ValidateJobSpec(spec));
  CAMOE_RETURN_IF_ERROR(data::ValidateDataConfig(spec.data(), "data"));
  if (s->comm->size() != spec.distributed().world_size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "distributed.world_size is %d but %d ranks are running; launch as many ranks as the "
        "job asks for",
        spec.distributed().world_size(), s->comm->size()));
  }
  CAMOE_ASSIGN_OR_RETURN(int threads, ConfigureTorchThreads(spec.runtime()));
  if (spec.runtime().device() == DEVICE_CUDA) {
    if (!torch::cuda::is_available()) {
      return absl::FailedPreconditionError(
          "runtime.device is DEVICE_CUDA but libtorch sees no CUDA device");
    }
    s->device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(s->options.cuda_device));
  }
  CAMOE_RETURN_IF_ERROR(CheckPrecision(spec.model().precision(), s->device));
  if (chief) log << "camoe train: effective config:\n" << ToTextProto(spec);

  // Text: tokenizer, tagger (cached per dataset in the checkpoint folder).
  const std::string vocab = spec.tokenizer().vocab_path().empty() ? s->options.default_vocab_path
                                                                  : spec.tokenizer().vocab_path();
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<BpeTokenizer> tokenizer, BpeTokenizer::Load(vocab));
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<PosTagger> tagger, PosTagger::Create());
  const std::string tag_cache =
      spec.checkpoint().dir().empty() ? "" : spec.checkpoint().dir() + "/pos_tags.cache";
  if (!tag_cache.empty() && FileExists(tag_cache)) tagger->LoadCache(tag_cache).IgnoreError();

  // Data.
  CAMOE_RETURN_IF_ERROR(
      LoadSplitWithVideos(spec.data(), data::SplitRole::kTrain, &s->train_split, log, chief));
  CAMOE_RETURN_IF_ERROR(
      LoadSplitWithVideos(spec.data(), data::SplitRole::kEval, &s->eval_split, log, chief));
  const int max_words = spec.tokenizer().max_words();
  StreamCounts train_counts, eval_counts;
  CAMOE_ASSIGN_OR_RETURN(s->train_streams,
                         BuildCaptionStreamsBatch(*tokenizer, *tagger, CaptionTexts(s->train_split),
                                                  max_words, threads, &train_counts));
  CAMOE_ASSIGN_OR_RETURN(s->eval_streams,
                         BuildCaptionStreamsBatch(*tokenizer, *tagger, CaptionTexts(s->eval_split),
                                                  max_words, threads, &eval_counts));
  if (chief) {
    log << absl::StrFormat(
        "captions tagged: train %d (%d without an entity keyword, %d without an action "
        "keyword), eval %d\n",
        train_counts.captions, train_counts.without_entity, train_counts.without_action,
        eval_counts.captions);
    if (!tag_cache.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(spec.checkpoint().dir(), ec);
      tagger->SaveCache(tag_cache).IgnoreError();
    }
  }
  s->train_view = std::make_unique<data::TrainView>(s->train_split, spec.data().train_sampling(),
                                                    spec.runtime().seed());
  data::SamplerOptions sampler;
  sampler.num_samples = s->train_view->size();
  sampler.global_batch_size = spec.schedule().batch_size();
  sampler.world_size = s->comm->size();
  sampler.rank = s->comm->rank();
  sampler.seed = spec.runtime().seed();
  sampler.shuffle = true;
  sampler.drop_last = true;
  CAMOE_ASSIGN_OR_RETURN(data::DistributedSampler built, data::DistributedSampler::Create(sampler));
  s->sampler = std::make_unique<data::DistributedSampler>(std::move(built));

  // Model: CLIP (pretrained or random) and the CAMoE heads.
  ClipConfig clip = spec.model().clip();
  std::optional<ClipWeights> weights;
  if (!spec.model().clip_weights().empty()) {
    CAMOE_ASSIGN_OR_RETURN(weights, ReadClipWeights(spec.model().clip_weights()));
    clip = weights->config;
  }
  CAMOE_ASSIGN_OR_RETURN(CamoeConfig heads,
                         ResolveCamoeConfig(spec.model().camoe(), clip.embed_dim()));
  if (heads.max_frames() < spec.data().num_frames()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "model.camoe.max_frames (%d) is smaller than data.num_frames (%d)", heads.max_frames(),
        spec.data().num_frames()));
  }
  if (max_words > clip.text().context_length()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "tokenizer.max_words (%d) exceeds the CLIP context length %d", max_words,
        clip.text().context_length()));
  }
  s->model = CamoeModel(clip, heads);
  s->model->ResetParameters(spec.runtime().seed());
  if (weights) CAMOE_RETURN_IF_ERROR(LoadNamedBuffers(*s->model->clip, weights->tensors));
  s->model->to(s->device);
  s->model->train();
  s->params = GroupParameters(*s->model);
  std::vector<torch::Tensor> tensors;
  for (const NamedParameter& p : s->params) tensors.push_back(p.tensor);
  CAMOE_RETURN_IF_ERROR(BroadcastParameters(*s->comm, tensors));
  s->optimizer = BuildOptimizer(s->params, spec.optimizer());
  GradientSyncOptions sync;
  sync.bucket_bytes = spec.distributed().bucket_bytes();
  s->sync = std::make_unique<GradientSynchronizer>(s->comm, tensors, sync);

  data::FrameSourceOptions frames;
  frames.num_frames = spec.data().num_frames();
  frames.size = clip.vision().image_resolution();
  frames.cache_dir = spec.data().frame_cache_dir();
  CAMOE_ASSIGN_OR_RETURN(s->frames, data::FrameSource::Create(frames));

  // Schedule and resume.
  const int64_t per_epoch = s->sampler->num_batches();
  int64_t total = per_epoch * spec.schedule().epochs();
  if (spec.schedule().max_steps() > 0) total = std::min(total, spec.schedule().max_steps());
  s->progress.set_total_steps(total);
  s->progress.set_seed(spec.runtime().seed());
  s->progress.set_world_size(s->comm->size());
  if (!spec.checkpoint().dir().empty()) {
    s->checkpoints = std::make_unique<CheckpointManager>(spec.checkpoint().dir(),
                                                         spec.checkpoint().keep());
    if (spec.checkpoint().resume()) {
      // Every rank reads the same verified file, so the replicas agree.
      auto loaded = s->checkpoints->LoadNewestVerified();
      if (loaded.ok()) {
        TrainerState restored;
        CAMOE_RETURN_IF_ERROR(
            CheckpointManager::Restore(*loaded, s->params, *s->optimizer, &restored));
        if (restored.total_steps() != total) {
          return absl::FailedPreconditionError(absl::StrFormat(
              "%s was written for %d total steps but this job has %d; resuming would change the "
              "learning-rate schedule (use a new checkpoint.dir to start over)",
              loaded->path, restored.total_steps(), total));
        }
        s->progress = restored;
        s->resumed = true;
        if (chief) {
          log << absl::StrFormat("resumed from %s at step %d (epoch %d, batch %d)\n",
                                 loaded->path, restored.step(), restored.epoch(),
                                 restored.batches_done_in_epoch());
        }
      } else if (loaded.status().code() != absl::StatusCode::kNotFound) {
        return loaded.status();
      }
    }
  }
  if (chief) {
    int64_t count = 0;
    for (const NamedParameter& p : s->params) count += p.tensor.numel();
    log << absl::StrFormat(
        "model: %s; %d parameters; %d ranks x %d samples per step; %d steps (%d per epoch); "
        "%d threads per rank\n",
        DescribeClipConfig(clip), count, s->comm->size(), s->sampler->local_batch_size(), total,
        per_epoch, threads);
  }
  return absl::OkStatus();
}

}  // namespace camoe
