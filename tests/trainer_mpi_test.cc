// The defining equivalence under real processes: `mpirun -np 2` ranks, each
// with half the global batch, train 3 steps and end with the losses and
// parameters of one process on the whole batch (computed by rank 0 afterwards).
#include <gtest/gtest.h>

#include <cmath>

#include "tests/trainer_test_util.h"
#include "worker/dist/mpi_communicator.h"

namespace camoe {
namespace {

TEST(TrainerMpiTest, TwoProcessesEqualOneProcess) {
  auto comm = MpiCommunicator::World({absl::Seconds(120)});
  ASSERT_TRUE(comm.ok()) << comm.status();
  ASSERT_EQ((*comm)->size(), 2) << "run under mpirun -np 2";
  const std::string data = testing::MakeTinyDataset();
  for (bool dsl : {true, false}) {
    JobSpec spec = testing::TinyTrainingSpec(data, dsl, "");
    spec.mutable_distributed()->set_world_size(2);
    testing::TrainingRun mpi = testing::RunTrainingRank(spec, comm->get());
    ASSERT_TRUE(mpi.status.ok()) << mpi.status;
    if ((*comm)->rank() != 0) continue;
    testing::TrainingRun one = testing::RunTraining(spec, 1);
    ASSERT_TRUE(one.status.ok()) << one.status;
    ASSERT_EQ(mpi.losses.size(), one.losses.size());
    for (size_t i = 0; i < one.losses.size(); ++i) {
      EXPECT_NEAR(mpi.losses[i], one.losses[i], 1e-5 * std::abs(one.losses[i])) << "step " << i;
    }
    double diff = 0, norm = 0;
    for (size_t i = 0; i < one.parameters.size(); ++i) {
      const float* x = reinterpret_cast<const float*>(one.parameters[i].bytes.data());
      const float* y = reinterpret_cast<const float*>(mpi.parameters[i].bytes.data());
      for (size_t k = 0; k < one.parameters[i].bytes.size() / 4; ++k) {
        diff += (double(x[k]) - y[k]) * (double(x[k]) - y[k]);
        norm += double(x[k]) * x[k];
      }
    }
    std::printf("dsl %d: mpirun -np 2 vs one process, relative parameter difference %.2e\n", dsl,
                std::sqrt(diff / norm));
    EXPECT_LT(std::sqrt(diff / norm), 1e-5);
  }
  ASSERT_TRUE((*comm)->Barrier("done").ok());
}

}  // namespace
}  // namespace camoe

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  camoe::FinalizeMpi();
  return rc;
}
