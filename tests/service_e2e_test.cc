// The service end to end with the real binaries: camoe-coordinator, a pool of
// two camoe-worker processes under mpirun, and a client on gRPC. One job
// trains on a gang of two MPI ranks while WatchJob streams it and Prometheus
// metrics show it; the coordinator is restarted under the running pool and
// keeps its jobs and workers; a running job is cancelled after a checkpoint;
// the pool drains cleanly on SIGUSR1.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "camoe/service.grpc.pb.h"
#include "common/file_util.h"
#include "tests/child_process.h"
#include "tests/metrics_test_util.h"
#include "tests/test_paths.h"
#include "tests/trainer_test_util.h"

namespace camoe {
namespace {

using testing::ChildProcess;

class ServiceEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(CAMOE_MPIRUN).empty()) GTEST_SKIP() << "mpirun not found";
    dir_ = testing::TempDir("service_e2e");
    data_dir_ = testing::MakeTinyDataset();
    port_ = testing::FreeLoopbackPort();
    address_ = absl::StrCat("127.0.0.1:", port_);
  }

  void StartCoordinator(const std::string& log_name) {
    std::filesystem::remove(dir_ + "/address");
    coordinator_ = std::make_unique<ChildProcess>();
    ASSERT_TRUE(coordinator_->Spawn(
        {testing::BinaryDir() + "/camoe-coordinator", "--listen=" + address_,
         "--db=" + dir_ + "/coordinator.db", "--metrics_listen=127.0.0.1:0",
         "--data_root=" + data_dir_, "--checkpoint_root=" + dir_ + "/checkpoints",
         "--address_file=" + dir_ + "/address", "--heartbeat_interval_ms=200",
         "--heartbeat_timeout_ms=20000"},
        dir_ + "/" + log_name));
    const absl::Time end = absl::Now() + absl::Seconds(60);
    while (!std::filesystem::exists(dir_ + "/address") && absl::Now() < end) {
      ASSERT_FALSE(coordinator_->Exited()) << Log(log_name);
      absl::SleepFor(absl::Milliseconds(20));
    }
    auto text = ReadFile(dir_ + "/address");
    ASSERT_TRUE(text.ok()) << Log(log_name);
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      if (absl::StartsWith(line, "metrics=")) metrics_address_ = std::string(line.substr(8));
    }
    stub_ = JobService::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  std::string Log(const std::string& name) {
    auto text = ReadFile(dir_ + "/" + name);
    return text.ok() ? "\n--- " + name + " ---\n" + *text : "(no " + name + ")";
  }

  JobSpec Spec(int64_t steps) {
    JobSpec spec = testing::TinyTrainingSpec(data_dir_, /*dsl=*/true, "");
    spec.mutable_distributed()->set_world_size(2);
    spec.mutable_schedule()->set_max_steps(steps);
    spec.mutable_schedule()->set_epochs(1000);
    return spec;
  }

  Job Submit(const JobSpec& spec) {
    grpc::ClientContext context;
    SubmitJobRequest request;
    *request.mutable_spec() = spec;
    SubmitJobResponse response;
    grpc::Status status = stub_->SubmitJob(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.job();
  }

  Job Get(const std::string& id) {
    grpc::ClientContext context;
    GetJobRequest request;
    request.set_job_id(id);
    Job job;
    grpc::Status status = stub_->GetJob(&context, request, &job);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return job;
  }

  Job WaitFor(const std::string& id, const std::function<bool(const Job&)>& done) {
    const absl::Time end = absl::Now() + absl::Seconds(300);
    Job job;
    while (absl::Now() < end) {
      job = Get(id);
      if (done(job)) return job;
      absl::SleepFor(absl::Milliseconds(100));
    }
    ADD_FAILURE() << "timed out; " << id << " is " << JobState_Name(job.state()) << ": "
                  << job.reason() << Log("pool.log") << Log("coordinator.log");
    return job;
  }

  std::string dir_, data_dir_, address_, metrics_address_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> coordinator_;
  std::unique_ptr<JobService::Stub> stub_;
};

