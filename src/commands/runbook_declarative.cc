// The runbook of a declarative migration on PostgreSQL: expand (`tandem start`), backfill
// (inside start), validate (`tandem verify`), read switch (applications move to the new
// version's schema), contract (`tandem complete`) — each with its locks, estimate, gate and
// rollback, from the same two-version plan `start` and `complete` run.

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "commands/runbook_parts.h"
#include "expand/plan.h"

namespace tandem::runbook_parts {
namespace {

// The lint sources of one half of the plan: start's (old version live) or complete's.
std::vector<lint::Source> half(const std::vector<lint::Source>& all, bool complete) {
  std::vector<lint::Source> out;
  for (const lint::Source& src : all) {
    if (src.old_version_gone != complete) continue;
    out.push_back(src);
    out.back().continues = out.size() > 1;
  }
  return out;
}

// Marks the phases before the active migration's current one done, that one active.
void mark_progress(MigrationRunbook& mr, Phase phase) {
  // started: expand and backfill are done; validate is where the operator is.
  size_t current = phase == Phase::kStarting ? 0 : phase == Phase::kCompleting ? 4 : 2;
  for (size_t i = 0; i < mr.phases.size(); ++i)
    mr.phases[i].state = i < current ? "done" : i == current ? "active" : "pending";
  if (phase == Phase::kRollingBack) {
    mr.notes.push_back("a rollback is part-way: run `tandem rollback` again to finish it");
  }
}

}  // namespace

Result<MigrationRunbook> declarative_runbook(Session& s, Sizes& sizes, const Rate& rate,
                                             const Migration& m,
                                             const std::optional<expand::ActivePlan>& active,
                                             const std::string& previous) {
  MigrationRunbook mr{m.version, m.name, m.file, "declarative", {}, {}};
  const std::string& schema = s.options.schema;
  std::string old_version = previous;
  std::optional<expand::TwoVersionPlan> plan;
  if (active) {
    plan = active->plan;
    TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> row, s.state->active());
    if (row) old_version = row->previous;
  } else {
    auto base = expand::plan_base(s);
    Status why = base.status();
    if (base.ok()) {
      auto planned = expand::plan_two_version(m, schema, previous, base->catalog, *s.conn);
      if (planned.ok()) {
        plan = std::move(*planned);
      } else {
        why = planned.status();
      }
    }
    if (!plan) {
      mr.notes.push_back(
          "locks and sizes not known yet: it is planned when it is reached, "
          "against the tables as they are then (now: " +
          why.message() + ")");
    } else if (previous != (current_version(base->history).empty()
                                ? std::string("0")
                                : current_version(base->history))) {
      mr.notes.push_back(
          "planned against the tables as they are now: the pending migrations "
          "before it may change what it locks");
    }
  }
  std::string old_schema = version_schema_name(schema, old_version);
  std::string new_schema = version_schema_name(schema, m.version);
  std::vector<lint::Source> sources;
  if (plan) sources = expand::plan_sources(m, *plan);

  // 1. expand
  RunbookPhase expand_phase;
  expand_phase.name = "expand";
  expand_phase.command = fmt::format("tandem start {}", m.version);
  expand_phase.what = fmt::format(
      "additive changes while the old version keeps running (shadow columns, dual-write "
      "triggers, NOT VALID constraints, concurrent indexes); creates the schemas {} (old "
      "version) and {} (new version)",
      old_schema, new_schema);
  TANDEM_ASSIGN_OR_RETURN(Locks start_locks, locks_of(s, sizes, half(sources, false), false));
  expand_phase.locks = std::move(start_locks.locks);
  estimate_locked(expand_phase, start_locks);
  for (std::string& p : start_locks.problems) mr.notes.push_back(std::move(p));
  expand_phase.gate =
      fmt::format("`tandem status` shows {} started; `tandem version-schema {}` prints {}",
                  m.version, m.version, new_schema);
  expand_phase.rollback = "tandem rollback";
  expand_phase.rollback_note =
      "drops what start added (shadow columns, triggers, the new version's schema); rows "
      "written through either version stay";

