// up and down: run migrations one transaction each, or statement by statement with recorded
// progress when a statement cannot run inside a transaction.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "engine/engine.h"
#include "engine/file_stat.h"
#include "engine/preflight.h"
#include "engine/runner.h"
#include "engine/selection.h"
#include "engine/session.h"
#include "tandem/engine.h"

namespace tandem {
namespace {

using Clock = std::chrono::steady_clock;

const char* dir_word(Direction d) { return d == Direction::kUp ? "up" : "down"; }

class Runner {
 public:
  Runner(Session& s, Direction dir) : s_(s), dir_(dir) {}

  // One migration in one transaction, `tx` (on SQLite the step has already opened it with
  // BEGIN IMMEDIATE). `commit` false: the migration leaves `tx` open for the next one of an
  // `up --group`, which joins it. Any failure rolls `tx` back (and ends it). Returns a
  // lock-timeout Status unchanged so the caller can back off and retry the step.
  Status run_transactional(const Pick& pick, const std::vector<Statement>& stmts, AppliedStep& step,
                           std::optional<db::Transaction>& tx, bool commit) {
    const Migration& m = *pick.migration;
    auto start = Clock::now();
    if (s_.pg() && !tx) {
      TANDEM_ASSIGN_OR_RETURN(db::Transaction begun, db::Transaction::begin(*s_.conn));
      tx.emplace(std::move(begun));
      Status ready = s_.conn->execute_script(timeouts(true));
      if (ready.ok()) ready = s_.fence();
      if (!ready.ok()) {
        tx.reset();
        return ready;
      }
    }
    for (size_t i = 0; i < stmts.size(); ++i) {
      trace(m, stmts, i);
      Status st = execute_statement(s_, stmts[i]);
      if (!st.ok()) {
        tx.reset();  // rolled back: the failure is recorded outside it
        if (st.is_lock_timeout()) return st;
        record_failure_event(m, stmts, i, st, true);
        return statement_error(m, stmts[i], i, stmts.size(), st, true);
      }
      s_.env().after_statement();
      statement_done(m, i + 1, stmts.size());
    }
    HistoryRow row = base_row(m, stmts, true);
    row.statements_applied = static_cast<int>(stmts.size());
    row.duration_ms = ms_since(start);
    if (dir_ == Direction::kDown) row.status = RunStatus::kReverted;
    if (dir_ == Direction::kUp) row.file = stat_for_history(m.path, m.checksum);
    Status rec = dir_ == Direction::kUp ? s_.state->upsert(row) : s_.state->remove(m.version);
    if (rec.ok()) rec = s_.state->event(dir_word(dir_), row);
    if (rec.ok() && commit) rec = tx->commit();
    if (!rec.ok()) {
      tx.reset();
      return rec;
    }
    if (commit) tx.reset();
    step.duration_ms = row.duration_ms;
    step.statements = static_cast<int>(stmts.size());
    step.transactional = true;
    return Status::Ok();
  }

