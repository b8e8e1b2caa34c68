// JobStore on disk: reopening, surviving SIGKILL of the writing process,
// refusing damaged, foreign and newer databases, migrating an old database, and
// use from several threads at once.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/file_util.h"
#include "coordinator/store/job_store.h"
#include "gtest/gtest.h"
#include "tests/store_test_util.h"
#include "tests/test_paths.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::MakeEvaluation;
using ::camoe::testing::MakeJob;
using ::camoe::testing::MakeStep;
using ::camoe::testing::SameMessage;

class StoreDurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = camoe::testing::TempDir("store_durability") + "/jobs.db";
  }

  std::unique_ptr<JobStore> OpenStore(const JobStoreOptions& options = {}) {
    absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Runs `sql` on the file directly, as an operator (or another program) could.
  void RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  std::string RawQuery(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string result;
    sqlite3_exec(
        db, sql.c_str(),
        [](void* out, int columns, char** values, char**) {
          auto* text = static_cast<std::string*>(out);
          for (int i = 0; i < columns; ++i) *text += std::string(values[i] ? values[i] : "") + ";";
          return 0;
        },
        &result, nullptr);
    sqlite3_close(db);
    return result;
  }

  std::string path_;
};

TEST_F(StoreDurabilityTest, ReopenedStoreHasEverything) {
  {
    std::unique_ptr<JobStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->InsertJob(MakeJob(1, JOB_RUNNING, 10, "req")).ok());
    ASSERT_TRUE(store->AppendSteps("job-000001", {MakeStep(1), MakeStep(2)}).ok());
    ASSERT_TRUE(store->AppendEvaluation("job-000001", MakeEvaluation(2, true)).ok());
    ASSERT_TRUE(store->AppendEvent("job-000001", 11, "started", "rank 0").ok());
    Worker worker;
    worker.set_id("l/0");
    ASSERT_TRUE(store->UpsertWorker(worker).ok());
    ASSERT_EQ(*store->NextCounter("tag"), 1);
  }
  std::unique_ptr<JobStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(SameMessage(MakeJob(1, JOB_RUNNING, 10, "req"), store->GetJob("job-000001")->value()));
  EXPECT_EQ(store->FindJobByRequestId("req")->value().id(), "job-000001");
  EXPECT_EQ(store->Steps("job-000001", 0)->size(), 2u);
  EXPECT_EQ(store->Evaluations("job-000001")->size(), 1u);
  EXPECT_EQ(store->Events("job-000001")->size(), 1u);
  EXPECT_EQ(store->LoadWorkers()->size(), 1u);
  EXPECT_EQ(*store->NextCounter("tag"), 2);
  EXPECT_EQ(RawQuery("PRAGMA journal_mode"), "wal;");
}

// The child writes and SIGKILLs itself the moment the calls return: nothing
// after the acknowledgement (no close, no checkpoint) runs.
TEST_F(StoreDurabilityTest, AcknowledgedWritesSurviveSigkill) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(path_);
    if (!store.ok()) ::_exit(2);
    if (!(*store)->InsertJob(MakeJob(1, JOB_QUEUED, 10)).ok()) ::_exit(3);
    if (!(*store)->UpdateJob(MakeJob(1, JOB_RUNNING, 10)).ok()) ::_exit(4);
    if (!(*store)->AppendSteps("job-000001", {MakeStep(1), MakeStep(2)}).ok()) ::_exit(5);
    ::kill(::getpid(), SIGKILL);
    ::_exit(6);
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exited with " << WEXITSTATUS(wait_status);
  ASSERT_EQ(WTERMSIG(wait_status), SIGKILL);
  // The commits are still only in the write-ahead log: reopening replays it.
  EXPECT_TRUE(FileExists(path_ + "-wal"));

  std::unique_ptr<JobStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::optional<Job>> job = store->GetJob("job-000001");
  ASSERT_TRUE(job.ok() && job->has_value());
  EXPECT_EQ((*job)->state(), JOB_RUNNING);
  EXPECT_EQ(store->Steps("job-000001", 0)->size(), 2u);
}

