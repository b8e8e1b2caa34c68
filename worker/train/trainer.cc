#include "worker/train/trainer.h"

#include <glog/logging.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <iostream>

#include "absl/strings/str_format.h"
#include "common/failure.h"
#include "common/status_macros.h"
#include "worker/camoe/losses.h"
#include "worker/camoe/precision.h"
#include "worker/loader/batch_loader.h"
#include "worker/train/batch_tensors.h"
#include "worker/train/evaluate.h"
#include "worker/data/video_paths.h"
#include "worker/model/tensor_convert.h"
#include "worker/train/trainer_state.h"

namespace camoe {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, s / 60 % 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

// Stops the backward pass from turning collective failures into crashes: the
// autograd functions throw c10::Error, which becomes a Status here.
template <typename F>
absl::Status Guarded(const char* what, F&& f) {
  try {
    f();
    return absl::OkStatus();
  } catch (const c10::OutOfMemoryError& e) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("%s ran out of device memory: %s (lower schedule.batch_size or use "
                        "model.precision BF16)", what, e.what_without_backtrace()));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrFormat("%s failed: %s", what, e.what_without_backtrace()));
  }
}

}  // namespace

Trainer::Trainer(std::unique_ptr<State> state) : s_(std::move(state)) {}
Trainer::~Trainer() = default;

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(const JobSpec& spec, Communicator* comm,
                                                         TrainerOptions options) {
  auto state = std::make_unique<State>();
  state->spec = spec;
  state->comm = comm;
  state->options = options;
  state->log = options.log != nullptr ? options.log : &std::cerr;
  CAMOE_RETURN_IF_ERROR(SetUpTrainer(state.get()));
  return std::unique_ptr<Trainer>(new Trainer(std::move(state)));
}

