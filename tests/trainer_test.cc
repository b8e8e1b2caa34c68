// The trainer end to end on a tiny synthetic dataset: data-parallel runs equal
// one process, resume is bit-identical, a damaged newest checkpoint falls back,
// a NaN loss refuses the step. Ranks run as threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "common/file_util.h"
#include "common/text_proto.h"
#include "tests/test_paths.h"
#include "tests/trainer_test_util.h"
#include "worker/dist/thread_communicator.h"
#include "worker/train/trainer.h"

namespace camoe {
namespace {

using testing::RunTraining;
using testing::TrainingRun;

class TrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { data_dir_ = new std::string(testing::MakeTinyDataset()); }
  JobSpec Spec(bool dsl, const std::string& checkpoints = "") {
    return testing::TinyTrainingSpec(*data_dir_, dsl, checkpoints);
  }
  static std::string* data_dir_;
};
std::string* TrainerTest::data_dir_ = nullptr;

// ||a - b|| / ||a|| over all parameters together. Per-element or per-tensor
// ratios would be dominated by entries whose true gradient is (nearly) zero,
// e.g. attention key biases that softmax ignores or a gate bias while the
// experts still agree: Adam normalises their rounding noise into updates that
// differ between any two summation orders.
double RelativeDifference(const std::vector<NamedBuffer>& a, const std::vector<NamedBuffer>& b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    const float* x = reinterpret_cast<const float*>(a[i].bytes.data());
    const float* y = reinterpret_cast<const float*>(b[i].bytes.data());
    for (size_t k = 0; k < a[i].bytes.size() / 4; ++k) {
      diff += (double(x[k]) - y[k]) * (double(x[k]) - y[k]);
      norm += double(x[k]) * x[k];
    }
  }
  return std::sqrt(diff / std::max(norm, 1e-30));
}

TEST_F(TrainerTest, DataParallelRunsEqualOneProcess) {
  for (bool dsl : {true, false}) {
    JobSpec spec = Spec(dsl);
    TrainingRun one = RunTraining(spec, 1);
    ASSERT_TRUE(one.status.ok()) << one.status;
    ASSERT_EQ(one.losses.size(), 3u);
    for (int world : {2, 4}) {
      TrainingRun many = RunTraining(spec, world);
      ASSERT_TRUE(many.status.ok()) << many.status;
      ASSERT_EQ(many.losses.size(), 3u);
      for (size_t i = 0; i < 3; ++i) {
        EXPECT_NEAR(many.losses[i], one.losses[i], 1e-5 * std::abs(one.losses[i]))
            << "dsl " << dsl << " world " << world << " step " << i + 1;
      }
      const double diff = RelativeDifference(many.parameters, one.parameters);
      std::printf("dsl %d world %d: max relative parameter difference after 3 steps %.2e\n", dsl,
                  world, diff);
      EXPECT_LT(diff, 1e-5);
      // Distributed evaluation: shards encoded per rank, gathered in dataset order.
      ASSERT_EQ(many.evaluation.streams.size(), one.evaluation.streams.size());
      for (size_t st = 0; st < one.evaluation.streams.size(); ++st) {
        const RetrievalReport& a = one.evaluation.streams[st].report;
        const RetrievalReport& b = many.evaluation.streams[st].report;
        EXPECT_EQ(a.t2v, b.t2v) << "world " << world << " stream " << st;
        EXPECT_EQ(a.v2t, b.v2t) << "world " << world << " stream " << st;
        EXPECT_EQ(*a.t2v_dsl, *b.t2v_dsl) << "world " << world << " stream " << st;
        EXPECT_EQ(*a.v2t_dsl, *b.v2t_dsl) << "world " << world << " stream " << st;
      }
    }
  }
}

