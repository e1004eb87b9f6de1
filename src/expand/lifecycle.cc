// start / complete / rollback: a declarative migration with two live schema versions.
//
// State lives in tandem.active (one row while a migration is active): which migration, the
// previous version, whether start created the previous version's schema, the phase
// (starting | started | completing | rolling_back) and how many statements of that phase ran.
// Each transaction-safe statement commits together with that counter, so a killed tandem
// re-runs nothing twice; the rest (CREATE INDEX CONCURRENTLY, IF EXISTS drops) are idempotent.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <random>
#include <thread>

#include "backfill/backfill.h"
#include "backfill/job.h"
#include "backfill/throttle.h"
#include "engine/selection.h"
#include "engine/session.h"
#include "expand/catalog.h"
#include "expand/lifecycle.h"
#include "expand/plan.h"
#include "expand/version_schema.h"
#include "tandem/expand.h"

namespace tandem::expand {
namespace {

using Clock = std::chrono::steady_clock;

const char* kActiveDdl =
    "CREATE TABLE IF NOT EXISTS tandem.active (version text PRIMARY KEY, name text NOT NULL, file "
    "text NOT NULL, "
    "checksum text NOT NULL, previous text NOT NULL, created_previous boolean NOT NULL, step text "
    "NOT NULL, "
    "statements_done integer NOT NULL DEFAULT 0, started_at timestamptz NOT NULL DEFAULT now(), "
    "base text, backfill text);\n"
    // base: the catalog snapshot start planned from; backfill: the running backfill's last key.
    "ALTER TABLE tandem.active ADD COLUMN IF NOT EXISTS base text, "
    "ADD COLUMN IF NOT EXISTS backfill text";

// Test hook: TANDEM_TEST_CRASH_AT=<point> makes the process die at that point as if killed
// (no cleanup, no unlock), so tests can prove every step converges when re-run.
void crash_point(const std::string& point) {
  static const char* at = std::getenv("TANDEM_TEST_CRASH_AT");
  if (at != nullptr && point == at) std::_Exit(137);
}

struct Active {
  std::string version, name, file, checksum, previous, step;
  bool created_previous = false;
  int done = 0;
  std::string base, backfill;
};

Result<std::optional<Active>> load_active(db::Connection& conn) {
  TANDEM_ASSIGN_OR_RETURN(db::Rows exists,
                          conn.query("SELECT to_regclass('tandem.active') IS NOT NULL"));
  if (exists.text(0, 0) != "t") return std::optional<Active>();
  // Added after the first release of start/complete.
  TANDEM_RETURN_IF_ERROR(conn.execute(
      "ALTER TABLE tandem.active ADD COLUMN IF NOT EXISTS base text, ADD COLUMN IF NOT EXISTS "
      "backfill text"));
  TANDEM_ASSIGN_OR_RETURN(db::Rows r,
                          conn.query("SELECT version, name, file, checksum, previous, step, "
                                     "created_previous, statements_done, base, backfill "
                                     "FROM tandem.active"));
  if (r.empty()) return std::optional<Active>();
  Active a{r.text(0, 0), r.text(0, 1),
           r.text(0, 2), r.text(0, 3),
           r.text(0, 4), r.text(0, 5),
           false,        0,
           "",           ""};
  a.created_previous = r.text(0, 6) == "t";
  TANDEM_ASSIGN_OR_RETURN(long long done, r.integer(0, 7));
  a.done = static_cast<int>(done);
  a.base = r.text(0, 8);
  a.backfill = r.text(0, 9);
  return std::optional<Active>(a);
}

Status set_step(db::Connection& conn, const std::string& step) {
  return conn
      .query(
          "UPDATE tandem.active SET step = $1, statements_done = 0, backfill = NULL "
          "WHERE step <> $1",
          {step})
      .status();
}

// Opens a locked PostgreSQL session; SQLite has no version schemas.
Result<std::unique_ptr<Session>> open(const EngineOptions& options, const std::string& command) {
  TANDEM_ASSIGN_OR_RETURN(
      auto s, Session::open_postgres(
                  options, command, /*take_lock=*/true,
                  "two live schema versions are built from schemas and views",
                  "on SQLite, apply declarative migrations with `tandem up` (direct mode)"));
  // Every statement of start/complete/rollback, view DDL included, waits at most lock_timeout.
  TANDEM_RETURN_IF_ERROR(s->conn->execute_script(s->timeouts_sql(/*local=*/false)));
  return s;
}

// The plan of `m` from the catalog snapshot `base` (JSON) taken when its start began.
Result<TwoVersionPlan> plan_for(const EngineOptions& options, const Migration& m,
                                const std::string& previous, const std::string& base) {
  TANDEM_ASSIGN_OR_RETURN(Catalog catalog, catalog_from_json(base));
  return plan_two_version(m, options.schema, previous, catalog);
}

// Runs `fn` (view DDL) again after a lock_timeout, like the operations' statements.
Status with_lock_retries(Session& s, const std::string& what, const std::function<Status()>& fn) {
  return s.with_lock_retries(what + ":", fn);
}

// Drops an INVALID index left by a killed CREATE INDEX CONCURRENTLY; true when a valid one
// already exists (the build finished before the crash).
Result<bool> index_built(Session& s, const std::string& index) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows idx, s.conn->query("SELECT format('%I.%I', n.nspname, c.relname), i.indisvalid "
                                  "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                  "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
                                  "c.relname = $1 AND n.nspname = $2",
                                  {index, s.options.schema}));
  if (idx.empty()) return false;
  if (idx.text(0, 1) == "t") return true;
  TANDEM_RETURN_IF_ERROR(s.conn->execute("DROP INDEX CONCURRENTLY IF EXISTS " + idx.text(0, 0)));
  return false;
}

