// start / complete / rollback: a declarative migration with two live schema versions.
//
// State lives in tandem.active (engine/state.h, one row while a migration is active): which
// migration, the previous version, whether start created the previous version's schema, the
// phase and how many steps of that phase ran. Each transaction-safe step commits together with
// that counter, so a killed tandem re-runs nothing twice; the rest (CREATE INDEX CONCURRENTLY,
// IF EXISTS drops) are idempotent, and a backfill continues from its job's checkpoint. The
// version schemas start creates are recorded as tandem's; only those are ever dropped.

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
#include "engine/preflight.h"
#include "engine/runner.h"
#include "engine/selection.h"
#include "engine/session.h"
#include "expand/catalog.h"
#include "expand/lifecycle.h"
#include "expand/phase_flags.h"
#include "expand/plan.h"
#include "expand/version_schema.h"
#include "tandem/expand.h"

namespace tandem::expand {
namespace {

using Clock = std::chrono::steady_clock;

// The plan of `m` from the catalog snapshot `base` (JSON) taken when its start began.
Result<TwoVersionPlan> plan_for(const EngineOptions& options, const Migration& m,
                                const std::string& previous, const std::string& base,
                                const db::Dialect& dialect) {
  TANDEM_ASSIGN_OR_RETURN(Catalog catalog, catalog_from_json(base));
  return plan_two_version(m, options.schema, previous, catalog, dialect);
}

// Runs `fn` (view DDL) again after a lock_timeout, like the operations' statements.
Status with_lock_retries(Session& s, const std::string& what, const std::function<Status()>& fn) {
  return s.with_lock_retries(what + ":", fn);
}

// Runs the phase's steps[from…] through the engine's one statement runner: each
// transaction-safe step commits together with the phase's progress counter, a lock_timeout is
// retried with backoff (no statement queues traffic for longer than that), CREATE INDEX
// CONCURRENTLY follows the runner's recovery rule, and a backfill continues from its job's
// checkpoint.
Status run_phase(Session& s, const BackfillOptions& backfill, const Migration& m,
                 const std::vector<PlanStep>& plan, int from, const std::string& phase) {
  const EngineOptions& o = s.options;
  std::vector<Step> steps;
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlanStep& ps = plan[i];
    Step step;
    step.line = ps.line;
    step.transactional = ps.transactional;
    if (ps.backfill_table.empty()) {
      for (const std::string& sql : ps.sql) {
        Statement st;
        st.sql = sql;
        st.line = ps.line;
        st.transactional = ps.transactional;
        st.concurrent_index = ps.concurrent_index;
        step.statements.push_back(std::move(st));
      }
      steps.push_back(std::move(step));
      continue;
    }
    // One job per backfill step: "<version>/<table>", numbered from the second on a table.
    int nth = 1;
    for (size_t j = 0; j < i; ++j) nth += plan[j].backfill_table == ps.backfill_table;
    step.work = [&s, &backfill, &m, &o, &ps, &phase, nth,
                 resume = static_cast<int>(i) == from]() -> Status {
      backfill::Spec spec{qualified(o.schema, ps.backfill_table),
                          ps.backfill_table,
                          ps.key,
                          ps.set,
                          ps.where,
                          ps.as_version};
      // The step a killed run stopped in continues from its job's checkpoint.
      backfill::Run run{fmt::format("{}/{}{}", m.version, ps.backfill_table,
                                    nth > 1 ? fmt::format("#{}", nth) : ""),
                        m.version, resume, [&](long long batch) {
                          s.env().crash_point(fmt::format("{}:backfill-batch:{}", phase, batch));
                        }};
      TANDEM_ASSIGN_OR_RETURN(backfill::Stats stats, backfill::run(s, backfill, spec, run));
      s.env().crash_point(phase + ":backfill-finished");
      s.log(fmt::format("backfilled {} rows of {} in {} ms ({} batches)", stats.rows,
                        ps.backfill_table, stats.elapsed_ms, stats.batches));
      return Status::Ok();
    };
    steps.push_back(std::move(step));
  }
  RunSteps how{m.file, phase, [&s](int done) { return s.state->set_statements_done(done); }};
  StepsOutcome outcome;
  Status result = run_steps(s, steps, static_cast<size_t>(from), how, outcome);
  if (result.ok() || result.code() == Code::kLockNotAcquired) return result;
  return result.with_context(fmt::format("{}:{}: ", m.path, plan[outcome.failed].line))
      .with_hint(fmt::format(
          "fix the cause and run `tandem {}` again: it continues at this step{}", phase,
          phase == std::string("start")      ? "; or undo it with `tandem rollback`"
          : phase == std::string("complete") ? " (once complete began, it cannot be rolled back)"
                                             : ""));
}

Result<bool> schema_exists(db::Connection& conn, const std::string& name) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn.query("SELECT count(*) FROM pg_namespace WHERE nspname = $1", {name}));
  return r.text(0, 0) != "0";
}

