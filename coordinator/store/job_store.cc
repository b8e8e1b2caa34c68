#include "coordinator/store/job_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "coordinator/store/migrations.h"
#include "coordinator/store/sqlite.h"

namespace camoe::coordinator {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;

using Lock = std::lock_guard<std::recursive_mutex>;

template <typename Message>
absl::StatusOr<Message> Parse(const std::string& blob, const std::string& path,
                              const std::string& what) {
  Message message;
  if (!message.ParseFromString(blob)) {
    return absl::DataLossError(absl::StrCat(path, ": the stored ", what,
                                            " does not parse as ", Message::descriptor()->full_name(),
                                            "; the file is damaged: restore it from a backup"));
  }
  return message;
}

// Note [Page tokens]: a token is the (submit_time_ms, id) of the last job on
// the page, behind a version tag and web-safe base64 so clients treat it as
// opaque. The next page continues strictly after that key, so inserts (which
// sort first, being newest) and updates (the key never changes) cannot shift
// it, unlike an OFFSET.
std::string EncodePageToken(int64_t submit_time_ms, const std::string& id) {
  return absl::WebSafeBase64Escape(absl::StrCat("1:", submit_time_ms, ":", id));
}

absl::Status DecodePageToken(const std::string& token, int64_t* submit_time_ms, std::string* id) {
  const absl::Status malformed = absl::InvalidArgumentError(absl::StrCat(
      "page token \"", token, "\" is malformed: pass the next_page_token of the previous "
      "ListJobs reply unchanged, or an empty token for the first page"));
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return malformed;
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits(':', 2));
  if (parts.size() != 3 || parts[0] != "1" || !absl::SimpleAtoi(parts[1], submit_time_ms)) {
    return malformed;
  }
  *id = parts[2];
  return absl::OkStatus();
}

absl::Status MissingJob(const absl::Status& status, int error_code, const std::string& job_id,
                        const std::string& what) {
  if (error_code != SQLITE_CONSTRAINT_FOREIGNKEY) return status;
  return absl::NotFoundError(absl::StrCat("cannot store ", what, " for job ", job_id,
                                          ": no such job; insert the job first"));
}

}  // namespace

JobStore::JobStore(std::unique_ptr<SqliteDb> db, std::string path, int schema_version)
    : db_(std::move(db)), path_(std::move(path)), schema_version_(schema_version) {}

JobStore::~JobStore() = default;

int JobStore::LatestSchemaVersion() { return static_cast<int>(SchemaMigrations().size()); }

absl::StatusOr<std::unique_ptr<JobStore>> JobStore::Open(const std::string& path,
                                                         const JobStoreOptions& options) {
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                         SqliteDb::Open(path, options.busy_timeout_ms));
  // The first statement reads the file header: a file that is not a database
  // fails here, as DataLoss naming the path.
  {
    CAMOE_ASSIGN_OR_RETURN(Statement wal,
                           db->Prepare("PRAGMA journal_mode = WAL", "enabling the WAL journal"));
    CAMOE_ASSIGN_OR_RETURN(bool row, wal.Step());
    const std::string mode = row ? wal.ColumnText(0) : "";
    // An in-memory database keeps "memory"; a file that cannot use WAL (some
    // network file systems) would silently lose our durability argument.
    if (mode != "wal" && mode != "memory") {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": SQLite could not enable the WAL journal (journal_mode is \"", mode,
          "\"): put the store on a local file system"));
    }
  }
  // Note [Durability]: in WAL mode, synchronous=FULL fsyncs the log at every
  // commit, so an acknowledged write survives power loss, not only a crash of
  // this process (NORMAL would survive SIGKILL but could lose the last
  // commits on power loss).
  CAMOE_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
                                 "setting synchronous=FULL and foreign keys"));
  CAMOE_ASSIGN_OR_RETURN(int version, ApplyMigrations(*db, options.target_schema_version));
  return std::unique_ptr<JobStore>(new JobStore(std::move(db), path, version));
}

