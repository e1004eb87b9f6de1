#pragma once
// What every engine command shares: the connection, the lock, the history, the migrations
// folder split into statements, and the checks of the folder against the history.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "engine/advisory_lock.h"
#include "engine/hooks.h"
#include "engine/state.h"
#include "tandem/engine.h"
#include "tandem/env.h"

namespace tandem {

// A connected engine command. Session-level settings (search_path, dead-client detection)
// are applied at open; the lock is taken only when asked.
struct Session {
  EngineOptions options;
  Hooks hooks;          // formats and gates of the layers above
  std::string command;  // the tandem command this session runs ("up", "start", …)
  // The session's own connection, or the embedding program's (EngineOptions::connection).
  std::shared_ptr<db::Connection> conn;
  // The program's connection: its session settings before tandem changed them, set back when
  // the session ends.
  std::vector<std::pair<std::string, std::string>> restore;
  ~Session();
  std::unique_ptr<AdvisoryLock> lock;
  std::unique_ptr<State> state;
  std::mt19937 rng{std::random_device{}()};
  // PostgreSQL session settings tandem relies on (search_path for --schema, dead-client
  // detection); re-applied after a non-transactional migration, which may have run DISCARD ALL.
  std::string session_setup;

  db::Backend backend() const { return conn->backend(); }
  Env& env() const { return options.env ? *options.env : *Env::Default(); }
  bool pg() const { return backend() == db::Backend::kPostgres; }
  void log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  // `command` names the process in pg_stat_activity ("tandem up (pid 123@host)").
  static Result<std::unique_ptr<Session>> open(const EngineOptions& options, const Hooks& hooks,
                                               const std::string& command, bool take_lock);
  // open() for a command that exists only on PostgreSQL; on another database an error
  // "`tandem <command>` needs PostgreSQL: <why>" with `hint`, before connecting.
  static Result<std::unique_ptr<Session>> open_postgres(const EngineOptions& options,
                                                        const Hooks& hooks,
                                                        const std::string& command, bool take_lock,
                                                        const std::string& why,
                                                        const std::string& hint = {});
  // `SET [LOCAL] lock_timeout …; SET [LOCAL] statement_timeout …;` from the options.
  std::string timeouts_sql(bool local) const;
  // Sleeps before retry `attempt` of `what`, which hit lock_timeout: exponential backoff from
  // options.retry_base_ms, capped at 10 s, with jitter; logs it with `detail`.
  void wait_before_retry(const std::string& what, int attempt, const std::string& detail = {});
  // Runs `fn` until it succeeds, fails with something other than a lock_timeout, or has been
  // retried options.lock_retries times (waiting before each retry as above).
  Status with_lock_retries(const std::string& what, const std::function<Status()>& fn);
  // BEGIN, `fn`, then COMMIT — or ROLLBACK and fn's error.
  Status in_transaction(const std::function<Status()>& fn);

  // SQLite: switch a rollback-journal database to WAL unless options.sqlite_keep_journal.
  // Call outside a transaction, only once the command is sure to write.
  Status use_wal_if_allowed();
  // Creates the history tables and the managed schema if missing (call with the lock held,
  // before the command's first write). PostgreSQL: also takes the next lock epoch, which
  // fence() checks from then on.
  Status ensure_state();

  // Ok while this process still holds the migration lock (asks the lock connection). Called
  // before every step and every backfill batch; when the lock is gone nothing more is written.
  Status check_lock();
  // Inside a write transaction on PostgreSQL: proves that no other process has taken the
  // migration lock since ensure_state() (the lock epoch is still ours) and holds a share lock
  // on it until the transaction ends, so a new holder's epoch bump waits for this transaction
  // and then sees everything it wrote. Outside a transaction it is only the check.
  Status fence();
  // The lock epoch this session writes under ("" on SQLite, and on PostgreSQL until the
  // lock is taken on a database that has tandem's state).
  std::string lock_epoch;
  // Counts one more lock holder in tandem.meta and makes it ours (PostgreSQL, lock held).
  Status take_lock_epoch();
  // With the lock just taken (PostgreSQL): waits, up to lock_wait_ms, until no statement of
  // another writing tandem command is still running (one killed mid-statement keeps running
  // on the server until the server notices); LockNotAcquired when it does not end.
  Status wait_for_previous_holder();
};

// Milliseconds since `start` on the steady clock.
inline long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// The folder read and every section split for one backend.
struct PreparedSet {
  MigrationSet set;
  std::map<std::string, std::vector<Statement>> up;    // by version
  std::map<std::string, std::vector<Statement>> down;  // by version
  // Declarative migrations whose operations cannot be reverted, with the reason.
  std::map<std::string, Problem> down_unavailable;
  const Migration* find(const std::string& version) const;
};

// Reads the folder with the session's formats and splits every migration for its backend; every
// file and statement problem lands in set.problems.
PreparedSet prepare(Session& s);

struct HistoryCheck {
  bool allow_out_of_order = false;
  // A failed/interrupted row in this direction is expected (the user asked to resume it).
  std::optional<Direction> resuming;
};

// Problems of the folder against the history: changed or missing files, failed runs,
// out-of-order pending versions.
std::vector<Problem> check_history(const PreparedSet& prepared, const std::vector<HistoryRow>& rows,
                                   const HistoryCheck& check);

// Whether a migration must run statement by statement outside a transaction: its statements
// need it, or `row` (the history row a pick continues, may be null) is a failed or interrupted
// run that went statement by statement — its progress counts statements. How an applied
// migration was applied says nothing about how its down runs.
bool runs_outside_transaction(const Migration& m, const std::vector<Statement>& statements,
                              const HistoryRow* row = nullptr);

// Highest applied version in `rows`, "" when none.
std::string current_version(const std::vector<HistoryRow>& rows);

// `options` for a command that only reads (plan, validate): a SQLite file that does not exist
// yet is read as the empty database `up` would create — an in-memory one, so the file is not
// created — and the log says so (`what`: "planned", "validated").
Result<EngineOptions> missing_sqlite_as_empty(const EngineOptions& options, const char* what);

}  // namespace tandem