  // 2. backfill
  RunbookPhase backfill;
  backfill.name = "backfill";
  std::set<std::string> filled;
  if (plan) {
    for (const auto* steps : {&plan->start, &plan->complete}) {
      for (const expand::PlanStep& step : *steps) {
        if (step.backfill_table.empty()) continue;
        TANDEM_ASSIGN_OR_RETURN(TableSize size, sizes.of(step.backfill_table));
        if (filled.insert(step.backfill_table).second) backfill.rows += size.rows;
        RunbookLock lock;
        lock.mode = "ROW EXCLUSIVE";
        lock.relation = step.backfill_table;
        lock.statement =
            one_line(fmt::format("UPDATE {} SET {}{} in key-range batches", step.backfill_table,
                                 step.set, step.where.empty() ? "" : " WHERE " + step.where));
        lock.line = step.line;
        backfill.locks.push_back(std::move(lock));
      }
    }
  }
  if (backfill.locks.empty()) {
    backfill.what = plan ? "nothing to backfill: no column is filled from another"
                         : "fills the new columns of every row in batches, inside `tandem start`";
    backfill.estimate_basis = plan ? "no rows to change" : "not known until it is planned";
  } else {
    backfill.what = fmt::format(
        "`tandem start` fills {} in key-range batches (row locks, one short transaction per "
        "batch; other writers wait only for the rows of the current batch); watch it with "
        "`tandem backfill status`, pause or resume with `tandem backfill pause|resume`",
        fmt::join(filled, ", "));
    backfill.estimate_ms = estimate_ms(backfill.rows, rate.rows_per_second);
    backfill.estimate_basis =
        fmt::format("{} rows at {} rows/s, {}", thousands(backfill.rows),
                    thousands(std::llround(rate.rows_per_second)), rate.basis);
  }
  backfill.gate = fmt::format("`tandem backfill status` shows every job of {} done", m.version);
  backfill.rollback = "tandem rollback";
  backfill.rollback_note =
      "`tandem backfill cancel` stops it after the current batch (the checkpoint stays); "
      "`tandem rollback` then drops the shadow columns it filled";

  // 3. validate
  RunbookPhase validate;
  validate.name = "validate";
  validate.command = "tandem verify";
  std::set<std::string> checked;
  if (plan) {
    for (const expand::DualWrite& dw : plan->dual_writes) {
      bool checks = (!dw.new_column.empty() && !dw.up.empty()) ||
                    (!dw.old_column.empty() && !dw.down.empty());
      if (!checks || plan->base.table(dw.table) == nullptr) continue;
      if (!checked.insert(dw.table).second) continue;
      TANDEM_ASSIGN_OR_RETURN(TableSize size, sizes.of(dw.table));
      validate.rows += size.rows;
      validate.locks.push_back({"ACCESS SHARE", dw.table,
                                "SELECT count(*) FILTER (WHERE <old and new differ>) in "
                                "key-range batches, one REPEATABLE READ snapshot",
                                0, false, false, false, true});
    }
  }
  validate.what = checked.empty() && plan
                      ? "nothing to compare: no column is translated between the versions"
                      : fmt::format(
                            "compares every row's old and new representation ({}) without the "
                            "migration lock, read only",
                            checked.empty() ? "the translated columns"
                                            : fmt::format("{}", fmt::join(checked, ", ")));
  validate.estimate_ms = estimate_ms(validate.rows, kDefaultVerifyRowsPerSecond);
  if (validate.rows > 0) {
    validate.estimate_basis =
        fmt::format("{} rows, estimated from default rate ({} rows/s)", thousands(validate.rows),
                    thousands(static_cast<long long>(kDefaultVerifyRowsPerSecond)));
  }
  validate.gate =
      "`tandem verify` reports 0 mismatches (exit 0); `tandem complete` refuses while the latest "
      "verify found mismatches (unless --force)";
  validate.rollback_note = "read only: nothing to undo";

