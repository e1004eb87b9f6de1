#pragma once
// Declarative migrations: a list of operations in pgroll's file format (.yaml/.yml/.json).
// This release runs them in *direct mode* — the operations' DDL in one transaction — on SQLite
// and PostgreSQL. Two live schema versions (start/complete/rollback) build on the same
// operations; see docs/declarative.md for what exists today.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/db.h"
#include "tandem/engine.h"
#include "tandem/lint.h"
#include "tandem/migration.h"
#include "tandem/options.h"

namespace tandem::expand {

// A piece of SQL the file supplies for an operation (see db::FragmentKind), where it is.
struct Fragment {
  db::FragmentKind kind;
  std::string field;  // "column.type", "up", "set.total"
  std::string text;
  int line = 0;
  bool two_version_only = false;  // only start/complete embed it (never checked for SQLite)
};

struct CheckSpec {
  std::string name;
  std::string constraint;
};

struct ReferenceSpec {
  std::string name;
  std::string table;
  std::string column;
  std::string on_delete = "NO ACTION";
};

// A column as pgroll writes it. As in pgroll, a column is NOT NULL unless `nullable: true`.
struct ColumnSpec {
  std::string name;
  std::string type;
  bool nullable = false;
  bool pk = false;
  bool unique = false;
  std::optional<std::string> default_sql;
  std::optional<CheckSpec> check;
  std::optional<ReferenceSpec> references;
  int line = 0;
  std::vector<Fragment> fragments;  // type, default, check
};

// The statements one operation runs in direct mode.
struct OperationSql {
  std::vector<std::string> statements;
  // False when a statement cannot run in a transaction (CREATE INDEX CONCURRENTLY).
  bool transactional = true;
  // The index a CREATE INDEX CONCURRENTLY builds, so a retry can drop an invalid leftover.
  std::string concurrent_index = {};
  // Statements that are typed actions (a SQLite table rebuild), by index into `statements`,
  // whose text there is "-- " and the action's description.
  std::map<size_t, std::shared_ptr<const Action>> actions = {};
  void add(std::shared_ptr<const Action> action) {
    actions[statements.size()] = action;
    statements.push_back("-- " + action->describe());
  }
};

// What an operation does in two-version mode (start/complete/rollback). Statements must be
// safe to re-run after a crash: rollback uses IF EXISTS forms.
// A batched data change of one table: `UPDATE table SET set WHERE where`, in key-range batches.
struct BatchedUpdate {
  std::string table;  // physical
  std::string set;    // "col" = (expr), … over physical names
  std::string where;  // "" for every row
};

struct TwoVersionSql {
  OperationSql start;  // additive physical changes, made while both versions are live
  std::vector<BatchedUpdate> updates;  // data changes, run after the dual-write backfills
  OperationSql after_backfill;  // what needs the shadow columns filled: VALIDATE, unique indexes
  OperationSql complete;        // destructive changes, once the old version is gone
  OperationSql finish;          // after every operation's `complete`: table renames
  OperationSql rollback;        // undoes `start`
};

class TwoVersionModel;

// One operation of a declarative migration. Each kind lives in its own file under src/expand/.
class Operation {
 public:
  virtual ~Operation() = default;
  // The pgroll name of the operation ("add_column").
  virtual std::string kind() const = 0;
  // Direct mode: the DDL that applies the operation on `dialect`'s backend (literals written
  // by its driver).
  virtual Result<OperationSql> up(const db::Dialect& dialect) const = 0;
  // Direct mode: the DDL that reverts it, or an error saying why it cannot be reverted.
  virtual Result<OperationSql> down(const db::Dialect& dialect) const = 0;
  // Two-version mode on PostgreSQL: the statements of each phase, given the new version's
  // tables as the earlier operations left them in `model` — which this operation then updates
  // (views, dual writes). Unknown tables/columns and unsupported forms are errors.
  virtual Result<TwoVersionSql> two_version(TwoVersionModel& model) const;
  int line() const { return line_; }
  void set_line(int line) { line_ = line; }
  // Every fragment of SQL the file gives this operation: checked for the backend before any
  // statement is generated from them.
  const std::vector<Fragment>& fragments() const { return fragments_; }
  void add_fragment(Fragment f) { fragments_.push_back(std::move(f)); }
  std::vector<Fragment>& fragments_sink() { return fragments_; }