// Whether tandem recorded `schema` as a version schema it created.
Result<bool> owns_schema(Session& s, const std::string& schema) {
  TANDEM_ASSIGN_OR_RETURN(auto owned, s.state->version_schemas());
  for (const auto& [name, version] : owned)
    if (name == schema) return true;
  return false;
}

// A problem when `schema` exists but tandem did not create it: start would use (and complete
// or rollback would drop) a schema that belongs to someone else.
Result<std::optional<Problem>> foreign_schema(Session& s, const std::string& schema) {
  TANDEM_ASSIGN_OR_RETURN(bool exists, schema_exists(*s.conn, schema));
  if (!exists) return std::optional<Problem>();
  TANDEM_ASSIGN_OR_RETURN(bool ours, owns_schema(s, schema));
  if (ours) return std::optional<Problem>();
  return std::optional<Problem>(Problem{
      "schema_taken", "", 0, 0,
      fmt::format("schema \"{}\" exists and was not created by tandem; a version schema of that "
                  "name would take it over",
                  schema),
      "rename or drop that schema, or run tandem with another --schema"});
}

// Creates `version`'s schema of `views` and records it as tandem's, in one transaction.
Status create_owned_schema(Session& s, const std::string& version,
                           const std::vector<TableView>& views) {
  std::string name = version_schema_name(s.options.schema, version);
  return s.with_lock_retries(name + ":", [&] {
    return create_version_schema(*s.conn, s.options.schema, version, views,
                                 [&] { return s.state->record_version_schema(name, version); });
  });
}

Status drop_owned_schema(Session& s, const std::string& schema) {
  return s.with_lock_retries(schema + ":", [&] { return s.state->drop_version_schema(schema); });
}

HistoryRow row_for(const Migration& m, RunStatus status, const std::string& by) {
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
Result<TwoVersionPlan> enter_phase(Session& s, const ActiveMigration& active,
                                   const PreparedSet& prepared, Phase phase, const Migration*& m) {
  m = prepared.find(active.version);
  if (m == nullptr || m->checksum != active.checksum) {
    return Status::InvalidInput(
        fmt::format("{} changed or disappeared since `tandem start`", active.file),
        "restore the file as it was started; then " + phase_next_step(active.phase));
  }
  std::string base = active.base;
  if (base.empty()) {  // started by an older tandem, which kept no snapshot
    TANDEM_ASSIGN_OR_RETURN(Catalog now, read_catalog(*s.conn, s.options.schema));
    base = to_json(now);
  }
  TANDEM_ASSIGN_OR_RETURN(TwoVersionPlan plan,
                          plan_for(s.options, *m, active.previous, base, *s.conn));
  TANDEM_RETURN_IF_ERROR(s.state->set_phase(phase));
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
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> active, s.state->active());
  if (!active) return std::optional<ActivePlan>();
  PreparedSet prepared = prepare(s);
  const Migration* m = prepared.find(active->version);
  if (m == nullptr || m->checksum != active->checksum || !operations_of(*m)) {
    return Status::InvalidInput(
        fmt::format("{} changed or disappeared since `tandem start`", active->file),
        "restore the file as it was started");
  }
  TANDEM_ASSIGN_OR_RETURN(TwoVersionPlan plan,
                          plan_for(s.options, *m, active->previous, active->base, *s.conn));
  return std::optional<ActivePlan>(
      ActivePlan{active->version, active->file, active->phase, std::move(plan)});
}