Status mark_done(Session& s, size_t count) {
  return s.conn
      ->query("UPDATE tandem.active SET statements_done = $1, backfill = NULL",
              {std::to_string(count)})
      .status();
}

// Runs steps[from…]; transaction-safe statements commit together with the progress counter;
// a lock_timeout is retried with backoff, so no statement queues traffic for longer than
// that. A backfill continues from its checkpoint.
Status run_phase(Session& s, const Migration& m, const std::vector<Step>& steps, int from,
                 const std::string& phase, const std::string& backfill_from) {
  const EngineOptions& o = s.options;
  for (size_t i = static_cast<size_t>(from); i < steps.size(); ++i) {
    const Step& st = steps[i];
    TANDEM_RETURN_IF_ERROR(s.check_lock());
    if (o.verbose) {
      for (const std::string& sql : st.sql) s.log(fmt::format("{}:{}: {}", m.file, st.line, sql));
    }
    Status result;
    if (!st.backfill_table.empty()) {
      // One job per backfill step: "<version>/<table>", numbered from the second on a table.
      int nth = 1;
      for (size_t j = 0; j < i; ++j) nth += steps[j].backfill_table == st.backfill_table;
      backfill::Spec spec{qualified(o.schema, st.backfill_table),
                          st.backfill_table,
                          st.key,
                          st.set,
                          st.where,
                          st.as_version};
      backfill::Run run{
          fmt::format("{}/{}{}", m.version, st.backfill_table,
                      nth > 1 ? fmt::format("#{}", nth) : ""),
          m.version, static_cast<int>(i) == from ? backfill_from : "",
          [&, batch = 0](const std::string& key) mutable {
            crash_point(fmt::format("{}:backfill-batch:{}", phase, ++batch));
            return s.conn->query("UPDATE tandem.active SET backfill = $1", {key}).status();
          }};
      auto stats = backfill::run(s, spec, run);
      result = stats.status();
      if (stats.ok()) crash_point(phase + ":backfill-finished");
      if (stats.ok()) {
        s.log(fmt::format("backfilled {} rows of {} in {} ms ({} batches)", stats->rows,
                          st.backfill_table, stats->elapsed_ms, stats->batches));
        result = mark_done(s, i + 1);
      }
    }
    if (st.backfill_table.empty()) {
      result = s.with_lock_retries(fmt::format("{}:{}:", m.file, st.line), [&]() -> Status {
        if (st.transactional) {
          return s.in_transaction([&]() -> Status {
            TANDEM_RETURN_IF_ERROR(s.fence());
            for (const std::string& sql : st.sql) TANDEM_RETURN_IF_ERROR(s.conn->execute(sql));
            return mark_done(s, i + 1);
          });
        }
        TANDEM_RETURN_IF_ERROR(s.fence());
        bool built = false;
        if (!st.concurrent_index.empty()) {
          TANDEM_ASSIGN_OR_RETURN(built, index_built(s, st.concurrent_index));
        }
        if (!built) {
          for (const std::string& sql : st.sql) TANDEM_RETURN_IF_ERROR(s.conn->execute(sql));
        }
        return mark_done(s, i + 1);
      });
    }
    if (result.ok()) crash_point(fmt::format("{}:statement:{}", phase, i + 1));
    if (!result.ok() && result.code() == Code::kLockNotAcquired) return result;
    if (!result.ok()) {
      return result.with_context(fmt::format("{}:{}: ", m.path, st.line))
          .with_hint(
              "fix the cause and run the same command again: it continues at this step; or run "
              "`tandem rollback`");
    }
  }
  return Status::Ok();
}

