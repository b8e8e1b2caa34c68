// Helpers for trainer tests: a tiny synthetic dataset and JobSpec, and a
// runner that trains with W ranks as threads and records what rank 0 saw.
#ifndef CAMOE_TESTS_TRAINER_TEST_UTIL_H_
#define CAMOE_TESTS_TRAINER_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "camoe/config.pb.h"
#include "common/tensor_file.h"
#include "worker/dist/communicator.h"
#include "worker/train/trainer.h"

namespace camoe::testing {

// Renders (once per process) 24 synthetic 32 px videos with 4 captions each
// and returns the folder.
std::string MakeTinyDataset();

// A JobSpec for the tiny dataset: a 1-layer CLIP, global batch 8, 3 steps.
JobSpec TinyTrainingSpec(const std::string& data_dir, bool dsl, const std::string& checkpoints);

struct TrainingRun {
  absl::Status status;                 // the first failing rank's status
  std::vector<double> losses;          // per step, from rank 0's observer
  std::vector<NamedBuffer> parameters; // rank 0's parameters at the end
  bool resumed = false;
  EvaluationResult evaluation;
  StopRequest stopped = StopRequest::kNone;  // rank 0's summary
  int64_t final_step = 0;                    // rank 0's step at the end
  std::vector<int64_t> rank_steps;           // every rank's step at the end
};

// When the observer asks to stop: after `after_steps` steps of this run, with
// `kind`, on `only_rank` (-1: every rank).
struct StopPlan {
  int after_steps = 0;
  StopRequest kind = StopRequest::kCheckpoint;
  int only_rank = -1;
};

// Trains `spec` on `world` thread ranks. stop_after > 0 requests a stop after
// that many steps of this run; nan_at_step > 0 makes that step's loss NaN.
TrainingRun RunTraining(JobSpec spec, int world, int stop_after = 0, int64_t nan_at_step = 0);
TrainingRun RunTraining(JobSpec spec, int world, const StopPlan& stop, int64_t nan_at_step = 0);

// Trains `spec` as one rank over `comm` (for MPI tests).
TrainingRun RunTrainingRank(const JobSpec& spec, Communicator* comm);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_TRAINER_TEST_UTIL_H_
