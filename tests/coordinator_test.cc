// The Coordinator over a file-backed JobStore with a FakeClock: every
// acknowledged change is on disk (a second connection reads it back), state
// and job numbering survive a restart, idempotent submits, paging, stale
// metrics, WaitForUpdates (what WatchJob streams) and concurrent callers.
#include "coordinator/core/coordinator.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/str_format.h"
#include "coordinator/core/clock.h"
#include "coordinator/store/job_store.h"
#include "tests/coordinator_test_util.h"
#include "tests/test_paths.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::PoolWorker;
using ::camoe::testing::ServiceSpec;
using ::camoe::testing::WorkerEvent;
using ::google::protobuf::util::MessageDifferencer;

constexpr int64_t kTimeoutMs = 10000;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Holds the database's write lock from another connection while alive, so
// the coordinator's writes fail (a full disk or I/O error, as the coordinator
// sees it).
class StoreLock {
 public:
  explicit StoreLock(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
  }
  ~StoreLock() {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }

 private:
  sqlite3* db_ = nullptr;
};

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir(
        std::string("coordinator_test_") +
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    options_.scheduler.heartbeat_interval_ms = 100;
    options_.scheduler.heartbeat_timeout_ms = kTimeoutMs;
    options_.scheduler.forget_dead_after_ms = 6 * kTimeoutMs;
    options_.validation.data_root = dir_ + "/data";
    options_.validation.checkpoint_root = dir_ + "/checkpoints";
    std::filesystem::create_directories(dir_ + "/data");
    Open();
  }

  void Open() {
    JobStoreOptions store_options;
    store_options.busy_timeout_ms = 20;  // a locked database fails fast (StoreLock)
    auto store = JobStore::Open(dir_ + "/coordinator.db", store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto coordinator = Coordinator::Create(options_, store_.get(), nullptr, &clock_);
    ASSERT_TRUE(coordinator.ok()) << coordinator.status();
    coordinator_ = std::move(*coordinator);
  }

  // A coordinator restart: everything in memory is gone, the file stays.
  void Restart() {
    coordinator_.reset();
    store_.reset();
    Open();
  }

  std::string Submit(int world_size = 1, const std::string& request_id = "", int priority = 0) {
    SubmitJobRequest request;
    *request.mutable_spec() = ServiceSpec(world_size);
    request.set_client_request_id(request_id);
    request.set_priority(priority);
    auto response = coordinator_->SubmitJob(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->job().id() : "";
  }

  void AddWorkers(const std::string& launch, int n) {
    for (int r = 0; r < n; ++r) {
      RegisterWorkerRequest request;
      *request.mutable_worker() = PoolWorker(launch, r, n, launch + "-host");
      request.mutable_worker()->clear_id();  // the coordinator names it
      auto response = coordinator_->RegisterWorker(request);
      ASSERT_TRUE(response.ok()) << response.status();
      EXPECT_EQ(response->worker_id(), absl::StrFormat("%s/%d", launch, r));
      EXPECT_EQ(response->heartbeat_interval_ms(), 100);
    }
  }

  HeartbeatResponse Beat(const std::string& worker, const std::string& running = "") {
    HeartbeatRequest request;
    request.set_worker_id(worker);
    request.set_job_id(running);
    auto response = coordinator_->Heartbeat(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : HeartbeatResponse();
  }

  Job Get(const std::string& id) {
    auto job = coordinator_->GetJob(id);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : Job();
  }

  std::string RankWorker(const std::string& id, int rank) {
    Job job = Get(id);
    return absl::StrFormat("%s/%d", job.launch_id(), job.gang(rank));
  }

  absl::Status Report(const std::string& worker, const std::string& job, WorkerEventType type) {
    return coordinator_->ReportEvent(WorkerEvent(worker, job, Get(job).attempt(), type));
  }

  void StartAll(const std::string& id) {
    for (int r = 0; r < Get(id).gang_size(); ++r) {
      ASSERT_TRUE(Report(RankWorker(id, r), id, EVENT_STARTED).ok());
    }
  }

  absl::Status ReportSteps(const std::string& job, int attempt, int64_t first, int64_t last) {
    ReportMetricsRequest m;
    m.set_worker_id(RankWorker(job, 0));
    m.set_job_id(job);
    m.set_attempt(attempt);
    for (int64_t s = first; s <= last; ++s) *m.add_steps() = testing::Step(s, 100, 5.0 - 0.1 * s);
    return coordinator_->ReportMetrics(m);
  }

  // A second connection to the database file holds exactly the jobs and
  // workers the coordinator answers with (heartbeat times aside: liveness need
  // not reach the disk).
  void ExpectStoreMatches() {
    auto reader = JobStore::Open(dir_ + "/coordinator.db");
    ASSERT_TRUE(reader.ok()) << reader.status();
    auto jobs = (*reader)->LoadAllJobs();
    ASSERT_TRUE(jobs.ok()) << jobs.status();
    for (const Job& stored : *jobs) {
      Job live = Get(stored.id());
      EXPECT_TRUE(MessageDifferencer::Equals(stored, live))
          << "stored: " << stored.ShortDebugString() << "\nlive:   " << live.ShortDebugString();
      // And every transition is in the audit log.
      auto events = (*reader)->Events(stored.id());
      ASSERT_TRUE(events.ok());
      int state_events = 0;
      for (const auto& [time, kind, text] : *events) state_events += kind == "state";
      EXPECT_EQ(state_events, stored.history_size()) << stored.id();
    }
    auto workers = (*reader)->LoadWorkers();
    ASSERT_TRUE(workers.ok()) << workers.status();
    std::vector<Worker> live = coordinator_->Workers();
    ASSERT_EQ(workers->size(), live.size());
    for (size_t i = 0; i < live.size(); ++i) {
      Worker a = (*workers)[i], b = live[i];
      a.clear_last_heartbeat_ms();
      b.clear_last_heartbeat_ms();
      EXPECT_TRUE(MessageDifferencer::Equals(a, b))
          << "stored: " << a.ShortDebugString() << "\nlive:   " << b.ShortDebugString();
    }
  }

  // Calls WaitForUpdates until it reports done (at most `calls` times).
  std::vector<JobUpdate> Drain(const std::string& id, WatchCursor* cursor, int calls = 10) {
    std::vector<JobUpdate> all;
    for (int i = 0; i < calls; ++i) {
      bool done = false;
      auto updates = coordinator_->WaitForUpdates(id, cursor, absl::Milliseconds(5), &done);
      EXPECT_TRUE(updates.ok()) << updates.status();
      if (!updates.ok()) break;
      all.insert(all.end(), updates->begin(), updates->end());
      if (done) break;
    }
    return all;
  }

  std::string dir_;
  FakeClock clock_;
  CoordinatorOptions options_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
};

// --- Persistence before acknowledgement.

TEST_F(CoordinatorTest, EveryAcknowledgedChangeIsInTheStore) {
  const std::string job = Submit(2);
  EXPECT_EQ(Get(job).state(), JOB_QUEUED);
  ExpectStoreMatches();

  AddWorkers("a", 2);  // placement happens inside the registration
  EXPECT_EQ(Get(job).state(), JOB_SCHEDULED);
  ExpectStoreMatches();

  for (int r = 0; r < 2; ++r) EXPECT_TRUE(Beat(RankWorker(job, r)).has_assignment());
  StartAll(job);
  EXPECT_EQ(Get(job).state(), JOB_RUNNING);
  ExpectStoreMatches();

  ASSERT_TRUE(ReportSteps(job, 1, 1, 3).ok());
  EXPECT_EQ(Get(job).step(), 3);
  ExpectStoreMatches();

  CancelJobRequest cancel;
  cancel.set_job_id(job);
  auto cancelled = coordinator_->CancelJob(cancel);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_TRUE(cancelled->cancel_requested());
  ExpectStoreMatches();

  ReportEventRequest stopped = WorkerEvent(RankWorker(job, 0), job, 1, EVENT_CANCELLED);
  stopped.set_checkpoint(dir_ + "/checkpoints/" + job + "/step-3");
  stopped.set_step(3);
  ASSERT_TRUE(coordinator_->ReportEvent(stopped).ok());
  ASSERT_TRUE(Report(RankWorker(job, 1), job, EVENT_CANCELLED).ok());
  EXPECT_EQ(Get(job).state(), JOB_CANCELLED);
  ExpectStoreMatches();

  // Dead-worker detection is acknowledged by Tick.
  clock_.Advance(kTimeoutMs + 1);
  ASSERT_TRUE(coordinator_->Tick().ok());
  for (const Worker& w : coordinator_->Workers()) EXPECT_FALSE(w.alive());
  ExpectStoreMatches();

  auto metrics = coordinator_->GetJobMetrics(job);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->steps_size(), 3);
  EXPECT_EQ(metrics->job().last_checkpoint(), dir_ + "/checkpoints/" + job + "/step-3");
}

TEST_F(CoordinatorTest, ChangeThatCouldNotBeStoredIsNotAcknowledged) {
  const std::string job = Submit();
  {
    StoreLock lock(dir_ + "/coordinator.db");
    CancelJobRequest cancel;
    cancel.set_job_id(job);
    auto cancelled = coordinator_->CancelJob(cancel);
    EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kInternal) << cancelled.status();
    EXPECT_NE(cancelled.status().message().find("not acknowledged"), std::string::npos);
  }
}