// The child keeps writing and reports each acknowledged job on a pipe; the
// parent kills it at an arbitrary moment. Every acknowledged job must be there,
// and the file must pass SQLite's integrity check.
TEST_F(StoreDurabilityTest, KillAtAnyMomentLosesNoAcknowledgedJob) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(path_);
    if (!store.ok()) ::_exit(2);
    for (int64_t n = 1;; ++n) {
      absl::Status status = (*store)->Transaction([&]() -> absl::Status {
        if (absl::Status s = (*store)->InsertJob(MakeJob(n, JOB_QUEUED, n)); !s.ok()) return s;
        return (*store)->AppendEvent(MakeJob(n).id(), n, "submitted", "");
      });
      if (!status.ok()) ::_exit(3);
      if (::write(pipe_fds[1], &n, sizeof(n)) != sizeof(n)) ::_exit(4);
    }
  }
  ::close(pipe_fds[1]);
  int64_t acknowledged = 0;
  while (acknowledged < 25) {
    ASSERT_EQ(::read(pipe_fds[0], &acknowledged, sizeof(acknowledged)),
              static_cast<ssize_t>(sizeof(acknowledged)));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(7));
  ::kill(child, SIGKILL);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exited with " << WEXITSTATUS(wait_status);
  int64_t n = 0;
  while (::read(pipe_fds[0], &n, sizeof(n)) == sizeof(n)) acknowledged = n;
  ::close(pipe_fds[0]);

  std::unique_ptr<JobStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::vector<Job>> jobs = store->LoadAllJobs();
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  // At most one more than acknowledged: committed, killed before the ack.
  EXPECT_GE(static_cast<int64_t>(jobs->size()), acknowledged);
  EXPECT_LE(static_cast<int64_t>(jobs->size()), acknowledged + 1);
  for (int64_t i = 1; i <= acknowledged; ++i) {
    ASSERT_TRUE(store->GetJob(MakeJob(i).id())->has_value()) << "lost acknowledged job " << i;
    EXPECT_EQ(store->Events(MakeJob(i).id())->size(), 1u);
  }
  EXPECT_EQ(*store->MaxJobNumber(), static_cast<int64_t>(jobs->size()));
  store.reset();
  EXPECT_EQ(RawQuery("PRAGMA integrity_check"), "ok;");
  std::printf("killed after %lld acknowledged jobs; %zu stored\n",
              static_cast<long long>(acknowledged), jobs->size());
}

TEST_F(StoreDurabilityTest, FileThatIsNotADatabaseIsDataLossNamingIt) {
  {
    std::ofstream junk(path_);
    for (int i = 0; i < 200; ++i) junk << "this is a log file, not a database\n";
  }
  absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_NE(store.status().message().find(path_), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find("move it aside"), std::string::npos) << store.status();
}

TEST_F(StoreDurabilityTest, MissingFolderIsAnErrorNamingThePath) {
  path_ += ".d/no/such/folder/jobs.db";
  absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path_), std::string::npos) << store.status();
}

TEST_F(StoreDurabilityTest, AnotherProgramsDatabaseIsRefused) {
  RawExec("CREATE TABLE photos (id INTEGER PRIMARY KEY, caption TEXT)");
  absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_NE(store.status().message().find("photos"), std::string::npos) << store.status();
  EXPECT_EQ(RawQuery("SELECT count(*) FROM sqlite_master WHERE name = 'jobs'"), "0;");
}

TEST_F(StoreDurabilityTest, DatabaseNewerThanTheCodeIsRefused) {
  ASSERT_NE(OpenStore(), nullptr);
  RawExec("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)");
  absl::StatusOr<std::unique_ptr<JobStore>> store = JobStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_NE(store.status().message().find("version 99"), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find(path_), std::string::npos) << store.status();
}