  // Statement by statement outside a transaction block. Progress is recorded after every
  // statement; statements that can run in a transaction commit together with their progress,
  // so only the non-transactional ones (CREATE INDEX CONCURRENTLY, …) can be re-run on resume.
  // `tx`: SQLite's step transaction (BEGIN IMMEDIATE), committed once the row says running.
  Status run_statements(const Pick& pick, const std::vector<Statement>& stmts, AppliedStep& step,
                        std::optional<db::Transaction>& tx) {
    const Migration& m = *pick.migration;
    auto start = Clock::now();
    HistoryRow row = base_row(m, stmts, false);
    if (pick.row) {  // resuming, or reverting an applied migration
      row.applied_at = pick.row->applied_at;
      if (pick.resume_from > 0 && pick.resume_from < static_cast<int>(stmts.size())) {
        s_.log(fmt::format("resuming {} {} at statement {} of {}", dir_word(dir_), m.file,
                           pick.resume_from + 1, stmts.size()));
      }
    }
    row.status = RunStatus::kRunning;
    row.statements_applied = pick.resume_from;
    TANDEM_RETURN_IF_ERROR(s_.fence());
    TANDEM_RETURN_IF_ERROR(s_.state->upsert(row));
    if (tx) TANDEM_RETURN_IF_ERROR(tx->commit());  // close the step's BEGIN IMMEDIATE
    tx.reset();
    // Statement by statement through the one runner: each transactional statement commits
    // together with its progress in the history row.
    std::vector<Step> steps;
    for (const Statement& st : stmts) steps.push_back(Step{{st}, st.transactional, st.line});
    RunSteps how{m.file, dir_word(dir_), [&](int done) {
                   row.statements_applied = done;
                   Status recorded = s_.state->upsert(row);
                   if (recorded.ok()) statement_done(m, static_cast<size_t>(done), stmts.size());
                   return recorded;
                 }};
    StepsOutcome outcome;
    Status result = run_steps(s_, steps, static_cast<size_t>(pick.resume_from), how, outcome);
    step.retries += outcome.retries;
    if (!result.ok() && result.code() == Code::kLockNotAcquired) return result;
    if (!result.ok()) {
      size_t i = outcome.failed;
      row.status = RunStatus::kFailed;
      row.statements_applied = static_cast<int>(i);
      row.error = result.message();
      row.failed_statement = stmts[i].sql;
      row.duration_ms = ms_since(start);
      (void)s_.state->upsert(row);
      (void)s_.state->event(std::string(dir_word(dir_)) + "_failed", row);
      return statement_error(m, stmts[i], i, stmts.size(), result, false);
    }
    row.duration_ms = ms_since(start);
    row.status = dir_ == Direction::kUp ? RunStatus::kApplied : RunStatus::kReverted;
    row.error.clear();
    row.failed_statement.clear();
    if (dir_ == Direction::kUp) {
      row.applied_at = State::now();
      row.file = stat_for_history(m.path, m.checksum);
      TANDEM_RETURN_IF_ERROR(s_.state->upsert(row));
    } else {
      TANDEM_RETURN_IF_ERROR(s_.state->remove(m.version));
    }
    TANDEM_RETURN_IF_ERROR(
        s_.state->event(dir_word(dir_), row, pick.resume_from > 0 ? "resumed" : ""));
    if (s_.pg() && !s_.session_setup.empty())
      TANDEM_RETURN_IF_ERROR(s_.conn->execute_script(s_.session_setup));
    step.duration_ms = row.duration_ms;
    step.statements = static_cast<int>(stmts.size());
    step.transactional = false;
    step.resumed = pick.resume_from > 0;
    return Status::Ok();
  }

  void backoff(const Migration& m, size_t index, int attempt, const Status& why) {
    s_.wait_before_retry(fmt::format("{}: statement {}", m.file, index + 1), attempt,
                         why.message());
  }

  std::string timeouts(bool local) const { return s_.timeouts_sql(local); }

 private:
  void statement_done(const Migration& m, size_t done, size_t total) const {
    if (s_.options.on_statement)
      s_.options.on_statement(m.file, static_cast<int>(done), static_cast<int>(total));
  }

  void trace(const Migration& m, const std::vector<Statement>& stmts, size_t i) const {
    if (!s_.options.verbose) return;
    const std::string& sql = stmts[i].sql;
    std::string first = sql.substr(0, std::min(sql.find('\n'), size_t{120}));
    s_.log(fmt::format("{}:{}: statement {}/{}: {}{}", m.file, stmts[i].line, i + 1, stmts.size(),
                       first, first.size() < sql.size() ? " …" : ""));
  }

  HistoryRow base_row(const Migration& m, const std::vector<Statement>& stmts, bool transactional) {
    HistoryRow row;
    row.version = m.version;
    row.name = m.name;
    row.checksum = m.checksum;
    row.status = RunStatus::kApplied;
    row.direction = dir_;
    row.applied_at = State::now();
    auto by = s_.state->applied_by();
    row.applied_by = by.ok() ? *by : "";
    row.transactional = transactional;
    row.statements_total = static_cast<int>(stmts.size());
    return row;
  }

  void record_failure_event(const Migration& m, const std::vector<Statement>& stmts, size_t index,
                            const Status& st, bool transactional) {
    HistoryRow row = base_row(m, stmts, transactional);
    row.status = RunStatus::kFailed;
    row.statements_applied = 0;
    row.error = st.message();
    row.failed_statement = stmts[index].sql;
    (void)s_.state->event(std::string(dir_word(dir_)) + "_failed", row,
                          "rolled back: nothing of this migration was applied");
  }