// A change whose write failed must still reach the store with the next write
// that succeeds; otherwise memory and disk disagree for good, and a restart
// brings back the old state (here: a cancelled job queued again).
TEST_F(CoordinatorTest, ChangeThatFailedToPersistIsStoredByTheNextSuccessfulWrite) {
  const std::string job = Submit();
  {
    StoreLock lock(dir_ + "/coordinator.db");
    CancelJobRequest cancel;
    cancel.set_job_id(job);
    ASSERT_FALSE(coordinator_->CancelJob(cancel).ok());
  }
  // The client retries: the job already ended, so nothing new changes...
  CancelJobRequest cancel;
  cancel.set_job_id(job);
  EXPECT_EQ(coordinator_->CancelJob(cancel).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // ...but the next write carries the lost change.
  ASSERT_TRUE(coordinator_->Tick().ok());
  Submit();
  ExpectStoreMatches();
  Restart();
  EXPECT_EQ(Get(job).state(), JOB_CANCELLED);
}

// DISABLED: a mutation is applied to the in-memory Scheduler before the store
// write, and a failed write does not undo it. The caller gets Internal ("not
// acknowledged"), yet the job exists, can be placed and run, and a retry
// without client_request_id submits it twice. Fixing it needs the Scheduler to
// roll a mutation back (or mutate a copy), which is more than a local fix.
TEST_F(CoordinatorTest, SubmitThatCouldNotBeStoredLeavesNoJobBehind) {
  {
    StoreLock lock(dir_ + "/coordinator.db");
    SubmitJobRequest request;
    *request.mutable_spec() = ServiceSpec();
    EXPECT_EQ(coordinator_->SubmitJob(request).status().code(), absl::StatusCode::kInternal);
  }
  EXPECT_EQ(coordinator_->GetJob("job-000001").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Submit(), "job-000001");
}

TEST_F(CoordinatorTest, StateSurvivesARestart) {
  const std::string running = Submit(2);
  const std::string queued = Submit(2);
  AddWorkers("a", 2);
  StartAll(running);
  ASSERT_TRUE(ReportSteps(running, 1, 1, 5).ok());
  const Job before = Get(running);

  clock_.Advance(5 * kTimeoutMs);  // down far longer than the heartbeat timeout
  Restart();
  ASSERT_TRUE(coordinator_->Tick().ok());
  Job after = Get(running);
  EXPECT_TRUE(MessageDifferencer::Equals(before, after))
      << before.ShortDebugString() << "\n" << after.ShortDebugString();
  EXPECT_EQ(Get(queued).state(), JOB_QUEUED);
  // Workers got a fresh deadline: still alive, still holding their ranks.
  for (const Worker& w : coordinator_->Workers()) {
    EXPECT_TRUE(w.alive()) << w.id();
    EXPECT_EQ(w.job_id(), running) << w.id();
  }
  // A running rank carries on; its gang is not told anything new.
  HeartbeatResponse reply = Beat(RankWorker(running, 0), running);
  EXPECT_FALSE(reply.has_assignment());
  EXPECT_TRUE(reply.cancel_job_id().empty());
  auto metrics = coordinator_->GetJobMetrics(running);
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->steps_size(), 5);
}