Result<PlanBase> plan_base(Session& s) {
  std::vector<HistoryRow> rows;
  TANDEM_ASSIGN_OR_RETURN(bool have_history, s.state->exists());
  if (have_history) {
    TANDEM_ASSIGN_OR_RETURN(rows, s.state->load());
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
    auto planned = plan_two_version(m, s.options.schema, base->previous, base->catalog, *s.conn);
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
  auto add = [&](const std::vector<PlanStep>& steps) {
    for (const PlanStep& step : steps) {
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

Result<LifecycleReport> start_in(Session& s, const BackfillOptions& backfill,
                                 const std::optional<std::string>& version) {
  auto t0 = Clock::now();
  const EngineOptions& options = s.options;
  TANDEM_RETURN_IF_ERROR(s.conn->execute_script(s.timeouts_sql(/*local=*/false)));
  PreparedSet prepared = prepare(s);
  std::vector<HistoryRow> rows;
  TANDEM_ASSIGN_OR_RETURN(bool have_history, s.state->exists());
  if (have_history) {
    TANDEM_ASSIGN_OR_RETURN(rows, s.state->load());
  }
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> active, s.state->active());
  const Migration* m = nullptr;
  if (active) {
    if (active->phase != Phase::kStarting ||
        (version && canonical_version(*version) != active->version)) {
      return Status::InvalidInput(fmt::format("migration {} ({}) is already {}", active->version,
                                              active->file, phase_name(active->phase)),
                                  phase_next_step(active->phase));
    }
    m = prepared.find(active->version);
    if (m != nullptr && m->checksum != active->checksum) {
      return Status::InvalidInput(
          fmt::format("{} changed since its start began", active->file),
          "restore the file as it was; then " + phase_next_step(active->phase));
    }
  } else {
    std::vector<Pick> pending = select_up(prepared, rows, UpOptions{}, SIZE_MAX);
    for (const Pick& p : pending) {
      if (!version || p.migration->version == canonical_version(*version)) {
        m = p.migration;
        break;
      }
    }
    if (m == nullptr) {
      // The folder's problems may be why nothing is pending (a file that could not be read).
      TANDEM_ASSIGN_OR_RETURN(std::vector<Problem> problems,
                              preflight(s, prepared, rows, {}, Preflight{}));
      if (!problems.empty()) {
        return refused(problems);
      }
    }
    if (m == nullptr) {
      return Status::InvalidInput(
          version ? fmt::format("version {} is not a pending migration", *version)
                  : std::string("no pending migration to start"),
          "see `tandem status`");
    }
  }
  if (m == nullptr || !operations_of(*m)) {
    return Status::InvalidInput(
        fmt::format("{} is not a declarative migration", m ? m->file : "the active migration"),
        "`tandem start` runs .yaml/.json migrations; apply .sql ones with `tandem up`");
  }
  // What `up` and `plan` check, start checks: the folder, the history, and — unless this
  // continues a start under way — the lint gate over the plan (the commands layer's hook).
  TANDEM_ASSIGN_OR_RETURN(std::vector<Problem> problems,
                          preflight(s, prepared, rows, {Pick{m, nullptr, 0}}, Preflight{}));
  std::string applied = current_version(rows);
  const std::string previous = active ? active->previous : applied.empty() ? "0" : applied;
  std::string old_schema = version_schema_name(options.schema, previous);
  std::string new_schema = version_schema_name(options.schema, m->version);
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
  auto plan = plan_for(options, *m, previous, base, *s.conn);
  if (!plan.ok()) {
    problems.push_back({"two_version", "", 0, 0, plan.status().message(), plan.status().hint()});
  }
  if (!active) {
    // Both version schemas' names must be free or tandem's own.
    for (const std::string& name : {old_schema, new_schema}) {
      TANDEM_ASSIGN_OR_RETURN(std::optional<Problem> taken, foreign_schema(s, name));
      if (taken) problems.push_back(std::move(*taken));
    }
  }
  if (!problems.empty()) {
    return refused(problems);
  }
  // A wrong --throttle-query or an unreachable --replica is reported before anything changes.
  // A start that continues has jobs with stored throttles: the flags are merged with those and
  // checked once, when each job's backfill continues (a --replica given again without
  // --max-lag uses the job's stored lag limit).
  if (!active) {
    TANDEM_ASSIGN_OR_RETURN(backfill::Settings given, backfill::resolve(backfill, ""));
    TANDEM_RETURN_IF_ERROR(backfill::Throttle(given).check_config(*s.conn));
  }
  // A phase flag whose value its flag's type refuses is found now, not after the expand.
  if (const PhaseFlags* flags = phase_flags_of(*m))
    TANDEM_RETURN_IF_ERROR(check_phase_flag_types(s, *flags, *m));
  TANDEM_RETURN_IF_ERROR(s.ensure_state());
  if (!active) {
    TANDEM_ASSIGN_OR_RETURN(bool prev_exists, schema_exists(*s.conn, old_schema));
    ActiveMigration a{m->version,   m->name,          m->file, m->checksum, previous,
                      !prev_exists, Phase::kStarting, 0,       base};
    TANDEM_RETURN_IF_ERROR(s.state->begin_active(a));
    active = a;
    s.env().crash_point("start:registered");
  }
  // The previous version's schema: its views list today's columns only, so the old
  // application keeps seeing the tables exactly as before.
  TANDEM_ASSIGN_OR_RETURN(bool old_exists, schema_exists(*s.conn, old_schema));
  if (!old_exists) {
    TANDEM_RETURN_IF_ERROR(create_owned_schema(s, active->previous, plan->old_views));
    s.env().crash_point("start:old-schema");
  }
  TANDEM_RETURN_IF_ERROR(run_phase(s, backfill, *m, plan->start, active->statements_done, "start"));
  TANDEM_RETURN_IF_ERROR(create_owned_schema(s, m->version, plan->new_views));
  s.env().crash_point("start:new-schema");
  // Before the phase moves on: a start killed after this point sets them again when re-run.
  if (const PhaseFlags* flags = phase_flags_of(*m))
    TANDEM_RETURN_IF_ERROR(apply_phase_flags(s, flags->on_start, "tandem start " + m->file));
  TANDEM_RETURN_IF_ERROR(s.state->set_phase(Phase::kStarted));
  TANDEM_ASSIGN_OR_RETURN(std::string by, s.state->applied_by());
  TANDEM_RETURN_IF_ERROR(
      s.state->event("start", row_for(*m, RunStatus::kRunning, by), "", "started"));
  return LifecycleReport{m->version, m->name,    m->file,     "started",
                         old_schema, new_schema, ms_since(t0)};
}

Result<LifecycleReport> complete_in(Session& s, const BackfillOptions& backfill) {
  auto t0 = Clock::now();
  const EngineOptions& options = s.options;
  TANDEM_RETURN_IF_ERROR(s.conn->execute_script(s.timeouts_sql(/*local=*/false)));
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> active, s.state->active());
  if (!active || (active->phase != Phase::kStarted && active->phase != Phase::kCompleting)) {
    return Status::InvalidInput(
        active ? fmt::format("migration {} is {}, not started", active->version,
                             phase_name(active->phase))
               : std::string("no migration is active"),
        active ? phase_next_step(active->phase) : "start one with `tandem start`");
  }
  PreparedSet prepared = prepare(s);
  const Migration* m = nullptr;
  // The flags the migration requires are checked before complete changes anything (once it
  // began, it finishes: a complete killed part-way does not ask again).
  if (const Migration* file = prepared.find(active->version);
      file != nullptr && active->phase == Phase::kStarted) {
    if (const PhaseFlags* flags = phase_flags_of(*file))
      TANDEM_RETURN_IF_ERROR(check_phase_flags(s, flags->require_to_complete, *file));
  }
  TANDEM_RETURN_IF_ERROR(s.ensure_state());
  TANDEM_ASSIGN_OR_RETURN(TwoVersionPlan plan,
                          enter_phase(s, *active, prepared, Phase::kCompleting, m));
  const std::vector<PlanStep>& stmts = plan.complete;
  TANDEM_ASSIGN_OR_RETURN(active, s.state->active());
  // The old version is gone: drop its schema (its views may depend on what complete removes);
  // the new version's schema stays for its applications. So go the schemas of any older
  // version still around (their views would otherwise block what complete drops, and show
  // columns that no longer mean what they did) — the ones tandem created, and only those.
  TANDEM_ASSIGN_OR_RETURN(auto owned, s.state->version_schemas());
  for (const auto& [name, version] : owned) {
    if (compare_versions(version, m->version) < 0)
      TANDEM_RETURN_IF_ERROR(drop_owned_schema(s, name));
  }
  s.env().crash_point("complete:old-schema-dropped");
  TANDEM_RETURN_IF_ERROR(run_phase(s, backfill, *m, stmts, active->statements_done, "complete"));
  if (const PhaseFlags* flags = phase_flags_of(*m))
    TANDEM_RETURN_IF_ERROR(apply_phase_flags(s, flags->on_complete, "tandem complete " + m->file));
  TANDEM_ASSIGN_OR_RETURN(std::string by, s.state->applied_by());
  HistoryRow row = row_for(*m, RunStatus::kApplied, by);
  row.transactional = false;
  row.statements_total = row.statements_applied = static_cast<int>(stmts.size());
  row.duration_ms = ms_since(t0);
  TANDEM_RETURN_IF_ERROR(s.fence());
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*s.conn));
  TANDEM_RETURN_IF_ERROR(s.fence());
  TANDEM_RETURN_IF_ERROR(s.state->upsert(row));
  TANDEM_RETURN_IF_ERROR(s.state->event("complete", row));
  TANDEM_RETURN_IF_ERROR(s.state->end_active());
  TANDEM_RETURN_IF_ERROR(tx.commit());
  return report(*m, "completed", options.schema, active->previous, t0);
}