TEST_F(TrainerTest, ResumeIsBitIdenticalAndSurvivesALostOrDamagedCheckpoint) {
  const std::string dir = testing::TempDir("trainer_resume");
  JobSpec spec = Spec(true, dir + "/straight");
  spec.mutable_schedule()->set_max_steps(6);
  spec.mutable_checkpoint()->set_every_steps(2);
  TrainingRun straight = RunTraining(spec, 1);
  ASSERT_TRUE(straight.status.ok()) << straight.status;
  ASSERT_EQ(straight.losses.size(), 6u);

  for (const std::string mode : {"graceful", "lost", "damaged"}) {
    const std::string ckpt = dir + "/" + mode;
    spec.mutable_checkpoint()->set_dir(ckpt);
    // First run: stop after 3 steps (the stop writes checkpoint 3).
    TrainingRun first = RunTraining(spec, 1, /*stop_after=*/3);
    ASSERT_TRUE(first.status.ok()) << first.status;
    ASSERT_TRUE(FileExists(ckpt + "/ckpt-000000000003.camoe"));
    if (mode == "lost") {
      // As if the process died before checkpoint 3 reached the disk.
      std::filesystem::remove(ckpt + "/ckpt-000000000003.camoe");
    } else if (mode == "damaged") {
      auto bytes = ReadFile(ckpt + "/ckpt-000000000003.camoe");
      ASSERT_TRUE(bytes.ok());
      std::string corrupt = *bytes;
      corrupt[corrupt.size() / 2] ^= 0x5a;
      ASSERT_TRUE(WriteFileAtomically(ckpt + "/ckpt-000000000003.camoe", corrupt).ok());
    }
    TrainingRun second = RunTraining(spec, 1);
    ASSERT_TRUE(second.status.ok()) << mode << ": " << second.status;
    EXPECT_TRUE(second.resumed) << mode;
    const size_t resumed_at = mode == "graceful" ? 3 : 2;
    ASSERT_EQ(second.losses.size(), 6 - resumed_at) << mode;
    for (size_t i = 0; i < second.losses.size(); ++i) {
      EXPECT_EQ(second.losses[i], straight.losses[resumed_at + i]) << mode << " step " << i;
    }
    ASSERT_EQ(second.parameters.size(), straight.parameters.size());
    for (size_t i = 0; i < second.parameters.size(); ++i) {
      EXPECT_TRUE(second.parameters[i].bytes == straight.parameters[i].bytes)
          << mode << ": parameter " << second.parameters[i].name << " differs bitwise";
    }
  }
}

TEST_F(TrainerTest, NonFiniteLossRefusesTheStepAndKeepsTheCheckpoint) {
  const std::string dir = testing::TempDir("trainer_nan");
  JobSpec spec = Spec(true, dir);
  spec.mutable_schedule()->set_max_steps(4);
  spec.mutable_checkpoint()->set_every_steps(1);
  TrainingRun run = RunTraining(spec, 1, /*stop_after=*/0, /*nan_at_step=*/3);
  ASSERT_FALSE(run.status.ok());
  EXPECT_NE(run.status.message().find("step 3: the loss is"), std::string::npos) << run.status;
  EXPECT_NE(run.status.message().find("refused"), std::string::npos);
  EXPECT_TRUE(FileExists(dir + "/ckpt-000000000002.camoe"));
  EXPECT_FALSE(FileExists(dir + "/ckpt-000000000003.camoe"));
}

TEST_F(TrainerTest, MismatchedWorldSizeIsRefused) {
  JobSpec spec = Spec(true);
  spec.mutable_distributed()->set_world_size(4);
  ThreadWorld world(1);
  auto comm = world.Connect(0);
  std::ostringstream log;
  TrainerOptions options;
  options.log = &log;
  options.default_vocab_path = testing::BpeVocabPath();
  auto trainer = Trainer::Create(spec, comm.get(), options);
  EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(trainer.status().message().find("world_size is 4 but 1 ranks"), std::string::npos);
}


// A cancel reaches ranks at different heartbeats: the ranks must still agree
// on the step to stop at, or the next collective would hang.
TEST_F(TrainerTest, AStopSeenByOneRankStopsEveryRankAtTheSameStep) {
  const std::string dir = testing::TempDir("trainer_stop_one_rank");
  JobSpec spec = Spec(true, dir);
  spec.mutable_schedule()->set_max_steps(6);
  testing::StopPlan plan;
  plan.after_steps = 2;
  plan.only_rank = 1;
  TrainingRun run = RunTraining(spec, 2, plan);
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(run.stopped, StopRequest::kCheckpoint);
  EXPECT_EQ(run.final_step, 2);
  EXPECT_EQ(run.rank_steps, (std::vector<int64_t>{2, 2}));
  EXPECT_TRUE(FileExists(dir + "/ckpt-000000000002.camoe"));
  // A stopped run skips the final evaluation.
  EXPECT_TRUE(run.evaluation.streams.empty());
}

TEST_F(TrainerTest, AForcedStopWritesNoCheckpoint) {
  const std::string dir = testing::TempDir("trainer_stop_now");
  JobSpec spec = Spec(true, dir);
  spec.mutable_schedule()->set_max_steps(6);
  spec.mutable_checkpoint()->set_every_steps(2);
  testing::StopPlan plan;
  plan.after_steps = 3;
  plan.kind = StopRequest::kNow;
  TrainingRun run = RunTraining(spec, 2, plan);
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(run.stopped, StopRequest::kNow);
  EXPECT_EQ(run.rank_steps, (std::vector<int64_t>{3, 3}));
  EXPECT_TRUE(FileExists(dir + "/ckpt-000000000002.camoe"));
  EXPECT_FALSE(FileExists(dir + "/ckpt-000000000003.camoe"));
}

}  // namespace
}  // namespace camoe