absl::Status JobStore::Transaction(const std::function<absl::Status()>& body) {
  Lock lock(mu_);
  return InTransaction(body);
}

absl::Status JobStore::InTransaction(const std::function<absl::Status()>& body) {
  const bool outermost = transaction_depth_ == 0;
  const std::string savepoint = absl::StrCat("camoe_", transaction_depth_);
  // IMMEDIATE takes the write lock up front: a deferred transaction that reads
  // first could fail with BUSY at its first write, after the body acted on reads.
  CAMOE_RETURN_IF_ERROR(db_->Exec(outermost ? "BEGIN IMMEDIATE" : "SAVEPOINT " + savepoint,
                                  "beginning a transaction"));
  // SQLite rolls a transaction back by itself after some errors (a full disk,
  // an I/O error); a second ROLLBACK would then fail and hide the real error.
  auto roll_back = [&]() -> absl::Status {
    if (db_->autocommit()) return absl::OkStatus();
    return db_->Exec(outermost ? "ROLLBACK" : "ROLLBACK TO " + savepoint + "; RELEASE " + savepoint,
                     "rolling back a transaction");
  };
  ++transaction_depth_;
  absl::Status status;
  try {
    status = body();
  } catch (...) {
    --transaction_depth_;
    roll_back().IgnoreError();
    throw;
  }
  --transaction_depth_;
  if (status.ok()) {
    status = db_->Exec(outermost ? "COMMIT" : "RELEASE " + savepoint, "committing a transaction");
    if (status.ok()) return status;
  }
  if (absl::Status rollback = roll_back(); !rollback.ok()) {
    return absl::Status(status.code(), absl::StrCat(status.message(), "; then ", rollback.message()));
  }
  return status;
}

absl::Status JobStore::InsertJob(const Job& job) {
  if (job.id().empty()) return absl::InvalidArgumentError("InsertJob: the job has no id");
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT INTO jobs (id, state, client_request_id, priority, submit_time_ms, "
                   "update_time_ms, job) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   absl::StrCat("inserting job ", job.id())));
  insert.BindText(1, job.id())
      .BindInt64(2, job.state())
      .BindText(3, job.client_request_id())
      .BindInt64(4, job.priority())
      .BindInt64(5, job.submit_time_ms())
      .BindInt64(6, job.update_time_ms())
      .BindBlob(7, job.SerializeAsString());
  absl::Status status = insert.Run();
  if (absl::IsAlreadyExists(status)) return JobExistsError(job);
  return status;
}

// Turns a UNIQUE violation into a message that says which key collided.
absl::Status JobStore::JobExistsError(const Job& job) {
  CAMOE_ASSIGN_OR_RETURN(std::optional<Job> same_id, GetJob(job.id()));
  if (same_id.has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("job ", job.id(), " already exists in ", path_,
                                                 "; update it instead, or use a new id"));
  }
  CAMOE_ASSIGN_OR_RETURN(std::optional<Job> same_request, FindJobByRequestId(job.client_request_id()));
  return absl::AlreadyExistsError(absl::StrCat(
      "client_request_id \"", job.client_request_id(), "\" already belongs to job ",
      same_request.has_value() ? same_request->id() : "(unknown)",
      "; return that job instead of creating ", job.id()));
}

