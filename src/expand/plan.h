#pragma once
// The statements of start, complete and rollback for one declarative migration, planned from
// the catalog snapshot taken when its start began.

#include <map>
#include <string>
#include <vector>

#include "expand/two_version.h"
#include "tandem/lint.h"

namespace tandem::expand {

// One step of a phase: a statement, or a batched backfill of a table's shadow columns.
struct PlanStep {
  // The statements, each exactly one SQL statement, run together in one transaction (a
  // non-transactional step has one). For a backfill, what it does ("backfill orders").
  std::vector<std::string> sql;
  int line = 0;
  bool transactional = true;
  std::string concurrent_index;  // CREATE INDEX CONCURRENTLY: drop an invalid leftover first
  // Backfill: fills `set` ("col" = (expr), …) on every row of `table`, paging by `key`.
  std::string backfill_table;
  std::vector<std::string> key;
  std::string set;
  std::string where;  // only rows matching it ("" = all)
  // A data change (`update`) is written as the new version, so the dual-write triggers carry it
  // into the old version's columns too; "" for the dual-write backfill itself.
  std::string as_version;
};

struct TwoVersionPlan {
  std::vector<PlanStep> start, complete, rollback;
  std::vector<TableView> new_views;  // the new version's schema
  std::vector<TableView> old_views;  // the old version's schema, when start creates it
  std::vector<DualWrite> dual_writes;
  Catalog base;
};

// Plans `m` (declarative) with the old version `base`. Errors name the operation and say
// what to change; nothing touches the database.
// `dialect` writes the plan's literals: the connection it will run on.
Result<TwoVersionPlan> plan_two_version(const Migration& m, const std::string& schema,
                                        const std::string& old_version, const Catalog& base,
                                        const db::Dialect& dialect);

// The SQL `plan` runs — start's steps while both versions are live, complete's once the old
// version is gone — as lint sources reported at their operation's line in `m`'s file.
std::vector<lint::Source> plan_sources(const Migration& m, const TwoVersionPlan& plan);

// The error-level lint findings of that SQL (severities overridden by `rules`, a config's
// lint.rules): what `tandem start` and `tandem up` refuse without --allow-unsafe.
// Column types the plan does not create are read from `conn` (the database it will run on).
Result<std::vector<Problem>> unsafe_plan(const Migration& m, const TwoVersionPlan& plan,
                                         const std::map<std::string, std::string>& rules,
                                         db::Connection& conn, const std::string& schema);

}  // namespace tandem::expand
