#include "coordinator/store/sqlite.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace camoe::coordinator {
namespace {

// What the operator can do about each class of failure; the absl code lets
// callers (and gRPC handlers above them) react without parsing messages.
absl::Status MakeStatus(int rc, const std::string& message) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(message);
      }
      return absl::FailedPreconditionError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(absl::StrCat(
          message, "; another process holds the database: stop the other coordinator "
                   "using this file or give this one its own"));
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return absl::DataLossError(absl::StrCat(
          message, "; the file is not a camoe store or is damaged: move it aside (the "
                   "coordinator then starts empty) or restore it from a backup"));
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(
          absl::StrCat(message, "; the disk is full: free space and retry"));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(
          absl::StrCat(message, "; make the file and its folder writable by the coordinator"));
    case SQLITE_CANTOPEN:
      return absl::FailedPreconditionError(absl::StrCat(
          message, "; check that the folder exists and the coordinator may write there"));
    case SQLITE_IOERR:
      return absl::UnavailableError(
          absl::StrCat(message, "; an I/O error: check the disk and the file system"));
    default:
      return absl::InternalError(message);
  }
}

}  // namespace

Statement::Statement(SqliteDb* db, sqlite3_stmt* stmt, bool* in_use, std::string purpose)
    : db_(db), stmt_(stmt), in_use_(in_use), purpose_(std::move(purpose)) {
  if (in_use_ != nullptr) *in_use_ = true;
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(other.stmt_),
      in_use_(other.in_use_),
      purpose_(std::move(other.purpose_)),
      bind_error_(other.bind_error_),
      last_error_code_(other.last_error_code_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  // Reset ends an unfinished read, releasing its lock; the next user rebinds.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

// Bind errors (a wrong index, a value over SQLite's size limit) are remembered
// and reported by the next Step, so call sites stay a chain of Binds.
Statement& Statement::BindInt64(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindText(int index, const std::string& value) {
  int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindBlob(int index, const std::string& value) {
  // A zero-length blob must not bind as NULL (the columns are NOT NULL).
  static const char kEmpty = 0;
  int rc = sqlite3_bind_blob64(stmt_, index, value.empty() ? &kEmpty : value.data(),
                               value.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  if (bind_error_ != 0) {
    last_error_code_ = bind_error_;
    return db_->Error(bind_error_, absl::StrCat(purpose_, " (binding parameters)"));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  last_error_code_ = rc;
  return db_->Error(rc, purpose_);
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

void Statement::Reset() { sqlite3_reset(stmt_); }

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, column));
}

std::string Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return "";
  return std::string(static_cast<const char*>(blob), sqlite3_column_bytes(stmt_, column));
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path,
                                                         int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return MakeStatus(rc, absl::StrCat(path, ": opening the job store failed: ", message));
  }
  // Extended codes tell UNIQUE from FOREIGN KEY violations.
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db, path));
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

absl::Status SqliteDb::Exec(const std::string& sql, const std::string& purpose) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return absl::OkStatus();
  std::string text = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  const std::string code = sqlite3_errstr(rc);
  return MakeStatus(rc, absl::StrCat(path_, ": ", purpose, " failed: ", text,
                                     text == code ? "" : " (" + code + ")"));
}

absl::StatusOr<Statement> SqliteDb::Prepare(const std::string& sql, const std::string& purpose) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    return Statement(this, it->second.stmt, &it->second.in_use, purpose);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, absl::StrCat(purpose, " (preparing)"));
  }
  if (it != cache_.end()) return Statement(this, stmt, nullptr, purpose);  // nested use
  Cached& cached = cache_[sql];
  cached.stmt = stmt;
  return Statement(this, stmt, &cached.in_use, purpose);
}

absl::Status SqliteDb::Error(int rc, const std::string& purpose) const {
  // errmsg is often more specific than errstr ("UNIQUE constraint failed:
  // jobs.id" vs "constraint failed"); print the code's text only when it differs.
  const std::string message = sqlite3_errmsg(db_);
  const std::string code = sqlite3_errstr(rc);
  return MakeStatus(rc, absl::StrCat(path_, ": ", purpose, " failed: ", message,
                                     message == code ? "" : " (" + code + ")"));
}

int64_t SqliteDb::changes() const { return sqlite3_changes64(db_); }

bool SqliteDb::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

}  // namespace camoe::coordinator