 private:
  int line_ = 0;
  std::vector<Fragment> fragments_;
};

using OperationList = std::vector<std::unique_ptr<Operation>>;

// The declarative format (.yaml, .yml, .json in pgroll's operation format), which the commands
// layer registers with the engine (engine/hooks.h).
// On PostgreSQL `up` applies such a migration as start + complete, backfilling with `backfill`.
// A file over `limits` (max_operations, max_yaml_nodes) is refused before it is loaded.
std::shared_ptr<const MigrationFormat> declarative_format(const std::string& extension,
                                                          const BackfillOptions& backfill = {},
                                                          const InputLimits& limits = {});
// The operations of a declarative migration; null for any other.
const OperationList* operations_of(const Migration& m);

// Flags a declarative migration ties to its phases (its top-level `flags:`), the
// expand → dual-write → read-new → contract protocol as one file:
//   flags:
//     on_start:            { orders.dual_write: true }   # set once start has expanded
//     require_to_complete: { orders.read_new: true }     # complete refuses until every caller
//                                                         # is served this value
//     on_complete:         { orders.dual_write: false }  # set once complete has contracted
//     on_rollback:         { orders.read_new: false }    # set first, before rollback changes
//                                                         # anything: readers leave the new path
// Values are as `tandem flag set` reads them (a flag keeps its type). Applied by start,
// complete and rollback (PostgreSQL's two-version lifecycle, and `up`, which is start +
// complete there).
struct PhaseFlag {
  std::string key, value;
  int line = 0;
};
struct PhaseFlags {
  std::vector<PhaseFlag> on_start, require_to_complete, on_complete, on_rollback;
  bool empty() const {
    return on_start.empty() && require_to_complete.empty() && on_complete.empty() &&
           on_rollback.empty();
  }
};
// The flags of declarative migration `m`; null for any other (or one without `flags:`).
const PhaseFlags* phase_flags_of(const Migration& m);

// Problems with `m`'s fragments on `backend` (file:line, the field, what is wrong).
std::vector<Problem> check_fragments(db::Backend backend, const Migration& m);

// Parses a pgroll-format migration. Every problem (unknown operation, missing or unknown
// field, wrong type) is reported with the file's line; operations are returned only when
// there are none.
// More than `limits.max_operations` operations or `limits.max_yaml_nodes` YAML nodes (an
// alias counting as all it repeats) are refused before any operation is read.
std::vector<std::unique_ptr<Operation>> parse_operations(const std::string& path,
                                                         std::string_view content,
                                                         std::vector<Problem>& problems,
                                                         const InputLimits& limits = {});

// Direct-mode statements of a whole declarative migration for `dir`, in order (down reverts
// the operations in reverse). Problems are reported against `m.path` and the operation's line.
std::vector<Statement> direct_statements(const db::Dialect& dialect, const Migration& m,
                                         Direction dir, std::vector<Problem>& problems);

// The SQL written in `m`'s `sql` operations, at the operation's line: what `tandem lint` checks
// of a declarative migration without a database (tandem generates the rest from the tables as
// they are when it starts).
std::vector<WrittenSql> written_sql(const Migration& m);

// `tandem lint --plan`: `sources` with each pending declarative migration of --dir that can be
// planned against the --db PostgreSQL's tables as they are now (read only) replaced by the SQL
// its start and complete would run. `notes` says which could not be planned and why (one that
// needs an earlier pending migration applied first is linted when `tandem start` reaches it).
Result<std::vector<lint::Source>> with_planned_sql(const EngineOptions& options,
                                                   std::vector<lint::Source> sources,
                                                   std::vector<std::string>& notes);

struct LifecycleReport {
  std::string version, name, file;
  std::string step;        // started | completed | rolled_back
  std::string old_schema;  // the previous version's schema
  std::string new_schema;  // the new version's schema
  long long elapsed_ms = 0;
};

// `tandem start [VERSION]`: expands the next pending declarative migration (or VERSION) on
// PostgreSQL — additive physical changes, the previous version's schema kept (created from the
// current tables if missing) and the new version's schema of views — so old and new
// applications run side by side. Re-running after a crash continues where it stopped.
Result<LifecycleReport> start(const Options& options, const std::optional<std::string>& version);
// How `tandem complete` treats the latest `tandem verify` of the active migration.
struct CompleteOptions {
  // Complete even though the newest verify since `start` found mismatches (--force). Without
  // it complete refuses (Code::kProblem) and changes nothing. A migration never verified is
  // completed either way, with a warning on the log when it has translated columns.
  bool force = false;
};

// `tandem complete`: contracts the active migration and records it as applied — refused while
// the newest `tandem verify` since its start found mismatches, unless `how.force`.
Result<LifecycleReport> complete(const Options& options, const CompleteOptions& how);
// The same with CompleteOptions{} (not forced).
Result<LifecycleReport> complete(const Options& options);
// `tandem rollback`: undoes the active migration's start; rows written meanwhile stay.
Result<LifecycleReport> rollback(const Options& options);

struct VersionSchema {
  std::string version;  // "" for the schema itself (nothing applied through start/complete yet)
  std::string schema;   // what the application puts first on its search_path
  std::string dsn;      // --db with `options=-c search_path=…` added (password shown as ****)
  // The same, usable as a connection URL: with the password. Print it only when asked.
  std::string dsn_with_password;
  std::string state;  // latest | started (the new version of an active migration) | old
};

// `tandem version-schema [VERSION]`: the schema an application of VERSION uses — by default
// the newest version (an active migration's new version once started). Errors when the
// schema does not exist, saying which versions have one.
Result<VersionSchema> version_schema(const EngineOptions& options,
                                     const std::optional<std::string>& version);

}  // namespace tandem::expand
