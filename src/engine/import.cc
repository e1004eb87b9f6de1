// import: take over the history another tool (dbmate, golang-migrate, Flyway) kept of this
// database — every version it applied recorded as tandem's, with the checksum of tandem's file
// for it — running nothing and leaving the other tool's table as it is.

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "engine/engine.h"
#include "engine/file_stat.h"
#include "engine/other_tools.h"
#include "engine/session.h"
#include "tandem/engine.h"

namespace tandem::engine {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < 20; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > 20) out += fmt::format(", … ({} in all)", items.size());
  return out;
}

}  // namespace

Result<ImportReport> import_history(const EngineOptions& options, const Hooks& hooks,
                                    const ImportOptions& how) {
  std::optional<OtherTool> tool = parse_other_tool(how.from);
  if (!tool) {
    return Status::InvalidInput(
        fmt::format("--from '{}' is not a tool tandem imports from", how.from),
        "use --from dbmate, --from golang-migrate or --from flyway");
  }
  const char* name = other_tool_name(*tool);
  // A mistyped SQLite path is an error, not a new empty database (a dry run opens it read-only,
  // which says so by itself).
  TANDEM_ASSIGN_OR_RETURN(db::Url url, db::parse_url(options.db_url));
  std::error_code ec;
  if (!how.dry_run && !options.connection && url.backend == db::Backend::kSqlite &&
      url.target != ":memory:" && !std::filesystem::exists(url.target, ec)) {
    return Status::InvalidInput(
        fmt::format("{} does not exist", url.target),
        fmt::format("import reads {}'s history from the database it migrated: check --db", name));
  }
  TANDEM_ASSIGN_OR_RETURN(auto s,
                          Session::open(options, hooks, "import", /*take_lock=*/!how.dry_run));
  PreparedSet prepared = prepare(*s);
  // The checksums recorded are those `up` computes: only from a folder without problems.
  if (!prepared.set.problems.empty()) {
    return refused(prepared.set.problems);
  }
  // SQLite: the write lock first (BEGIN IMMEDIATE), then both histories, so that no other
  // writer changes them in between. PostgreSQL: the migration lock already guards tandem's.
  std::optional<db::Transaction> tx;
  if (!s->pg() && !how.dry_run) {
    TANDEM_ASSIGN_OR_RETURN(db::Transaction begun,
                            db::Transaction::begin(*s->conn, "BEGIN IMMEDIATE"));
    tx.emplace(std::move(begun));
  }
  TANDEM_ASSIGN_OR_RETURN(OtherHistory other, read_other_history(*s->conn, *tool, how.table));
  ImportReport report;
  report.tool = name;
  report.table = other.table;
  report.dry_run = how.dry_run;
  report.not_imported = other.not_imported;
  std::vector<Problem> problems = other.blocking;

  std::vector<HistoryRow> rows;
  TANDEM_ASSIGN_OR_RETURN(int layout, s->state->layout());
  if (layout > 0) {
    TANDEM_ASSIGN_OR_RETURN(rows, s->state->load());
  }
  std::map<std::string, const HistoryRow*> recorded;
  for (const HistoryRow& r : rows) recorded[r.version] = &r;
  // Versions imported before: one no longer in the history was reverted by `tandem down` since,
  // and is not imported again.
  TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> imported_before,
                          s->state->event_versions("import"));
  std::set<std::string> was_imported(imported_before.begin(), imported_before.end());

  OtherApplied applied = match_files(other, folder_versions(prepared.set));
  // Applied by the tool, but no file here has the version: refused unless the user says so.
  std::vector<std::string> no_file, not_a_version;
  for (const OtherApplied::Missing& m : applied.without_file) {
    if (!m.version.empty() && recorded.count(m.version)) {
      report.already.push_back(m.version);
      continue;
    }
    if (!m.version.empty() && was_imported.count(m.version)) {
      report.reverted.push_back(m.version);
      continue;
    }
    report.missing_files.push_back(m.raw);
    (m.version.empty() ? not_a_version : no_file).push_back(m.raw);
  }
  if (!how.allow_missing_files && !no_file.empty()) {
    problems.push_back(
        {"missing_file", options.dir, 0, 0,
         fmt::format("{} applied {} version{} that no migration file has: {}", name, no_file.size(),
                     no_file.size() == 1 ? "" : "s", joined(no_file)),
         fmt::format("bring {} files into {} (as <version>_<name>.sql), or pass "
                     "--allow-missing-files to import the others and leave these out",
                     no_file.size() == 1 ? "its" : "their", options.dir)});
  }
  if (!how.allow_missing_files && !not_a_version.empty()) {
    problems.push_back(
        {"missing_file", options.dir, 0, 0,
         fmt::format("{} applied version{} {} — not a tandem version (tandem versions are whole "
                     "numbers), so no tandem file can be matched to {}",
                     name, not_a_version.size() == 1 ? "" : "s", joined(not_a_version),
                     not_a_version.size() == 1 ? "it" : "them"),
         "pass --allow-missing-files to import the others and leave these out (their changes "
         "stay in the database; see \"Moving from dbmate / golang-migrate / Flyway\" in the "
         "README)"});
  }
  // Versions tandem's history has already: the same file (a repeated import) converges; any
  // other record of it is a conflict left for the user to settle.
  for (const OtherApplied::Version& v : applied.with_file) {
    const Migration* m = prepared.find(v.version);
    auto it = recorded.find(v.version);
    if (it == recorded.end() && was_imported.count(v.version)) {
      report.reverted.push_back(v.version);
      continue;
    }
    if (it == recorded.end()) {
      report.imported.push_back(
          {m->version, m->name, m->file, v.baseline ? "baseline" : "applied", v.detail});
      continue;
    }
    const HistoryRow& r = *it->second;
    bool done = r.status == RunStatus::kApplied || r.status == RunStatus::kBaseline;
    if (done && r.checksum == m->checksum) {
      report.already.push_back(v.version);
    } else if (done) {
      problems.push_back(
          {"history_conflict", m->path, 0, 0,
           fmt::format("{} applied version {}, which tandem's history has too — with another "
                       "checksum than {} has now (edited since tandem recorded it)",
                       name, v.version, m->file),
           "`tandem status` shows it as changed: restore the file, or accept the edit with "
           "`tandem repair`; then import again"});
    } else {
      problems.push_back(
          {"history_conflict", m->path, 0, 0,
           fmt::format("{} applied version {}, which tandem's history has as {} ({} of {} "
                       "statements)",
                       name, v.version, run_status_name(r.status), r.statements_applied,
                       r.statements_total),
           "settle tandem's own run first: `tandem up --resume`, or undo it by hand and "
           "`tandem repair`; then import again"});
    }
  }
  if (!problems.empty()) {
    return refused(problems);
  }
  // Versions left out (--allow-missing-files) are noted once in the event log: with nothing else
  // recorded, that note is what tells `up` the user has seen the other tool's history.
  bool acknowledge =
      !report.missing_files.empty() && !(report.imported.empty() && !imported_before.empty());
  if (how.dry_run || (report.imported.empty() && !acknowledge)) return report;  // converged

  TANDEM_RETURN_IF_ERROR(s->ensure_state());  // SQLite: inside BEGIN IMMEDIATE
  if (s->pg()) {
    TANDEM_ASSIGN_OR_RETURN(db::Transaction begun, db::Transaction::begin(*s->conn));
    tx.emplace(std::move(begun));
  }
  auto body = [&]() -> Status {
    TANDEM_RETURN_IF_ERROR(s->fence());
    TANDEM_ASSIGN_OR_RETURN(std::string by, s->state->applied_by());
    for (const ImportedVersion& v : report.imported) {
      const Migration& m = *prepared.find(v.version);
      const std::vector<Statement>& stmts = prepared.up.at(m.version);
      HistoryRow row;
      row.version = m.version;
      row.name = m.name;
      row.checksum = m.checksum;
      row.status = v.state == "baseline" ? RunStatus::kBaseline : RunStatus::kApplied;
      row.applied_by = by;
      row.transactional = !runs_outside_transaction(m, stmts);
      row.statements_applied = static_cast<int>(stmts.size());
      row.statements_total = static_cast<int>(stmts.size());
      row.file = stat_for_history(m.path, m.checksum);  // the folder had no problems
      TANDEM_RETURN_IF_ERROR(s->state->upsert(row));
      TANDEM_RETURN_IF_ERROR(s->state->event(
          "import", row,
          fmt::format("applied by {} (its history: {}{}); recorded by `tandem import`, not run",
                      name, report.table, v.detail.empty() ? "" : "; " + v.detail)));
    }
    if (acknowledge) {
      HistoryRow none;
      none.applied_by = by;
      TANDEM_RETURN_IF_ERROR(s->state->event(
          "import", none,
          fmt::format("{} (its history: {}) also applied {}, which no file has: left out "
                      "(--allow-missing-files)",
                      name, report.table, joined(report.missing_files)),
          "skipped"));
    }
    return tx->commit();
  };
  TANDEM_RETURN_IF_ERROR(body());  // an error rolls `tx` back
  return report;
}

}  // namespace tandem::engine
