#pragma once
// The two-version lifecycle on an open session: start, complete, rollback, and what `plan` and
// `verify` need to know about the active migration.

#include <optional>
#include <string>

#include "engine/session.h"
#include "expand/catalog.h"
#include "expand/plan.h"
#include "tandem/expand.h"

namespace tandem::expand {

struct ActivePlan {
  std::string version, file;
  Phase phase;
  TwoVersionPlan plan;
};

// The active migration and its plan (from the snapshot taken at start), if one is active.
Result<std::optional<ActivePlan>> active_plan(Session& s);

// What a declarative migration pending now is planned from: the tables as they are, the
// history and its newest applied version ("0" when none).
struct PlanBase {
  Catalog catalog;
  std::vector<HistoryRow> history;
  std::string previous;
};
Result<PlanBase> plan_base(Session& s);

// What `tandem up` runs for declarative migration `m` on PostgreSQL (start, then complete),
// planned against the tables as they are now; a plan that needs earlier pending migrations
// applied first comes back as one comment saying so.
std::vector<Statement> planned_statements(Session& s, const Migration& m);

// The lint gate (rule severities `rules`) over what declarative migration `m` runs (start, then
// complete) if it began now, planned against the tables as they are: the error-level findings, and
// SQL the parser rejects. nullopt when it cannot be planned yet (it needs earlier pending
// migrations, or its plan is wrong): the caller lints what the file holds as written (its `sql`
// operations), and `start` plans it again when it is reached and refuses then, before any of
// it runs.
Result<std::optional<std::vector<Problem>>> gate_pending(
    Session& s, const Migration& m, const std::map<std::string, std::string>& rules);

// start, complete and rollback on a session that holds the migration lock, PostgreSQL (the
// commands layer opens it; `tandem up` runs start_in + complete_in for a declarative migration).
// Backfills run with `backfill`.
Result<LifecycleReport> start_in(Session& s, const BackfillOptions& backfill,
                                 const std::optional<std::string>& version);
Result<LifecycleReport> complete_in(Session& s, const BackfillOptions& backfill);
Result<LifecycleReport> rollback_in(Session& s, const BackfillOptions& backfill);

// `tandem version-schema` on a session (read only).
Result<VersionSchema> version_schema_in(Session& s, const std::optional<std::string>& version);

}  // namespace tandem::expand
