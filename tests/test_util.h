#pragma once
// Test helpers: temp folders, a fresh database per test on either backend, running the
// `tandem` binary, and a snapshot of everything a command must not change.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tandem/db.h"
#include "tandem/engine.h"
#include "tandem/tandem.h"

namespace tandem::testing {

enum class Kind { kSqlite, kPostgres };
std::string kind_name(const ::testing::TestParamInfo<Kind>& info);

// A temporary folder removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `content` to `name` inside the folder and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;
  void remove(const std::string& name) const;

 private:
  std::string path_;
};

// A fresh, empty database. PostgreSQL: a new database on the server named by
// TANDEM_TEST_PG_URL (started by scripts/test.sh); throws when that is not set — PostgreSQL
// tests never skip.
class TestDb {
 public:
  explicit TestDb(Kind kind);
  ~TestDb();
  Kind kind() const { return kind_; }
  bool pg() const { return kind_ == Kind::kPostgres; }
  const std::string& url() const { return url_; }
  std::unique_ptr<db::Connection> connect() const;
  // First column of the first row, "" for none/NULL; throws on error.
  std::string value(const std::string& sql) const;
  // Runs SQL text (several statements allowed); throws on error.
  void exec(const std::string& sql) const;
  // Everything a refused command must leave unchanged: for SQLite the database file's bytes;
  // for PostgreSQL the catalog of user schemas, the history tables and user table row counts.
  std::string snapshot() const;
  // PostgreSQL: every relation, column (type, NOT NULL, default), constraint, user trigger and
  // schema outside pg_catalog/tandem — for "identical after rollback".
  std::string catalog() const;

 private:
  Kind kind_;
  std::string url_;
  std::string name_;
  std::unique_ptr<TempDir> dir_;
};

// Engine options for a test database and migrations folder, with lock waits kept short.
EngineOptions options_for(const TestDb& db, const TempDir& dir);

struct CmdResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs the built `tandem` binary with `args` and extra environment variables.
CmdResult run_tandem(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {});
// The same, in the working directory `cwd` ("" = the test's).
CmdResult run_tandem_in(const std::string& cwd, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {});
// Runs `tandem --db <db> --dir <dir> args…`.
CmdResult run_tandem_on(const TestDb& db, const TempDir& dir, const std::vector<std::string>& args);
// Runs another program (by path) with `args`.
CmdResult run_program(const std::string& program, const std::vector<std::string>& args);
// Starts it without waiting; stdout/stderr go to `log_path`.
pid_t spawn_tandem(const std::vector<std::string>& args, const std::string& log_path,
                   const std::map<std::string, std::string>& env = {});
// Waits for a spawned process; returns its exit code (128+signal when killed).
int wait_exit(pid_t pid);

std::string read_file(const std::string& path);

// The full path of an installed program found on PATH, "" when there is none.
std::string find_program(const std::string& name);
// The commands `tandem [path…] --help` lists under "Subcommands:", in its order.
std::vector<std::string> help_commands(const std::vector<std::string>& path);

}  // namespace tandem::testing
