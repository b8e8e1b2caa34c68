// A thin C++ layer over one SQLite connection for the coordinator's store:
// SqliteDb owns the connection and a cache of prepared statements; Statement is
// a borrowed handle on one cached statement that resets itself when it goes out
// of scope, so the next user finds it clean. Every SQLite error becomes an
// absl::Status that names the database file, what the statement was for and
// sqlite3_errmsg. Not thread-safe: JobStore serialises all use behind its mutex.
// Private to coordinator/store (JobStore's header does not expose SQLite).
#ifndef CAMOE_COORDINATOR_STORE_SQLITE_H_
#define CAMOE_COORDINATOR_STORE_SQLITE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace camoe::coordinator {

class SqliteDb;

// One prepared statement in use. Bind parameters (1-based), then Step() or Run().
// Destruction resets the statement and clears its bindings.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& BindInt64(int index, int64_t value);
  Statement& BindText(int index, const std::string& value);
  Statement& BindBlob(int index, const std::string& value);

  // true: a row is ready for the Column* getters; false: the statement is done.
  absl::StatusOr<bool> Step();
  // Steps until done, for statements without result rows.
  absl::Status Run();
  // Makes the statement runnable again with new bindings (for loops).
  void Reset();

  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;

  // The extended result code of the last failed Step (0 when none failed), so a
  // caller can tell a UNIQUE from a FOREIGN KEY constraint.
  int last_error_code() const { return last_error_code_; }

 private:
  friend class SqliteDb;
  Statement(SqliteDb* db, sqlite3_stmt* stmt, bool* in_use, std::string purpose);

  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;  // the cache's flag; null for an uncached statement (finalised on destruction)
  std::string purpose_;
  int bind_error_ = 0;
  int last_error_code_ = 0;
};

class SqliteDb {
 public:
  // Opens or creates `path` read-write. The connection is not yet checked to be
  // a database: SQLite reads the file lazily, so the first statement reports that.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                        int busy_timeout_ms);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows we need.
  absl::Status Exec(const std::string& sql, const std::string& purpose);

  // The cached prepared statement for `sql`. If that statement is still in use
  // further up the stack, a fresh uncached one is prepared instead.
  absl::StatusOr<Statement> Prepare(const std::string& sql, const std::string& purpose);

  // "<path>: <purpose> failed: <sqlite message> (<code>)" plus what to do, with
  // an absl code chosen from the SQLite result code (see sqlite.cc).
  absl::Status Error(int rc, const std::string& purpose) const;

  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes() const;
  // Whether no transaction is open (SQLite rolls back by itself on some errors).
  bool autocommit() const;
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  sqlite3* db_;
  std::string path_;
  // std::map never moves its values, so Statement may point at `in_use`.
  std::map<std::string, Cached> cache_;
};

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_STORE_SQLITE_H_
