// JobService and WorkerService in-process over loopback gRPC (insecure): the
// status codes of bad requests, the worker protocol end to end, WatchJob
// streaming and ending, cancelled streams and server shutdown, message limits.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_format.h"
#include "camoe/service.grpc.pb.h"
#include "coordinator/core/clock.h"
#include "coordinator/core/coordinator.h"
#include "coordinator/service/server.h"
#include "coordinator/store/job_store.h"
#include "tests/coordinator_test_util.h"
#include "tests/test_paths.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::PoolWorker;
using ::camoe::testing::ServiceSpec;
using ::camoe::testing::WorkerEvent;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class CoordinatorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(16 << 20); }

  void TearDown() override {
    if (coordinator_) coordinator_->Shutdown();
    if (server_) server_->Shutdown();
  }

  void Start(int max_message_bytes) {
    dir_ = testing::TempDir("coordinator_service_test");
    std::filesystem::create_directories(dir_ + "/data");
    auto store = JobStore::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    CoordinatorOptions options;
    options.scheduler.heartbeat_interval_ms = 100;
    options.validation.data_root = dir_ + "/data";
    options.validation.checkpoint_root = dir_ + "/checkpoints";
    auto coordinator = Coordinator::Create(options, store_.get(), nullptr, &clock_);
    ASSERT_TRUE(coordinator.ok()) << coordinator.status();
    coordinator_ = std::move(*coordinator);
    ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.max_message_bytes = max_message_bytes;
    auto server = CoordinatorServer::Start(coordinator_.get(), server_options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    jobs_ = JobService::NewStub(channel);
    workers_ = WorkerService::NewStub(channel);
  }

  static std::unique_ptr<grpc::ClientContext> Context(int seconds = 10) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return context;
  }

  std::string SubmitOk(int world_size = 1) {
    SubmitJobRequest request;
    *request.mutable_spec() = ServiceSpec(world_size);
    SubmitJobResponse response;
    grpc::Status status = jobs_->SubmitJob(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.job().id();
  }

  Job GetOk(const std::string& id) {
    GetJobRequest request;
    request.set_job_id(id);
    Job job;
    grpc::Status status = jobs_->GetJob(Context().get(), request, &job);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return job;
  }

  std::string RegisterOk(const std::string& launch, int rank, int size) {
    RegisterWorkerRequest request;
    *request.mutable_worker() = PoolWorker(launch, rank, size, "host");
    RegisterWorkerResponse response;
    grpc::Status status = workers_->RegisterWorker(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.worker_id();
  }

  HeartbeatResponse BeatOk(const std::string& worker, const std::string& running = "") {
    HeartbeatRequest request;
    request.set_worker_id(worker);
    request.set_job_id(running);
    HeartbeatResponse response;
    grpc::Status status = workers_->Heartbeat(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Event(const std::string& worker, const std::string& job, WorkerEventType type) {
    ReportEventResponse response;
    return workers_->ReportEvent(Context().get(), WorkerEvent(worker, job, 1, type), &response);
  }

  grpc::Status Steps(const std::string& worker, const std::string& job, int64_t first,
                     int64_t last) {
    ReportMetricsRequest request;
    request.set_worker_id(worker);
    request.set_job_id(job);
    request.set_attempt(1);
    for (int64_t s = first; s <= last; ++s) *request.add_steps() = testing::Step(s, last, 1.0);
    ReportMetricsResponse response;
    return workers_->ReportMetrics(Context().get(), request, &response);
  }

  // A 1-rank job that is RUNNING on worker "a/0".
  std::string RunningJob() {
    const std::string job = SubmitOk();
    const std::string worker = RegisterOk("a", 0, 1);
    HeartbeatResponse reply = BeatOk(worker);
    EXPECT_EQ(reply.assignment().job_id(), job);
    EXPECT_TRUE(Event(worker, job, EVENT_STARTED).ok());
    EXPECT_EQ(GetOk(job).state(), JOB_RUNNING);
    return job;
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<CoordinatorServer> server_;
  std::unique_ptr<JobService::Stub> jobs_;
  std::unique_ptr<WorkerService::Stub> workers_;
};

// --- JobService.

TEST_F(CoordinatorServiceTest, ServerReportsTheBoundAddress) {
  EXPECT_EQ(server_->address().rfind("127.0.0.1:", 0), 0u) << server_->address();
  EXPECT_NE(server_->address(), "127.0.0.1:0");
}

// Two coordinators must not share a port (gRPC enables SO_REUSEPORT by
// default, which would split the workers between them).
TEST_F(CoordinatorServiceTest, SecondServerOnABusyPortFailsToStart) {
  ServerOptions options;
  options.listen = server_->address();
  auto second = CoordinatorServer::Start(coordinator_.get(), options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  if (second.ok()) (*second)->Shutdown();
}

TEST_F(CoordinatorServiceTest, SubmitJobWithoutSpecIsInvalidArgument) {
  SubmitJobRequest request;
  SubmitJobResponse response;
  grpc::Status status = jobs_->SubmitJob(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("spec"), std::string::npos) << status.error_message();
}

TEST_F(CoordinatorServiceTest, SubmitJobWithBadSpecIsInvalidArgumentWithTheReason) {
  SubmitJobRequest request;
  *request.mutable_spec() = ServiceSpec(2);
  request.mutable_spec()->mutable_schedule()->set_batch_size(3);
  SubmitJobResponse response;
  grpc::Status status = jobs_->SubmitJob(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("schedule.batch_size"), std::string::npos)
      << status.error_message();

  *request.mutable_spec() = ServiceSpec();
  request.mutable_spec()->mutable_data()->set_annotation_dir("/etc");
  status = jobs_->SubmitJob(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("data.annotation_dir"), std::string::npos)
      << status.error_message();

  *request.mutable_spec() = ServiceSpec();
  request.set_client_request_id(std::string(257, 'r'));
  status = jobs_->SubmitJob(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("client_request_id"), std::string::npos);
}

TEST_F(CoordinatorServiceTest, SubmitThenGetJobAndIdempotentResubmit) {
  SubmitJobRequest request;
  *request.mutable_spec() = ServiceSpec();
  request.set_client_request_id("cli-1");
  SubmitJobResponse first, second;
  ASSERT_TRUE(jobs_->SubmitJob(Context().get(), request, &first).ok());
  ASSERT_TRUE(jobs_->SubmitJob(Context().get(), request, &second).ok());
  EXPECT_TRUE(first.created());
  EXPECT_FALSE(second.created());
  EXPECT_EQ(first.job().id(), second.job().id());
  Job job = GetOk(first.job().id());
  EXPECT_EQ(job.state(), JOB_QUEUED);
  EXPECT_EQ(job.spec().checkpoint().dir(), dir_ + "/checkpoints/" + job.id());
}

TEST_F(CoordinatorServiceTest, GetJobOfAnUnknownIdIsNotFound) {
  GetJobRequest request;
  request.set_job_id("job-000404");
  Job job;
  grpc::Status status = jobs_->GetJob(Context().get(), request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("job-000404"), std::string::npos);
  request.clear_job_id();
  EXPECT_EQ(jobs_->GetJob(Context().get(), request, &job).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CoordinatorServiceTest, ListJobsRejectsAPageSizeOutOfRange) {
  for (int page_size : {-1, 1001, 1 << 30}) {
    ListJobsRequest request;
    request.set_page_size(page_size);
    ListJobsResponse response;
    grpc::Status status = jobs_->ListJobs(Context().get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << page_size;
    EXPECT_NE(status.error_message().find("page_size"), std::string::npos);
  }
  const std::string a = SubmitOk(), b = SubmitOk();
  for (int page_size : {0, 1, 1000}) {
    ListJobsRequest request;
    request.set_page_size(page_size);
    ListJobsResponse response;
    grpc::Status status = jobs_->ListJobs(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << page_size << ": " << status.error_message();
    EXPECT_EQ(response.jobs_size(), page_size == 1 ? 1 : 2);
  }
  ListJobsRequest bad_token;
  bad_token.set_page_token("garbage");
  ListJobsResponse response;
  EXPECT_EQ(jobs_->ListJobs(Context().get(), bad_token, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CoordinatorServiceTest, CancelJobCodes) {
  CancelJobRequest request;
  Job job;
  EXPECT_EQ(jobs_->CancelJob(Context().get(), request, &job).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_job_id("job-000404");
  EXPECT_EQ(jobs_->CancelJob(Context().get(), request, &job).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_job_id(SubmitOk());
  ASSERT_TRUE(jobs_->CancelJob(Context().get(), request, &job).ok());
  EXPECT_EQ(job.state(), JOB_CANCELLED);
  grpc::Status again = jobs_->CancelJob(Context().get(), request, &job);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(again.error_message().find("CANCELLED"), std::string::npos);
}

// --- WorkerService.

TEST_F(CoordinatorServiceTest, WorkerRequestsAreValidated) {
  RegisterWorkerResponse registered;
  EXPECT_EQ(workers_->RegisterWorker(Context().get(), RegisterWorkerRequest(), &registered)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  RegisterWorkerRequest bad_rank;
  *bad_rank.mutable_worker() = PoolWorker("a", 3, 2, "host");
  EXPECT_EQ(workers_->RegisterWorker(Context().get(), bad_rank, &registered).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  HeartbeatResponse beat;
  EXPECT_EQ(workers_->Heartbeat(Context().get(), HeartbeatRequest(), &beat).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(BeatOk("ghost/0").unknown_worker());

  ReportEventResponse event_response;
  ReportEventRequest no_type = WorkerEvent("a/0", "job-000001", 1, EVENT_UNSPECIFIED);
  EXPECT_EQ(workers_->ReportEvent(Context().get(), no_type, &event_response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ReportEventRequest no_job = WorkerEvent("a/0", "", 1, EVENT_STARTED);
  EXPECT_EQ(workers_->ReportEvent(Context().get(), no_job, &event_response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Event("ghost/0", "job-000001", EVENT_STARTED).error_code(),
            grpc::StatusCode::NOT_FOUND);

  ReportMetricsResponse metrics_response;
  EXPECT_EQ(workers_->ReportMetrics(Context().get(), ReportMetricsRequest(), &metrics_response)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Steps("a/0", "job-000404", 1, 1).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CoordinatorServiceTest, ReportMetricsWithMoreThan10000StepsIsInvalidArgument) {
  const std::string job = RunningJob();
  grpc::Status status = Steps("a/0", job, 1, 10001);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("10000"), std::string::npos) << status.error_message();
  EXPECT_TRUE(Steps("a/0", job, 1, 10000).ok());
  GetJobMetricsRequest request;
  request.set_job_id(job);
  JobMetrics metrics;
  ASSERT_TRUE(jobs_->GetJobMetrics(Context().get(), request, &metrics).ok());
  EXPECT_EQ(metrics.steps_size(), 10000);
}

TEST_F(CoordinatorServiceTest, WorkerProtocolRunsAJobToSuccess) {
  const std::string job = SubmitOk(2);
  const std::string w0 = RegisterOk("pool", 0, 2);
  EXPECT_EQ(GetOk(job).state(), JOB_QUEUED);
  const std::string w1 = RegisterOk("pool", 1, 2);
  EXPECT_EQ(GetOk(job).state(), JOB_SCHEDULED);
  for (const std::string& w : {w0, w1}) {
    HeartbeatResponse reply = BeatOk(w);
    ASSERT_TRUE(reply.has_assignment()) << w;
    EXPECT_EQ(reply.assignment().spec().distributed().world_size(), 2);
    ASSERT_TRUE(Event(w, job, EVENT_STARTED).ok());
  }
  EXPECT_EQ(GetOk(job).state(), JOB_RUNNING);
  ASSERT_TRUE(Steps(w0, job, 1, 3).ok());
  ASSERT_TRUE(Event(w1, job, EVENT_FINISHED).ok());
  ASSERT_TRUE(Event(w0, job, EVENT_FINISHED).ok());
  Job done = GetOk(job);
  EXPECT_EQ(done.state(), JOB_SUCCEEDED);
  EXPECT_EQ(done.step(), 3);
  GetJobMetricsRequest request;
  request.set_job_id(job);
  JobMetrics metrics;
  ASSERT_TRUE(jobs_->GetJobMetrics(Context().get(), request, &metrics).ok());
  EXPECT_EQ(metrics.steps_size(), 3);
}

// --- WatchJob.

TEST_F(CoordinatorServiceTest, WatchJobStreamsSnapshotStepsAndFinalStateThenEnds) {
  const std::string job = RunningJob();
  ASSERT_TRUE(Steps("a/0", job, 1, 2).ok());
  WatchJobRequest request;
  request.set_job_id(job);
  request.set_after_step(0);  // replay from the start
  auto context = Context(30);
  std::unique_ptr<grpc::ClientReader<JobUpdate>> reader = jobs_->WatchJob(context.get(), request);
  JobUpdate update;
  ASSERT_TRUE(reader->Read(&update));
  ASSERT_TRUE(update.has_job()) << "the first message is the Job";
  EXPECT_EQ(update.job().state(), JOB_RUNNING);
  for (int s = 1; s <= 2; ++s) {
    ASSERT_TRUE(reader->Read(&update));
    EXPECT_EQ(update.step().step(), s);
  }

  ASSERT_TRUE(Steps("a/0", job, 3, 3).ok());
  // Step 3 may come with a Job snapshot (the step moved the job on).
  bool saw_step3 = false;
  while (!saw_step3 && reader->Read(&update)) saw_step3 = update.has_step() && update.step().step() == 3;
  ASSERT_TRUE(saw_step3);

  ASSERT_TRUE(Event("a/0", job, EVENT_FINISHED).ok());
  const auto finished = std::chrono::steady_clock::now();
  JobState last = JOB_STATE_UNSPECIFIED;
  while (reader->Read(&update)) {
    EXPECT_FALSE(update.has_step()) << update.ShortDebugString();
    if (update.has_job()) last = update.job().state();
  }
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(last, JOB_SUCCEEDED);
  // The stream ends with the job, not a poll interval later.
  EXPECT_LT(SecondsSince(finished), 0.9);
}

TEST_F(CoordinatorServiceTest, WatchJobWithoutReplayStartsAtTheCurrentStep) {
  const std::string job = RunningJob();
  ASSERT_TRUE(Steps("a/0", job, 1, 4).ok());
  WatchJobRequest request;
  request.set_job_id(job);  // after_step defaults to -1: no replay
  auto context = Context(30);
  auto reader = jobs_->WatchJob(context.get(), request);
  JobUpdate update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_TRUE(update.has_job());
  ASSERT_TRUE(Steps("a/0", job, 5, 5).ok());
  bool saw = false;
  while (!saw && reader->Read(&update)) {
    if (update.has_step()) {
      EXPECT_EQ(update.step().step(), 5) << "old steps are not replayed";
      saw = true;
    }
  }
  EXPECT_TRUE(saw);
  context->TryCancel();
  while (reader->Read(&update)) {
  }
  reader->Finish();
}

TEST_F(CoordinatorServiceTest, WatchJobOfAnEndedJobSendsItsStateAndEnds) {
  const std::string job = SubmitOk();
  CancelJobRequest cancel;
  cancel.set_job_id(job);
  Job cancelled;
  ASSERT_TRUE(jobs_->CancelJob(Context().get(), cancel, &cancelled).ok());
  WatchJobRequest request;
  request.set_job_id(job);
  auto context = Context(30);
  const auto start = std::chrono::steady_clock::now();
  auto reader = jobs_->WatchJob(context.get(), request);
  std::vector<JobUpdate> updates;
  JobUpdate update;
  while (reader->Read(&update)) updates.push_back(update);
  EXPECT_TRUE(reader->Finish().ok());
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].job().state(), JOB_CANCELLED);
  EXPECT_LT(SecondsSince(start), 0.9);
}

TEST_F(CoordinatorServiceTest, WatchJobOfAnUnknownJobIsNotFound) {
  WatchJobRequest request;
  request.set_job_id("job-000404");
  auto context = Context();
  auto reader = jobs_->WatchJob(context.get(), request);
  JobUpdate update;
  EXPECT_FALSE(reader->Read(&update));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  request.clear_job_id();
  auto context2 = Context();
  auto reader2 = jobs_->WatchJob(context2.get(), request);
  EXPECT_FALSE(reader2->Read(&update));
  EXPECT_EQ(reader2->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CoordinatorServiceTest, CancelledWatchDoesNotHoldUpServerShutdown) {
  const std::string job = RunningJob();
  WatchJobRequest request;
  request.set_job_id(job);
  auto context = Context(60);
  auto reader = jobs_->WatchJob(context.get(), request);
  JobUpdate update;
  ASSERT_TRUE(reader->Read(&update));
  context->TryCancel();
  EXPECT_FALSE(reader->Read(&update));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // The coordinator keeps running: only the abandoned stream must go away.
  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown();
  EXPECT_LT(SecondsSince(start), 3.0) << "a cancelled WatchJob kept its handler busy";
  server_.reset();
}

TEST_F(CoordinatorServiceTest, CoordinatorShutdownEndsOpenWatchesSoTheServerStopsPromptly) {
  const std::string job = RunningJob();
  WatchJobRequest request;
  request.set_job_id(job);
  auto context = Context(60);
  auto reader = jobs_->WatchJob(context.get(), request);
  JobUpdate update;
  ASSERT_TRUE(reader->Read(&update));
  const auto start = std::chrono::steady_clock::now();
  coordinator_->Shutdown();  // what camoe-coordinator does on SIGTERM, before the server
  server_->Shutdown();
  EXPECT_LT(SecondsSince(start), 3.0);
  while (reader->Read(&update)) {
  }
  EXPECT_TRUE(reader->Finish().ok());
  server_.reset();
}

// --- Limits.

class SmallMessageServiceTest : public CoordinatorServiceTest {
 protected:
  void SetUp() override { Start(4096); }
};

TEST_F(SmallMessageServiceTest, OversizeRequestIsRejected) {
  SubmitJobRequest request;
  *request.mutable_spec() = ServiceSpec();
  SubmitJobResponse response;
  ASSERT_TRUE(jobs_->SubmitJob(Context().get(), request, &response).ok());  // small is fine
  request.mutable_spec()->set_name(std::string(8192, 'n'));
  grpc::Status status = jobs_->SubmitJob(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  // Nothing was created by the refused request.
  ListJobsResponse list;
  ASSERT_TRUE(jobs_->ListJobs(Context().get(), ListJobsRequest(), &list).ok());
  EXPECT_EQ(list.jobs_size(), 1);
}

}  // namespace
}  // namespace camoe::coordinator
