// The NCCL communicator. Built wherever the CUDA toolkit with NCCL is found;
// the collective tests need a CUDA device and skip without one, the error path
// runs everywhere.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <thread>

#include "worker/dist/nccl_communicator.h"
#include "worker/dist/thread_communicator.h"

namespace camoe {
namespace {

TEST(NcclCommunicatorTest, MissingDeviceIsAClearError) {
  if (CudaDeviceCount() > 0) GTEST_SKIP() << "a CUDA device is present";
  ThreadWorld world(1);
  auto bootstrap = world.Connect(0);
  auto nccl = NcclCommunicator::Create(*bootstrap, 0);
  ASSERT_EQ(nccl.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(nccl.status().message().find("CUDA device 0 requested but 0 device(s) visible"),
            std::string::npos)
      << nccl.status();
}

TEST(NcclCommunicatorTest, CollectivesOnOneGpuMatchClosedForms) {
  if (CudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  ThreadWorld world(1);
  auto bootstrap = world.Connect(0);
  auto nccl = NcclCommunicator::Create(*bootstrap, 0);
  ASSERT_TRUE(nccl.ok()) << nccl.status();
  EXPECT_TRUE((*nccl)->device_memory());
  std::vector<float> host(1000);
  for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<float>(i);
  float* device = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&device), host.size() * sizeof(float)), cudaSuccess);
  cudaMemcpy(device, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice);
  ASSERT_TRUE((*nccl)->AllReduce(device, host.size(), DataType::kFloat32, ReduceOp::kSum, "x").ok());
  float* gathered = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&gathered), host.size() * sizeof(float)), cudaSuccess);
  ASSERT_TRUE((*nccl)->AllGather(device, host.size() * sizeof(float), gathered, "g").ok());
  std::vector<float> back(host.size());
  cudaMemcpy(back.data(), gathered, back.size() * sizeof(float), cudaMemcpyDeviceToHost);
  EXPECT_EQ(back, host);  // world size 1: sum and gather are the identity
  EXPECT_TRUE((*nccl)->Barrier("end").ok());
  cudaFree(device);
  cudaFree(gathered);
}

}  // namespace
}  // namespace camoe
