#pragma once
// Fleets: one migrations folder rolled out over many PostgreSQL databases (shards, tenants,
// regions) listed in a targets file. A fleet runs the engine's own use cases (up, start,
// complete, rollback, status — tandem/tandem.h) on each target with that target's own
// connection, so each target keeps its own history: re-running continues where a run stopped,
// and a target added later catches up. See docs/fleet.md.
//
//   auto file = tandem::fleet::load_targets("targets.yaml");
//   if (!file.ok()) return fail(file.status());          // exit 2, file:line named
//   tandem::fleet::RunOptions run;
//   run.action = tandem::fleet::Action::kUp;
//   run.base.engine.dir = "migrations";
//   auto report = tandem::fleet::rollout(*file, run);   // canary, then waves

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tandem/options.h"
#include "tandem/status.h"

namespace tandem::fleet {

// One database of the fleet, as the targets file lists it.
struct Target {
  std::string name;
  std::string url;      // as written (with its password): never print it, print shown()
  std::string replica;  // optional: the standby the target's backfills read lag from
  std::map<std::string, std::string> labels;
  int line = 0;  // where the target starts in the file (1-based)
  // The URL with its password as ****.
  std::string shown() const;
};

// A parsed, validated targets file.
struct TargetsFile {
  std::string path;
  std::vector<Target> targets;  // in the file's order; names are unique
  std::string canary;           // the `canary:` target, else the first one listed
  int canary_line = 0;
};

// Reads and checks the whole file before anything connects: YAML syntax, unknown keys,
// missing names or URLs, duplicate names, URLs that are not PostgreSQL URLs, labels that are not
// a flat map, a canary that is not listed. Every problem is reported at once (refused(): exit 2,
// each with file:line and a hint); no URL's password appears in any message.
Result<TargetsFile> load_targets(const std::string& path);

// The targets whose labels match every `key=value` selector (all when there is none), in the
// file's order. A selector without `=` is invalid input.
Result<std::vector<Target>> select(const TargetsFile& file,
                                   const std::vector<std::string>& selectors);

// Connects to every target (up to `concurrency` at a time, each attempt at most
// `connect_timeout_s` seconds) and refuses — exit 2, each unreachable target named with its
// line, its URL as **** — when any cannot be reached. Changes nothing anywhere.
Status check_reachable(const TargetsFile& file, const std::vector<Target>& targets,
                       int connect_timeout_s, int concurrency);

enum class Action { kUp, kStart, kComplete, kRollback, kStatus };
const char* action_name(Action a);  // "up" | "start" | "complete" | "rollback" | "status"

// What happened to one target in a run (or, for kStatus, where it stands).
struct TargetResult {
  std::string name;
  std::string url;  // redacted
  std::map<std::string, std::string> labels;
  int wave = 0;  // 0: the canary; 1…: the waves after it
  // done | failed | up_to_date | not_started | skipped (not selected); for kStatus:
  // up_to_date | pending | active | failed
  std::string state;
  std::string version_before, version_after;  // current versions ("" = none applied)
  int applied = 0;                            // migrations applied by this run (up)
  int pending = 0;                            // kStatus: migrations not applied yet
  std::string active;                         // an active migration ("version:phase")
  std::string detail;                         // what ran: "applied 2", "started 0003", …
  long long duration_ms = 0;
  std::string error, hint;  // failed: why, and what to do
  Code code = Code::kOk;    // failed: the kind of error
};

struct FleetReport {
  std::string action;
  std::vector<TargetResult> targets;  // in the file's order
  bool halted = false;                // a failure (or a stop request) stopped the run
  std::string halted_by;              // the first failed target, or "signal"
  long long elapsed_ms = 0;           // wall time of the run
  long long target_ms = 0;            // sum of the targets' durations
  int count(const std::string& state) const;
};

// How a fleet run goes.
struct RunOptions {
  Action action = Action::kUp;
  // The options each target runs with: engine (dir, schema, timeouts, log), backfill (throttles;
  // a target's `replica:` becomes its backfills' replica_url), gate. db_url and connection are
  // replaced per target; log lines get a "[name] " prefix; on_step, on_statement and
  // on_progress are not used (several targets run at once: their progress is logged).
  Options base;
  // kStart: the version to start (default: the next pending one); kUp: apply up to and
  // including this version (default: all pending).
  std::optional<std::string> version;
  int wave_size = 10;               // targets per wave after the canary (0 = all in one)
  int concurrency = 4;              // targets running at once within a wave
  std::vector<std::string> select;  // label selectors (see select())
  bool check_reachable = true;      // connect to every target before anything runs
  // Called (from the worker threads, one call at a time) as each target finishes.
  std::function<void(const TargetResult&)> on_target;
  // Set (say, by a signal handler) to stop: targets running finish, no new one starts.
  const std::atomic<bool>* stop = nullptr;
};

// Runs `options.action` over the selected targets of `file`: the reachability check, then the
// canary alone, then waves of wave_size targets, at most `concurrency` at once. After the first
// failed target no new target starts (those running finish); the rest are not_started. A target
// already where the action leads is up_to_date and nothing runs on it. Invalid input (a global
// --replica, wave sizes, selectors, unreachable targets) is refused before anything runs. The
// report lists every target; a failed target does not make this an error (see halted).
Result<FleetReport> rollout(const TargetsFile& file, const RunOptions& options);

}  // namespace tandem::fleet
