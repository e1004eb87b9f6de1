#pragma once
// What the runbook's two halves share (runbook.cc: SQL migrations and the orchestration;
// runbook_declarative.cc: the phases of a declarative migration): table sizes, the measured
// backfill rate, locks from the linter's classification, and data-dropping statements.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/session.h"
#include "expand/lifecycle.h"
#include "tandem/lint.h"
#include "tandem/runbook.h"

namespace tandem::runbook_parts {

// A table's size as the catalog (or a count) has it.
struct TableSize {
  bool exists = false;
  long long rows = 0;
  std::string source;  // "pg_class.reltuples" | "count(*)"
};

// Sizes of tables in the session's managed schema, each looked up once. PostgreSQL reads
// pg_class.reltuples and counts (count(*)) a table never analyzed; SQLite counts.
class Sizes {
 public:
  explicit Sizes(Session& s) : s_(s) {}
  Result<TableSize> of(const std::string& table);

 private:
  Session& s_;
  std::map<std::string, TableSize> cache_;
};

// The rate backfills are estimated with: finished jobs of tandem.backfill_jobs, else the
// default; capped by the backfill options' max_rows_per_second.
struct Rate {
  double rows_per_second = kDefaultBackfillRowsPerSecond;
  int jobs = 0;
  std::string basis;  // "measured over 3 finished backfill jobs" | "default rate …"
};
Result<Rate> backfill_rate(Session& s, const BackfillOptions& backfill);

// `rows` at `rows_per_second`, in milliseconds (at least 1 for any row).
long long estimate_ms(long long rows, double rows_per_second);
// "1,234,567".
std::string thousands(long long n);

// `sql` on one line (whitespace collapsed), at most `max` characters ("…" when cut).
std::string one_line(const std::string& sql, size_t max = 200);

// Why running `sql` loses data ("drops table users", "drops column users.email", "deletes
// rows"), "" when it does not: DROP TABLE / SCHEMA … CASCADE, ALTER TABLE … DROP [COLUMN],
// TRUNCATE, DELETE. Read from the text, comments skipped.
std::string drops_data(const std::string& sql);

// The locks of linted statements (one per statement that takes a table lock), the relation
// sizes of those that rewrite or scan added to `rows`.
struct Locks {
  std::vector<RunbookLock> locks;
  long long rewritten_rows = 0;       // rows of the tables rewritten or scanned under a lock
  std::vector<std::string> sized;     // "orders: 25,000 rows (count(*))"
  std::vector<std::string> problems;  // parse errors: what could not be classified
};
// Lints `sources` (PostgreSQL's parser; lock levels from tandem's classification) and
// collects each statement's lock. On SQLite (`sqlite`) every statement takes the database
// write lock instead, whatever PostgreSQL would take.
Result<Locks> locks_of(Session& s, Sizes& sizes, const std::vector<lint::Source>& sources,
                       bool sqlite);

// Sets `phase`'s rows and estimate from what its locks rewrite or read (at the default
// rewrite rate), or says it changes the catalog only.
void estimate_locked(RunbookPhase& phase, const Locks& locks);

// The phases of declarative migration `m` on PostgreSQL (expand, backfill, validate, read
// switch, contract). `active`: the migration's stored plan when it is the active one.
Result<MigrationRunbook> declarative_runbook(Session& s, Sizes& sizes, const Rate& rate,
                                             const Migration& m,
                                             const std::optional<expand::ActivePlan>& active,
                                             const std::string& previous);

}  // namespace tandem::runbook_parts