absl::Status Trainer::Step(const data::LoadedBatch& batch, double data_wait, StepMetrics* m) {
  State& s = *s_;
  const auto start = Clock::now();
  const int world = s.comm->size();
  std::vector<int32_t> captions;
  for (const auto& sample : batch.samples) captions.push_back(sample.caption);
  VideoInput video = MakeVideoInput(batch, s.device);
  TextInput text = MakeTextInput(s.train_streams, captions, s.device);

  StreamEmbeddings local_video, local_text, global_video, global_text;
  torch::Tensor gate, has_entity, has_action;
  LossOutput loss;
  double gather_seconds = 0;
  s.sync->Prepare();
  CAMOE_RETURN_IF_ERROR(Guarded("forward", [&] {
    {
      AutocastGuard autocast(s.spec.model().precision(), s.device);
      VideoOutput v = s.model->EncodeVideo(video);
      local_video = v.embeddings;
      gate = v.gate_weights;
      local_text = s.model->EncodeText(text);
    }
    // The loss covers the global batch: every stream's rows from every rank.
    const auto gather_start = Clock::now();
    for (int st = 0; st < kNumStreams; ++st) {
      if (!local_video.streams[st].defined()) continue;
      global_video.streams[st] = AllGatherRows(*s.comm, local_video.streams[st].to(torch::kFloat32));
      global_text.streams[st] = AllGatherRows(*s.comm, local_text.streams[st].to(torch::kFloat32));
    }
    has_entity = AllGatherRows(*s.comm, text.has_entity.to(torch::kFloat32).unsqueeze(1)).squeeze(1) > 0.5;
    has_action = AllGatherRows(*s.comm, text.has_action.to(torch::kFloat32).unsqueeze(1)).squeeze(1) > 0.5;
    gather_seconds = Since(gather_start);
    loss = CamoeLoss(global_text, global_video, has_entity, has_action, s.model->LogitScale(),
                     s.spec.loss());
    if (s.options.inject_nan_loss_at_step == s.progress.step() + 1) {
      loss.total = loss.total * std::numeric_limits<float>::quiet_NaN();
    }
  }));
  const double loss_value = loss.total.item<double>();
  if (!std::isfinite(loss_value)) {
    return WithFailureClass(absl::InternalError(absl::StrFormat(
        "step %d: the loss is %f; the step was refused and training stopped (the last verified "
        "checkpoint is intact). Lower optimizer.head_lr / clip_lr or use PRECISION_FP32",
        s.progress.step() + 1, loss_value)), kFailureNonFinite);
  }
  // Each rank back-propagates its share of the identical global loss; the
  // all-gather's backward and the gradient sum make the result exact
  // (Note [Exact global gradients] in worker/dist/torch_dist.cc).
  CAMOE_RETURN_IF_ERROR(Guarded("backward", [&] { (loss.total / world).backward(); }));
  CAMOE_ASSIGN_OR_RETURN(GradientSyncStats sync, s.sync->Finish());
  const double grad_norm = ClipGradientNorm(s.params, s.spec.optimizer().grad_clip_norm());
  if (!std::isfinite(grad_norm)) {
    s.optimizer->zero_grad();
    return WithFailureClass(absl::InternalError(absl::StrFormat(
        "step %d: the gradient norm is %f; the step was refused and training stopped (the last "
        "verified checkpoint is intact)",
        s.progress.step() + 1, grad_norm)), kFailureNonFinite);
  }
  const double lr = ApplyLearningRates(*s.optimizer, s.spec.optimizer(), s.progress.step(),
                                       s.progress.total_steps());
  s.optimizer->step();
  ClampLogitScale(*s.model);
  s.optimizer->zero_grad();
  s.progress.set_step(s.progress.step() + 1);

  // Metrics (identical on every rank: they come from global tensors).
  m->step = s.progress.step();
  m->epoch = s.progress.epoch();
  m->total_steps = s.progress.total_steps();
  m->loss = loss_value;
  for (int st = 0; st < kNumStreams; ++st) {
    m->stream_loss[st] = loss.per_stream[st].defined() ? loss.per_stream[st].item<double>() : 0;
    m->excluded[st] = loss.excluded[st];
  }
  m->lr_head = lr;
  m->lr_clip = lr * s.spec.optimizer().clip_lr() / s.spec.optimizer().head_lr();
  m->grad_norm = grad_norm;
  m->samples = global_video.streams[kFusion].size(0);
  m->data_wait_seconds = data_wait;
  m->gather_seconds = gather_seconds;
  m->sync_seconds = sync.comm_seconds;
  m->sync_hidden_fraction = sync.hidden_fraction();
  if (gate.defined()) {
    torch::NoGradGuard no_grad;
    torch::Tensor all = AllGatherRows(*s.comm, gate.detach().to(torch::kFloat32));
    torch::Tensor mean = all.mean(0);
    for (int st = 0; st < kNumStreams; ++st) m->gate_mean[st] = mean[st].item<double>();
  }
  int64_t dropped = static_cast<int64_t>(batch.dropped.size());
  CAMOE_RETURN_IF_ERROR(AllReduceHostInt64(*s.comm, &dropped, 1, ReduceOp::kSum, "dropped"));
  m->dropped = dropped;
  m->step_seconds = Since(start) + data_wait;
  m->clips_per_second = m->samples / std::max(1e-9, m->step_seconds);
  return absl::OkStatus();
}

absl::Status Trainer::SaveCheckpoint() {
  State& s = *s_;
  absl::Status status;
  if (s.comm->IsChief() && s.checkpoints) {
    status = s.checkpoints->Save(s.progress, s.params, *s.optimizer, s.spec);
    if (status.ok()) {
      const CheckpointManifest manifest = s.checkpoints->ReadManifest();
      const std::string path =
          s.checkpoints->dir() + "/" +
          (manifest.checkpoints().empty() ? "" : manifest.checkpoints().rbegin()->file());
      *s.log << "checkpoint: " << path << "\n";
      if (s.options.observer) s.options.observer->OnCheckpoint(s.progress.step(), path);
    }
  }
  // Every rank learns whether the chief's write worked before going on.
  int64_t ok = status.ok() ? 1 : 0;
  CAMOE_RETURN_IF_ERROR(AllReduceHostInt64(*s.comm, &ok, 1, ReduceOp::kMin, "checkpoint outcome"));
  if (!ok && status.ok()) return absl::InternalError("the chief rank failed to write a checkpoint");
  return status;
}

