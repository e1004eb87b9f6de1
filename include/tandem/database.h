#pragma once
// The database itself: create it, drop it, wait for its server (`tandem db create|drop|wait`,
// as dbmate's). Each takes the database from EngineOptions::db_url; PostgreSQL's create and
// drop run on a maintenance database of the same server (`postgres`, else `template1`),
// reached with the URL's host, port, user, password and sslmode — the URL is never rewritten.
// Re-running converges: creating what exists and dropping what does not are not errors.

#include <string>
#include <vector>

#include "tandem/engine.h"
#include "tandem/status.h"

namespace tandem {

// PostgreSQL only (refused on SQLite): CREATE DATABASE … WITH OWNER / TEMPLATE / ENCODING.
// "" leaves each to the server.
struct CreateDatabaseOptions {
  std::string owner;
  std::string template_name;
  std::string encoding;
};

struct DropDatabaseOptions {
  // Must be true: dropping deletes every table and row. False is refused (kInvalidInput),
  // naming what would be dropped, before anything connects.
  bool confirmed = false;
  // PostgreSQL 13+: end the other sessions on the database (DROP DATABASE … WITH (FORCE)).
  // Without it a database with other sessions is refused, naming how many.
  bool force = false;
};

struct WaitOptions {
  int timeout_ms = 60000;  // give up after this long (kDatabase, with the last error)
  int retry_ms = 500;      // pause between attempts
};

// What create, drop and wait did.
struct DatabaseReport {
  std::string database;  // the redacted URL
  std::string backend;   // "postgres" | "sqlite"
  std::string name;      // PostgreSQL: the database's name; SQLite: the file
  // create: "created" | "exists"; drop: "dropped" | "absent"; wait: "ready".
  std::string outcome;
  // wait: false when the server accepts connections but the database is not created yet
  // (SQLite: the file does not exist, its folder is writable).
  bool exists = true;
  int sessions_ended = 0;                  // drop --force: the other sessions it ended
  std::vector<std::string> files_removed;  // SQLite drop: the file and its -wal/-shm/-journal
  int attempts = 0;                        // wait: connection attempts made
  long long elapsed_ms = 0;
};

// Creates the database. PostgreSQL: CREATE DATABASE with the name quoted, from the maintenance
// database; needs the CREATEDB privilege. SQLite: the file (its folder must exist).
Result<DatabaseReport> create_database(const EngineOptions& options,
                                       const CreateDatabaseOptions& how = {});

// Drops the database, only with how.confirmed. PostgreSQL: refuses `postgres`, `template0` and
// `template1`, and a database other sessions use unless how.force. SQLite: removes the file and
// its -wal, -shm and -journal files; refuses a file that is not an SQLite database.
Result<DatabaseReport> drop_database(const EngineOptions& options, const DropDatabaseOptions& how);

// Tries to connect until it works or how.timeout_ms passes; logs "waiting for …" through
// options.log at most once a second. Ready when the database accepts a connection, or when
// the server does and the database does not exist yet (so `create_database` can run next).
Result<DatabaseReport> wait_for_database(const EngineOptions& options, const WaitOptions& how = {});

}  // namespace tandem