TEST_F(CoordinatorTest, JobIdsContinueAfterARestart) {
  EXPECT_EQ(Submit(), "job-000001");
  EXPECT_EQ(Submit(), "job-000002");
  Restart();
  EXPECT_EQ(Submit(), "job-000003");
  Restart();
  Restart();
  EXPECT_EQ(Submit(), "job-000004");
}

TEST_F(CoordinatorTest, RejectedSubmitDoesNotUseUpAnId) {
  SubmitJobRequest bad;
  *bad.mutable_spec() = ServiceSpec(2);
  bad.mutable_spec()->mutable_schedule()->set_batch_size(3);
  auto response = coordinator_->SubmitJob(bad);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(response.status().message().find("schedule.batch_size"), std::string::npos);
  EXPECT_EQ(Submit(), "job-000001");
}

TEST_F(CoordinatorTest, SubmittedSpecIsTheValidatedOne) {
  const std::string job = Submit();
  const Job stored = Get(job);
  EXPECT_EQ(stored.spec().data().annotation_dir(), dir_ + "/data/msrvtt");
  EXPECT_EQ(stored.spec().checkpoint().dir(), dir_ + "/checkpoints/" + job);
}

TEST_F(CoordinatorTest, PriorityOfTheRequestOverridesTheSpecs) {
  SubmitJobRequest request;
  *request.mutable_spec() = ServiceSpec();
  request.mutable_spec()->set_priority(3);
  auto from_spec = coordinator_->SubmitJob(request);
  ASSERT_TRUE(from_spec.ok());
  EXPECT_EQ(from_spec->job().priority(), 3);
  request.set_priority(9);
  auto from_request = coordinator_->SubmitJob(request);
  ASSERT_TRUE(from_request.ok());
  EXPECT_EQ(from_request->job().priority(), 9);
}

