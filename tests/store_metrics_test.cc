// JobStore's metrics, events, workers and counters: round trips, idempotent
// re-delivery, ordering and referential checks.
#include <string>
#include <vector>

#include "coordinator/store/job_store.h"
#include "gtest/gtest.h"
#include "tests/store_test_util.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::MakeEvaluation;
using ::camoe::testing::MakeJob;
using ::camoe::testing::MakeStep;
using ::camoe::testing::SameMessage;

class StoreMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->InsertJob(MakeJob(1)).ok());
    ASSERT_TRUE(store_->InsertJob(MakeJob(2)).ok());
  }

  static std::vector<StepReport> StepRange(int64_t first, int64_t last, double offset = 0) {
    std::vector<StepReport> steps;
    for (int64_t s = first; s <= last; ++s) steps.push_back(MakeStep(s, offset));
    return steps;
  }

  std::unique_ptr<JobStore> store_;
};

TEST_F(StoreMetricsTest, StepsRoundTripInStepOrder) {
  ASSERT_TRUE(store_->AppendSteps("job-000001", StepRange(11, 20)).ok());
  ASSERT_TRUE(store_->AppendSteps("job-000001", StepRange(1, 10)).ok());
  ASSERT_TRUE(store_->AppendSteps("job-000002", StepRange(1, 3)).ok());
  absl::StatusOr<std::vector<StepReport>> steps = store_->Steps("job-000001", 0);
  ASSERT_TRUE(steps.ok()) << steps.status();
  ASSERT_EQ(steps->size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(SameMessage(MakeStep(i + 1), (*steps)[i]));
}

TEST_F(StoreMetricsTest, StepsAfterAStepWithALimit) {
  ASSERT_TRUE(store_->AppendSteps("job-000001", StepRange(1, 50)).ok());
  absl::StatusOr<std::vector<StepReport>> tail = store_->Steps("job-000001", 45);
  ASSERT_EQ(tail->size(), 5u);
  EXPECT_EQ(tail->front().step(), 46);
  absl::StatusOr<std::vector<StepReport>> window = store_->Steps("job-000001", 10, 3);
  ASSERT_EQ(window->size(), 3u);
  EXPECT_EQ(window->front().step(), 11);
  EXPECT_EQ(window->back().step(), 13);
  EXPECT_TRUE(store_->Steps("job-000001", 50)->empty());
  EXPECT_TRUE(store_->Steps("job-000002", 0)->empty());
  EXPECT_TRUE(store_->AppendSteps("job-000001", {}).ok());
}

TEST_F(StoreMetricsTest, ReDeliveredStepsAreStoredOnce) {
  ASSERT_TRUE(store_->AppendSteps("job-000001", StepRange(1, 10)).ok());
  // A worker re-sends its buffer, overlapping what was stored.
  ASSERT_TRUE(store_->AppendSteps("job-000001", StepRange(5, 15)).ok());
  ASSERT_TRUE(store_->AppendSteps("job-000001", StepRange(5, 15)).ok());
  absl::StatusOr<std::vector<StepReport>> steps = store_->Steps("job-000001", 0);
  ASSERT_EQ(steps->size(), 15u);
  for (int i = 0; i < 15; ++i) EXPECT_EQ((*steps)[i].step(), i + 1);
}

TEST_F(StoreMetricsTest, ARestartedAttemptsStepsReplaceTheAbandonedOnes) {
  ASSERT_TRUE(store_->AppendSteps("job-000001", StepRange(1, 10)).ok());
  // Attempt 2 resumes from a checkpoint at step 6 and re-runs 7..10.
  ASSERT_TRUE(store_->AppendSteps("job-000001", StepRange(7, 10, 100.0)).ok());
  absl::StatusOr<std::vector<StepReport>> steps = store_->Steps("job-000001", 0);
  ASSERT_EQ(steps->size(), 10u);
  EXPECT_TRUE(SameMessage(MakeStep(6), (*steps)[5]));
  EXPECT_TRUE(SameMessage(MakeStep(7, 100.0), (*steps)[6]));
}

TEST_F(StoreMetricsTest, StepsOfAnUnknownJobAreNotFoundAndNotStored) {
  absl::Status status = store_->AppendSteps("job-000099", StepRange(1, 5));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_NE(status.message().find("job-000099"), std::string::npos) << status;
  EXPECT_TRUE(store_->Steps("job-000099", 0)->empty());
}

TEST_F(StoreMetricsTest, EvaluationsAreKeyedByStepAndFinal) {
  ASSERT_TRUE(store_->AppendEvaluation("job-000001", MakeEvaluation(200, false)).ok());
  ASSERT_TRUE(store_->AppendEvaluation("job-000001", MakeEvaluation(100, false)).ok());
  ASSERT_TRUE(store_->AppendEvaluation("job-000001", MakeEvaluation(200, true)).ok());
  ASSERT_TRUE(store_->AppendEvaluation("job-000001", MakeEvaluation(200, true)).ok());  // again
  absl::StatusOr<std::vector<EvaluationReport>> evaluations = store_->Evaluations("job-000001");
  ASSERT_TRUE(evaluations.ok()) << evaluations.status();
  ASSERT_EQ(evaluations->size(), 3u);
  EXPECT_TRUE(SameMessage(MakeEvaluation(100, false), (*evaluations)[0]));
  EXPECT_TRUE(SameMessage(MakeEvaluation(200, false), (*evaluations)[1]));
  EXPECT_TRUE(SameMessage(MakeEvaluation(200, true), (*evaluations)[2]));
  EXPECT_TRUE(store_->Evaluations("job-000002")->empty());
  EXPECT_EQ(store_->AppendEvaluation("job-000099", MakeEvaluation(1, true)).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(StoreMetricsTest, EventsKeepAppendOrder) {
  ASSERT_TRUE(store_->AppendEvent("job-000001", 30, "submitted", "priority 0").ok());
  ASSERT_TRUE(store_->AppendEvent("job-000002", 31, "submitted", "other job").ok());
  ASSERT_TRUE(store_->AppendEvent("job-000001", 20, "scheduled", "gang [0, 1]").ok());
  auto events = store_->Events("job-000001");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0], std::make_tuple(int64_t{30}, std::string("submitted"),
                                          std::string("priority 0")));
  EXPECT_EQ((*events)[1], std::make_tuple(int64_t{20}, std::string("scheduled"),
                                          std::string("gang [0, 1]")));
  EXPECT_EQ(store_->AppendEvent("job-000099", 1, "x", "y").code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreMetricsTest, WorkersUpsertLoadAndDelete) {
  Worker a;
  a.set_id("launch-1/0");
  a.set_host("node-a");
  a.set_launch_rank(0);
  a.set_alive(true);
  Worker b = a;
  b.set_id("launch-1/1");
  b.set_launch_rank(1);
  ASSERT_TRUE(store_->UpsertWorker(b).ok());
  ASSERT_TRUE(store_->UpsertWorker(a).ok());
  a.set_job_id("job-000001");
  a.set_last_heartbeat_ms(12345);
  ASSERT_TRUE(store_->UpsertWorker(a).ok());

  absl::StatusOr<std::vector<Worker>> workers = store_->LoadWorkers();
  ASSERT_TRUE(workers.ok()) << workers.status();
  ASSERT_EQ(workers->size(), 2u);
  EXPECT_TRUE(SameMessage(a, (*workers)[0]));
  EXPECT_TRUE(SameMessage(b, (*workers)[1]));

  ASSERT_TRUE(store_->DeleteWorker("launch-1/0").ok());
  EXPECT_TRUE(store_->DeleteWorker("launch-1/0").ok()) << "deleting twice is fine";
  ASSERT_EQ(store_->LoadWorkers()->size(), 1u);
  EXPECT_EQ(store_->UpsertWorker(Worker()).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreMetricsTest, CountersCountFromOnePerName) {
  EXPECT_EQ(*store_->NextCounter("group_tag"), 1);
  EXPECT_EQ(*store_->NextCounter("group_tag"), 2);
  EXPECT_EQ(*store_->NextCounter("other"), 1);
  EXPECT_EQ(*store_->NextCounter("group_tag"), 3);
}

}  // namespace
}  // namespace camoe::coordinator
