// The job store's schema as an ordered list of migrations, and the code that
// brings a database up to date. Version N is the N-th entry; a database records
// the versions applied to it in `schema_migrations`. Migrations are append-only:
// once released, an entry is never edited (old databases have already run it);
// a change is a new entry. Stateless; callers serialise use of the connection.
#ifndef CAMOE_COORDINATOR_STORE_MIGRATIONS_H_
#define CAMOE_COORDINATOR_STORE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coordinator/store/sqlite.h"

namespace camoe::coordinator {

struct Migration {
  int version = 0;           // 1, 2, ...: the position in the list
  std::string description;   // recorded in schema_migrations
  std::string sql;           // one or more statements, run in one transaction
};

// Every migration this code knows, oldest first.
const std::vector<Migration>& SchemaMigrations();

// Applies the missing migrations up to `target_version` (0: the newest), each in
// its own BEGIN IMMEDIATE transaction together with its schema_migrations row,
// so a crash leaves the database at some whole version. Returns the version the
// database is at. FailedPrecondition when the database is newer than this code
// or is some other application's SQLite file.
absl::StatusOr<int> ApplyMigrations(SqliteDb& db, int target_version);

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_STORE_MIGRATIONS_H_
