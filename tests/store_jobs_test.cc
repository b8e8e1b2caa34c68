// JobStore's jobs: round trips, uniqueness of ids and request ids, listing with
// page tokens and state filters, job numbers, and transactions.
#include <set>
#include <string>
#include <vector>

#include "coordinator/store/job_store.h"
#include "gtest/gtest.h"
#include "tests/store_test_util.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::MakeEvaluation;
using ::camoe::testing::MakeJob;
using ::camoe::testing::SameMessage;

class StoreJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Every page of a listing, following tokens; fails the test on a repeat.
  std::vector<std::string> ListAllIds(const std::vector<JobState>& states, int page_size) {
    std::vector<std::string> ids;
    std::string token;
    do {
      std::string next;
      absl::StatusOr<std::vector<Job>> page = store_->ListJobs(states, page_size, token, &next);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int>(page->size()), page_size);
      for (const Job& job : *page) ids.push_back(job.id());
      token = next;
    } while (!token.empty());
    return ids;
  }

  std::unique_ptr<JobStore> store_;
};

TEST_F(StoreJobsTest, OpensAtTheLatestSchemaVersion) {
  EXPECT_EQ(store_->schema_version(), JobStore::LatestSchemaVersion());
  EXPECT_GE(JobStore::LatestSchemaVersion(), 2);
}

TEST_F(StoreJobsTest, RoundTripsAWholeJobWithHistory) {
  Job job = MakeJob(7, JOB_RUNNING, 1000, "request-7");
  JobTransition* second = job.add_history();
  second->set_state(JOB_RUNNING);
  second->set_time_ms(2000);
  second->set_reason("gang started");
  job.set_last_checkpoint("/ckpt/job-000007/step-100");
  ASSERT_TRUE(store_->InsertJob(job).ok());

  absl::StatusOr<std::optional<Job>> read = store_->GetJob("job-000007");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  EXPECT_TRUE(SameMessage(job, **read));
}

TEST_F(StoreJobsTest, UnknownJobIsEmptyNotAnError) {
  absl::StatusOr<std::optional<Job>> read = store_->GetJob("job-999999");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->has_value());
  absl::StatusOr<std::optional<Job>> by_request = store_->FindJobByRequestId("nobody");
  ASSERT_TRUE(by_request.ok());
  EXPECT_FALSE(by_request->has_value());
}

TEST_F(StoreJobsTest, RejectsAJobWithoutId) {
  Job job = MakeJob(1);
  job.clear_id();
  EXPECT_EQ(store_->InsertJob(job).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StoreJobsTest, DuplicateIdIsAlreadyExistsNamingTheId) {
  ASSERT_TRUE(store_->InsertJob(MakeJob(1)).ok());
  absl::Status again = store_->InsertJob(MakeJob(1, JOB_FAILED));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(again.message().find("job-000001"), std::string::npos) << again;
  // The first one is untouched.
  EXPECT_EQ(store_->GetJob("job-000001")->value().state(), JOB_QUEUED);
}

TEST_F(StoreJobsTest, RequestIdBelongsToOneJob) {
  ASSERT_TRUE(store_->InsertJob(MakeJob(1, JOB_QUEUED, 10, "req-a")).ok());
  absl::Status again = store_->InsertJob(MakeJob(2, JOB_QUEUED, 20, "req-a"));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(again.message().find("req-a"), std::string::npos) << again;
  EXPECT_NE(again.message().find("job-000001"), std::string::npos) << again;
  EXPECT_FALSE(store_->GetJob("job-000002")->has_value());

  absl::StatusOr<std::optional<Job>> found = store_->FindJobByRequestId("req-a");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id(), "job-000001");
}

TEST_F(StoreJobsTest, EmptyRequestIdsMayRepeat) {
  ASSERT_TRUE(store_->InsertJob(MakeJob(1)).ok());
  ASSERT_TRUE(store_->InsertJob(MakeJob(2)).ok());
  EXPECT_FALSE(store_->FindJobByRequestId("")->has_value());
}

TEST_F(StoreJobsTest, UpdateReplacesTheWholeJob) {
  ASSERT_TRUE(store_->InsertJob(MakeJob(3, JOB_QUEUED, 10)).ok());
  Job job = MakeJob(3, JOB_SUCCEEDED, 10);
  job.clear_gang();
  job.set_step(500);
  job.set_end_time_ms(99);
  *job.mutable_last_evaluation() = MakeEvaluation(500, true);
  ASSERT_TRUE(store_->UpdateJob(job).ok());
  EXPECT_TRUE(SameMessage(job, store_->GetJob("job-000003")->value()));
  // The indexed state column follows the message.
  std::string next;
  EXPECT_EQ(store_->ListJobs({JOB_QUEUED}, 10, "", &next)->size(), 0u);
  EXPECT_EQ(store_->ListJobs({JOB_SUCCEEDED}, 10, "", &next)->size(), 1u);
}