Result<LifecycleReport> rollback_in(Session& s, const BackfillOptions& backfill) {
  auto t0 = Clock::now();
  const EngineOptions& options = s.options;
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> active, s.state->active());
  if (!active) {
    return Status::InvalidInput("no migration is active: nothing to roll back",
                                "`tandem status` shows what is applied; `tandem down` reverts an "
                                "applied migration");
  }
  if (active->phase == Phase::kCompleting) {
    return Status::InvalidInput(
        fmt::format("migration {} is part-way through complete", active->version),
        phase_next_step(active->phase));
  }
  PreparedSet prepared = prepare(s);
  const Migration* m = nullptr;
  // Readers leave the new path before anything it reads goes away.
  if (const Migration* file = prepared.find(active->version)) {
    if (const PhaseFlags* flags = phase_flags_of(*file))
      TANDEM_RETURN_IF_ERROR(
          apply_phase_flags(s, flags->on_rollback, "tandem rollback " + file->file));
  }
  TANDEM_RETURN_IF_ERROR(s.ensure_state());
  TANDEM_ASSIGN_OR_RETURN(TwoVersionPlan plan,
                          enter_phase(s, *active, prepared, Phase::kRollingBack, m));
  const std::vector<PlanStep>& stmts = plan.rollback;
  TANDEM_ASSIGN_OR_RETURN(active, s.state->active());
  // The new version's views depend on what start added: drop them before undoing it.
  TANDEM_RETURN_IF_ERROR(drop_owned_schema(s, version_schema_name(options.schema, m->version)));
  s.env().crash_point("rollback:new-schema-dropped");
  TANDEM_RETURN_IF_ERROR(run_phase(s, backfill, *m, stmts, active->statements_done, "rollback"));
  if (active->created_previous) {
    TANDEM_RETURN_IF_ERROR(
        drop_owned_schema(s, version_schema_name(options.schema, active->previous)));
  }
  s.env().crash_point("rollback:schemas-dropped");
  TANDEM_ASSIGN_OR_RETURN(std::string by, s.state->applied_by());
  TANDEM_RETURN_IF_ERROR(
      s.state->event("rollback", row_for(*m, RunStatus::kReverted, by), "", "rolled_back"));
  TANDEM_RETURN_IF_ERROR(backfill::JobRecord::rolled_back(*s.conn, m->version));
  TANDEM_RETURN_IF_ERROR(s.state->end_active());
  return report(*m, "rolled_back", options.schema, active->previous, t0);
}

}  // namespace tandem::expand
