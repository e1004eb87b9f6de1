// Opening an engine session; preparing the folder; checking it against the history.

#include "engine/session.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "engine/limits.h"

namespace tandem {

const Migration* PreparedSet::find(const std::string& version) const {
  auto it = std::lower_bound(
      set.migrations.begin(), set.migrations.end(), version,
      [](const Migration& m, const std::string& v) { return compare_versions(m.version, v) < 0; });
  return it != set.migrations.end() && it->version == version ? &*it : nullptr;
}

Result<std::unique_ptr<Session>> Session::open_postgres(const EngineOptions& options,
                                                        const Hooks& hooks,
                                                        const std::string& command, bool take_lock,
                                                        const std::string& why,
                                                        const std::string& hint) {
  TANDEM_ASSIGN_OR_RETURN(db::Url url, db::parse_url(options.db_url));
  if (url.backend != db::Backend::kPostgres) {
    return Status::InvalidInput(fmt::format("`tandem {}` needs PostgreSQL: {}", command, why),
                                hint);
  }
  return open(options, hooks, command, take_lock);
}

Session::~Session() {
  if (!conn || restore.empty()) return;
  for (const auto& [name, value] : restore)
    (void)conn->query("SELECT set_config($1, $2, false)", {name, value});
}

Result<std::unique_ptr<Session>> Session::open(const EngineOptions& options, const Hooks& hooks,
                                               const std::string& command, bool take_lock) {
  auto s = std::make_unique<Session>();
  s->options = options;
  s->hooks = hooks;
  s->command = command;
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  db::ConnectOptions copts;
  copts.application_name = fmt::format("tandem {} (pid {}@{})", command, getpid(), host);
  copts.busy_timeout_ms = options.lock_wait_ms;
  copts.connect_timeout_s = options.connect_timeout_s;
  copts.create = take_lock;  // only commands that write may create a SQLite file
  if (options.connection) {
    s->conn = options.connection;
    // The program's connection is given back with the settings it had (~Session).
    if (s->pg()) {
      TANDEM_ASSIGN_OR_RETURN(
          db::Rows was,
          s->conn->query(
              "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])",
              {"{lock_timeout,statement_timeout,search_path,idle_session_timeout,"
               "idle_in_transaction_session_timeout,client_connection_check_interval}"}));
      for (size_t i = 0; i < was.size(); ++i)
        s->restore.emplace_back(was.text(i, 0), was.text(i, 1));
    }
  } else {
    TANDEM_ASSIGN_OR_RETURN(s->conn, db::connect(options.db_url, copts));
  }
  if (s->pg()) {
    std::string setup;
    // If tandem is killed mid-statement, the server notices the dead client within a second
    // and cancels the statement instead of holding its locks until it finishes (14+).
    if (s->conn->server_version() >= 140000)
      setup += "SET client_connection_check_interval = '1s';";
    // A migration may pause between steps (throttles, lock retries): a database-wide
    // idle_session_timeout must not end the session in the middle of it.
    if (take_lock) {
      setup += "SET idle_in_transaction_session_timeout = 0;";
      if (s->conn->server_version() >= 140000) setup += "SET idle_session_timeout = 0;";
    }
    if (options.schema != "public")
      setup += fmt::format("SET search_path TO {}, public;", db::quote_ident(options.schema));
    s->session_setup = setup;
    if (!setup.empty()) TANDEM_RETURN_IF_ERROR(s->conn->execute_script(setup));
  }
  // Full durability on SQLite: every COMMIT is fsync'd, in any journal mode.
  if (!s->pg() && take_lock) TANDEM_RETURN_IF_ERROR(s->conn->execute("PRAGMA synchronous = FULL"));
  s->state = std::make_unique<State>(*s->conn, s->env());
  if (take_lock) {
    db::ConnectOptions lock_copts = copts;
    lock_copts.application_name += " lock";
    TANDEM_ASSIGN_OR_RETURN(s->lock, AdvisoryLock::acquire(options.db_url, lock_copts,
                                                           options.lock_wait_ms, options.log));
    // Before reading any state: a previous holder that lost the lock may still have a write in
    // flight. (A database without tandem's state has had no previous holder writing to it.)
    if (s->pg()) {
      TANDEM_RETURN_IF_ERROR(s->wait_for_previous_holder());
      TANDEM_ASSIGN_OR_RETURN(db::Rows meta,
                              s->conn->query("SELECT to_regclass('tandem.meta') IS NOT NULL"));
      if (meta.text(0, 0) == "t") TANDEM_RETURN_IF_ERROR(s->take_lock_epoch());
    }
  }
  return s;
}

std::string Session::timeouts_sql(bool local) const {
  return fmt::format("SET {0}lock_timeout = '{1}ms'; SET {0}statement_timeout = '{2}ms';",
                     local ? "LOCAL " : "", options.lock_timeout_ms, options.statement_timeout_ms);
}

void Session::wait_before_retry(const std::string& what, int attempt, const std::string& detail) {
  long long cap = std::min<long long>(10000, static_cast<long long>(options.retry_base_ms)
                                                 << std::min(attempt, 16));
  long long wait = std::uniform_int_distribution<long long>(cap / 2, cap)(rng);
  log(fmt::format("{} hit lock_timeout{}; retry {}/{} in {} ms", what,
                  detail.empty() ? "" : " (" + detail + ")", attempt + 1, options.lock_retries,
                  wait));
  std::this_thread::sleep_for(std::chrono::milliseconds(wait));
}

Status Session::with_lock_retries(const std::string& what, const std::function<Status()>& fn) {
  for (int attempt = 0;; ++attempt) {
    Status st = fn();
    if (st.ok() || !st.is_lock_timeout() || attempt >= options.lock_retries) return st;
    wait_before_retry(what, attempt);
  }
}

Status Session::in_transaction(const std::function<Status()>& fn) {
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*conn));
  TANDEM_RETURN_IF_ERROR(fn());
  return tx.commit();
}

