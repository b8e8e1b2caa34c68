// Trainer: trains and evaluates CAMoE as a JobSpec describes, on one process
// or as one rank of many. The step reads top to bottom (Trainer::Step):
// batch, forward, global loss on all-gathered embeddings, backward with
// overlapped bucketed gradient sync, clip, optimizer step, metrics. NaN/Inf
// losses or gradients refuse the step and stop the run with the reason; the
// last verified checkpoint stays intact. Checkpoints make resume exact.
//
// Cross-rank contract: every rank runs Create and Run with the same JobSpec and
// a Communicator of size distributed.world_size; collectives happen in the same
// order on all ranks; only the chief (rank 0) prints, writes checkpoints and
// calls the observer's evaluation and checkpoint callbacks (OnStep runs on every
// rank with the same global values). Not thread-safe.
#ifndef CAMOE_WORKER_TRAIN_TRAINER_H_
#define CAMOE_WORKER_TRAIN_TRAINER_H_

#include <iosfwd>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "camoe/config.pb.h"
#include "camoe/train.pb.h"
#include "common/tensor_file.h"
#include "worker/dist/communicator.h"
#include "worker/train/evaluation_result.h"

namespace camoe {
namespace data {
struct LoadedBatch;
}  // namespace data

// Global (all-rank) figures of one optimizer step.
struct StepMetrics {
  int64_t step = 0;   // 1-based after the step
  int64_t epoch = 0;
  int64_t total_steps = 0;
  double loss = 0;
  double stream_loss[kNumStreams] = {0, 0, 0};
  int64_t excluded[kNumStreams] = {0, 0, 0};  // captions without the stream's keywords
  double lr_head = 0, lr_clip = 0;
  double grad_norm = 0;
  int64_t samples = 0;        // global batch after dropped videos
  int64_t dropped = 0;        // videos this step could not read (all ranks)
  double step_seconds = 0;
  double clips_per_second = 0;
  double data_wait_seconds = 0;     // this rank's wait for the loader
  double gather_seconds = 0;        // embedding all-gathers (forward)
  double sync_seconds = 0;          // gradient all-reduce time
  double sync_hidden_fraction = 1;  // share of it overlapped with backward
  double gate_mean[kNumStreams] = {0, 0, 0};
};

// How a run is asked to end early.
enum class StopRequest {
  kNone = 0,
  kCheckpoint = 1,  // write a checkpoint, then stop (a graceful cancel)
  kNow = 2,         // stop without writing anything (a forced cancel)
};

// Receives progress; the service forwards it to the coordinator.
class TrainObserver {
 public:
  virtual ~TrainObserver() = default;
  virtual void OnStep(const StepMetrics& metrics) {}
  // `final`: the evaluation at the end of the run (also in TrainSummary).
  virtual void OnEvaluation(int64_t step, const EvaluationResult& result, bool final) {}
  virtual void OnCheckpoint(int64_t step, const std::string& path) {}
  // Polled on every rank after each step. The ranks agree on the strongest
  // request any of them saw (one all-reduce), so they stop at the same step
  // even when a cancel reaches them at different times. A stopped run skips
  // the final evaluation.
  virtual StopRequest StopRequested() { return StopRequest::kNone; }
};

struct TrainerOptions {
  std::ostream* log = nullptr;      // progress and tables (chief only); nullptr: std::cerr
  bool progress_bar = false;        // redraw one line (a terminal) instead of log lines
  std::string default_vocab_path;   // used when tokenizer.vocab_path is empty
  TrainObserver* observer = nullptr;
  // CUDA device index of this rank when runtime.device is DEVICE_CUDA.
  int cuda_device = 0;
  // Fault injection for tests: the loss of this (1-based) step becomes NaN.
  int64_t inject_nan_loss_at_step = 0;
};

struct TrainSummary {
  TrainerState state;
  EvaluationResult final_evaluation;
  StopRequest stopped = StopRequest::kNone;  // why the run ended early, if it did
  bool resumed = false;        // started from a checkpoint
};

class Trainer {
 public:
  // Loads data, tags captions, builds the model and optimizer, and resumes
  // from the newest verified checkpoint when asked. `comm` must outlive the
  // trainer.
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(const JobSpec& spec, Communicator* comm,
                                                         TrainerOptions options);
  ~Trainer();

  absl::StatusOr<TrainSummary> Run();

  // Evaluates the current model on the evaluation split.
  absl::StatusOr<EvaluationResult> EvaluateNow();

  // The current parameters (fp32, CPU) with their names; for tests and export.
  std::vector<NamedBuffer> Parameters() const;
  const TrainerState& progress() const;

  // Internal (trainer_state.h); public only so the setup code can fill it.
  struct State;

 private:
  explicit Trainer(std::unique_ptr<State> state);
  // One optimizer step on `batch`; fills `metrics`.
  absl::Status Step(const data::LoadedBatch& batch, double data_wait, StepMetrics* metrics);
  absl::Status SaveCheckpoint();
  std::unique_ptr<State> s_;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_TRAIN_TRAINER_H_
