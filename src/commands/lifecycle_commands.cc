// start, complete, rollback and version-schema as the public API (tandem/expand.h).

#include <fmt/format.h>

#include "commands/guard.h"
#include "commands/verify_record.h"
#include "commands/hooks.h"
#include "engine/session.h"
#include "expand/lifecycle.h"
#include "expand/two_version.h"
#include "tandem/expand.h"

namespace tandem::expand {

Result<LifecycleReport> start(const Options& options, const std::optional<std::string>& version) {
  return commands::guarded("start", [&]() -> Result<LifecycleReport> {
    TANDEM_ASSIGN_OR_RETURN(auto s, commands::open_lifecycle(options, "start"));
    return start_in(*s, options.backfill, version);
  });
}

namespace {

// The gate before the contract: the newest `tandem verify` of the active migration since its
// start (verify records each result as an event). Mismatches refuse complete unless forced —
// complete drops the old representation, and with it the only copy of the values that differ.
// Never verified: a warning, not a refusal (a migration without translated columns has nothing
// to verify, and `tandem up` completes without verify by design).
Status check_verified(Session& s, bool force) {
  TANDEM_ASSIGN_OR_RETURN(std::optional<ActivePlan> active, active_plan(s));
  if (!active || active->phase != Phase::kStarted) return Status::Ok();  // complete_in says
  TANDEM_ASSIGN_OR_RETURN(std::optional<EventRow> last,
                          s.state->latest_event(active->version, {"start", "verify", "rollback"}));
  bool verified = last && last->action == "verify";
  if (verified && last->status == "mismatches") {
    if (force) {
      s.log(
          fmt::format("warning: completing {} although the latest `tandem verify` ({}) found {}: "
                      "--force",
                      active->file, last->at, commands::verify_summary(last->detail)));
      // The override is part of the history: who forced it, past which verify.
      TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> a, s.state->active());
      HistoryRow row;
      row.version = active->version;
      if (a) {
        row.name = a->name;
        row.checksum = a->checksum;
      }
      TANDEM_ASSIGN_OR_RETURN(row.applied_by, s.state->applied_by());
      TANDEM_RETURN_IF_ERROR(s.state->event(
          "complete_forced", row,
          fmt::format("--force past the verify of {} that found {}", last->at, commands::verify_summary(last->detail)),
          "forced"));
      return Status::Ok();
    }
    return Status::Problem(
        fmt::format("{}: the latest `tandem verify` ({}) found {}; complete would drop the old "
                    "representation, the only copy of the values that differ — nothing was "
                    "changed",
                    active->file, last->at, commands::verify_summary(last->detail)),
        "fix the rows `tandem verify` names (its sample keys) and run `tandem verify` again "
        "until it finds 0 mismatches, or `tandem rollback`; `tandem complete --force` "
        "completes anyway");
  }
  bool translates = false;
  for (const DualWrite& dw : active->plan.dual_writes)
    translates = translates || (!dw.new_column.empty() && !dw.up.empty()) ||
                 (!dw.old_column.empty() && !dw.down.empty());
  if (!verified && translates) {
    s.log(
        fmt::format("warning: {} was never checked with `tandem verify` since its start; "
                    "completing without it",
                    active->file));
  }
  return Status::Ok();
}

}  // namespace

Result<LifecycleReport> complete(const Options& options, const CompleteOptions& how) {
  return commands::guarded("complete", [&]() -> Result<LifecycleReport> {
    TANDEM_ASSIGN_OR_RETURN(auto s, commands::open_lifecycle(options, "complete"));
    TANDEM_RETURN_IF_ERROR(check_verified(*s, how.force));
    return complete_in(*s, options.backfill);
  });
}

Result<LifecycleReport> complete(const Options& options) { return complete(options, {}); }

Result<LifecycleReport> rollback(const Options& options) {
  return commands::guarded("rollback", [&]() -> Result<LifecycleReport> {
    TANDEM_ASSIGN_OR_RETURN(auto s, commands::open_lifecycle(options, "rollback"));
    return rollback_in(*s, options.backfill);
  });
}

Result<VersionSchema> version_schema(const EngineOptions& options,
                                     const std::optional<std::string>& version) {
  TANDEM_ASSIGN_OR_RETURN(db::Url url, db::parse_url(options.db_url));
  if (url.backend != db::Backend::kPostgres) {
    return Status::InvalidInput("version schemas exist on PostgreSQL only",
                                "on SQLite applications use the tables directly");
  }
  TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(options, commands::hooks(options), "version-schema",
                                                /*take_lock=*/false));
  return version_schema_in(*s, version);
}

}  // namespace tandem::expand