Status Session::use_wal_if_allowed() {
  if (pg() || options.sqlite_keep_journal) return Status::Ok();
  TANDEM_ASSIGN_OR_RETURN(db::Rows mode, conn->query("PRAGMA journal_mode"));
  std::string m = mode.text(0, 0);
  if (m == "delete" || m == "truncate" || m == "persist") {
    // In a rollback-journal mode every commit blocks the application's readers and costs
    // several fsyncs; WAL lets readers go on during a migration and commits with one fsync.
    // Switching needs a moment of exclusive access; if another process holds the database,
    // migrate in the current mode rather than fail: WAL is about speed, not correctness.
    auto now = conn->query("PRAGMA journal_mode = WAL");
    if (!now.ok() || now->text(0, 0) != "wal") {
      log(fmt::format("{}: could not switch to WAL ({}); continuing in journal_mode {}",
                      conn->describe(), now.ok() ? "database busy" : now.status().message(), m));
    } else {
      log(fmt::format(
          "{}: switched journal_mode from {} to wal (readers are not blocked during migrations); "
          "pass --sqlite-keep-journal to keep {}",
          conn->describe(), m, m));
    }
  }
  return Status::Ok();
}

Status Session::ensure_state() {
  TANDEM_RETURN_IF_ERROR(state->ensure());
  if (pg() && options.schema != "public") {
    TANDEM_RETURN_IF_ERROR(conn->execute(
        fmt::format("CREATE SCHEMA IF NOT EXISTS {}", db::quote_ident(options.schema))));
  }
  return take_lock_epoch();
}

Status Session::wait_for_previous_holder() {
  // A tandem killed in the middle of a statement loses the lock at once (its lock connection
  // closes), but the statement itself runs on until the server notices its client is gone —
  // a CREATE INDEX CONCURRENTLY the next run would drop and rebuild under it ("tuple
  // concurrently updated"). Writing commands' backends still active are waited for.
  const auto start = std::chrono::steady_clock::now();
  bool logged = false;
  for (;;) {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows busy,
        conn->query(
            "SELECT pid, application_name FROM pg_stat_activity WHERE datname = "
            "current_database() AND pid <> pg_backend_pid() AND state = 'active' AND "
            "application_name ~ '^tandem (up|down|start|complete|rollback|baseline|"
            "repair|import|backfill resume) \\(pid ' AND application_name NOT LIKE '% lock' "
            "ORDER BY pid"));
    if (busy.empty()) return Status::Ok();
    std::string who = fmt::format("pid {} ({})", busy.text(0, 0), busy.text(0, 1));
    if (ms_since(start) > options.lock_wait_ms) {
      return Status::LockNotAcquired(
          fmt::format("a statement of a previous tandem is still running on the server: {}", who),
          "it ends once the server notices its client is gone; or end it with "
          "pg_cancel_backend(pid), then run the command again");
    }
    if (!logged) log("waiting for a statement of a previous tandem to end: " + who);
    logged = true;
    env().sleep_for(std::chrono::milliseconds(100));
  }
}