TEST_F(CoordinatorTest, SubmitIsIdempotentByClientRequestIdAlsoAfterARestart) {
  SubmitJobRequest request;
  *request.mutable_spec() = ServiceSpec();
  request.set_client_request_id("req-1");
  auto first = coordinator_->SubmitJob(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created());
  auto again = coordinator_->SubmitJob(request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created());
  EXPECT_EQ(again->job().id(), first->job().id());

  Restart();
  auto after_restart = coordinator_->SubmitJob(request);
  ASSERT_TRUE(after_restart.ok()) << after_restart.status();
  EXPECT_FALSE(after_restart->created());
  EXPECT_EQ(after_restart->job().id(), first->job().id());

  // Another request id, or none, is a new job.
  request.set_client_request_id("req-2");
  auto other = coordinator_->SubmitJob(request);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->created());
  EXPECT_NE(other->job().id(), first->job().id());
  EXPECT_NE(Submit(), Submit());
}

TEST_F(CoordinatorTest, ListJobsPagesNewestFirstWithAStateFilter) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Submit());
    clock_.Advance(10);
  }
  CancelJobRequest cancel;
  for (int i : {1, 3}) {
    cancel.set_job_id(ids[i]);
    ASSERT_TRUE(coordinator_->CancelJob(cancel).ok());
  }

  ListJobsRequest request;
  request.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto response = coordinator_->ListJobs(request);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const Job& job : response->jobs()) {
      seen.push_back(job.id());
      EXPECT_EQ(job.history_size(), 0) << "listings carry no history";
      EXPECT_FALSE(job.spec().has_data()) << "listings carry no spec details";
      EXPECT_EQ(job.spec().name(), "service-test");
    }
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]}));

  ListJobsRequest cancelled;
  cancelled.add_states(JOB_CANCELLED);
  auto response = coordinator_->ListJobs(cancelled);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->jobs_size(), 2);
  EXPECT_EQ(response->jobs(0).id(), ids[3]);
  EXPECT_EQ(response->jobs(1).id(), ids[1]);
  EXPECT_TRUE(response->next_page_token().empty());

  ListJobsRequest bad_token;
  bad_token.set_page_token("not a token");
  EXPECT_EQ(coordinator_->ListJobs(bad_token).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CoordinatorTest, MetricsOfAStaleAttemptAreDropped) {
  const std::string job = Submit();
  AddWorkers("a", 1);
  StartAll(job);
  ASSERT_TRUE(ReportSteps(job, 1, 1, 2).ok());
  // A late batch from an attempt that is not the current one: acknowledged, dropped.
  EXPECT_TRUE(ReportSteps(job, 0, 3, 9).ok());
  EXPECT_TRUE(ReportSteps(job, 2, 3, 9).ok());
  auto metrics = coordinator_->GetJobMetrics(job);
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->steps_size(), 2);
  EXPECT_EQ(metrics->job().step(), 2);

  ReportMetricsRequest unknown;
  unknown.set_job_id("job-999999");
  EXPECT_EQ(coordinator_->ReportMetrics(unknown).code(), absl::StatusCode::kNotFound);
}