Result<bool> schema_exists(db::Connection& conn, const std::string& name) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn.query("SELECT count(*) FROM pg_namespace WHERE nspname = $1", {name}));
  return r.text(0, 0) != "0";
}

HistoryRow row_for(const Migration& m, const std::string& status, const std::string& by) {
  HistoryRow row;
  row.version = m.version;
  row.name = m.name;
  row.checksum = m.checksum;
  row.status = status;
  row.applied_by = by;
  return row;
}

// The active migration's file, unchanged since start, and its plan; moves the active row to
// `step` (keeping its progress when it is already there).
Result<TwoVersionPlan> enter_phase(Session& s, const Active& active, const PreparedSet& prepared,
                                   const std::string& step, const Migration*& m) {
  m = prepared.find(active.version);
  if (m == nullptr || m->checksum != active.checksum) {
    return Status::InvalidInput(
        fmt::format("{} changed or disappeared since `tandem start`", active.file),
        "restore the file as it was started, then run `tandem complete` or `tandem rollback`");
  }
  std::string base = active.base;
  if (base.empty()) {  // started by an older tandem, which kept no snapshot
    TANDEM_ASSIGN_OR_RETURN(Catalog now, read_catalog(*s.conn, s.options.schema));
    base = to_json(now);
  }
  TANDEM_ASSIGN_OR_RETURN(TwoVersionPlan plan, plan_for(s.options, *m, active.previous, base));
  TANDEM_RETURN_IF_ERROR(set_step(*s.conn, step));
  return plan;
}

LifecycleReport report(const Migration& m, const std::string& step, const std::string& schema,
                       const std::string& previous, Clock::time_point t0) {
  return LifecycleReport{m.version,
                         m.name,
                         m.file,
                         step,
                         version_schema_name(schema, previous),
                         version_schema_name(schema, m.version),
                         ms_since(t0)};
}

}  // namespace

Result<std::optional<ActivePlan>> active_plan(Session& s) {
  TANDEM_ASSIGN_OR_RETURN(std::optional<Active> active, load_active(*s.conn));
  if (!active) return std::optional<ActivePlan>();
  PreparedSet prepared = prepare(s.options, s.backend());
  const Migration* m = prepared.find(active->version);
  if (m == nullptr || m->checksum != active->checksum || !m->operations) {
    return Status::InvalidInput(
        fmt::format("{} changed or disappeared since `tandem start`", active->file),
        "restore the file as it was started");
  }
  TANDEM_ASSIGN_OR_RETURN(TwoVersionPlan plan,
                          plan_for(s.options, *m, active->previous, active->base));
  return std::optional<ActivePlan>(
      ActivePlan{active->version, active->file, active->step, std::move(plan)});
}

Result<PlanBase> plan_base(Session& s) {
  std::vector<HistoryRow> rows;
  TANDEM_ASSIGN_OR_RETURN(bool have_history, s.history->exists());
  if (have_history) {
    TANDEM_ASSIGN_OR_RETURN(rows, s.history->load());
  }
  std::string applied = current_version(rows);
  TANDEM_ASSIGN_OR_RETURN(Catalog catalog, read_catalog(*s.conn, s.options.schema));
  return PlanBase{std::move(catalog), std::move(rows),
                  applied.empty() ? std::string("0") : applied};
}

