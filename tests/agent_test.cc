// Worker agents against a real coordinator over gRPC, in one process: agents
// run as threads and their gangs talk through ThreadWorlds, so the whole
// protocol (registration, heartbeats, assignments, metrics, events, cancels,
// shutdown, failures) runs without mpirun. tests/service_e2e_test.cc does the
// same with real processes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "coordinator/core/coordinator.h"
#include "coordinator/service/server.h"
#include "coordinator/store/job_store.h"
#include "tests/test_paths.h"
#include "tests/trainer_test_util.h"
#include "worker/agent/agent.h"
#include "worker/dist/thread_communicator.h"

namespace camoe::agent {
namespace {

using coordinator::Coordinator;
using coordinator::CoordinatorServer;
using coordinator::JobStore;

// Gangs of agents in this process: one ThreadWorld per (group tag).
class ThreadGangs {
 public:
  GangFactory Factory() {
    return [this](const Assignment& a, const CommunicatorOptions& options)
               -> absl::StatusOr<std::unique_ptr<Communicator>> {
      std::lock_guard<std::mutex> lock(mu_);
      auto& world = worlds_[a.group_tag()];
      if (!world) world = std::make_unique<ThreadWorld>(a.gang_size());
      return world->Connect(a.gang_rank(), options);
    };
  }

