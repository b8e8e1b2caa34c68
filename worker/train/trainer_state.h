// Internal to worker/train: what a Trainer holds, shared by the setup
// (trainer_setup.cc) and the loop (trainer.cc).
#ifndef CAMOE_WORKER_TRAIN_TRAINER_STATE_H_
#define CAMOE_WORKER_TRAIN_TRAINER_STATE_H_

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "worker/camoe/camoe_model.h"
#include "worker/data/dataset.h"
#include "worker/data/sampler.h"
#include "worker/data/views.h"
#include "worker/dist/torch_dist.h"
#include "worker/loader/frame_source.h"
#include "worker/pos/caption_streams.h"
#include "worker/train/checkpoint.h"
#include "worker/train/optim.h"
#include "worker/train/trainer.h"

namespace camoe {

struct Trainer::State {
  JobSpec spec;
  Communicator* comm = nullptr;
  TrainerOptions options;
  std::ostream* log = nullptr;
  torch::Device device = torch::kCPU;

  data::DatasetSplit train_split, eval_split;
  std::vector<CaptionStreams> train_streams, eval_streams;
  std::unique_ptr<data::TrainView> train_view;
  std::unique_ptr<data::DistributedSampler> sampler;
  std::unique_ptr<data::FrameSource> frames;

  CamoeModel model{nullptr};
  std::vector<NamedParameter> params;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::unique_ptr<GradientSynchronizer> sync;
  std::unique_ptr<CheckpointManager> checkpoints;  // chief only; null without a dir

  TrainerState progress;
  bool resumed = false;
};

// Builds every part of the state from the spec (trainer_setup.cc).
absl::Status SetUpTrainer(Trainer::State* s);

}  // namespace camoe

#endif  // CAMOE_WORKER_TRAIN_TRAINER_STATE_H_
