#pragma once
// tandem's own tables — the one place that knows their layout. PostgreSQL: schema `tandem`;
// SQLite: tables prefixed `tandem_`.
//
//   migrations       one row per migration applied (or failed part-way): what ran, when, by whom,
//                    how long, its checksum, how far a non-transactional one got, why it failed
//   events           append-only log of every up, down, start, complete, rollback, repair, baseline
//   meta             the layout version (`state_version`) and the lock epoch
//   active           (PostgreSQL) the expand/contract migration `tandem start` made active
//   version_schemas  (PostgreSQL) the version schemas tandem created — the only ones it drops
//   backfill_jobs    (PostgreSQL) every backfill's progress and checkpoint (rows: backfill/job.h)
//
// The layout is versioned (meta.state_version); writing commands upgrade an older layout step by
// step under the migration lock, each step in one transaction. Reading never runs DDL: readers
// take what the layout they find has.

#include <optional>
#include <string>
#include <vector>

#include "tandem/db.h"
#include "tandem/env.h"
#include "tandem/migration.h"
#include "tandem/status.h"

namespace tandem {

// How far a migration's last run got.
// kReverted only in events: a reverted migration's history row is removed.
enum class RunStatus { kApplied, kFailed, kRunning, kBaseline, kReverted };
const char* run_status_name(RunStatus s);  // "applied" | "failed" | "running" | "baseline" | …
std::optional<RunStatus> parse_run_status(std::string_view text);
const char* direction_name(Direction d);  // "up" | "down"

// The file a history row was checked against, so an unchanged file need not be read again:
// size, modification and change times (ns) and inode. All 0 = not recorded.
struct FileStat {
  long long size = 0, mtime_ns = 0, ctime_ns = 0, inode = 0;
  bool recorded() const { return size || mtime_ns || ctime_ns || inode; }
  bool operator==(const FileStat&) const = default;
};

struct HistoryRow {
  std::string version;
  std::string name;
  std::string checksum;
  RunStatus status = RunStatus::kApplied;
  Direction direction = Direction::kUp;  // of the last run
  std::string applied_at;                // ISO-8601 UTC
  long long duration_ms = 0;
  std::string applied_by;
  std::string tandem_version;
  bool transactional = true;
  int statements_applied = 0;
  int statements_total = 0;
  std::string error;
  std::string failed_statement;
  FileStat file;  // what the file looked like when `checksum` was taken from it
};

// One row of the event log, as latest_event() and events() read it.
struct EventRow {
  std::string action, status, detail;
  std::string at;  // as the database prints it
  long long duration_ms = 0;
  std::string version;  // "" for an event without one
  long long id = 0;     // the log's order
};

// The phases of an active expand/contract migration.
enum class Phase { kStarting, kStarted, kCompleting, kRollingBack };
const char* phase_name(Phase p);  // "starting" | "started" | "completing" | "rolling_back"
// The commands that work for a migration in phase `p`, as a hint: only those (a rollback is
// refused once complete began; complete is refused while a rollback is unfinished).
std::string phase_next_step(Phase p);
std::optional<Phase> parse_phase(std::string_view text);

// The migration `tandem start` made active (PostgreSQL).
struct ActiveMigration {
  std::string version, name, file, checksum;
  std::string previous;           // the version before it ("0" when none)
  bool created_previous = false;  // start created the previous version's schema
  Phase phase = Phase::kStarting;
  int statements_done = 0;  // of the current phase
  std::string base;         // the catalog snapshot (JSON) start planned from
};

// The name of `version`'s schema in the managed `schema`: "public" + "7" → "public_7".
inline std::string version_schema_name(const std::string& schema, const std::string& version) {
  return schema + "_" + version;
}

class State {
 public:
  // The layout this build writes. 1: migrations, events, meta (and active / backfill_jobs,
  // created when first needed). 2: every table created up front, version_schemas, the file stats
  // of history rows. 3: backfill jobs keep their settings (throttles).
  static constexpr int kLayout = 3;

  // `env` names the user on SQLite (applied_by).
  State(db::Connection& conn, Env& env);

  // The layout version the database holds; 0 when it has no state yet. Read only.
  Result<int> layout();
  // Whether the history tables exist (read only).
  Result<bool> exists();
  // Creates the tables, or upgrades an older layout to kLayout. Call with the migration lock
  // held (SQLite: inside BEGIN IMMEDIATE). A layout newer than this build is refused.
  Status ensure();

  // History rows sorted by version; a row holding an unknown status is an error.
  Result<std::vector<HistoryRow>> load();
  Status upsert(const HistoryRow& row);
  Status remove(const std::string& version);
  // Appends one event. `action`: up, down, up_failed, down_failed, repair, baseline, start,
  // complete, rollback.
  // `status` overrides the row's in the event ("started", "rolled_back").
  Status event(const std::string& action, const HistoryRow& row, const std::string& detail = {},
               const std::string& status = {});
  // The versions the event log holds `action` events for, each once ("" for an event without a
  // version); empty without state. Read only.
  Result<std::vector<std::string>> event_versions(const std::string& action);
  // The newest event of `version` whose action is one of `actions`, if any (read only; none
  // without state).
  Result<std::optional<EventRow>> latest_event(const std::string& version,
                                               const std::vector<std::string>& actions);
  // The newest `limit` events whose action is `action`, newest first, `at` as ISO-8601 UTC
  // (read only; none without state).
  Result<std::vector<EventRow>> events(const std::string& action, int limit);
  // Changes whenever an event is appended: "count:max id" ("" without state). One indexed
  // lookup, for a reader that polls (the dashboard).
  Result<std::string> events_generation();

  // PostgreSQL: the lock epoch. next: counts one more holder of the migration lock (waits for a
  // previous holder's transaction still fencing with the old one). current: the epoch now,
  // share-locked until the caller's transaction ends ("" when none).
  Result<std::string> next_lock_epoch();
  Result<std::string> current_lock_epoch();

  // PostgreSQL: the active expand/contract migration, if any (read only).
  Result<std::optional<ActiveMigration>> active();
  Status begin_active(const ActiveMigration& a);
  // Moves to `phase`, its progress reset — unless it is in that phase already.
  Status set_phase(Phase phase);
  Status set_statements_done(int done);
  Status end_active();

  // PostgreSQL: the version schemas tandem created (schema → version), read only.
  Result<std::vector<std::pair<std::string, std::string>>> version_schemas();
  // Records `schema` (of `version`) as tandem's: created by it, dropped only by it.
  Status record_version_schema(const std::string& schema, const std::string& version);
  Status forget_version_schema(const std::string& schema);
  // Drops `schema` with its views and forgets it, in one transaction — only when tandem
  // recorded it as its own; a schema it did not create is never dropped (ok, nothing done).
  Status drop_version_schema(const std::string& schema);

  // Current time as ISO-8601 UTC with milliseconds.
  static std::string now();
  // Who is applying: the database user (PostgreSQL) or the OS user (SQLite).
  Result<std::string> applied_by();

 private:
  // Runs `sql` (tandem's own DDL) and records `to` as the layout, in one transaction.
  Status upgrade_step(int to, const std::vector<std::string>& sql);
  Status adopt_version_schemas();
  Result<bool> has_column(const std::string& table, const std::string& column);

  db::Connection& conn_;
  Env& env_;
  bool pg_;
  std::string migrations_, events_, meta_;
  std::string applied_by_;
  int layout_ = -1;  // cached after layout() or ensure()
};

}  // namespace tandem