Status Session::take_lock_epoch() {
  if (!pg() || !lock || !lock_epoch.empty()) return Status::Ok();
  // Waits for any transaction of a previous holder still fencing with the old epoch (its
  // batch in flight when it lost the lock): what this process reads next includes it.
  TANDEM_ASSIGN_OR_RETURN(lock_epoch, state->next_lock_epoch());
  return Status::Ok();
}

Status Session::check_lock() { return lock ? lock->check() : Status::Ok(); }

Status Session::fence() {
  TANDEM_RETURN_IF_ERROR(check_lock());
  if (!pg() || lock_epoch.empty()) return Status::Ok();
  TANDEM_ASSIGN_OR_RETURN(std::string now, state->current_lock_epoch());
  if (now != lock_epoch) {
    return Status::LockNotAcquired(
        fmt::format("the migration lock was lost: another tandem process took it (lock epoch {} "
                    "→ {}); stopped before the next write",
                    lock_epoch, now.empty() ? "none" : now),
        "everything done so far is committed and recorded; `tandem status` shows where it "
        "stands — run the command again once the other process has finished");
  }
  return Status::Ok();
}

PreparedSet prepare(Session& s) {
  PreparedSet p;
  const InputLimits& limits = s.options.limits;
  p.set = load_migrations(s.options.dir, s.hooks.formats, limits);
  db::Backend backend = s.backend();
  // Statements a format generated beyond limits.max_statements (an SQL file's splitting stops
  // there by itself).
  auto at_most = [&](const Migration& m, Direction dir, std::vector<Statement>& stmts) {
    size_t max = static_cast<size_t>(std::max(limits.max_statements, 0));
    if (stmts.size() <= max) return;
    p.set.problems.push_back(too_many_statements(m.path, dir, stmts[max], limits.max_statements));
    stmts.resize(max);
  };
  for (const Migration& m : p.set.migrations) {
    if (m.body) {
      for (Problem& bad : m.body->check(m, backend)) p.set.problems.push_back(std::move(bad));
      // A migration `up` applies by a procedure of its own has no statements to split here.
      p.up[m.version] = m.body->procedure(backend) != nullptr
                            ? std::vector<Statement>{}
                            : m.body->statements(m, Direction::kUp, *s.conn, p.set.problems);
      at_most(m, Direction::kUp, p.up[m.version]);
      // One that cannot be reverted is a problem only for `down`.
      std::vector<Problem> down_problems;
      p.down[m.version] = m.body->statements(m, Direction::kDown, *s.conn, down_problems);
      if (!down_problems.empty()) {
        p.down_unavailable[m.version] = down_problems.front();
        p.down[m.version].clear();
      }
      at_most(m, Direction::kDown, p.down[m.version]);
      continue;
    }
    p.up[m.version] =
        split_statements(backend, m, Direction::kUp, p.set.problems, limits.max_statements);
    p.down[m.version] =
        split_statements(backend, m, Direction::kDown, p.set.problems, limits.max_statements);
  }
  return p;
}

bool runs_outside_transaction(const Migration& m, const std::vector<Statement>& statements,
                              const HistoryRow* row) {
  if (m.no_transaction) return true;
  if (row != nullptr && !row->transactional &&
      (row->status == RunStatus::kFailed || row->status == RunStatus::kRunning)) {
    return true;
  }
  for (const Statement& s : statements) {
    if (!s.transactional) return true;
  }
  return false;
}

std::string current_version(const std::vector<HistoryRow>& rows) {
  std::string best;
  for (const HistoryRow& r : rows) {
    if (r.status != RunStatus::kApplied && r.status != RunStatus::kBaseline) continue;
    if (best.empty() || compare_versions(r.version, best) > 0) best = r.version;
  }
  return best;
}

