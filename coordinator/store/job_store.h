// JobStore is the coordinator's durable memory: jobs (whole camoe.Job messages,
// history included), their step and evaluation metrics, an audit log of events,
// registered workers and small counters, in one SQLite file (docs/store.md).
// Every write method returns only after its transaction is committed with WAL
// and synchronous=FULL, so what it acknowledged survives a SIGKILL or a power
// cut; a restarted coordinator rebuilds its state from LoadAllJobs/LoadWorkers.
// Ownership: the store owns its connection; callers get copies. Thread-safe: one
// connection behind a recursive mutex, and a Transaction holds that mutex for
// its whole body, so other threads' writes never land inside it.
#ifndef CAMOE_COORDINATOR_STORE_JOB_STORE_H_
#define CAMOE_COORDINATOR_STORE_JOB_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "camoe/service.pb.h"

namespace camoe::coordinator {

class SqliteDb;

struct JobStoreOptions {
  // Migrate only up to this schema version (0: the newest this code knows).
  // For tests that build an old database and for rehearsing an upgrade; a store
  // below the newest version lacks the newer tables (events before version 2).
  int target_schema_version = 0;
  // How long a statement waits for a lock held by another process before it
  // fails with Unavailable.
  int busy_timeout_ms = 5000;
};

class JobStore {
 public:
  // Opens or creates the database at `path` (":memory:" for tests), enables WAL
  // and synchronous=FULL, and applies pending schema migrations, one transaction
  // each. A file that is not a database is DataLoss naming it; a database newer
  // than this code is FailedPrecondition.
  static absl::StatusOr<std::unique_ptr<JobStore>> Open(const std::string& path,
                                                        const JobStoreOptions& options = {});
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // The schema version of the open database.
  int schema_version() const { return schema_version_; }
  // The newest schema version this code knows.
  static int LatestSchemaVersion();
  const std::string& path() const { return path_; }

  // --- Jobs. The indexed columns (state, client_request_id, priority, submit and
  // update times) are taken from the message on every write.
  // REQUIRES: job.id() is not empty.
  // AlreadyExists naming the id, or the job that already has the request id.
  absl::Status InsertJob(const Job& job);
  // Replaces the stored job atomically. NotFound if there is none with job.id().
  absl::Status UpdateJob(const Job& job);
  absl::StatusOr<std::optional<Job>> GetJob(const std::string& id);
  // An empty request id never matches.
  absl::StatusOr<std::optional<Job>> FindJobByRequestId(const std::string& client_request_id);
  // Every job, oldest first (submit time, then id): recovery after a restart.
  absl::StatusOr<std::vector<Job>> LoadAllJobs();
  // Newest first (submit time, then id), only jobs in `states` (empty: all).
  // `page_size` <= 0 means 50; at most 1000. `page_token` is "" or a previous
  // `next_page_token`, which is "" after the last page. A token marks a position
  // in the order, so pages neither repeat nor skip jobs while new ones arrive
  // (new jobs sort before the first page). A malformed token is InvalidArgument.
  absl::StatusOr<std::vector<Job>> ListJobs(const std::vector<JobState>& states, int page_size,
                                            const std::string& page_token,
                                            std::string* next_page_token);
  // The largest N among ids "job-N" (0 when none), so ids "job-%06d" continue after it.
  absl::StatusOr<int64_t> MaxJobNumber();

  // --- Metrics. Idempotent: writing (job, step) again replaces the stored
  // report, so re-sent buffers are stored once, and a restarted attempt's re-run
  // steps replace the abandoned ones. Evaluations are keyed by (job, step, final).
  // NotFound when the job does not exist.
  absl::Status AppendSteps(const std::string& job_id, const std::vector<StepReport>& steps);
  absl::Status AppendEvaluation(const std::string& job_id, const EvaluationReport& evaluation);
  // Steps with step > `after_step`, in step order; at most `limit` (0: all).
  absl::StatusOr<std::vector<StepReport>> Steps(const std::string& job_id, int64_t after_step,
                                                int limit = 0);
  // In (step, final) order.
  absl::StatusOr<std::vector<EvaluationReport>> Evaluations(const std::string& job_id);

  // --- Audit log of everything that happened to a job, in append order.
  // NotFound when the job does not exist.
  absl::Status AppendEvent(const std::string& job_id, int64_t time_ms, const std::string& kind,
                           const std::string& text);
  // (time_ms, kind, text) tuples.
  absl::StatusOr<std::vector<std::tuple<int64_t, std::string, std::string>>> Events(
      const std::string& job_id);

  // --- Workers, keyed by worker.id().
  absl::Status UpsertWorker(const Worker& worker);
  // In id order.
  absl::StatusOr<std::vector<Worker>> LoadWorkers();
  // Deleting an absent worker is OK (a retried cleanup must not fail).
  absl::Status DeleteWorker(const std::string& id);

  // --- Durable counters: the first call for a name returns 1, then 2, ...
  absl::StatusOr<int64_t> NextCounter(const std::string& name);

  // Runs `body` inside one transaction (BEGIN IMMEDIATE ... COMMIT; ROLLBACK when
  // `body` or the commit fails) and returns body's status. `body` may call this
  // store's methods, which join the transaction; a nested Transaction becomes a
  // savepoint that rolls back alone. Other threads wait until it ends.
  // REQUIRES: `body` uses the store only from the calling thread.
  absl::Status Transaction(const std::function<absl::Status()>& body);

 private:
  JobStore(std::unique_ptr<SqliteDb> db, std::string path, int schema_version);

  // REQUIRES: mu_ held.
  absl::Status InTransaction(const std::function<absl::Status()>& body);
  absl::StatusOr<std::optional<Job>> SelectOneJob(const std::string& sql, const std::string& key,
                                                  const std::string& purpose);
  absl::Status JobExistsError(const Job& job);

  // Recursive so that methods called from a Transaction body re-enter; guards
  // db_ and transaction_depth_.
  std::recursive_mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  int transaction_depth_ = 0;
  const std::string path_;
  const int schema_version_;
};

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_STORE_JOB_STORE_H_