TEST_F(StoreJobsTest, UpdateOfAnAbsentJobIsNotFound) {
  absl::Status status = store_->UpdateJob(MakeJob(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("job-000005"), std::string::npos) << status;
}

TEST_F(StoreJobsTest, UpdateCannotTakeAnotherJobsRequestId) {
  ASSERT_TRUE(store_->InsertJob(MakeJob(1, JOB_QUEUED, 10, "req-a")).ok());
  ASSERT_TRUE(store_->InsertJob(MakeJob(2, JOB_QUEUED, 20, "req-b")).ok());
  absl::Status status = store_->UpdateJob(MakeJob(2, JOB_QUEUED, 20, "req-a"));
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_EQ(store_->GetJob("job-000002")->value().client_request_id(), "req-b");
}

TEST_F(StoreJobsTest, LoadsAllJobsOldestFirst) {
  ASSERT_TRUE(store_->InsertJob(MakeJob(2, JOB_RUNNING, 200)).ok());
  ASSERT_TRUE(store_->InsertJob(MakeJob(1, JOB_QUEUED, 100)).ok());
  ASSERT_TRUE(store_->InsertJob(MakeJob(3, JOB_FAILED, 200)).ok());
  absl::StatusOr<std::vector<Job>> all = store_->LoadAllJobs();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id(), "job-000001");
  EXPECT_EQ((*all)[1].id(), "job-000002");
  EXPECT_EQ((*all)[2].id(), "job-000003");
  EXPECT_TRUE(SameMessage(MakeJob(3, JOB_FAILED, 200), (*all)[2]));
}

TEST_F(StoreJobsTest, MaxJobNumberReadsIdsOfTheJobForm) {
  EXPECT_EQ(*store_->MaxJobNumber(), 0);
  ASSERT_TRUE(store_->InsertJob(MakeJob(42)).ok());
  ASSERT_TRUE(store_->InsertJob(MakeJob(7)).ok());
  Job other = MakeJob(1);
  other.set_id("imported-99999");
  ASSERT_TRUE(store_->InsertJob(other).ok());
  EXPECT_EQ(*store_->MaxJobNumber(), 42);
  ASSERT_TRUE(store_->InsertJob(MakeJob(1234567)).ok());  // past six digits
  EXPECT_EQ(*store_->MaxJobNumber(), 1234567);
}

TEST_F(StoreJobsTest, ListsNewestFirstAcrossPages) {
  // Pairs share a submit time, so the id decides within a pair.
  for (int n = 1; n <= 23; ++n) ASSERT_TRUE(store_->InsertJob(MakeJob(n, JOB_QUEUED, n / 2)).ok());
  std::vector<std::string> ids = ListAllIds({}, 5);
  ASSERT_EQ(ids.size(), 23u);
  for (int i = 0; i < 23; ++i) EXPECT_EQ(ids[i], MakeJob(23 - i).id()) << "position " << i;

  std::string next;
  absl::StatusOr<std::vector<Job>> exact = store_->ListJobs({}, 23, "", &next);
  EXPECT_EQ(exact->size(), 23u);
  EXPECT_TRUE(next.empty()) << "no token when the page holds the last job";
}

TEST_F(StoreJobsTest, FiltersByStates) {
  const JobState states[] = {JOB_QUEUED, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED};
  for (int n = 1; n <= 40; ++n) ASSERT_TRUE(store_->InsertJob(MakeJob(n, states[n % 4], n)).ok());
  std::vector<std::string> running = ListAllIds({JOB_RUNNING}, 3);
  EXPECT_EQ(running.size(), 10u);
  for (const std::string& id : running) {
    EXPECT_EQ(store_->GetJob(id)->value().state(), JOB_RUNNING) << id;
  }
  std::vector<std::string> done = ListAllIds({JOB_SUCCEEDED, JOB_FAILED, JOB_FAILED}, 7);
  EXPECT_EQ(done.size(), 20u);
  EXPECT_EQ(ListAllIds({JOB_CANCELLED}, 5).size(), 0u);
}