  Status statement_error(const Migration& m, const Statement& st, size_t index, size_t total,
                         const Status& err, bool transactional) {
    int line = st.line, col = st.column;
    if (err.position() > 0) {  // the server's error position inside the statement
      for (int i = 0; i < err.position() - 1 && i < static_cast<int>(st.sql.size()); ++i) {
        if (st.sql[i] == '\n') {
          ++line;
          col = 1;
        } else {
          ++col;
        }
      }
    }
    std::string msg = fmt::format("{}:{}:{}: statement {} of {} failed: {}\n  {}", m.path, line,
                                  col, index + 1, total, err.message(), st.sql.substr(0, 300));
    std::string hint;
    std::string cmd = dir_word(dir_);
    if (transactional) {
      hint = fmt::format(
          "the migration was rolled back, nothing of it was applied; fix the statement and run "
          "`tandem {}` again",
          cmd);
    } else {
      hint = fmt::format(
          "statements 1 to {} are applied and recorded; fix the cause and run `tandem {} --resume` "
          "to continue from statement {}, or undo them by hand and run `tandem repair`",
          index, cmd, index + 1);
    }
    if (err.is_lock_timeout()) {
      hint = fmt::format(
                 "the lock was still taken after {} retries: find the blocking session in "
                 "pg_stat_activity, "
                 "or retry later / raise --lock-retries. ",
                 s_.options.lock_retries) +
             hint;
    }
    if (err.sqlstate() == "57014" && s_.options.statement_timeout_ms > 0) {
      hint = fmt::format(
                 "it ran longer than the statement timeout ({} ms): raise --statement-timeout "
                 "(statement_timeout in tandem.yaml; 0 = none) if it needs longer. ",
                 s_.options.statement_timeout_ms) +
             hint;
    }
    if (!err.hint().empty()) hint = err.hint() + "; " + hint;
    Status out = err.code() == Code::kInvalidInput ? Status::InvalidInput(msg, hint)
                                                   : Status::Database(msg, err.sqlstate(), hint);
    return out;
  }

