#pragma once
// A throwaway database next to the one --db names, for `tandem drift` to replay the migrations
// into: PostgreSQL, a new database on the same server; SQLite, a file in a new temporary
// folder. Dropped by the destructor, whatever happened in between.

#include <memory>
#include <string>

#include "tandem/engine.h"
#include "tandem/status.h"

namespace tandem::engine {

class ScratchDatabase {
 public:
  // Creates it. PostgreSQL: CREATE DATABASE tandem_drift_<random> from the maintenance
  // database of the server `options.db_url` is on (the user needs CREATEDB); SQLite: a file in
  // a new folder under the system's temporary folder.
  static Result<std::unique_ptr<ScratchDatabase>> create(const EngineOptions& options);
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  // Drops it (PostgreSQL: DROP DATABASE … WITH (FORCE) from the maintenance database;
  // SQLite: removes the folder). Errors are logged through `log`, never thrown.
  ~ScratchDatabase();

  // The URL to reach it: --db's with the database (PostgreSQL) or path (SQLite) replaced.
  // Holds --db's password: never print it, print name().
  const std::string& url() const { return url_; }
  // The database's name (PostgreSQL) or the file's path (SQLite).
  const std::string& name() const { return name_; }
  // Drops it now; ok when it is gone (also when it was already).
  Status drop();

 private:
  ScratchDatabase() = default;
  EngineOptions options_;
  std::string url_, name_, folder_;
  bool pg_ = false, dropped_ = false;
};

// `url` (a PostgreSQL URI or key=value string) reaching database `name` instead of its own,
// everything else as it was; libpq takes the last dbname it is given.
std::string url_with_database(const std::string& url, const std::string& name);

}  // namespace tandem::engine