std::vector<Statement> planned_statements(Session& s, const Migration& m) {
  auto comment = [&](const std::string& text) {
    Statement st;
    st.sql = "-- " + text;
    st.transactional = false;
    return st;
  };
  auto base = plan_base(s);
  Status why = base.status();
  std::optional<TwoVersionPlan> plan;
  if (base.ok()) {
    auto planned = plan_two_version(m, s.options.schema, base->previous, base->catalog);
    if (planned.ok()) {
      plan = std::move(*planned);
    } else {
      why = planned.status();
    }
  }
  if (!plan) {
    return {
        comment("runs as start + complete, planned when it is reached (against the tables "
                "as they are now: " +
                why.message() + ")")};
  }
  std::vector<Statement> out = {comment("start (each step in its own transaction)")};
  auto add = [&](const std::vector<Step>& steps) {
    for (const Step& step : steps) {
      Statement st;
      st.line = step.line;
      st.transactional = step.transactional;
      if (!step.backfill_table.empty()) {
        st.sql = fmt::format("-- {}: UPDATE {} SET {}{} in key-range batches by ({})",
                             step.sql.front(), step.backfill_table, step.set,
                             step.where.empty() ? "" : " WHERE " + step.where,
                             fmt::format("{}", fmt::join(step.key, ", ")));
        out.push_back(std::move(st));
        continue;
      }
      for (const std::string& sql : step.sql) {
        st.sql = sql;
        out.push_back(st);
      }
    }
  };
  add(plan->start);
  out.push_back(comment("complete"));
  add(plan->complete);
  return out;
}

Result<LifecycleReport> start(const EngineOptions& options,
                              const std::optional<std::string>& version) {
  TANDEM_ASSIGN_OR_RETURN(auto session, open(options, "start"));
  return start_in(*session, version);
}