TEST_F(CoordinatorTest, FinalEvaluationOfTheChiefIsStored) {
  const std::string job = Submit();
  AddWorkers("a", 1);
  StartAll(job);
  ReportEventRequest finished = WorkerEvent("a/0", job, 1, EVENT_FINISHED);
  finished.set_step(3);
  finished.mutable_evaluation()->set_step(3);
  finished.mutable_evaluation()->set_final(true);
  finished.mutable_evaluation()->set_videos(24);
  ASSERT_TRUE(coordinator_->ReportEvent(finished).ok());
  EXPECT_EQ(Get(job).state(), JOB_SUCCEEDED);
  auto metrics = coordinator_->GetJobMetrics(job);
  ASSERT_TRUE(metrics.ok());
  ASSERT_EQ(metrics->evaluations_size(), 1);
  EXPECT_EQ(metrics->evaluations(0).videos(), 24);
  EXPECT_TRUE(metrics->job().last_evaluation().final());
}

TEST_F(CoordinatorTest, FreedRanksTakeTheNextQueuedJobAtOnce) {
  AddWorkers("a", 1);
  const std::string first = Submit();
  const std::string second = Submit();
  StartAll(first);
  EXPECT_EQ(Get(second).state(), JOB_QUEUED);
  ASSERT_TRUE(Report("a/0", first, EVENT_FINISHED).ok());
  EXPECT_EQ(Get(second).state(), JOB_SCHEDULED);
  ExpectStoreMatches();
}

TEST_F(CoordinatorTest, SilentWorkerFailsItsJobOnTick) {
  const std::string job = Submit(2);
  AddWorkers("a", 2);
  StartAll(job);
  clock_.Advance(kTimeoutMs / 2);
  Beat("a/0", job);
  clock_.Advance(kTimeoutMs / 2 + 1);
  ASSERT_TRUE(coordinator_->Tick().ok());
  EXPECT_EQ(Get(job).state(), JOB_FAILED);
  EXPECT_EQ(Get(job).failure_class(), "worker_lost");
  ExpectStoreMatches();
  HeartbeatResponse reply = Beat("a/0", job);
  EXPECT_EQ(reply.cancel_job_id(), job);
  EXPECT_TRUE(reply.force());
}