Result<EngineOptions> missing_sqlite_as_empty(const EngineOptions& options, const char* what) {
  EngineOptions out = options;
  if (options.connection) return out;
  TANDEM_ASSIGN_OR_RETURN(db::Url url, db::parse_url(options.db_url));
  if (url.backend != db::Backend::kSqlite || url.target == ":memory:" ||
      url.target.rfind("file:", 0) == 0 || std::filesystem::exists(url.target)) {
    return out;
  }
  if (options.log) {
    options.log(
        fmt::format("sqlite:{} does not exist yet: {} against an empty database (`tandem "
                    "up` creates the file)",
                    url.target, what));
  }
  out.db_url = "sqlite::memory:";
  return out;
}

std::vector<Problem> check_history(const PreparedSet& prepared, const std::vector<HistoryRow>& rows,
                                   const HistoryCheck& check) {
  std::vector<Problem> problems;
  std::set<std::string> known;
  std::string newest;
  for (const HistoryRow& r : rows) {
    known.insert(r.version);
    if (newest.empty() || compare_versions(r.version, newest) > 0) newest = r.version;
    const Migration* m = prepared.find(r.version);
    bool failed = r.status == RunStatus::kFailed || r.status == RunStatus::kRunning;
    bool resuming = failed && check.resuming &&
                    (r.direction == Direction::kUp) == (*check.resuming == Direction::kUp);
    if (m == nullptr) {
      problems.push_back(
          {"missing_file", "", 0, 0,
           fmt::format("migration {} ({}) is recorded as {} but its file is not in the folder",
                       r.version, r.name, run_status_name(r.status)),
           "restore the file from version control, or run `tandem repair` to remove it from "
           "the history"});
      continue;
    }
    if (failed && !resuming) {
      std::string what = r.status == RunStatus::kRunning ? "was interrupted" : "failed";
      problems.push_back(
          {"failed_migration", m->path, 0, 0,
           fmt::format("{} {} {} after {} of {} statements{}",
                       r.direction == Direction::kUp ? "applying" : "reverting", m->file, what,
                       r.statements_applied, r.statements_total,
                       r.error.empty() ? "" : ": " + r.error),
           fmt::format(
               "fix the cause and run `tandem {} --resume` to continue from statement {}, or undo "
               "the applied statements by hand and run `tandem repair`",
               direction_name(r.direction), r.statements_applied + 1)});
      continue;
    }
    if (!resuming && m->checksum != r.checksum) {
      problems.push_back(
          {"checksum_mismatch", m->path, 0, 0,
           fmt::format("file changed after it was applied (checksum {}… recorded, {}… now)",
                       r.checksum.substr(0, 12), m->checksum.substr(0, 12)),
           "if you only added or fixed its `-- tandem:down` section or a comment, run `tandem "
           "repair` to accept the file as it is now; otherwise restore the applied version (git "
           "checkout) and put the change in a new migration"});
    }
  }
  if (!check.allow_out_of_order && !newest.empty()) {
    for (const Migration& m : prepared.set.migrations) {
      if (known.count(m.version) || compare_versions(m.version, newest) >= 0) continue;
      problems.push_back(
          {"out_of_order", m.path, 0, 0,
           fmt::format("pending version {} is lower than the newest applied version {}", m.version,
                       newest),
           "give it a version above " + newest +
               " (rename the file), or apply it anyway with `tandem up --allow-out-of-order` (or "
               "`start "
               "--allow-out-of-order`)"});
    }
  }
  return problems;
}

Status refused(const std::vector<Problem>& problems, const std::string& outcome) {
  return Status::InvalidInput(fmt::format("{} problem{} found, {}:\n{}", problems.size(),
                                          problems.size() == 1 ? "" : "s", outcome,
                                          format_problems(problems)))
      .with_problems(problems);
}

std::string format_problems(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& p : problems) {
    std::string where = p.file;
    if (p.line > 0) where += fmt::format(":{}", p.line);
    if (p.line > 0 && p.column > 0) where += fmt::format(":{}", p.column);
    out += fmt::format("{}{}{}\n", where, where.empty() ? "" : ": ", p.message);
    if (!p.hint.empty()) out += fmt::format("  hint: {}\n", p.hint);
  }
  return out;
}

}  // namespace tandem