TEST_F(ServiceEndToEndTest, APoolTrainsSurvivesACoordinatorRestartAndHonoursCancel) {
  StartCoordinator("coordinator.log");
  ChildProcess pool;
  ASSERT_TRUE(pool.Spawn({CAMOE_MPIRUN, "--allow-run-as-root", "--oversubscribe", "-np", "2",
                          testing::BinaryDir() + "/camoe-worker", "--coordinator=" + address_,
                          "--log_dir=" + dir_ + "/logs", "--vocab=" + testing::BpeVocabPath()},
                         dir_ + "/pool.log"));

  // 1. A job on a gang of two MPI ranks, streamed by WatchJob.
  const Job submitted = Submit(Spec(4));
  ASSERT_FALSE(submitted.id().empty());
  grpc::ClientContext watch_context;
  watch_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(300)));
  WatchJobRequest watch;
  watch.set_job_id(submitted.id());
  watch.set_after_step(0);
  auto stream = stub_->WatchJob(&watch_context, watch);
  JobUpdate update;
  std::vector<int64_t> steps;
  Job last;
  bool final_evaluation = false;
  while (stream->Read(&update)) {
    if (update.has_job()) last = update.job();
    if (update.has_step()) steps.push_back(update.step().step());
    if (update.has_evaluation() && update.evaluation().final()) final_evaluation = true;
  }
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(last.state(), JOB_SUCCEEDED) << last.reason() << Log("pool.log");
  EXPECT_EQ(steps, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(final_evaluation);
  EXPECT_EQ(last.gang_size(), 2);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/logs/" + submitted.id() + ".log"));

  // 2. Prometheus sees the job.
  auto scrape = testing::HttpGet(metrics_address_, "/metrics");
  ASSERT_TRUE(scrape.ok()) << scrape.status();
  auto exposition = testing::ParseExposition(scrape->body);
  ASSERT_TRUE(exposition.ok()) << exposition.status();
  EXPECT_EQ(exposition->Value("camoe_job_step", {{"job_id", submitted.id()}}), 4);
  EXPECT_EQ(exposition->Value("camoe_workers_up"), 2);
  EXPECT_TRUE(exposition->Value("camoe_train_loss", {{"job_id", submitted.id()}}).has_value());

  // 3. The coordinator restarts under the running pool: jobs and workers survive.
  coordinator_->Stop();
  ASSERT_TRUE(WIFEXITED(coordinator_->status()) && WEXITSTATUS(coordinator_->status()) == 0)
      << Log("coordinator.log");
  StartCoordinator("coordinator2.log");
  Job restored = Get(submitted.id());
  EXPECT_EQ(restored.state(), JOB_SUCCEEDED);
  EXPECT_EQ(restored.history_size(), last.history_size());
  const Job second = Submit(Spec(2));
  EXPECT_EQ(second.id(), "job-000002");  // ids continue
  Job done = WaitFor(second.id(), [](const Job& j) { return j.end_time_ms() > 0; });
  EXPECT_EQ(done.state(), JOB_SUCCEEDED) << done.reason() << Log("pool.log");

  // 4. A cancel stops the gang after a checkpoint.
  JobSpec long_spec = Spec(1000000);
  long_spec.mutable_checkpoint()->set_every_steps(1000);
  const Job third = Submit(long_spec);
  WaitFor(third.id(), [](const Job& j) { return j.state() == JOB_RUNNING && j.step() >= 2; });
  {
    grpc::ClientContext context;
    CancelJobRequest cancel;
    cancel.set_job_id(third.id());
    Job ignored;
    ASSERT_TRUE(stub_->CancelJob(&context, cancel, &ignored).ok());
  }
  Job cancelled = WaitFor(third.id(), [](const Job& j) { return j.end_time_ms() > 0; });
  EXPECT_EQ(cancelled.state(), JOB_CANCELLED) << cancelled.reason();
  EXPECT_TRUE(std::filesystem::exists(cancelled.last_checkpoint())) << cancelled.last_checkpoint();

  // 5. The pool drains on SIGUSR1 (mpirun forwards it to every rank).
  pool.Signal(SIGUSR1);
  ASSERT_TRUE(pool.WaitFor(60)) << Log("pool.log");
  EXPECT_TRUE(WIFEXITED(pool.status()) && WEXITSTATUS(pool.status()) == 0)
      << "wait status " << pool.status() << Log("pool.log");
}

}  // namespace
}  // namespace camoe