Result<LifecycleReport> start_in(Session& s, const std::optional<std::string>& version) {
  auto t0 = Clock::now();
  const EngineOptions& options = s.options;
  TANDEM_RETURN_IF_ERROR(s.conn->execute_script(s.timeouts_sql(/*local=*/false)));
  PreparedSet prepared = prepare(options, s.backend());
  std::vector<HistoryRow> rows;
  TANDEM_ASSIGN_OR_RETURN(bool have_history, s.history->exists());
  if (have_history) {
    TANDEM_ASSIGN_OR_RETURN(rows, s.history->load());
  }
  std::vector<Problem> problems = prepared.set.problems;
  for (Problem& p :
       check_history(prepared, rows, HistoryCheck{options.allow_out_of_order, std::nullopt})) {
    problems.push_back(std::move(p));
  }
  TANDEM_ASSIGN_OR_RETURN(std::optional<Active> active, load_active(*s.conn));
  const Migration* m = nullptr;
  if (active) {
    if (active->step != "starting" || (version && canonical_version(*version) != active->version)) {
      return Status::InvalidInput(fmt::format("migration {} ({}) is already {}", active->version,
                                              active->file, active->step),
                                  "finish it first: `tandem complete` (or `tandem rollback`)");
    }
    m = prepared.find(active->version);
    if (m != nullptr && m->checksum != active->checksum) {
      return Status::InvalidInput(
          fmt::format("{} changed since its start began", active->file),
          "restore the file as it was, run `tandem start` again, or `tandem rollback`");
    }
  } else {
    std::vector<Pick> pending = select_up(prepared, rows, UpOptions{}, SIZE_MAX);
    for (const Pick& p : pending) {
      if (!version || p.migration->version == canonical_version(*version)) {
        m = p.migration;
        break;
      }
    }
    if (m == nullptr && !problems.empty()) {
      // The folder's problems may be why nothing is pending (a file that could not be read).
      return Status::InvalidInput(fmt::format("{} problem{} found, nothing was changed:\n{}",
                                              problems.size(), problems.size() == 1 ? "" : "s",
                                              format_problems(problems)));
    }
    if (m == nullptr) {
      return Status::InvalidInput(
          version ? fmt::format("version {} is not a pending migration", *version)
                  : std::string("no pending migration to start"),
          "see `tandem status`");
    }
  }
  if (m == nullptr || !m->operations) {
    return Status::InvalidInput(
        fmt::format("{} is not a declarative migration", m ? m->file : "the active migration"),
        "`tandem start` runs .yaml/.json migrations; apply .sql ones with `tandem up`");
  }
  std::string previous = active ? active->previous : current_version(rows);
  if (previous.empty()) previous = "0";
  // Plan from the catalog as it was before the first attempt: every re-run plans the same steps.
  std::string base = active ? active->base : "";
  if (base.empty()) {
    // Reading index and constraint definitions waits on a table's ACCESS EXCLUSIVE lock.
    TANDEM_RETURN_IF_ERROR(with_lock_retries(s, "reading the catalog", [&]() -> Status {
      auto now = read_catalog(*s.conn, options.schema);
      if (now.ok()) base = to_json(*now);
      return now.status();
    }));
  }
  auto plan = plan_for(options, *m, previous, base);
  if (!plan.ok()) {
    problems.push_back({"two_version", "", 0, 0, plan.status().message(), plan.status().hint()});
  } else if (!active && !options.allow_unsafe) {
    // Long locks, rewrites and breaking changes in what start and complete would run are
    // refused before anything changes (a start already under way was accepted then).
    TANDEM_ASSIGN_OR_RETURN(std::vector<Problem> unsafe,
                            unsafe_plan(*m, *plan, options.lint_severity, *s.conn, options.schema));
    for (Problem& p : unsafe) problems.push_back(std::move(p));
  }
  if (!problems.empty()) {
    return Status::InvalidInput(fmt::format("{} problem{} found, nothing was changed:\n{}",
                                            problems.size(), problems.size() == 1 ? "" : "s",
                                            format_problems(problems)));
  }
  // A wrong --throttle-query or an unreachable --replica is reported before anything changes.
  TANDEM_RETURN_IF_ERROR(backfill::Throttle(options).check_config(*s.conn));
  TANDEM_RETURN_IF_ERROR(s.ensure_state());
  TANDEM_RETURN_IF_ERROR(s.conn->execute_script(kActiveDdl));
  if (!active) {
    TANDEM_ASSIGN_OR_RETURN(bool prev_exists,
                            schema_exists(*s.conn, version_schema_name(options.schema, previous)));
    TANDEM_RETURN_IF_ERROR(
        s.conn
            ->query("INSERT INTO tandem.active (version, name, file, checksum, previous, "
                    "created_previous, step, base) VALUES ($1, $2, $3, $4, $5, $6, 'starting', $7)",
                    {m->version, m->name, m->file, m->checksum, previous, prev_exists ? "f" : "t",
                     base})
            .status());
    active = Active{m->version, m->name,      m->file, m->checksum, previous,
                    "starting", !prev_exists, 0,       base,        ""};
    crash_point("start:registered");
  }
  // The previous version's schema: its views list today's columns only, so the old
  // application keeps seeing the tables exactly as before.
  std::string old_schema = version_schema_name(options.schema, active->previous);
  TANDEM_ASSIGN_OR_RETURN(bool old_exists, schema_exists(*s.conn, old_schema));
  if (!old_exists) {
    TANDEM_RETURN_IF_ERROR(with_lock_retries(s, "previous version schema", [&] {
      return create_version_schema(*s.conn, options.schema, active->previous, plan->old_views);
    }));
    crash_point("start:old-schema");
  }
  TANDEM_RETURN_IF_ERROR(run_phase(s, *m, plan->start, active->done, "start", active->backfill));
  TANDEM_RETURN_IF_ERROR(with_lock_retries(s, "new version schema", [&] {
    return create_version_schema(*s.conn, options.schema, m->version, plan->new_views);
  }));
  crash_point("start:new-schema");
  TANDEM_RETURN_IF_ERROR(set_step(*s.conn, "started"));
  TANDEM_ASSIGN_OR_RETURN(std::string by, s.history->applied_by());
  TANDEM_RETURN_IF_ERROR(s.history->event("start", row_for(*m, "started", by)));
  return LifecycleReport{m->version,  m->name,    m->file,
                         "started",   old_schema, version_schema_name(options.schema, m->version),
                         ms_since(t0)};
}

Result<LifecycleReport> complete(const EngineOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(auto session, open(options, "complete"));
  return complete_in(*session);
}

