// MpiCommunicator under mpirun (this binary is started as N processes by
// ctest): the same closed forms as the thread tests, across processes, plus a
// sub-communicator over some ranks. Every rank runs every test.
#include <gtest/gtest.h>

#include "worker/dist/mpi_communicator.h"

namespace camoe {
namespace {

class MpiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto comm = MpiCommunicator::World({absl::Seconds(60)});
    ASSERT_TRUE(comm.ok()) << comm.status();
    comm_ = std::move(*comm);
  }
  std::unique_ptr<MpiCommunicator> comm_;
};

TEST_F(MpiTest, AllReduceAllGatherBroadcastMatchClosedForms) {
  const int world = comm_->size(), rank = comm_->rank();
  std::vector<float> f(100000);
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(rank + (i % 7));
  ASSERT_TRUE(comm_->AllReduce(f.data(), f.size(), DataType::kFloat32, ReduceOp::kSum, "f").ok());
  for (size_t i = 0; i < f.size(); ++i) {
    ASSERT_EQ(f[i], static_cast<float>(world * (i % 7) + world * (world - 1) / 2)) << i;
  }
  int64_t mine[2] = {rank, rank * rank};
  std::vector<int64_t> all(2 * world);
  ASSERT_TRUE(comm_->AllGather(mine, sizeof(mine), all.data(), "g").ok());
  for (int r = 0; r < world; ++r) EXPECT_EQ(all[2 * r + 1], r * r);
  std::vector<char> data(1000, static_cast<char>(rank));
  ASSERT_TRUE(comm_->Broadcast(data.data(), data.size(), world - 1, "b").ok());
  EXPECT_EQ(data[999], static_cast<char>(world - 1));
  EXPECT_TRUE(comm_->Barrier("done").ok());
}

TEST_F(MpiTest, GroupOfEvenRanksHasItsOwnRanksAndCollectives) {
  std::vector<int> evens;
  for (int r = 0; r < comm_->size(); r += 2) evens.push_back(r);
  if (comm_->rank() % 2 != 0) {
    GTEST_SKIP() << "odd ranks are not in the group";
  }
  auto group = MpiCommunicator::Group(evens, /*tag=*/7, {absl::Seconds(60)});
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ((*group)->size(), static_cast<int>(evens.size()));
  EXPECT_EQ((*group)->rank(), comm_->rank() / 2);
  int64_t one = 1;
  ASSERT_TRUE((*group)->AllReduce(&one, 1, DataType::kInt64, ReduceOp::kSum, "count").ok());
  EXPECT_EQ(one, static_cast<int64_t>(evens.size()));
}

}  // namespace
}  // namespace camoe

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  camoe::FinalizeMpi();
  return rc;
}