TEST_F(CoordinatorTest, BackgroundTicksDetectDeadWorkers) {
  const std::string job = Submit(1);
  AddWorkers("a", 1);
  StartAll(job);
  coordinator_->StartBackgroundTicks();  // every 50 ms of real time
  clock_.Advance(kTimeoutMs + 1);
  const auto start = std::chrono::steady_clock::now();
  while (Get(job).state() != JOB_FAILED && SecondsSince(start) < 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(Get(job).state(), JOB_FAILED);
  coordinator_->Shutdown();
  ExpectStoreMatches();
}

TEST_F(CoordinatorTest, CancelErrorsKeepTheirCodes) {
  CancelJobRequest cancel;
  cancel.set_job_id("job-000404");
  EXPECT_EQ(coordinator_->CancelJob(cancel).status().code(), absl::StatusCode::kNotFound);
  cancel.set_job_id(Submit());
  ASSERT_TRUE(coordinator_->CancelJob(cancel).ok());
  EXPECT_EQ(coordinator_->CancelJob(cancel).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(coordinator_->GetJob("job-000404").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(coordinator_->GetJobMetrics("job-000404").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CoordinatorTest, RegisterWorkerRejectsAnInvalidLaunch) {
  for (auto [launch, rank, size] : {std::tuple<const char*, int, int>{"", 0, 1},
                                    {"a", -1, 2},
                                    {"a", 2, 2},
                                    {"a", 0, 0}}) {
    RegisterWorkerRequest request;
    *request.mutable_worker() = PoolWorker(launch, rank, size, "h");
    auto response = coordinator_->RegisterWorker(request);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument)
        << launch << " " << rank << "/" << size;
  }
  EXPECT_TRUE(coordinator_->Workers().empty());
}

TEST_F(CoordinatorTest, UnknownWorkerIsAskedToRegisterAndItsEventsAreNotFound) {
  const std::string job = Submit();
  EXPECT_TRUE(Beat("ghost/0").unknown_worker());
  EXPECT_EQ(coordinator_->ReportEvent(WorkerEvent("ghost/0", job, 1, EVENT_STARTED)).code(),
            absl::StatusCode::kNotFound);
}

// --- WaitForUpdates (WatchJob).

TEST_F(CoordinatorTest, WaitForUpdatesSendsSnapshotThenStepsThenEvaluationsThenDone) {
  const std::string job = Submit();
  AddWorkers("a", 1);
  StartAll(job);
  ReportMetricsRequest m;
  m.set_worker_id("a/0");
  m.set_job_id(job);
  m.set_attempt(1);
  for (int s = 1; s <= 3; ++s) *m.add_steps() = testing::Step(s, 3, 1.0 / s);
  m.add_evaluations()->set_step(3);
  ASSERT_TRUE(coordinator_->ReportMetrics(m).ok());

  WatchCursor cursor;
  bool done = true;
  auto updates = coordinator_->WaitForUpdates(job, &cursor, absl::Milliseconds(5), &done);
  ASSERT_TRUE(updates.ok()) << updates.status();
  EXPECT_FALSE(done);
  ASSERT_EQ(updates->size(), 5u);
  EXPECT_TRUE((*updates)[0].has_job());
  EXPECT_EQ((*updates)[0].job().state(), JOB_RUNNING);
  for (int s = 1; s <= 3; ++s) {
    ASSERT_TRUE((*updates)[s].has_step());
    EXPECT_EQ((*updates)[s].step().step(), s);
  }
  EXPECT_TRUE((*updates)[4].has_evaluation());
  EXPECT_EQ(cursor.after_step, 3);
  EXPECT_EQ(cursor.evaluations_sent, 1);

  // Nothing new: an empty answer after the timeout.
  updates = coordinator_->WaitForUpdates(job, &cursor, absl::Milliseconds(5), &done);
  ASSERT_TRUE(updates.ok());
  EXPECT_TRUE(updates->empty());
  EXPECT_FALSE(done);

  // Only steps after the cursor, then the final state, then done.
  ASSERT_TRUE(ReportSteps(job, 1, 4, 4).ok());
  ASSERT_TRUE(Report("a/0", job, EVENT_FINISHED).ok());
  std::vector<JobUpdate> rest = Drain(job, &cursor);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].job().state(), JOB_SUCCEEDED);
  EXPECT_EQ(rest[1].step().step(), 4);
  updates = coordinator_->WaitForUpdates(job, &cursor, absl::Milliseconds(5), &done);
  ASSERT_TRUE(updates.ok());
  EXPECT_TRUE(done);
  EXPECT_TRUE(updates->empty());
}

TEST_F(CoordinatorTest, WaitForUpdatesWithoutReplayStartsAfterTheCursor) {
  const std::string job = Submit();
  AddWorkers("a", 1);
  StartAll(job);
  ASSERT_TRUE(ReportSteps(job, 1, 1, 5).ok());
  WatchCursor cursor;
  cursor.after_step = 5;  // what WatchJob sets for after_step = -1
  bool done = false;
  auto updates = coordinator_->WaitForUpdates(job, &cursor, absl::Milliseconds(5), &done);
  ASSERT_TRUE(updates.ok());
  ASSERT_EQ(updates->size(), 1u);
  EXPECT_TRUE((*updates)[0].has_job());
}

TEST_F(CoordinatorTest, WaitForUpdatesOfAnUnknownJobIsNotFound) {
  WatchCursor cursor;
  bool done = false;
  EXPECT_EQ(coordinator_->WaitForUpdates("job-000404", &cursor, absl::Milliseconds(1), &done)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CoordinatorTest, WaitForUpdatesWakesOnAChangeFromAnotherThread) {
  const std::string job = Submit();
  AddWorkers("a", 1);
  StartAll(job);
  WatchCursor cursor;
  bool done = false;
  ASSERT_TRUE(coordinator_->WaitForUpdates(job, &cursor, absl::Milliseconds(1), &done).ok());
  std::thread reporter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(ReportSteps(job, 1, 1, 1).ok());
  });
  const auto start = std::chrono::steady_clock::now();
  auto updates = coordinator_->WaitForUpdates(job, &cursor, absl::Seconds(30), &done);
  const double waited = SecondsSince(start);
  reporter.join();
  ASSERT_TRUE(updates.ok());
  EXPECT_LT(waited, 5.0);
  ASSERT_FALSE(updates->empty());
  EXPECT_EQ(updates->back().step().step(), 1);
}