absl::StatusOr<EvaluationResult> Trainer::EvaluateNow() {
  State& s = *s_;
  EvaluateOptions options;
  options.batch_size = std::max(1, s.spec.schedule().batch_size() / s.comm->size());
  options.loader_threads = s.spec.data().loader_threads();
  options.prefetch_batches = s.spec.data().prefetch_batches();
  options.precision = s.spec.model().precision();
  return Evaluate(s.model, s.eval_split, s.eval_streams, *s.frames, s.spec.eval(), options,
                  *s.comm, s.device);
}

std::vector<NamedBuffer> Trainer::Parameters() const {
  std::vector<NamedBuffer> out;
  for (const NamedParameter& p : s_->params) {
    auto buffer = ToNamedBuffer(p.name, p.tensor.to(torch::kCPU, torch::kFloat32));
    if (buffer.ok()) out.push_back(std::move(*buffer));
  }
  return out;
}

const TrainerState& Trainer::progress() const { return s_->progress; }

absl::StatusOr<TrainSummary> Trainer::Run() {
  State& s = *s_;
  const bool chief = s.comm->IsChief();
  std::ostream& log = *s.log;
  TrainSummary summary;
  summary.resumed = s.resumed;
  const int64_t per_epoch = s.sampler->num_batches();
  const int64_t epochs = s.spec.schedule().epochs();
  const auto run_start = Clock::now();
  const int64_t first_step = s.progress.step();
  bool stop = false;
  while (!stop && s.progress.step() < s.progress.total_steps() && s.progress.epoch() < epochs) {
    const int64_t epoch = s.progress.epoch();
    // This rank's batches of the epoch, skipping those done before a restart.
    const std::vector<int64_t> order = s.sampler->GlobalOrder(epoch);
    std::vector<std::vector<data::TrainSample>> batches;
    for (int64_t b = s.progress.batches_done_in_epoch(); b < per_epoch; ++b) {
      std::vector<data::TrainSample> batch;
      for (int64_t index : s.sampler->LocalBatch(order, b)) {
        batch.push_back(s.train_view->Get(index, epoch));
      }
      batches.push_back(std::move(batch));
    }
    data::BatchLoader loader(s.frames.get(), &s.train_split, std::move(batches),
                             {s.spec.data().loader_threads(), s.spec.data().prefetch_batches()});
    while (s.progress.step() < s.progress.total_steps()) {
      const auto wait_start = Clock::now();
      std::optional<data::LoadedBatch> batch = loader.Next();
      const double wait = Since(wait_start);
      if (!batch) break;
      for (const std::string& bad : batch->dropped) LOG(WARNING) << "skipped video " << bad;
      StepMetrics metrics;
      CAMOE_RETURN_IF_ERROR(Step(*batch, wait, &metrics));
      s.progress.set_batches_done_in_epoch(s.progress.batches_done_in_epoch() + 1);
      if (s.options.observer) s.options.observer->OnStep(metrics);
      const int64_t every = std::max(1, s.spec.schedule().log_every_steps());
      if (chief && (metrics.step % every == 0 || metrics.step == s.progress.total_steps() ||
                    s.options.progress_bar)) {
        const double elapsed = Since(run_start);
        const double eta = elapsed / std::max<int64_t>(1, metrics.step - first_step) *
                           (metrics.total_steps - metrics.step);
        // Gradient sync only means something with several ranks.
        const std::string sync =
            s.comm->size() > 1
                ? absl::StrFormat(" sync %.0fms (%.0f%% hidden)", 1000 * metrics.sync_seconds,
                                  100 * metrics.sync_hidden_fraction)
                : "";
        std::string line = absl::StrFormat(
            "epoch %d/%d step %d/%d loss %.4f (F %.3f E %.3f A %.3f) lr %.2e %.1f clips/s "
            "data %.0f%%%s gate %.2f/%.2f/%.2f ETA %s",
            epoch + 1, epochs, metrics.step, metrics.total_steps, metrics.loss,
            metrics.stream_loss[0], metrics.stream_loss[1], metrics.stream_loss[2],
            metrics.lr_head, metrics.clips_per_second,
            100 * metrics.data_wait_seconds / std::max(1e-9, metrics.step_seconds), sync,
            metrics.gate_mean[0], metrics.gate_mean[1], metrics.gate_mean[2], Duration(eta));
        log << (s.options.progress_bar ? "\r" + line + "\033[K" : line + "\n") << std::flush;
      }
      const auto& bad = s.frames->stats();
      CAMOE_RETURN_IF_ERROR(data::CheckBadVideoFraction(
          bad.bad, static_cast<int64_t>(s.train_split.videos.size()),
          s.spec.data().max_bad_video_fraction(), "training videos (unreadable)"));
      const int every_ckpt = s.spec.checkpoint().every_steps();
      if (every_ckpt > 0 && metrics.step % every_ckpt == 0) CAMOE_RETURN_IF_ERROR(SaveCheckpoint());
      if (s.options.observer) {
        // The ranks agree on the strongest request any of them saw.
        int64_t request = static_cast<int64_t>(s.options.observer->StopRequested());
        CAMOE_RETURN_IF_ERROR(AllReduceHostInt64(*s.comm, &request, 1, ReduceOp::kMax, "stop request"));
        if (request != static_cast<int64_t>(StopRequest::kNone)) {
          stop = true;
          summary.stopped = static_cast<StopRequest>(request);
          break;
        }
      }
    }
    if (s.options.progress_bar && chief) log << "\n";
    if (!stop && s.progress.batches_done_in_epoch() >= per_epoch) {
      s.progress.set_epoch(epoch + 1);
      s.progress.set_batches_done_in_epoch(0);
    }
    s.progress.set_train_seconds(s.progress.train_seconds() + Since(run_start));
    if (summary.stopped == StopRequest::kNow) break;  // leave the last checkpoint as it is
    CAMOE_RETURN_IF_ERROR(SaveCheckpoint());
    const int eval_every = s.spec.schedule().eval_every_epochs();
    const bool last = s.progress.step() >= s.progress.total_steps() || s.progress.epoch() >= epochs;
    if (!stop && !last && eval_every > 0 && s.progress.epoch() % eval_every == 0 &&
        s.progress.batches_done_in_epoch() == 0) {
      CAMOE_ASSIGN_OR_RETURN(EvaluationResult result, EvaluateNow());
      if (chief) log << "evaluation after epoch " << s.progress.epoch() << ":\n" << FormatEvaluation(result);
      if (s.options.observer && chief) {
        s.options.observer->OnEvaluation(s.progress.step(), result, /*final=*/false);
      }
    }
  }
  summary.state = s.progress;
  if (stop) {
    if (chief) {
      log << (summary.stopped == StopRequest::kNow ? "stopped at once" : "stopped after a checkpoint")
          << " at step " << s.progress.step() << " of " << s.progress.total_steps() << "\n";
    }
    return summary;
  }
  CAMOE_ASSIGN_OR_RETURN(summary.final_evaluation, EvaluateNow());
  if (chief) {
    const data::FrameSourceStats frames = s.frames->stats();
    log << absl::StrFormat(
        "frames: %d from the frame cache, %d from memory, %d decoded (%.1f s), %d truncated "
        "videos used, %d unreadable videos skipped\n",
        frames.cache_hits, frames.memory_hits, frames.decodes, frames.decode_seconds,
        frames.truncated_used, frames.bad);
    for (const auto& [path, reason] : s.frames->bad_videos()) {
      log << "  unreadable: " << path << ": " << reason << "\n";
    }
    log << "final evaluation:\n" << FormatEvaluation(summary.final_evaluation);
  }
  if (s.options.observer && chief) {
    s.options.observer->OnEvaluation(s.progress.step(), summary.final_evaluation, /*final=*/true);
  }
  summary.state = s.progress;
  return summary;
}

}  // namespace camoe
