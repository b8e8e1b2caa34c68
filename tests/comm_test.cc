// Communicators checked against closed forms, with ranks as threads: every
// collective, call ordering, mismatches, dead ranks and timeouts.
#include <gtest/gtest.h>

#include <functional>
#include <numeric>
#include <thread>

#include "worker/dist/thread_communicator.h"

namespace camoe {
namespace {

// Runs `body(rank, comm)` on `world` threads, one communicator each.
void RunRanks(int world, const std::function<void(int, Communicator&)>& body,
              CommunicatorOptions options = {}) {
  ThreadWorld w(world);
  std::vector<std::unique_ptr<Communicator>> comms;
  for (int r = 0; r < world; ++r) comms.push_back(w.Connect(r, options));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) threads.emplace_back([&, r] { body(r, *comms[r]); });
  for (auto& t : threads) t.join();
}

class CollectivesTest : public ::testing::TestWithParam<int> {};

TEST_P(CollectivesTest, AllReduceMatchesClosedForms) {
  const int world = GetParam();
  RunRanks(world, [world](int rank, Communicator& comm) {
    EXPECT_EQ(comm.rank(), rank);
    EXPECT_EQ(comm.size(), world);
    // Element i of rank r holds r + i: the sum is W*i + W(W-1)/2.
    std::vector<float> f(1000);
    for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(rank + i);
    ASSERT_TRUE(comm.AllReduce(f.data(), f.size(), DataType::kFloat32, ReduceOp::kSum, "f").ok());
    for (size_t i = 0; i < f.size(); ++i) {
      ASSERT_EQ(f[i], static_cast<float>(world * i + world * (world - 1) / 2)) << i;
    }
    std::vector<int64_t> v = {rank, -rank};
    ASSERT_TRUE(comm.AllReduce(v.data(), 2, DataType::kInt64, ReduceOp::kMax, "max").ok());
    EXPECT_EQ(v, std::vector<int64_t>({world - 1, 0}));
    double d = rank + 0.5;
    ASSERT_TRUE(comm.AllReduce(&d, 1, DataType::kFloat64, ReduceOp::kMin, "min").ok());
    EXPECT_EQ(d, 0.5);
  });
}

TEST_P(CollectivesTest, AllGatherIsInRankOrderAndBroadcastCopiesTheRoot) {
  const int world = GetParam();
  RunRanks(world, [world](int rank, Communicator& comm) {
    int32_t mine[3] = {rank, rank * 10, rank * 100};
    std::vector<int32_t> all(3 * world);
    ASSERT_TRUE(comm.AllGather(mine, sizeof(mine), all.data(), "g").ok());
    for (int r = 0; r < world; ++r) {
      EXPECT_EQ(all[3 * r], r);
      EXPECT_EQ(all[3 * r + 2], r * 100);
    }
    for (int root = 0; root < world; ++root) {
      std::vector<uint8_t> data(64, static_cast<uint8_t>(rank));
      ASSERT_TRUE(comm.Broadcast(data.data(), data.size(), root, "b").ok());
      EXPECT_EQ(data, std::vector<uint8_t>(64, static_cast<uint8_t>(root)));
    }
    EXPECT_TRUE(comm.Barrier("end").ok());
  });
}

TEST_P(CollectivesTest, AsyncCollectivesCompleteInCallOrder) {
  const int world = GetParam();
  RunRanks(world, [world](int rank, Communicator& comm) {
    std::vector<std::vector<float>> buffers(20, std::vector<float>(100, 1.0f));
    std::vector<std::shared_ptr<Work>> works;
    for (size_t i = 0; i < buffers.size(); ++i) {
      works.push_back(comm.AllReduceAsync(buffers[i].data(), 100, DataType::kFloat32,
                                          ReduceOp::kSum, "bucket"));
    }
    for (size_t i = 0; i < works.size(); ++i) {
      ASSERT_TRUE(works[i]->Wait(absl::Seconds(30)).ok());
      EXPECT_EQ(buffers[i][0], static_cast<float>(world));
    }
    EXPECT_GT(comm.bytes_moved(), 0);
  });
}

INSTANTIATE_TEST_SUITE_P(WorldSizes, CollectivesTest, ::testing::Values(1, 2, 3, 4));

TEST(CommunicatorFaultTest, MismatchedCollectivesFailNamingBothCalls) {
  std::vector<absl::Status> results(2);
  RunRanks(2, [&](int rank, Communicator& comm) {
    float x[4] = {};
    results[rank] = rank == 0 ? comm.AllReduce(x, 4, DataType::kFloat32, ReduceOp::kSum, "a")
                              : comm.AllGather(x, 8, x, "b");
  }, CommunicatorOptions{absl::Seconds(10)});
  bool named = false;
  for (const auto& s : results) {
    EXPECT_FALSE(s.ok());
    named |= s.message().find("collective mismatch") != std::string::npos;
  }
  EXPECT_TRUE(named) << results[0] << " / " << results[1];
}

TEST(CommunicatorFaultTest, DeadRankTimesOutPeersAndBreaksTheCommunicator) {
  ThreadWorld world(3);
  world.KillRank(2, /*after=*/1);  // rank 2 does its first collective, then dies
  std::vector<std::unique_ptr<Communicator>> comms;
  for (int r = 0; r < 3; ++r) comms.push_back(world.Connect(r, {absl::Milliseconds(300)}));
  std::vector<absl::Status> first(3), second(3), third(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      first[r] = comms[r]->Barrier("warm-up");
      second[r] = comms[r]->Barrier("after death");
      third[r] = comms[r]->Barrier("later");
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < 3; ++r) EXPECT_TRUE(first[r].ok()) << first[r];
  EXPECT_EQ(second[0].code(), absl::StatusCode::kDeadlineExceeded) << second[0];
  EXPECT_NE(second[0].message().find("rank(s) 2"), std::string::npos) << second[0];
  EXPECT_NE(second[0].message().find("rank 0/3"), std::string::npos) << second[0];
  EXPECT_EQ(second[2].code(), absl::StatusCode::kUnavailable);
  // Broken: later calls fail fast with the original reason.
  EXPECT_EQ(third[0].code(), absl::StatusCode::kFailedPrecondition) << third[0];
  EXPECT_NE(third[0].message().find("earlier failure"), std::string::npos);
}

TEST(CommunicatorFaultTest, BadBroadcastRootIsRefused) {
  ThreadWorld world(1);
  auto comm = world.Connect(0);
  char byte = 0;
  EXPECT_EQ(comm->Broadcast(&byte, 1, 5, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(comm->IsChief());
}

}  // namespace
}  // namespace camoe