  // 4. read switch
  RunbookPhase read_switch;
  read_switch.name = "read_switch";
  read_switch.command = fmt::format("tandem version-schema {} --dsn", m.version);
  read_switch.what = fmt::format(
      "deploy the new application version with search_path={} (the command prints its "
      "connection string), then retire every instance of the old version (search_path={})",
      new_schema, old_schema);
  read_switch.estimate_basis = "your deployment's time; tandem waits for nothing here";
  read_switch.gate = fmt::format(
      "no application instance uses {} any more (check pg_stat_activity and your deployments)",
      old_schema);
  read_switch.rollback = "tandem rollback";
  read_switch.rollback_note = fmt::format(
      "first move every application back to {}: rollback drops {} (rows written through it "
      "stay)",
      old_schema, new_schema);

  // 5. contract
  RunbookPhase contract;
  contract.name = "contract";
  contract.command = "tandem complete";
  contract.what = fmt::format(
      "destructive changes once the old version is gone: drops {} and the old representation, "
      "the dual-write triggers, renames the new columns into place",
      old_schema);
  TANDEM_ASSIGN_OR_RETURN(Locks complete_locks, locks_of(s, sizes, half(sources, true), false));
  contract.locks = std::move(complete_locks.locks);
  estimate_locked(contract, complete_locks);
  for (std::string& p : complete_locks.problems) mr.notes.push_back(std::move(p));
  std::vector<std::string> dropped;
  for (const lint::Source& src : half(sources, true)) {
    for (size_t at = 0; at < src.sql.size();) {
      size_t end = src.sql.find(";\n", at);
      std::string why =
          drops_data(src.sql.substr(at, end == std::string::npos ? std::string::npos : end - at));
      if (!why.empty()) dropped.push_back(why);
      at = end == std::string::npos ? src.sql.size() : end + 2;
    }
  }
  dropped.push_back("drops schema " + old_schema);
  contract.irreversible = true;
  contract.irreversible_reason =
      fmt::format("drops the old representation ({})", fmt::join(dropped, "; "));
  contract.gate = fmt::format("`tandem status` lists {} as applied", m.version);
  contract.rollback_note =
      "after complete only a new migration (`tandem new`) brings the old representation back";

  // The flags the migration ties to its phases (docs/flags.md): what each phase switches.
  if (const expand::PhaseFlags* flags = expand::phase_flags_of(m)) {
    auto listed = [](const std::vector<expand::PhaseFlag>& list) {
      std::vector<std::string> out;
      for (const expand::PhaseFlag& f : list) out.push_back(f.key + " = " + f.value);
      return fmt::format("{}", fmt::join(out, ", "));
    };
    if (!flags->on_start.empty())
      expand_phase.what += "; then sets the flags " + listed(flags->on_start);
    if (!flags->require_to_complete.empty()) {
      read_switch.gate += "; the flags " + listed(flags->require_to_complete) +
                          " are served to everyone (`tandem flag set KEY VALUE`, without "
                          "targeting): complete refuses until they are";
    }
    if (!flags->on_complete.empty())
      contract.what += "; then sets the flags " + listed(flags->on_complete);
    if (!flags->on_rollback.empty()) {
      for (RunbookPhase* p : {&expand_phase, &backfill, &read_switch})
        if (!p->rollback.empty())
          p->rollback_note = "first sets the flags " + listed(flags->on_rollback) +
                             " (readers leave the new path); then " + p->rollback_note;
    }
  }
  for (RunbookPhase* p : {&expand_phase, &backfill, &validate, &read_switch, &contract})
    mr.phases.push_back(std::move(*p));
  if (active) mark_progress(mr, active->phase);
  mr.notes.push_back(fmt::format(
      "`tandem up --to {}` runs expand, backfill and contract at once, without time for the "
      "read switch: only when no old application version runs",
      m.version));
  return mr;
}

}  // namespace tandem::runbook_parts
