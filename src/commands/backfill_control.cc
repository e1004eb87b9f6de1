// `tandem backfill status|pause|resume|cancel [JOB]`: the jobs' state in tandem.backfill_jobs,
// changed from any terminal; the running process picks the change up between two batches.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backfill/backfill.h"
#include "backfill/keyset.h"
#include "commands/guard.h"
#include "commands/hooks.h"
#include "engine/session.h"
#include "tandem/backfill.h"
#include "tandem/expand.h"
#include "tandem/tandem.h"

namespace tandem::backfill {
namespace {

Result<std::unique_ptr<Session>> open(const EngineOptions& options, const std::string& command) {
  return Session::open_postgres(options, commands::hooks(options), "backfill " + command,
                                /*take_lock=*/false,
                                "on SQLite an `update` runs as one statement inside its "
                                "migration, with no job to control");
}

// Jobs matching `id` (all when empty), the unfinished first, newest first.
// A job id as typed: its version in any spelling ("0007/orders" is job 7/orders, as the
// migration file 0007_… is version 7).
std::optional<std::string> job_id(const std::optional<std::string>& typed) {
  if (!typed) return typed;
  size_t slash = typed->find('/');
  std::string_view version = std::string_view(*typed).substr(0, slash);
  if (slash == std::string::npos || version.empty() ||
      version.find_first_not_of("0123456789") != std::string_view::npos) {
    return typed;
  }
  return canonical_version(version) + typed->substr(slash);
}

Result<std::vector<BackfillJob>> load(db::Connection& conn, const std::optional<std::string>& typed,
                                      int finished = 20) {
  std::optional<std::string> id = job_id(typed);
  TANDEM_ASSIGN_OR_RETURN(db::Rows exists,
                          conn.query("SELECT to_regclass('tandem.backfill_jobs') IS NOT NULL"));
  if (exists.text(0, 0) != "t") return std::vector<BackfillJob>{};
  auto ts = [](const char* col) {
    return fmt::format(
        "coalesce(to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "'')",
        col);
  };
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn.query(
          fmt::format(
              "SELECT id, version, table_name, command, state, throttled, rows_done, "
              "rows_updated, rows_total, batch_size, rows_per_second, coalesce(checkpoint, ''), "
              "coalesce(error, ''), CASE WHEN EXISTS (SELECT 1 FROM pg_stat_activity a WHERE "
              "a.pid = j.runner_pid AND a.backend_start = j.runner_started) THEN runner ELSE '' "
              "END, {}, {}, {} FROM tandem.backfill_jobs j WHERE $1::text IS NULL OR id = $1 "
              "ORDER BY state IN ('running', 'paused') DESC, started_at DESC, id LIMIT (SELECT "
              "count(*) FROM tandem.backfill_jobs WHERE state IN ('running', 'paused')) + $2",
              ts("started_at"), ts("updated_at"), ts("finished_at")),
          {id ? db::Param(*id) : std::nullopt, std::to_string(std::max(finished, 0))}));
  std::vector<BackfillJob> out;
  for (size_t i = 0; i < r.size(); ++i) {
    BackfillJob j;
    j.id = r.text(i, 0);
    j.version = r.text(i, 1);
    j.table = r.text(i, 2);
    j.command = r.text(i, 3);
    j.state = r.text(i, 4);
    j.throttled = r.text(i, 5);
    TANDEM_ASSIGN_OR_RETURN(j.rows_done, r.integer(i, 6));
    TANDEM_ASSIGN_OR_RETURN(j.rows_updated, r.integer(i, 7));
    TANDEM_ASSIGN_OR_RETURN(j.rows_total, r.integer(i, 8));
    j.rows_total = std::max(j.rows_total, j.rows_done);
    TANDEM_ASSIGN_OR_RETURN(j.batch_size, r.integer(i, 9));
    TANDEM_ASSIGN_OR_RETURN(j.rows_per_second, r.number(i, 10));
    std::string cp = r.text(i, 11);
    if (cp.empty() || cp == kDone) {
      j.checkpoint = cp.empty() ? "" : "done";
    } else {
      // Shown, not fatal: one damaged row must not hide every other job (the runner refuses
      // to continue from it).
      auto key = key_from_json(cp);
      j.checkpoint = key.ok() ? key_text(*key) : "(not readable: " + key.status().message() + ")";
    }
    j.error = r.text(i, 12);
    j.runner = r.text(i, 13);
    j.started_at = r.text(i, 14);
    j.updated_at = r.text(i, 15);
    j.finished_at = r.text(i, 16);
    // A running job no process runs any more was interrupted (killed, connection lost).
    if (j.state == "running" && j.runner.empty()) j.state = "interrupted";
    if (j.state == "running" && j.rows_per_second > 0) {
      j.eta_ms = static_cast<long long>(1000.0 * static_cast<double>(j.rows_total - j.rows_done) /
                                        j.rows_per_second);
    }
    out.push_back(std::move(j));
  }
  return out;
}