// Once a job ended and its last news went out, the watcher must learn that it
// is done at once rather than after another full wait.
TEST_F(CoordinatorTest, WaitForUpdatesReportsDoneWithoutWaitingOnceTheJobEnded) {
  const std::string job = Submit();
  CancelJobRequest cancel;
  cancel.set_job_id(job);
  ASSERT_TRUE(coordinator_->CancelJob(cancel).ok());
  WatchCursor cursor;
  bool done = false;
  auto updates = coordinator_->WaitForUpdates(job, &cursor, absl::Seconds(30), &done);
  ASSERT_TRUE(updates.ok());
  ASSERT_EQ(updates->size(), 1u);
  EXPECT_EQ((*updates)[0].job().state(), JOB_CANCELLED);
  const auto start = std::chrono::steady_clock::now();
  updates = coordinator_->WaitForUpdates(job, &cursor, absl::Seconds(30), &done);
  ASSERT_TRUE(updates.ok());
  EXPECT_TRUE(updates->empty());
  EXPECT_TRUE(done);
  EXPECT_LT(SecondsSince(start), 5.0);
}

// A backlog bigger than one batch is delivered batch after batch without
// waiting for the next change of the job.
TEST_F(CoordinatorTest, WaitForUpdatesDeliversABacklogWithoutWaiting) {
  options_.watch_batch_limit = 2;
  Restart();
  const std::string job = Submit();
  AddWorkers("a", 1);
  StartAll(job);
  ASSERT_TRUE(ReportSteps(job, 1, 1, 5).ok());
  WatchCursor cursor;
  bool done = false;
  std::vector<int64_t> steps;
  const auto start = std::chrono::steady_clock::now();
  for (int call = 0; call < 3; ++call) {
    auto updates = coordinator_->WaitForUpdates(job, &cursor, absl::Seconds(30), &done);
    ASSERT_TRUE(updates.ok());
    for (const JobUpdate& u : *updates) {
      if (u.has_step()) steps.push_back(u.step().step());
    }
  }
  EXPECT_LT(SecondsSince(start), 5.0);
  EXPECT_EQ(steps, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST_F(CoordinatorTest, ShutdownWakesWatchersAndEndsTheirStreams) {
  const std::string job = Submit();
  WatchCursor cursor;
  bool done = false;
  ASSERT_TRUE(coordinator_->WaitForUpdates(job, &cursor, absl::Milliseconds(1), &done).ok());
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    coordinator_->Shutdown();
  });
  const auto start = std::chrono::steady_clock::now();
  auto updates = coordinator_->WaitForUpdates(job, &cursor, absl::Seconds(30), &done);
  stopper.join();
  ASSERT_TRUE(updates.ok());
  EXPECT_TRUE(done);
  EXPECT_LT(SecondsSince(start), 5.0);
}