TEST_F(StoreDurabilityTest, UpgradesAVersion1DatabaseKeepingItsData) {
  {
    JobStoreOptions v1;
    v1.target_schema_version = 1;
    std::unique_ptr<JobStore> old = OpenStore(v1);
    ASSERT_NE(old, nullptr);
    ASSERT_EQ(old->schema_version(), 1);
    ASSERT_TRUE(old->InsertJob(MakeJob(1, JOB_SUCCEEDED, 5, "req-1")).ok());
    ASSERT_TRUE(old->InsertJob(MakeJob(2, JOB_QUEUED, 6)).ok());
    ASSERT_TRUE(old->AppendSteps("job-000001", {MakeStep(1), MakeStep(2), MakeStep(3)}).ok());
    ASSERT_TRUE(old->AppendEvaluation("job-000001", MakeEvaluation(3, true)).ok());
    ASSERT_EQ(*old->NextCounter("tag"), 1);
    // Version 1 has no events table.
    EXPECT_FALSE(old->AppendEvent("job-000001", 1, "x", "y").ok());
  }
  EXPECT_EQ(RawQuery("SELECT group_concat(version) FROM schema_migrations"), "1;");

  std::unique_ptr<JobStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), JobStore::LatestSchemaVersion());
  EXPECT_TRUE(SameMessage(MakeJob(1, JOB_SUCCEEDED, 5, "req-1"),
                          store->GetJob("job-000001")->value()));
  EXPECT_EQ(store->FindJobByRequestId("req-1")->value().id(), "job-000001");
  EXPECT_EQ(store->Steps("job-000001", 0)->size(), 3u);
  EXPECT_EQ(store->Evaluations("job-000001")->size(), 1u);
  EXPECT_EQ(*store->NextCounter("tag"), 2);
  std::string next;
  EXPECT_EQ(store->ListJobs({JOB_QUEUED}, 10, "", &next)->size(), 1u);
  EXPECT_TRUE(store->AppendEvent("job-000001", 1, "upgraded", "to v2").ok());
  store.reset();
  EXPECT_EQ(RawQuery("SELECT group_concat(version) FROM schema_migrations"), "1,2;");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM sqlite_master WHERE name = 'jobs_by_state'"), "1;");
}

TEST_F(StoreDurabilityTest, ReopeningAnUpToDateDatabaseAppliesNothing) {
  ASSERT_NE(OpenStore(), nullptr);
  ASSERT_NE(OpenStore(), nullptr);
  EXPECT_EQ(RawQuery("SELECT count(*) FROM schema_migrations"),
            std::to_string(JobStore::LatestSchemaVersion()) + ";");
}

TEST_F(StoreDurabilityTest, ManyThreadsShareOneStore) {
  std::unique_ptr<JobStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kJobsPerThread = 25;
  std::vector<std::vector<int64_t>> tags(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int j = 0; j < kJobsPerThread; ++j) {
        const int64_t n = t * 1000 + j + 1;
        const std::string id = MakeJob(n).id();
        absl::Status status = store->Transaction([&]() -> absl::Status {
          if (absl::Status s = store->InsertJob(MakeJob(n, JOB_QUEUED, n)); !s.ok()) return s;
          return store->AppendEvent(id, n, "submitted", "");
        });
        std::vector<StepReport> steps;
        for (int s = 1; s <= 10; ++s) steps.push_back(MakeStep(s));
        absl::StatusOr<int64_t> tag = store->NextCounter("group_tag");
        std::string next;
        if (!status.ok() || !store->AppendSteps(id, steps).ok() ||
            !store->UpdateJob(MakeJob(n, JOB_RUNNING, n)).ok() || !tag.ok() ||
            !store->ListJobs({JOB_RUNNING}, 10, "", &next).ok() ||
            store->Steps(id, 0)->size() != 10u) {
          ++failures;
          continue;
        }
        tags[t].push_back(*tag);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<int64_t> unique_tags;
  for (const auto& list : tags) unique_tags.insert(list.begin(), list.end());
  EXPECT_EQ(unique_tags.size(), static_cast<size_t>(kThreads * kJobsPerThread));
  EXPECT_EQ(*unique_tags.rbegin(), kThreads * kJobsPerThread);
  EXPECT_EQ(store->LoadAllJobs()->size(), static_cast<size_t>(kThreads * kJobsPerThread));
}

// A transaction holds the store: another thread's write waits for it and is
// not swept into its rollback.
TEST_F(StoreDurabilityTest, OtherThreadsWritesWaitForATransaction) {
  std::unique_ptr<JobStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::atomic<bool> inside{false};
  std::atomic<bool> body_done{false};
  std::atomic<bool> other_finished_early{false};
  std::thread other([&] {
    while (!inside.load()) std::this_thread::yield();
    EXPECT_TRUE(store->InsertJob(MakeJob(2)).ok());
    if (!body_done.load()) other_finished_early = true;
  });
  absl::Status status = store->Transaction([&]() -> absl::Status {
    EXPECT_TRUE(store->InsertJob(MakeJob(1)).ok());
    inside = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    body_done = true;
    return absl::AbortedError("roll back");
  });
  other.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_FALSE(other_finished_early.load());
  EXPECT_FALSE(store->GetJob("job-000001")->has_value());
  EXPECT_TRUE(store->GetJob("job-000002")->has_value());
}

}  // namespace
}  // namespace camoe::coordinator