  Session& s_;
  Direction dir_;
};

// Applies a successful step to the in-memory copy of the history.
void remember(std::vector<HistoryRow>& rows, const Migration& m, Direction dir,
              bool transactional) {
  auto it = std::lower_bound(
      rows.begin(), rows.end(), m.version,
      [](const HistoryRow& r, const std::string& v) { return compare_versions(r.version, v) < 0; });
  bool found = it != rows.end() && it->version == m.version;
  if (dir == Direction::kDown) {
    if (found) rows.erase(it);
    return;
  }
  if (!found) it = rows.insert(it, HistoryRow{});
  it->version = m.version;
  it->name = m.name;
  it->checksum = m.checksum;
  it->status = RunStatus::kApplied;
  it->direction = Direction::kUp;
  it->transactional = transactional;
}

Result<ApplyReport> run(const EngineOptions& options, const Hooks& hooks, Direction dir,
                        const UpOptions& up_opts, const DownOptions& down_opts,
                        ApplyReport* partial) {
  auto started = Clock::now();
  TANDEM_ASSIGN_OR_RETURN(auto session,
                          Session::open(options, hooks, dir_word(dir), /*take_lock=*/true));
  Session& s = *session;
  PreparedSet prepared = prepare(s);
  ApplyReport report;
  Runner runner(s, dir);
  bool validated = false;
  bool state_ready = false;
  int attempt = 0;
  int done = 0;
  bool resume = dir == Direction::kUp ? up_opts.resume : down_opts.resume;
  std::vector<Pick> first_picks;
  std::vector<HistoryRow> rows;
  bool have_rows = false;
  std::string data_version;
  // `up --group`: consecutive transactional migrations share one transaction (all or nothing).
  const bool group = dir == Direction::kUp && up_opts.group;
  bool in_group = false;
  // The open transaction: SQLite's step (BEGIN IMMEDIATE), or an `up --group` spanning
  // migrations. Any return below rolls it back.
  std::optional<db::Transaction> tx;
  size_t group_first_step = 0;
  // A migration is done: remember it, report it (how = "start + complete" for a declarative
  // migration on PostgreSQL).
  auto record_step = [&](const Migration& m, AppliedStep step, const std::string& how) {
    remember(rows, m, dir, step.transactional);
    ++done;
    report.steps.push_back(std::move(step));
    const AppliedStep& st = report.steps.back();
    if (options.on_step) {
      int total =
          std::max(static_cast<int>(first_picks.size()), static_cast<int>(report.steps.size()));
      options.on_step(st, static_cast<int>(report.steps.size()), total);
    } else if (!how.empty()) {
      s.log(fmt::format("applied {} ({}, {} ms)", m.file, how, st.duration_ms));
    } else {
      s.log(fmt::format("{} {} ({} statement{}, {} ms{})",
                        dir == Direction::kUp ? "applied" : "reverted", m.file, st.statements,
                        st.statements == 1 ? "" : "s", st.duration_ms,
                        st.transactional ? "" : ", outside a transaction"));
    }
  };
  // A step failed: what ran before it stays, so the error says so (a message of the failed
  // migration such as "nothing was changed" is about it alone), and `partial` gets it.
  auto stop = [&](const Migration* failed, Status st) -> Status {
    if (!have_rows) {  // a rolled-back group: what is applied now is what the history says
      auto loaded = s.state->load();
      if (loaded.ok()) rows = std::move(loaded).value();
    }
    report.current_version = current_version(rows);
    report.elapsed_ms = ms_since(started);
    if (partial) *partial = report;
    if (report.steps.empty() || failed == nullptr) return st;
    size_t n = report.steps.size();
    return st.with_context(fmt::format(
        "stopped at {}: the {} migration{} before it {} {} and stay{} so (current version {}). ",
        failed->file, n, n == 1 ? "" : "s", n == 1 ? "was" : "were",
        dir == Direction::kUp ? "applied" : "reverted", n == 1 ? "s" : "",
        report.current_version.empty() ? "none" : report.current_version));
  };
  for (;;) {
    // SQLite has no session locks: each step takes the write lock first (BEGIN IMMEDIATE),
    // then reads the history, so two processes never pick the same migration.
    if (!s.pg() && !in_group) {
      auto begun = db::Transaction::begin(*s.conn, "BEGIN IMMEDIATE");
      if (begun.ok()) tx.emplace(std::move(begun).value());
      if (Status st = begun.status(); !st.ok()) {
        if (st.is_lock_timeout()) {
          return Status::LockNotAcquired(
              fmt::format("{} is locked by another writer; gave up after --lock-wait {} ms",
                          s.conn->describe(), options.lock_wait_ms),
              "wait for the other process to finish or raise --lock-wait");
        }
        return st;
      }
    }
    // The history is read once and then kept in memory: on PostgreSQL nobody else can change
    // it while we hold the lock; on SQLite `PRAGMA data_version` tells whether another
    // connection committed since our last step.
    bool reload = !have_rows;
    if (!s.pg() && !in_group) {
      auto dv = s.conn->query("PRAGMA data_version");
      if (!dv.ok()) {
        return dv.status();
      }
      if (dv->text(0, 0) != data_version) reload = true;
      data_version = dv->text(0, 0);
    }
    if (reload) {
      rows.clear();
      auto exists = s.state->exists();
      if (!exists.ok()) {
        return exists.status();
      }
      if (*exists) {
        auto loaded = s.state->load();
        if (!loaded.ok()) {
          return loaded.status();
        }
        rows = std::move(loaded).value();
      }
      have_rows = true;
    }
    // After validation only the next migration is needed.
    std::vector<Pick> picks = dir == Direction::kUp
                                  ? select_up(prepared, rows, up_opts, validated ? 1 : SIZE_MAX)
                                  : select_down(prepared, rows, down_opts);
    if (!validated) {
      Preflight how{dir, resume, &down_opts, &up_opts};
      auto checked = preflight(s, prepared, rows, picks, how);
      if (!checked.ok()) {
        return checked.status();
      }
      std::vector<Problem>& problems = *checked;
      if (!problems.empty()) {
        return refused(problems);
      }
      validated = true;
      first_picks = picks;
    }
    // `down` reverts what was selected at the start; `up` re-reads what is pending each step.
    bool finished =
        picks.empty() || (dir == Direction::kDown && done >= static_cast<int>(first_picks.size()));
    if (finished) {
      if (tx) {
        Status st = tx->commit();
        if (!st.ok()) {
          if (in_group) {
            report.steps.resize(group_first_step);
            have_rows = false;
          }
          return stop(nullptr, st);
        }
      }
      report.current_version = current_version(rows);
      report.elapsed_ms = ms_since(started);
      break;
    }
    if (!state_ready) {
      state_ready = true;
      if (!s.pg()) {
        // Validation passed and we are about to write: only now may the file change. Switch
        // to WAL (outside a transaction), commit the history tables on their own so a failing
        // first migration can still record its failure event, then redo the step under a
        // fresh write lock.
        TANDEM_RETURN_IF_ERROR(tx->commit());
        tx.reset();
        TANDEM_RETURN_IF_ERROR(s.use_wal_if_allowed());
        TANDEM_ASSIGN_OR_RETURN(db::Transaction tables,
                                db::Transaction::begin(*s.conn, "BEGIN IMMEDIATE"));
        TANDEM_RETURN_IF_ERROR(s.ensure_state());
        TANDEM_RETURN_IF_ERROR(tables.commit());
        continue;
      }
      TANDEM_RETURN_IF_ERROR(s.ensure_state());
    }
    // Nothing more is written once the migration lock is gone.
    TANDEM_RETURN_IF_ERROR(s.check_lock());
    const Pick& pick = picks.front();
    const Migration& m = *pick.migration;
    const auto& stmts =
        dir == Direction::kUp ? prepared.up.at(m.version) : prepared.down.at(m.version);
    AppliedStep step{m.version, m.name, m.file, dir, 0, 0, true, 0, false};
    const Procedure* proc = m.body ? m.body->procedure(s.backend()) : nullptr;
    if (dir == Direction::kUp && proc != nullptr) {
      // Its format applies it (a declarative migration on PostgreSQL: start + complete, so
      // the same steps — shadow columns, dual-write triggers, batched backfill, NOT VALID +
      // VALIDATE — keep locks short even when nobody runs two versions side by side).
      if (tx) {  // the group so far, or SQLite's step (a procedure runs on PostgreSQL only)
        TANDEM_RETURN_IF_ERROR(tx->commit());
        tx.reset();
        in_group = false;
      }
      auto t = std::chrono::steady_clock::now();
      Status st = proc->apply(s, m);
      if (!st.ok()) {
        return stop(&m, st.with_hint(st.hint().empty() ? "see `tandem status`" : st.hint()));
      }
      step.duration_ms = ms_since(t);
      step.transactional = false;
      record_step(m, std::move(step), "start + complete");
      continue;
    }
    if (dir == Direction::kDown && s.pg()) {
      // The version's schema (from start/complete) has views over what `down` removes: it
      // goes first — only if tandem recorded it as its own (a user's schema is never dropped).
      TANDEM_ASSIGN_OR_RETURN(auto owned, s.state->version_schemas());
      for (const auto& [name, version] : owned) {
        if (version == m.version) TANDEM_RETURN_IF_ERROR(s.state->drop_version_schema(name));
      }
    }
    bool outside = runs_outside_transaction(m, stmts, pick.row);
    if (outside && in_group) {  // close the group before a statement that cannot join it
      TANDEM_RETURN_IF_ERROR(tx->commit());
      tx.reset();
      in_group = false;
      if (!s.pg()) {
        TANDEM_ASSIGN_OR_RETURN(db::Transaction step_tx,
                                db::Transaction::begin(*s.conn, "BEGIN IMMEDIATE"));
        tx.emplace(std::move(step_tx));
      }
    }
    bool group_rolled_back = false;
    Status st;
    if (outside) {
      st = runner.run_statements(pick, stmts, step, tx);
    } else {
      if (group && !in_group) group_first_step = report.steps.size();
      st = runner.run_transactional(pick, stmts, step, tx, /*commit=*/!group);
      if (group) {
        in_group = st.ok();
        group_rolled_back = !st.ok() && report.steps.size() > group_first_step;
      }
    }
    if (group_rolled_back) {
      // Everything since the group began was rolled back with it: forget it and re-read.
      s.log(fmt::format(
          "--group: rolled back the {} migration(s) applied before {} in this transaction",
          report.steps.size() - group_first_step, m.file));
      report.steps.resize(group_first_step);
      have_rows = false;
    }
    if (!st.ok() && st.is_lock_timeout() && !outside && attempt < options.lock_retries) {
      runner.backoff(m, 0, attempt, st);
      ++attempt;
      continue;  // the whole transaction was rolled back: redo the step
    }
    if (!st.ok() && st.is_lock_timeout() && !outside) {
      st = Status::Database(
          fmt::format("{}: still blocked after {} lock_timeout retries: {}", m.path,
                      options.lock_retries, st.message()),
          st.sqlstate(),
          "find the session holding the lock (pg_stat_activity / pg_locks) and run "
          "`tandem " +
              std::string(dir_word(dir)) + "` again, or raise --lock-retries");
    }
    if (!st.ok()) {
      if (group && !outside) {
        st = st.with_hint(
            "--group: every migration of this group was rolled back with it, none of them is "
            "applied; " +
            st.hint());
      }
      return stop(&m, st);
    }
    step.retries += attempt;
    attempt = 0;
    record_step(m, std::move(step), "");
  }
  return report;
}

}  // namespace

namespace engine {

Result<ApplyReport> up(const EngineOptions& options, const Hooks& hooks,
                       const UpOptions& up_options, ApplyReport* partial) {
  return run(options, hooks, Direction::kUp, up_options, DownOptions{}, partial);
}

Result<ApplyReport> down(const EngineOptions& options, const Hooks& hooks,
                         const DownOptions& down_options, ApplyReport* partial) {
  if (!down_options.to && down_options.steps < 1) {
    return Status::InvalidInput("--steps must be at least 1",
                                "pass --steps N with N >= 1, or --to VERSION");
  }
  return run(options, hooks, Direction::kDown, UpOptions{}, down_options, partial);
}

}  // namespace engine
}  // namespace tandem