 private:
  std::mutex mu_;
  std::map<int, std::unique_ptr<ThreadWorld>> worlds_;
};

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = testing::MakeTinyDataset();
    dir_ = testing::TempDir("agent_" + std::string(
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    auto store = JobStore::Open(dir_ + "/coordinator.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    coordinator::CoordinatorOptions options;
    options.scheduler.heartbeat_interval_ms = 50;
    options.scheduler.heartbeat_timeout_ms = 20000;
    options.validation.checkpoint_root = dir_ + "/checkpoints";
    auto c = Coordinator::Create(options, store_.get(), nullptr, &clock_);
    ASSERT_TRUE(c.ok()) << c.status();
    coordinator_ = std::move(*c);
    coordinator_->StartBackgroundTicks();
    coordinator::ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    auto server = CoordinatorServer::Start(coordinator_.get(), server_options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void TearDown() override {
    for (auto& agent : agents_) agent->Shutdown();
    for (auto& t : threads_) t.join();
    agents_.clear();
    server_.reset();
    coordinator_.reset();
  }

  // Starts a pool of `size` agents (one launch), each on its own thread.
  void StartPool(int size, const std::string& launch_id = "pool") {
    for (int r = 0; r < size; ++r) {
      AgentOptions options;
      options.client.address = server_->address();
      options.vocab_path = testing::BpeVocabPath();
      options.log_dir = dir_ + "/logs";
      options.report_interval = absl::Milliseconds(50);
      LaunchInfo launch{launch_id, r, size, "localhost", 1000 + r, "cpu"};
      agents_.push_back(std::make_unique<WorkerAgent>(options, launch, gangs_.Factory()));
      WorkerAgent* agent = agents_.back().get();
      threads_.emplace_back([agent] {
        absl::Status status = agent->Run();
        EXPECT_TRUE(status.ok()) << status;
      });
    }
  }

  JobSpec Spec(int world, int64_t steps) {
    JobSpec spec = testing::TinyTrainingSpec(data_dir_, /*dsl=*/true, "");
    spec.mutable_distributed()->set_world_size(world);
    spec.mutable_schedule()->set_max_steps(steps);
    spec.mutable_schedule()->set_epochs(100);
    return spec;
  }

  std::string Submit(const JobSpec& spec) {
    SubmitJobRequest request;
    *request.mutable_spec() = spec;
    auto response = coordinator_->SubmitJob(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->job().id() : "";
  }

  // Polls until `done(job)` or the deadline; returns the last snapshot.
  Job WaitFor(const std::string& id, const std::function<bool(const Job&)>& done,
              absl::Duration deadline = absl::Seconds(240)) {
    const absl::Time end = absl::Now() + deadline;
    Job job;
    while (absl::Now() < end) {
      auto got = coordinator_->GetJob(id);
      if (got.ok()) {
        job = *got;
        if (done(job)) return job;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "timed out waiting for " << id << "; last state "
                  << JobState_Name(job.state()) << ": " << job.reason();
    return job;
  }

  // Each agent's history once it holds `n` records (the chief's event can end
  // a job before the other ranks recorded theirs).
  std::vector<std::vector<JobRecord>> Histories(size_t n) {
    std::vector<std::vector<JobRecord>> out;
    for (auto& agent : agents_) {
      const absl::Time end = absl::Now() + absl::Seconds(60);
      while (agent->history().size() < n && absl::Now() < end) absl::SleepFor(absl::Milliseconds(10));
      out.push_back(agent->history());
    }
    return out;
  }

  Job WaitForEnd(const std::string& id) {
    return WaitFor(id, [](const Job& j) {
      return j.state() == JOB_SUCCEEDED || j.state() == JOB_FAILED || j.state() == JOB_CANCELLED;
    });
  }

  std::string data_dir_, dir_;
  coordinator::RealClock clock_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<CoordinatorServer> server_;
  ThreadGangs gangs_;
  std::vector<std::unique_ptr<WorkerAgent>> agents_;
  std::vector<std::thread> threads_;
};

TEST_F(AgentTest, AGangOfTwoTrainsAJobToSuccessAndReportsEveryStep) {
  StartPool(2);
  const std::string id = Submit(Spec(2, 3));
  Job job = WaitForEnd(id);
  ASSERT_EQ(job.state(), JOB_SUCCEEDED) << job.reason();
  EXPECT_EQ(job.step(), 3);
  EXPECT_EQ(job.attempt(), 1);
  EXPECT_EQ(job.gang_size(), 2);
  ASSERT_TRUE(job.has_last_evaluation());
  EXPECT_TRUE(job.last_evaluation().final());
  EXPECT_GT(job.last_evaluation().results_size(), 0);
  // The history went through every state once.
  std::vector<JobState> states;
  for (const JobTransition& t : job.history()) states.push_back(t.state());
  EXPECT_EQ(states, (std::vector<JobState>{JOB_QUEUED, JOB_SCHEDULED, JOB_RUNNING, JOB_SUCCEEDED}));
  auto metrics = coordinator_->GetJobMetrics(id);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_EQ(metrics->steps_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(metrics->steps(i).step(), i + 1);
    EXPECT_TRUE(std::isfinite(metrics->steps(i).loss()));
    EXPECT_EQ(metrics->steps(i).samples(), 8);  // the global batch
  }
  ASSERT_GE(metrics->evaluations_size(), 1);
  EXPECT_TRUE(metrics->evaluations(metrics->evaluations_size() - 1).final());
  // Both ranks recorded the job as finished; the chief wrote the log.
  for (const auto& history : Histories(1)) {
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].outcome, EVENT_FINISHED);
  }
  auto log = ReadFile(dir_ + "/logs/" + id + ".log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_NE(log->find("final evaluation"), std::string::npos);
}

TEST_F(AgentTest, TwoSmallJobsShareAPoolAndAQueuedJobWaitsForFreeRanks) {
  StartPool(2);
  const std::string a = Submit(Spec(1, 2));
  const std::string b = Submit(Spec(1, 2));
  const std::string c = Submit(Spec(2, 2));  // needs both ranks: runs after a and b
  Job ja = WaitForEnd(a), jb = WaitForEnd(b), jc = WaitForEnd(c);
  ASSERT_EQ(ja.state(), JOB_SUCCEEDED) << ja.reason();
  ASSERT_EQ(jb.state(), JOB_SUCCEEDED) << jb.reason();
  ASSERT_EQ(jc.state(), JOB_SUCCEEDED) << jc.reason();
  EXPECT_NE(ja.gang(0), jb.gang(0));  // a and b ran side by side
  EXPECT_GE(jc.start_time_ms(), std::max(ja.end_time_ms(), jb.end_time_ms()));
}

TEST_F(AgentTest, AGracefulCancelStopsEveryRankAfterACheckpoint) {
  StartPool(2);
  const std::string id = Submit(Spec(2, 100000));
  WaitFor(id, [](const Job& j) { return j.state() == JOB_RUNNING && j.step() >= 2; });
  CancelJobRequest cancel;
  cancel.set_job_id(id);
  ASSERT_TRUE(coordinator_->CancelJob(cancel).ok());
  Job job = WaitForEnd(id);
  ASSERT_EQ(job.state(), JOB_CANCELLED) << job.reason();
  EXPECT_NE(job.reason().find("after a checkpoint"), std::string::npos) << job.reason();
  ASSERT_FALSE(job.last_checkpoint().empty());
  EXPECT_TRUE(std::filesystem::exists(job.last_checkpoint())) << job.last_checkpoint();
  for (const auto& history : Histories(1)) {
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].outcome, EVENT_CANCELLED);
  }
  // The pool is free again.
  const std::string next = Submit(Spec(2, 1));
  EXPECT_EQ(WaitForEnd(next).state(), JOB_SUCCEEDED);
}

TEST_F(AgentTest, AForcedCancelStopsWithoutANewCheckpoint) {
  StartPool(1);
  JobSpec spec = Spec(1, 100000);
  spec.mutable_checkpoint()->set_every_steps(0);
  const std::string id = Submit(spec);
  WaitFor(id, [](const Job& j) { return j.state() == JOB_RUNNING && j.step() >= 1; });
  CancelJobRequest cancel;
  cancel.set_job_id(id);
  cancel.set_force(true);
  ASSERT_TRUE(coordinator_->CancelJob(cancel).ok());
  Job job = WaitForEnd(id);
  ASSERT_EQ(job.state(), JOB_CANCELLED) << job.reason();
  EXPECT_TRUE(job.last_checkpoint().empty()) << job.last_checkpoint();
  const std::string dir = job.spec().checkpoint().dir();
  EXPECT_FALSE(std::filesystem::exists(dir + "/MANIFEST")) << dir;
}

TEST_F(AgentTest, AShutDownWorkerFailsItsJobAsRetryableAfterACheckpoint) {
  StartPool(2);
  const std::string id = Submit(Spec(2, 100000));
  WaitFor(id, [](const Job& j) { return j.state() == JOB_RUNNING && j.step() >= 2; });
  agents_[1]->Shutdown();  // as SIGTERM does
  // The chief's checkpoint report may arrive after the shut-down rank's failure.
  Job job = WaitFor(id, [](const Job& j) {
    return j.state() == JOB_FAILED && !j.last_checkpoint().empty();
  });
  ASSERT_EQ(job.state(), JOB_FAILED);
  EXPECT_EQ(job.failure_class(), "worker_lost") << job.reason();
  EXPECT_FALSE(job.last_checkpoint().empty()) << job.reason();
}

TEST_F(AgentTest, ABadSpecFailsAsNotRetryableWithTheReason) {
  StartPool(1);
  JobSpec spec = Spec(1, 2);
  const std::string empty = testing::TempDir("agent_no_videos");
  spec.mutable_data()->set_video_dir(empty);  // every video is missing
  const std::string id = Submit(spec);
  Job job = WaitForEnd(id);
  ASSERT_EQ(job.state(), JOB_FAILED);
  EXPECT_EQ(job.failure_class(), "data") << job.reason();
  EXPECT_NE(job.reason().find("missing or unreadable"), std::string::npos) << job.reason();
  // The worker takes the next job.
  EXPECT_EQ(WaitForEnd(Submit(Spec(1, 1))).state(), JOB_SUCCEEDED);
}

}  // namespace
}  // namespace camoe::agent
