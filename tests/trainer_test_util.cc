#include "tests/trainer_test_util.h"

#include <mutex>
#include <sstream>
#include <thread>

#include "common/text_proto.h"
#include "tests/test_paths.h"
#include "worker/dist/thread_communicator.h"
#include "worker/video/synthetic.h"

namespace camoe::testing {
namespace {

class Recorder : public TrainObserver {
 public:
  explicit Recorder(int stop_after, StopRequest kind = StopRequest::kCheckpoint)
      : stop_after_(stop_after), kind_(kind) {}
  void OnStep(const StepMetrics& m) override {
    losses.push_back(m.loss);
    ++steps_;
  }
  StopRequest StopRequested() override {
    return stop_after_ > 0 && steps_ >= stop_after_ ? kind_ : StopRequest::kNone;
  }
  std::vector<double> losses;

 private:
  int stop_after_;
  StopRequest kind_;
  int steps_ = 0;
};

}  // namespace

std::string MakeTinyDataset() {
  static std::once_flag once;
  static std::string dir;
  std::call_once(once, [] {
    dir = TempDir("tiny_synthetic");
    video::SyntheticOptions options;
    options.videos = 24;
    options.seed = 3;
    options.frames_per_video = 6;
    options.size = 32;
    options.captions_per_video = 4;
    auto summary = video::WriteSyntheticDataset(dir, options);
    if (!summary.ok()) dir = "(synthetic dataset failed: " + std::string(summary.status().message()) + ")";
  });
  return dir;
}

JobSpec TinyTrainingSpec(const std::string& data_dir, bool dsl, const std::string& checkpoints) {
  JobSpec spec;
  const std::string text = R"pb(
    name: "tiny"
    model {
      clip {
        embed_dim: 32
        vision { image_resolution: 32 patch_size: 16 width: 32 layers: 1 heads: 1 }
        text { context_length: 16 width: 32 layers: 1 heads: 1 }
      }
      camoe {
        max_frames: 4
        entity_expert { attention_heads: 2 }
        action_expert { attention_heads: 2 }
        fusion_expert { se_reduction: 2 }
        gate_input { se_reduction: 2 }
      }
    }
    tokenizer { max_words: 16 }
    data {
      format: DATASET_MSRVTT
      train_split: "9k"
      eval_split: "full"
      num_frames: 4
      loader_threads: 2
      prefetch_batches: 2
    }
    optimizer { clip_lr: 1e-3 head_lr: 1e-3 }
    schedule { epochs: 2 batch_size: 8 max_steps: 3 log_every_steps: 1 eval_every_epochs: 0 }
    runtime { intra_op_threads: 1 seed: 7 }
  )pb";
  ParseTextProto(text, "tiny spec", &spec).IgnoreError();
  spec.mutable_data()->set_annotation_dir(data_dir);
  spec.mutable_data()->set_video_dir(data_dir + "/videos/all");
  spec.mutable_loss()->set_dsl(dsl);
  if (!checkpoints.empty()) spec.mutable_checkpoint()->set_dir(checkpoints);
  return spec;
}

TrainingRun RunTraining(JobSpec spec, int world, int stop_after, int64_t nan_at_step) {
  StopPlan plan;
  plan.after_steps = stop_after;
  return RunTraining(std::move(spec), world, plan, nan_at_step);
}

TrainingRun RunTraining(JobSpec spec, int world, const StopPlan& stop, int64_t nan_at_step) {
  spec.mutable_distributed()->set_world_size(world);
  ThreadWorld threads(world);
  std::vector<std::unique_ptr<Communicator>> comms;
  for (int r = 0; r < world; ++r) comms.push_back(threads.Connect(r, {absl::Seconds(120)}));
  std::vector<absl::Status> status(world);
  TrainingRun run;
  run.rank_steps.assign(world, 0);
  std::mutex mu;
  std::vector<std::thread> ranks;
  for (int r = 0; r < world; ++r) {
    ranks.emplace_back([&, r] {
      std::ostringstream log;
      Recorder recorder(stop.only_rank < 0 || stop.only_rank == r ? stop.after_steps : 0, stop.kind);
      TrainerOptions options;
      options.log = &log;
      options.default_vocab_path = BpeVocabPath();
      options.observer = &recorder;
      options.inject_nan_loss_at_step = nan_at_step;
      auto trainer = Trainer::Create(spec, comms[r].get(), options);
      if (!trainer.ok()) {
        status[r] = trainer.status();
        return;
      }
      auto summary = (*trainer)->Run();
      status[r] = summary.status();
      {
        std::lock_guard<std::mutex> lock(mu);
        run.rank_steps[r] = (*trainer)->progress().step();
      }
      if (r == 0) {
        std::lock_guard<std::mutex> lock(mu);
        run.losses = recorder.losses;
        run.parameters = (*trainer)->Parameters();
        if (summary.ok()) {
          run.resumed = summary->resumed;
          run.evaluation = summary->final_evaluation;
          run.stopped = summary->stopped;
          run.final_step = summary->state.step();
        }
      }
    });
  }
  for (auto& t : ranks) t.join();
  for (const auto& s : status) {
    if (!s.ok()) {
      run.status = s;
      break;
    }
  }
  return run;
}

TrainingRun RunTrainingRank(const JobSpec& spec, Communicator* comm) {
  std::ostringstream log;
  Recorder recorder(0);
  TrainerOptions options;
  options.log = &log;
  options.default_vocab_path = BpeVocabPath();
  options.observer = &recorder;
  TrainingRun run;
  auto trainer = Trainer::Create(spec, comm, options);
  if (!trainer.ok()) {
    run.status = trainer.status();
    return run;
  }
  auto summary = (*trainer)->Run();
  run.status = summary.status();
  run.losses = recorder.losses;
  run.parameters = (*trainer)->Parameters();
  return run;
}

}  // namespace camoe::testing