Result<LifecycleReport> complete_in(Session& s) {
  auto t0 = Clock::now();
  const EngineOptions& options = s.options;
  TANDEM_RETURN_IF_ERROR(s.conn->execute_script(s.timeouts_sql(/*local=*/false)));
  TANDEM_ASSIGN_OR_RETURN(std::optional<Active> active, load_active(*s.conn));
  if (!active || (active->step != "started" && active->step != "completing")) {
    return Status::InvalidInput(
        active ? fmt::format("migration {} is {}, not started", active->version, active->step)
               : std::string("no migration is active"),
        active && active->step == "starting" ? "run `tandem start` again to finish starting it"
                                             : "start one with `tandem start`");
  }
  PreparedSet prepared = prepare(options, s.backend());
  const Migration* m = nullptr;
  TANDEM_RETURN_IF_ERROR(s.ensure_state());
  TANDEM_ASSIGN_OR_RETURN(TwoVersionPlan plan, enter_phase(s, *active, prepared, "completing", m));
  const std::vector<Step>& stmts = plan.complete;
  TANDEM_ASSIGN_OR_RETURN(active, load_active(*s.conn));
  // The old version is gone: drop its schema (its views may depend on what complete removes);
  // the new version's schema stays for its applications.
  // So are the schemas of any older version still around (their views would otherwise block
  // what complete drops, and show columns that no longer mean what they did).
  TANDEM_ASSIGN_OR_RETURN(std::vector<HistoryRow> applied, s.history->load());
  std::vector<std::string> old_versions = {active->previous};
  for (const HistoryRow& r : applied)
    if (compare_versions(r.version, m->version) < 0) old_versions.push_back(r.version);
  for (const std::string& v : old_versions) {
    TANDEM_RETURN_IF_ERROR(with_lock_retries(s, "previous version schema", [&] {
      return drop_version_schema(*s.conn, options.schema, v);
    }));
  }
  crash_point("complete:old-schema-dropped");
  TANDEM_RETURN_IF_ERROR(run_phase(s, *m, stmts, active->done, "complete", ""));
  TANDEM_ASSIGN_OR_RETURN(std::string by, s.history->applied_by());
  HistoryRow row = row_for(*m, "applied", by);
  row.transactional = false;
  row.statements_total = row.statements_applied = static_cast<int>(stmts.size());
  row.duration_ms = ms_since(t0);
  TANDEM_RETURN_IF_ERROR(s.conn->execute("BEGIN"));
  Status st = s.history->upsert(row);
  if (st.ok()) st = s.history->event("complete", row);
  if (st.ok()) st = s.conn->execute("DELETE FROM tandem.active");
  st = st.ok() ? s.conn->execute("COMMIT") : (s.conn->execute("ROLLBACK"), st);
  TANDEM_RETURN_IF_ERROR(st);
  return report(*m, "completed", options.schema, active->previous, t0);
}

Result<LifecycleReport> rollback(const EngineOptions& options) {
  auto t0 = Clock::now();
  TANDEM_ASSIGN_OR_RETURN(auto session, open(options, "rollback"));
  Session& s = *session;
  TANDEM_ASSIGN_OR_RETURN(std::optional<Active> active, load_active(*s.conn));
  if (!active) return Status::InvalidInput("no migration is active", "see `tandem status`");
  if (active->step == "completing") {
    return Status::InvalidInput(
        fmt::format("migration {} is part-way through complete", active->version),
        "run `tandem complete` again to finish it");
  }
  PreparedSet prepared = prepare(options, s.backend());
  const Migration* m = nullptr;
  TANDEM_RETURN_IF_ERROR(s.ensure_state());
  TANDEM_ASSIGN_OR_RETURN(TwoVersionPlan plan,
                          enter_phase(s, *active, prepared, "rolling_back", m));
  const std::vector<Step>& stmts = plan.rollback;
  TANDEM_ASSIGN_OR_RETURN(active, load_active(*s.conn));
  // The new version's views depend on what start added: drop them before undoing it.
  TANDEM_RETURN_IF_ERROR(with_lock_retries(s, "new version schema", [&] {
    return drop_version_schema(*s.conn, options.schema, m->version);
  }));
  crash_point("rollback:new-schema-dropped");
  TANDEM_RETURN_IF_ERROR(run_phase(s, *m, stmts, active->done, "rollback", ""));
  if (active->created_previous)
    TANDEM_RETURN_IF_ERROR(with_lock_retries(s, "previous version schema", [&] {
      return drop_version_schema(*s.conn, options.schema, active->previous);
    }));
  crash_point("rollback:schemas-dropped");
  TANDEM_ASSIGN_OR_RETURN(std::string by, s.history->applied_by());
  TANDEM_RETURN_IF_ERROR(s.history->event("rollback", row_for(*m, "rolled_back", by)));
  TANDEM_RETURN_IF_ERROR(backfill::JobRecord::rolled_back(*s.conn, m->version));
  TANDEM_RETURN_IF_ERROR(s.conn->execute("DELETE FROM tandem.active"));
  return report(*m, "rolled_back", options.schema, active->previous, t0);
}

}  // namespace tandem::expand