// The job `id`, or the one job an action applies to when `id` is empty.
Result<BackfillJob> pick(db::Connection& conn, const std::optional<std::string>& id,
                         const std::vector<std::string>& states, const std::string& verb) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<BackfillJob> jobs, load(conn, id));
  if (id) {
    if (jobs.empty()) {
      return Status::InvalidInput(fmt::format("no backfill job {}", *id),
                                  "`tandem backfill status` lists the jobs");
    }
    return jobs[0];
  }
  std::vector<BackfillJob> candidates;
  for (BackfillJob& j : jobs)
    if (std::find(states.begin(), states.end(), j.state) != states.end()) candidates.push_back(j);
  if (candidates.size() == 1) return candidates[0];
  std::vector<std::string> ids;
  for (const BackfillJob& j : candidates) ids.push_back(j.id + " (" + j.state + ")");
  return Status::InvalidInput(
      candidates.empty() ? fmt::format("no backfill job to {} ({})", verb, fmt::join(states, ", "))
                         : fmt::format("{} backfill jobs could be meant: {}", candidates.size(),
                                       fmt::join(ids, ", ")),
      candidates.empty() ? "`tandem backfill status` lists the jobs"
                         : fmt::format("name one: `tandem backfill {} JOB`", verb));
}

}  // namespace

static Result<std::vector<BackfillJob>> status_now(const EngineOptions& options,
                                                   const std::optional<std::string>& job,
                                                   int finished) {
  TANDEM_ASSIGN_OR_RETURN(auto s, open(options, "status"));
  TANDEM_ASSIGN_OR_RETURN(std::vector<BackfillJob> jobs, load(*s->conn, job, finished));
  if (job && jobs.empty()) {
    return Status::InvalidInput(fmt::format("no backfill job {}", *job),
                                "`tandem backfill status` lists the jobs");
  }
  return jobs;
}

static Result<ControlReport> control_now(const Options& options,
                                         const std::optional<std::string>& job, Action action,
                                         bool continue_here) {
  const char* verb = action == Action::kPause    ? "pause"
                     : action == Action::kResume ? "resume"
                                                 : "cancel";
  TANDEM_ASSIGN_OR_RETURN(auto s, open(options.engine, verb));
  std::vector<std::string> from =
      action == Action::kResume
          ? std::vector<std::string>{"paused", "interrupted", "cancelled", "failed"}
          : std::vector<std::string>{"running", "paused"};
  TANDEM_ASSIGN_OR_RETURN(BackfillJob j, pick(*s->conn, job, from, verb));
  ControlReport report;
  report.previous_state = j.state;
  if (std::find(from.begin(), from.end(), j.state) == from.end() &&
      !(action == Action::kResume && j.state == "running")) {
    return Status::InvalidInput(
        fmt::format("backfill job {} is {}: there is nothing to {}", j.id, j.state, verb),
        "`tandem backfill status` shows every job");
  }
  if (action == Action::kResume && j.runner.empty() && !continue_here) {
    return Status::InvalidInput(
        fmt::format("no process runs backfill job {}: resuming it here would run it here", j.id),
        fmt::format("run `tandem backfill resume {}` (or the `tandem {}` that started it) where "
                    "the migrations are",
                    j.id, j.command));
  }
  std::string to = action == Action::kPause    ? "paused"
                   : action == Action::kResume ? "running"
                                               : "cancelled";
  // Only from the state read above (compare-and-set): a runner finishing, or another action,
  // meanwhile wins. (An interrupted job is stored as running.)
  std::string stored = j.state == "interrupted" ? "running" : j.state;
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows changed,
      s->conn->query("UPDATE tandem.backfill_jobs SET state = $2, updated_at = now() WHERE id = "
                     "$1 AND state = $3 RETURNING 1",
                     {j.id, to, stored}));
  if (changed.empty()) {
    return Status::InvalidInput(
        fmt::format("backfill job {} changed meanwhile (it was {}): nothing was done", j.id,
                    j.state),
        "`tandem backfill status` shows it now; run the action again if it still applies");
  }
  if (action == Action::kResume && j.runner.empty()) {
    // Nobody runs it: continue it here, by running the command that started it again.
    s.reset();
    if (j.command == "up") {
      TANDEM_RETURN_IF_ERROR(tandem::up(options, UpOptions{}).status());
    } else {
      TANDEM_RETURN_IF_ERROR(expand::start(options, j.version).status());
    }
    report.continued_here = true;
    TANDEM_ASSIGN_OR_RETURN(auto again, open(options.engine, verb));
    s = std::move(again);
  }
  TANDEM_ASSIGN_OR_RETURN(std::vector<BackfillJob> now, load(*s->conn, j.id));
  report.job = now.at(0);
  return report;
}

Result<std::vector<BackfillJob>> status(const EngineOptions& options,
                                        const std::optional<std::string>& job, int finished) {
  return commands::guarded("backfill status", [&] { return status_now(options, job, finished); });
}

Result<ControlReport> control(const Options& options, const std::optional<std::string>& job,
                              Action action, bool continue_here) {
  return commands::guarded("backfill",
                           [&] { return control_now(options, job, action, continue_here); });
}

}  // namespace tandem::backfill
