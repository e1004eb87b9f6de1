#pragma once
// What `db create`, `db drop` and `db wait` (tandem/database.h) share: the database the URL
// names, the maintenance connection on its server, and what an SQLite path holds.

#include <memory>
#include <string>

#include "tandem/database.h"
#include "tandem/db.h"
#include "tandem/engine.h"

namespace tandem::engine {

// The database `options.db_url` names.
struct AdminTarget {
  db::Url url;
  std::string redacted;  // the URL, safe to print
  // PostgreSQL: the database's name as libpq reads it from the URL ("" when it names none);
  // SQLite: the file.
  std::string name;
  bool pg() const { return url.backend == db::Backend::kPostgres; }
  // A report with database, backend and name filled in.
  DatabaseReport report() const;
};

// Parses the URL. `command` ("create", "drop") names the operation in errors; with
// `need_name`, a PostgreSQL URL must name its database (create and drop never guess it from
// PGDATABASE or the user name) in at most 63 bytes (longer names PostgreSQL would cut), and
// an SQLite URL must name a file (not :memory:).
Result<AdminTarget> admin_target(const EngineOptions& options, const char* command, bool need_name);

// `postgres`, `template0`, `template1`: a server needs them, drop refuses them.
bool is_maintenance_database(const std::string& name);

// A connection to the maintenance database of the target's server: `postgres`, else
// `template1` (a server without `postgres`, or a user without access to it). The error is
// the one for `postgres`.
Result<std::unique_ptr<db::Connection>> connect_maintenance(const AdminTarget& target,
                                                            const char* command,
                                                            int connect_timeout_s);

// Whether the server the connection is on has a database called `name`.
Result<bool> database_exists(db::Connection& maintenance, const std::string& name);

// What is at an SQLite database's path.
enum class SqliteFile { kAbsent, kDatabase, kNotDatabase, kNotFile };
SqliteFile sqlite_file(const std::string& path);

// The error for a path holding something else (kNotDatabase, kNotFile): "<path> is not an
// SQLite database; <outcome>" — `outcome` says what was not done ("" for nothing).
Status not_sqlite_database(const std::string& path, SqliteFile found, const std::string& outcome);

// The folder an SQLite file is in ("." for a bare file name).
std::string sqlite_folder(const std::string& path);

}  // namespace tandem::engine
