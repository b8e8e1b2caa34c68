#include "coordinator/store/migrations.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace camoe::coordinator {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<int> CurrentVersion(SqliteDb& db) {
  CAMOE_ASSIGN_OR_RETURN(
      Statement select,
      db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                 "reading the schema version"));
  CAMOE_ASSIGN_OR_RETURN(bool row, select.Step());
  return row ? static_cast<int>(select.ColumnInt64(0)) : 0;
}

// A store's file is only ever created by this code, so a database that has
// tables but no schema_migrations belongs to something else; migrating it would
// mix our tables into it.
absl::Status CheckNotForeign(SqliteDb& db) {
  CAMOE_ASSIGN_OR_RETURN(
      Statement tables,
      db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                 "'sqlite_%' ORDER BY name",
                 "listing tables"));
  std::vector<std::string> names;
  bool has_migrations = false;
  while (true) {
    CAMOE_ASSIGN_OR_RETURN(bool row, tables.Step());
    if (!row) break;
    names.push_back(tables.ColumnText(0));
    if (names.back() == "schema_migrations") has_migrations = true;
  }
  if (names.empty() || has_migrations) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      db.path(), " is an SQLite database of some other program (tables: ",
      absl::StrJoin(names, ", "), "), not a camoe job store: give the coordinator a new file"));
}

absl::Status ApplyOne(SqliteDb& db, const Migration& migration) {
  const std::string purpose = absl::StrCat("applying schema migration ", migration.version,
                                           " (", migration.description, ")");
  // IMMEDIATE takes the write lock first, so two coordinators started on one file
  // cannot both apply the same migration: the second re-reads the version below.
  CAMOE_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE", purpose));
  absl::Status status = [&]() -> absl::Status {
    CAMOE_ASSIGN_OR_RETURN(int current, CurrentVersion(db));
    if (current >= migration.version) return absl::OkStatus();
    CAMOE_RETURN_IF_ERROR(db.Exec(migration.sql, purpose));
    CAMOE_ASSIGN_OR_RETURN(
        Statement record,
        db.Prepare("INSERT INTO schema_migrations (version, description, applied_ms) "
                   "VALUES (?, ?, ?)",
                   purpose));
    record.BindInt64(1, migration.version).BindText(2, migration.description).BindInt64(3, NowMs());
    return record.Run();
  }();
  if (status.ok()) status = db.Exec("COMMIT", purpose);
  if (!status.ok()) {
    if (!db.autocommit()) db.Exec("ROLLBACK", purpose).IgnoreError();
    return absl::Status(status.code(),
                        absl::StrCat(status.message(), " (the database is left at version ",
                                     migration.version - 1, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

// Note [Schema]: jobs are stored whole, as serialized camoe.Job messages, so a
// new Job field needs no migration; the plain columns exist only to be indexed
// and filtered on and are rewritten from the message on every write. Metrics
// rows reference their job, and foreign keys are on, so metrics can never
// outlive or precede the job they belong to.
const std::vector<Migration>& SchemaMigrations() {
  static const std::vector<Migration>* migrations = new std::vector<Migration>{
      {1, "jobs, metrics, workers and counters", R"sql(
        CREATE TABLE jobs (
          id TEXT PRIMARY KEY,
          state INTEGER NOT NULL,
          client_request_id TEXT NOT NULL DEFAULT '',
          priority INTEGER NOT NULL DEFAULT 0,
          submit_time_ms INTEGER NOT NULL,
          update_time_ms INTEGER NOT NULL,
          job BLOB NOT NULL);
        -- Idempotent submission: one job per non-empty client request id.
        CREATE UNIQUE INDEX jobs_by_request_id ON jobs (client_request_id)
          WHERE client_request_id <> '';
        CREATE INDEX jobs_by_submit_time ON jobs (submit_time_ms, id);
        CREATE TABLE steps (
          job_id TEXT NOT NULL REFERENCES jobs (id),
          step INTEGER NOT NULL,
          report BLOB NOT NULL,
          PRIMARY KEY (job_id, step)) WITHOUT ROWID;
        CREATE TABLE evaluations (
          job_id TEXT NOT NULL REFERENCES jobs (id),
          step INTEGER NOT NULL,
          final INTEGER NOT NULL,
          report BLOB NOT NULL,
          PRIMARY KEY (job_id, step, final)) WITHOUT ROWID;
        CREATE TABLE workers (
          id TEXT PRIMARY KEY,
          worker BLOB NOT NULL);
        CREATE TABLE counters (
          name TEXT PRIMARY KEY,
          value INTEGER NOT NULL);
      )sql"},
      {2, "job events and listing by state", R"sql(
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          job_id TEXT NOT NULL REFERENCES jobs (id),
          time_ms INTEGER NOT NULL,
          kind TEXT NOT NULL,
          text TEXT NOT NULL);
        CREATE INDEX events_by_job ON events (job_id, seq);
        CREATE INDEX jobs_by_state ON jobs (state, submit_time_ms, id);
      )sql"},
  };
  return *migrations;
}

absl::StatusOr<int> ApplyMigrations(SqliteDb& db, int target_version) {
  const std::vector<Migration>& migrations = SchemaMigrations();
  const int latest = static_cast<int>(migrations.size());
  if (target_version <= 0 || target_version > latest) target_version = latest;

  CAMOE_RETURN_IF_ERROR(CheckNotForeign(db));
  CAMOE_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_ms INTEGER NOT NULL)",
      "creating the schema_migrations table"));
  CAMOE_ASSIGN_OR_RETURN(int current, CurrentVersion(db));
  if (current > latest) {
    return absl::FailedPreconditionError(absl::StrCat(
        db.path(), " has schema version ", current, " but this coordinator knows versions up to ",
        latest, ": run the newer coordinator that wrote it, or restore a backup from before "
                "the upgrade"));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= current || migration.version > target_version) continue;
    CAMOE_RETURN_IF_ERROR(ApplyOne(db, migration));
    current = migration.version;
  }
  return current;
}

}  // namespace camoe::coordinator