TEST_F(StoreJobsTest, PageTokensStayValidWhileJobsArrive) {
  for (int n = 1; n <= 10; ++n) ASSERT_TRUE(store_->InsertJob(MakeJob(n, JOB_QUEUED, n)).ok());
  std::string token;
  absl::StatusOr<std::vector<Job>> first = store_->ListJobs({}, 4, "", &token);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(token.empty());
  std::set<std::string> seen;
  for (const Job& job : *first) seen.insert(job.id());

  // New (newer) jobs and a state change arrive between pages.
  for (int n = 11; n <= 15; ++n) ASSERT_TRUE(store_->InsertJob(MakeJob(n, JOB_QUEUED, n)).ok());
  ASSERT_TRUE(store_->UpdateJob(MakeJob(3, JOB_RUNNING, 3)).ok());

  std::vector<std::string> rest;
  while (!token.empty()) {
    std::string next;
    absl::StatusOr<std::vector<Job>> page = store_->ListJobs({}, 4, token, &next);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Job& job : *page) rest.push_back(job.id());
    token = next;
  }
  // Exactly the six older jobs not yet seen, in order; no repeats, no new jobs.
  ASSERT_EQ(rest.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(rest[i], MakeJob(6 - i).id());
    EXPECT_EQ(seen.count(rest[i]), 0u);
  }
}

TEST_F(StoreJobsTest, DefaultPageSizeIsFifty) {
  for (int n = 1; n <= 60; ++n) ASSERT_TRUE(store_->InsertJob(MakeJob(n, JOB_QUEUED, n)).ok());
  std::string next;
  EXPECT_EQ(store_->ListJobs({}, 0, "", &next)->size(), 50u);
  EXPECT_FALSE(next.empty());
  EXPECT_EQ(store_->ListJobs({}, 0, next, &next)->size(), 10u);
  EXPECT_TRUE(next.empty());
}

TEST_F(StoreJobsTest, MalformedPageTokenIsInvalidArgument) {
  std::string next;
  for (const std::string& token : {std::string("not base64!"), std::string("AAAA"),
                                   std::string("MTp4eXo6am9iLTE")}) {  // "1:xyz:job-1"
    absl::StatusOr<std::vector<Job>> page = store_->ListJobs({}, 5, token, &next);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_NE(page.status().message().find("next_page_token"), std::string::npos);
  }
}

TEST_F(StoreJobsTest, TransactionCommitsAllChanges) {
  absl::Status status = store_->Transaction([&]() -> absl::Status {
    if (absl::Status s = store_->InsertJob(MakeJob(1)); !s.ok()) return s;
    return store_->AppendEvent("job-000001", 5, "submitted", "by test");
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(store_->GetJob("job-000001")->has_value());
  EXPECT_EQ(store_->Events("job-000001")->size(), 1u);
}

TEST_F(StoreJobsTest, TransactionRollsBackWhenTheBodyFails) {
  ASSERT_TRUE(store_->InsertJob(MakeJob(1, JOB_QUEUED)).ok());
  absl::Status status = store_->Transaction([&]() -> absl::Status {
    EXPECT_TRUE(store_->UpdateJob(MakeJob(1, JOB_RUNNING)).ok());
    EXPECT_TRUE(store_->AppendEvent("job-000001", 5, "state", "running").ok());
    EXPECT_TRUE(store_->InsertJob(MakeJob(2)).ok());
    EXPECT_EQ(*store_->NextCounter("tag"), 1);
    return absl::AbortedError("the scheduler changed its mind");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->GetJob("job-000001")->value().state(), JOB_QUEUED);
  EXPECT_TRUE(store_->Events("job-000001")->empty());
  EXPECT_FALSE(store_->GetJob("job-000002")->has_value());
  EXPECT_EQ(*store_->NextCounter("tag"), 1) << "the counter increment was rolled back too";
}

TEST_F(StoreJobsTest, TransactionRollsBackWhenAStatementFails) {
  ASSERT_TRUE(store_->InsertJob(MakeJob(1)).ok());
  absl::Status status = store_->Transaction([&]() -> absl::Status {
    if (absl::Status s = store_->InsertJob(MakeJob(2)); !s.ok()) return s;
    return store_->InsertJob(MakeJob(1));  // duplicate
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(store_->GetJob("job-000002")->has_value());
}

TEST_F(StoreJobsTest, NestedTransactionRollsBackAlone) {
  absl::Status status = store_->Transaction([&]() -> absl::Status {
    if (absl::Status s = store_->InsertJob(MakeJob(1)); !s.ok()) return s;
    absl::Status inner = store_->Transaction([&]() -> absl::Status {
      EXPECT_TRUE(store_->InsertJob(MakeJob(2)).ok());
      return absl::CancelledError("inner");
    });
    EXPECT_EQ(inner.code(), absl::StatusCode::kCancelled);
    // Batched appends inside a transaction are savepoints too.
    return store_->AppendSteps("job-000001", {camoe::testing::MakeStep(1)});
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(store_->GetJob("job-000001")->has_value());
  EXPECT_FALSE(store_->GetJob("job-000002")->has_value());
  EXPECT_EQ(store_->Steps("job-000001", 0)->size(), 1u);
}

}  // namespace
}  // namespace camoe::coordinator
