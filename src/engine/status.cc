// status: the folder and the history merged, without changing anything.

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <thread>

#include "engine/engine.h"
#include "engine/file_stat.h"
#include "engine/other_tools.h"
#include "engine/session.h"
#include "tandem/engine.h"

namespace tandem::engine {

namespace {

// Hands the history's checksums to the folder reader exactly once.
class CacheHandoff {
 public:
  std::shared_future<ChecksumCache> future() { return promise_.get_future().share(); }
  void give(ChecksumCache cache) {
    if (given_) return;
    given_ = true;
    promise_.set_value(std::move(cache));
  }

 private:
  std::promise<ChecksumCache> promise_;
  bool given_ = false;
};

}  // namespace

Result<StatusReport> status(const EngineOptions& options, const Hooks& hooks) {
  // Read the folder while the database answers: on a 10,000-file project both take tens of ms.
  // The folder is listed and stat'd at once; an applied file whose stat equals the one its
  // history row recorded is then not read: its checksum comes from the history (file_stat.h).
  std::vector<HistoryRow> rows;  // outlives the cache that refers to it
  CacheHandoff handoff;
  std::future<MigrationSet> files_future =
      std::async(std::launch::async, [&, cache = handoff.future()] {
        return load_migrations_cached(options.dir, hooks.formats, cache, options.limits);
      });
  // On an early error return the reader still gets a (empty) cache, and is waited for.
  struct Join {
    std::future<MigrationSet>& f;
    CacheHandoff& h;
    ~Join() {
      h.give(ChecksumCache());
      if (f.valid()) f.wait();
    }
  } join{files_future, handoff};
  TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(options, hooks, "status", /*take_lock=*/false));
  StatusReport report;
  report.database = s->conn->describe();
  report.backend = s->pg() ? "postgres" : "sqlite";
  report.dir = options.dir;
  // layout() is 0 without history; load() reuses what it found (each lookup of tandem's tables
  // scans SQLite's schema table, 10,000 rows in a 10,000-table database).
  TANDEM_ASSIGN_OR_RETURN(int layout, s->state->layout());
  report.history_exists = layout > 0;
  if (report.history_exists) {
    TANDEM_ASSIGN_OR_RETURN(rows, s->state->load());
  }
  handoff.give(ChecksumCache(rows));
  if (s->pg()) {
    TANDEM_ASSIGN_OR_RETURN(report.lock_holder, AdvisoryLock::holder(*s->conn));
    TANDEM_ASSIGN_OR_RETURN(std::optional<ActiveMigration> active, s->state->active());
    if (active) {
      report.active_migration = active->version + ":" + phase_name(active->phase);
      report.active_old_schema = version_schema_name(options.schema, active->previous);
      report.active_new_schema = version_schema_name(options.schema, active->version);
      report.active_next_step = phase_next_step(active->phase);
    }
  }
  // Other tools' history tables (dbmate, golang-migrate, Flyway): named, with what they applied.
  TANDEM_ASSIGN_OR_RETURN(std::vector<OtherHistory> others, find_other_histories(*s->conn));
  std::vector<std::string> imported;
  if (!others.empty() && report.history_exists) {
    TANDEM_ASSIGN_OR_RETURN(imported, s->state->event_versions("import"));
  }
  // Closing the database is the last of its work: on SQLite it frees the parsed schema (3 ms
  // for 10,000 tables), so it happens on another thread while the report is merged.
  const bool pg = s->pg();
  std::jthread closer([db = std::move(s)]() mutable { db.reset(); });
  MigrationSet set = files_future.get();
  report.problems = std::move(set.problems);
  std::string newest = current_version(rows);
  if (!others.empty())
    report.other_tools = summarize_other_histories(others, folder_versions(set), rows, imported);

  // Rows and files are not needed after the merge (the cache referred to rows only while the
  // folder was read): their strings move into the report instead of being copied.
  auto add_row = [&](HistoryRow& r, Migration* m) {
    MigrationState st;
    bool changed = m != nullptr && m->checksum != r.checksum;
    st.version = std::move(r.version);
    st.name = std::move(r.name);
    if (m) st.file = std::move(m->file);
    st.applied_at = std::move(r.applied_at);
    st.duration_ms = r.duration_ms;
    st.applied_by = std::move(r.applied_by);
    st.checksum = m ? std::move(m->checksum) : std::move(r.checksum);
    st.transactional = r.transactional;
    st.direction = direction_name(r.direction);
    st.statements_applied = r.statements_applied;
    st.statements_total = r.statements_total;
    st.error = std::move(r.error);
    st.failed_statement = std::move(r.failed_statement);
    if (r.status == RunStatus::kFailed) {
      st.state = "failed";
    } else if (r.status == RunStatus::kRunning) {
      // A run in progress holds the lock; a "running" row without a holder was killed.
      st.state =
          report.lock_holder.empty() && pg ? "interrupted" : (pg ? "running" : "interrupted");
    } else if (m == nullptr) {
      st.state = "missing";
    } else if (changed) {
      st.state = "changed";
    } else {
      st.state = run_status_name(r.status);  // applied | baseline
    }
    if (st.state == "failed" || st.state == "interrupted" || st.state == "running")
      ++report.failed;
    else
      ++report.applied;
    report.migrations.push_back(std::move(st));
  };

  // Both are sorted by version (history rows are unique by version); of files sharing a
  // version (a duplicate_version problem) the first stands for it.
  report.migrations.reserve(std::max(rows.size(), set.migrations.size()));
  auto hit = rows.begin();
  auto fit = set.migrations.begin();
  auto next_file = [&] {  // past the file just merged and any other file of its version
    const std::string& version = report.migrations.back().version;
    ++fit;
    while (fit != set.migrations.end() && fit->version == version) ++fit;
  };
  while (hit != rows.end() || fit != set.migrations.end()) {
    int c = hit == rows.end()             ? 1
            : fit == set.migrations.end() ? -1
                                          : compare_versions(hit->version, fit->version);
    if (c < 0) {
      add_row(*hit, nullptr);
      ++hit;
    } else if (c == 0) {
      add_row(*hit, &*fit);
      ++hit;
      next_file();
    } else {
      Migration& m = *fit;
      MigrationState st;
      st.version = std::move(m.version);
      st.name = std::move(m.name);
      st.file = std::move(m.file);
      st.checksum = std::move(m.checksum);
      st.state =
          !newest.empty() && compare_versions(st.version, newest) < 0 ? "out_of_order" : "pending";
      const std::string& active = report.active_migration;
      if (!active.empty() && active.substr(0, active.find(':')) == st.version) {
        st.state =
            active.substr(active.find(':') + 1);  // starting | started | completing | rolling_back
      }
      ++report.pending;
      report.migrations.push_back(std::move(st));
      next_file();
    }
  }
  report.current_version = newest;
  return report;
}

}  // namespace tandem::engine