absl::Status JobStore::UpdateJob(const Job& job) {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(
      Statement update,
      db_->Prepare("UPDATE jobs SET state = ?, client_request_id = ?, priority = ?, "
                   "submit_time_ms = ?, update_time_ms = ?, job = ? WHERE id = ?",
                   absl::StrCat("updating job ", job.id())));
  update.BindInt64(1, job.state())
      .BindText(2, job.client_request_id())
      .BindInt64(3, job.priority())
      .BindInt64(4, job.submit_time_ms())
      .BindInt64(5, job.update_time_ms())
      .BindBlob(6, job.SerializeAsString())
      .BindText(7, job.id());
  absl::Status status = update.Run();
  if (absl::IsAlreadyExists(status)) return JobExistsError(job);
  CAMOE_RETURN_IF_ERROR(status);
  if (db_->changes() == 0) {
    return absl::NotFoundError(absl::StrCat("cannot update job ", job.id(), ": it is not in ",
                                            path_, "; insert it first"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Job>> JobStore::SelectOneJob(const std::string& sql,
                                                          const std::string& key,
                                                          const std::string& purpose) {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(Statement select, db_->Prepare(sql, purpose));
  select.BindText(1, key);
  CAMOE_ASSIGN_OR_RETURN(bool row, select.Step());
  if (!row) return std::optional<Job>();
  CAMOE_ASSIGN_OR_RETURN(Job job, Parse<Job>(select.ColumnBlob(0), path_, "job " + key));
  return std::optional<Job>(std::move(job));
}

absl::StatusOr<std::optional<Job>> JobStore::GetJob(const std::string& id) {
  return SelectOneJob("SELECT job FROM jobs WHERE id = ?", id,
                      absl::StrCat("reading job ", id));
}

absl::StatusOr<std::optional<Job>> JobStore::FindJobByRequestId(
    const std::string& client_request_id) {
  if (client_request_id.empty()) return std::optional<Job>();
  // The WHERE repeats the partial index's condition so SQLite may use the index.
  return SelectOneJob(
      "SELECT job FROM jobs WHERE client_request_id = ? AND client_request_id <> ''",
      client_request_id, absl::StrCat("finding the job of request id ", client_request_id));
}

absl::StatusOr<std::vector<Job>> JobStore::LoadAllJobs() {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(
      Statement select,
      db_->Prepare("SELECT job, id FROM jobs ORDER BY submit_time_ms, id", "loading all jobs"));
  std::vector<Job> jobs;
  while (true) {
    CAMOE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    CAMOE_ASSIGN_OR_RETURN(Job job,
                           Parse<Job>(select.ColumnBlob(0), path_, "job " + select.ColumnText(1)));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

absl::StatusOr<std::vector<Job>> JobStore::ListJobs(const std::vector<JobState>& states,
                                                    int page_size, const std::string& page_token,
                                                    std::string* next_page_token) {
  if (page_size <= 0) page_size = kDefaultPageSize;
  page_size = std::min(page_size, kMaxPageSize);
  int64_t after_submit = 0;
  std::string after_id;
  if (!page_token.empty()) CAMOE_RETURN_IF_ERROR(DecodePageToken(page_token, &after_submit, &after_id));

  std::vector<int64_t> wanted(states.begin(), states.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<std::string> conditions;
  if (!wanted.empty()) {
    std::vector<std::string> marks(wanted.size(), "?");
    conditions.push_back(absl::StrCat("state IN (", absl::StrJoin(marks, ", "), ")"));
  }
  if (!page_token.empty()) conditions.push_back("(submit_time_ms, id) < (?, ?)");
  // One cached statement per (number of states, token or not): a handful.
  const std::string sql = absl::StrCat(
      "SELECT job, submit_time_ms, id FROM jobs",
      conditions.empty() ? "" : " WHERE " + absl::StrJoin(conditions, " AND "),
      " ORDER BY submit_time_ms DESC, id DESC LIMIT ?");

  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(Statement select, db_->Prepare(sql, "listing jobs"));
  int index = 1;
  for (int64_t state : wanted) select.BindInt64(index++, state);
  if (!page_token.empty()) {
    select.BindInt64(index++, after_submit);
    select.BindText(index++, after_id);
  }
  // One more than asked tells whether another page exists.
  select.BindInt64(index, page_size + 1);
  std::vector<Job> jobs;
  if (next_page_token != nullptr) next_page_token->clear();
  while (true) {
    CAMOE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    if (static_cast<int>(jobs.size()) == page_size) {
      if (next_page_token != nullptr) {
        *next_page_token = EncodePageToken(jobs.back().submit_time_ms(), jobs.back().id());
      }
      break;
    }
    CAMOE_ASSIGN_OR_RETURN(Job job,
                           Parse<Job>(select.ColumnBlob(0), path_, "job " + select.ColumnText(2)));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

absl::StatusOr<int64_t> JobStore::MaxJobNumber() {
  Lock lock(mu_);
  // GLOB keeps ids of any other form out; CAST reads "000042" as 42.
  CAMOE_ASSIGN_OR_RETURN(
      Statement select,
      db_->Prepare("SELECT COALESCE(MAX(CAST(substr(id, 5) AS INTEGER)), 0) FROM jobs "
                   "WHERE id GLOB 'job-[0-9]*'",
                   "finding the largest job number"));
  CAMOE_ASSIGN_OR_RETURN(bool row, select.Step());
  return row ? select.ColumnInt64(0) : 0;
}

absl::Status JobStore::AppendSteps(const std::string& job_id,
                                   const std::vector<StepReport>& steps) {
  if (steps.empty()) return absl::OkStatus();
  Lock lock(mu_);
  // One transaction per batch: one fsync instead of one per step.
  return InTransaction([&]() -> absl::Status {
    CAMOE_ASSIGN_OR_RETURN(
        Statement insert,
        db_->Prepare("INSERT INTO steps (job_id, step, report) VALUES (?, ?, ?) "
                     "ON CONFLICT (job_id, step) DO UPDATE SET report = excluded.report",
                     absl::StrCat("storing step reports of job ", job_id)));
    for (const StepReport& step : steps) {
      insert.Reset();
      insert.BindText(1, job_id).BindInt64(2, step.step()).BindBlob(3, step.SerializeAsString());
      absl::Status status = insert.Run();
      if (!status.ok()) return MissingJob(status, insert.last_error_code(), job_id, "steps");
    }
    return absl::OkStatus();
  });
}

absl::Status JobStore::AppendEvaluation(const std::string& job_id,
                                        const EvaluationReport& evaluation) {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT INTO evaluations (job_id, step, final, report) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (job_id, step, final) DO UPDATE SET report = excluded.report",
                   absl::StrCat("storing an evaluation of job ", job_id)));
  insert.BindText(1, job_id)
      .BindInt64(2, evaluation.step())
      .BindInt64(3, evaluation.final() ? 1 : 0)
      .BindBlob(4, evaluation.SerializeAsString());
  absl::Status status = insert.Run();
  return MissingJob(status, insert.last_error_code(), job_id, "an evaluation");
}

absl::StatusOr<std::vector<StepReport>> JobStore::Steps(const std::string& job_id,
                                                        int64_t after_step, int limit) {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(
      Statement select,
      db_->Prepare("SELECT report, step FROM steps WHERE job_id = ? AND step > ? ORDER BY step "
                   "LIMIT ?",
                   absl::StrCat("reading step reports of job ", job_id)));
  // LIMIT -1 is SQLite's "no limit".
  select.BindText(1, job_id).BindInt64(2, after_step).BindInt64(3, limit > 0 ? limit : -1);
  std::vector<StepReport> steps;
  while (true) {
    CAMOE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    CAMOE_ASSIGN_OR_RETURN(
        StepReport step,
        Parse<StepReport>(select.ColumnBlob(0), path_,
                          absl::StrCat("step ", select.ColumnInt64(1), " of job ", job_id)));
    steps.push_back(std::move(step));
  }
  return steps;
}

absl::StatusOr<std::vector<EvaluationReport>> JobStore::Evaluations(const std::string& job_id) {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(
      Statement select,
      db_->Prepare("SELECT report, step FROM evaluations WHERE job_id = ? ORDER BY step, final",
                   absl::StrCat("reading evaluations of job ", job_id)));
  select.BindText(1, job_id);
  std::vector<EvaluationReport> evaluations;
  while (true) {
    CAMOE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    CAMOE_ASSIGN_OR_RETURN(
        EvaluationReport evaluation,
        Parse<EvaluationReport>(
            select.ColumnBlob(0), path_,
            absl::StrCat("evaluation at step ", select.ColumnInt64(1), " of job ", job_id)));
    evaluations.push_back(std::move(evaluation));
  }
  return evaluations;
}

absl::Status JobStore::AppendEvent(const std::string& job_id, int64_t time_ms,
                                   const std::string& kind, const std::string& text) {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT INTO events (job_id, time_ms, kind, text) VALUES (?, ?, ?, ?)",
                   absl::StrCat("logging a ", kind, " event of job ", job_id)));
  insert.BindText(1, job_id).BindInt64(2, time_ms).BindText(3, kind).BindText(4, text);
  absl::Status status = insert.Run();
  return MissingJob(status, insert.last_error_code(), job_id, "an event");
}

absl::StatusOr<std::vector<std::tuple<int64_t, std::string, std::string>>> JobStore::Events(
    const std::string& job_id) {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(
      Statement select,
      db_->Prepare("SELECT time_ms, kind, text FROM events WHERE job_id = ? ORDER BY seq",
                   absl::StrCat("reading events of job ", job_id)));
  select.BindText(1, job_id);
  std::vector<std::tuple<int64_t, std::string, std::string>> events;
  while (true) {
    CAMOE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    events.emplace_back(select.ColumnInt64(0), select.ColumnText(1), select.ColumnText(2));
  }
  return events;
}

absl::Status JobStore::UpsertWorker(const Worker& worker) {
  if (worker.id().empty()) return absl::InvalidArgumentError("UpsertWorker: the worker has no id");
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(
      Statement upsert,
      db_->Prepare("INSERT INTO workers (id, worker) VALUES (?, ?) "
                   "ON CONFLICT (id) DO UPDATE SET worker = excluded.worker",
                   absl::StrCat("storing worker ", worker.id())));
  upsert.BindText(1, worker.id()).BindBlob(2, worker.SerializeAsString());
  return upsert.Run();
}

absl::StatusOr<std::vector<Worker>> JobStore::LoadWorkers() {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(Statement select,
                         db_->Prepare("SELECT worker, id FROM workers ORDER BY id",
                                      "loading workers"));
  std::vector<Worker> workers;
  while (true) {
    CAMOE_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    CAMOE_ASSIGN_OR_RETURN(
        Worker worker, Parse<Worker>(select.ColumnBlob(0), path_, "worker " + select.ColumnText(1)));
    workers.push_back(std::move(worker));
  }
  return workers;
}

absl::Status JobStore::DeleteWorker(const std::string& id) {
  Lock lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(Statement remove,
                         db_->Prepare("DELETE FROM workers WHERE id = ?",
                                      absl::StrCat("deleting worker ", id)));
  remove.BindText(1, id);
  return remove.Run();
}

absl::StatusOr<int64_t> JobStore::NextCounter(const std::string& name) {
  Lock lock(mu_);
  // One statement, so the increment is atomic even across processes.
  CAMOE_ASSIGN_OR_RETURN(
      Statement next,
      db_->Prepare("INSERT INTO counters (name, value) VALUES (?, 1) "
                   "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
                   absl::StrCat("incrementing counter ", name)));
  next.BindText(1, name);
  CAMOE_ASSIGN_OR_RETURN(bool row, next.Step());
  if (!row) return absl::InternalError(absl::StrCat(path_, ": counter ", name, " returned no value"));
  const int64_t value = next.ColumnInt64(0);
  // The write commits when the statement runs to completion.
  CAMOE_RETURN_IF_ERROR(next.Run());
  return value;
}

}  // namespace camoe::coordinator