// --- Concurrency.

TEST_F(CoordinatorTest, ConcurrentSubmitsGetUniqueIds) {
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        SubmitJobRequest request;
        *request.mutable_spec() = ServiceSpec();
        auto response = coordinator_->SubmitJob(request);
        EXPECT_TRUE(response.ok()) << response.status();
        if (response.ok()) ids[t].push_back(response->job().id());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> unique;
  for (const auto& v : ids) unique.insert(v.begin(), v.end());
  EXPECT_EQ(unique.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*unique.rbegin(), absl::StrFormat("job-%06d", kThreads * kEach));
  auto stored = store_->LoadAllJobs();
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(CoordinatorTest, ConcurrentSubmitsWithOneRequestIdCreateOneJob) {
  constexpr int kThreads = 4;
  std::vector<std::string> ids(kThreads);
  std::vector<int> created(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SubmitJobRequest request;
      *request.mutable_spec() = ServiceSpec();
      request.set_client_request_id("same");
      auto response = coordinator_->SubmitJob(request);
      ASSERT_TRUE(response.ok()) << response.status();
      ids[t] = response->job().id();
      created[t] = response->created();
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
  EXPECT_EQ(std::count(created.begin(), created.end(), 1), 1);
}

TEST_F(CoordinatorTest, WorkersAndWatchersRaceWithoutLosingUpdates) {
  const std::string job = Submit(2);
  AddWorkers("a", 2);
  StartAll(job);
  constexpr int kSteps = 200;
  std::thread reporter([&] {
    for (int s = 1; s <= kSteps; ++s) {
      EXPECT_TRUE(ReportSteps(job, 1, s, s).ok());
      HeartbeatRequest beat;
      beat.set_worker_id("a/1");
      beat.set_job_id(job);
      EXPECT_TRUE(coordinator_->Heartbeat(beat).ok());
    }
    EXPECT_TRUE(Report("a/1", job, EVENT_FINISHED).ok());
    EXPECT_TRUE(Report("a/0", job, EVENT_FINISHED).ok());
  });
  WatchCursor cursor;
  cursor.after_step = 0;
  std::vector<int64_t> steps;
  JobState last = JOB_STATE_UNSPECIFIED;
  bool done = false;
  const auto start = std::chrono::steady_clock::now();
  while (!done && SecondsSince(start) < 20) {
    auto updates = coordinator_->WaitForUpdates(job, &cursor, absl::Milliseconds(200), &done);
    EXPECT_TRUE(updates.ok()) << updates.status();
    if (!updates.ok()) break;
    for (const JobUpdate& u : *updates) {
      if (u.has_step()) steps.push_back(u.step().step());
      if (u.has_job()) last = u.job().state();
    }
  }
  reporter.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(last, JOB_SUCCEEDED);
  ASSERT_EQ(steps.size(), static_cast<size_t>(kSteps));
  for (int i = 0; i < kSteps; ++i) EXPECT_EQ(steps[i], i + 1);
}

}  // namespace
}  // namespace camoe::coordinator
