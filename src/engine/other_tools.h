#pragma once
// Other migration tools' history tables — dbmate, golang-migrate, Flyway — read (never written)
// so that tandem can take over a database they migrated without running anything twice:
// `status` names them, `up`/`plan`/`start` refuse to run a migration they already applied
// (preflight), and `import` records what they applied as tandem's history.
//
// Where each tool keeps its history (the shapes it creates, and the rows it writes):
//   dbmate          schema_migrations(version varchar(128) PRIMARY KEY): a row per applied
//                   migration, the version as its file name starts ("20240101120000").
//   golang-migrate  schema_migrations(version bigint PRIMARY KEY, dirty boolean) — SQLite:
//                   (version uint64, dirty bool) — one row: the current version; every file up
//                   to it is applied. dirty = a migration failed part-way.
//   Flyway          flyway_schema_history(installed_rank, version, description, type, script,
//                   checksum, installed_by, installed_on, execution_time, success): a row per
//                   run, in installed_rank order; versions such as "1", "1.1", "2024.01.15".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/selection.h"
#include "engine/session.h"

namespace tandem {

enum class OtherTool { kDbmate, kGolangMigrate, kFlyway };
const char* other_tool_name(OtherTool tool);  // "dbmate" | "golang-migrate" | "flyway"
std::optional<OtherTool> parse_other_tool(std::string_view name);

// What another tool's history table says is applied now.
struct OtherHistory {
  OtherTool tool = OtherTool::kDbmate;
  std::string table;  // where it was found: "public.schema_migrations", "schema_migrations"

  struct Entry {
    std::string raw;      // the version as the tool wrote it ("0001", "1.1", "20240101120000")
    std::string version;  // as a tandem version ("1"); "" when no tandem file can have it
    // golang-migrate's current version: every file up to it is applied (`through`). A Flyway
    // baseline marker: every file up to it counts as applied without having run (`baseline`).
    bool through = false;
    bool baseline = false;
    std::string detail;  // Flyway: its script, who installed it and when
  };
  std::vector<Entry> applied;
  // Rows that record no versioned migration and are not imported (Flyway's repeatable R__
  // scripts, its schema-creation marker), each described for the report.
  std::vector<std::string> not_imported;
  // Why the database is in a state the tool itself would refuse to migrate from: golang-migrate
  // dirty, a failed Flyway migration. Import and `up` refuse while any is there.
  std::vector<Problem> blocking;
};

// The other tools' history tables in their default places (PostgreSQL: found through the
// session's search_path, as the tools find them). A table whose shape is none of the three is
// not reported. Reads only.
Result<std::vector<OtherHistory>> find_other_histories(db::Connection& conn);

// `tool`'s history from `table` ("" for the tool's default name; on PostgreSQL "schema.name"
// allowed). InvalidInput when the table is missing or has another shape (naming the tool whose
// shape it has). Reads only.
Result<OtherHistory> read_other_history(db::Connection& conn, OtherTool tool,
                                        const std::string& table);

// What `h` says is applied, matched to the folder's files (`versions`: canonical, sorted).
struct OtherApplied {
  struct Version {
    std::string version;    // canonical, one of `versions`
    bool baseline = false;  // only under a Flyway baseline marker
    std::string detail;
  };
  struct Missing {
    std::string raw;      // as the tool wrote it
    std::string version;  // as a tandem version, "" when no tandem file can have it
  };
  std::vector<Version> with_file;     // sorted by version
  std::vector<Missing> without_file;  // in the tool's order
};
OtherApplied match_files(const OtherHistory& h, const std::vector<std::string>& versions);

// The versions of a migrations folder, canonical and sorted (what match_files takes).
std::vector<std::string> folder_versions(const MigrationSet& set);

// The problems of running `picks` on a database another tool migrated (preflight of up, plan
// and start): a pick that tool already applied and tandem knows nothing of (neither in its
// history nor ever imported — a version imported and then reverted by `tandem down` is
// tandem's to apply again), or — while tandem
// has recorded nothing, neither a migration nor an import — any version that tool applied; or
// anything at all while that tool's history says it left the database half-migrated. Fail
// closed: running a migration twice fails half-way ("relation already exists") or, worse,
// applies its data changes twice.
Result<std::vector<Problem>> other_tool_problems(Session& s, const PreparedSet& prepared,
                                                 const std::vector<HistoryRow>& rows,
                                                 const std::vector<Pick>& picks);

// Summaries for `status`: each other tool's table, how many versions it applied and how many
// of those tandem knows nothing of — neither in its history nor ever imported (`imported`:
// State::event_versions("import")). `files`: the folder's versions (canonical, sorted).
std::vector<OtherToolHistory> summarize_other_histories(const std::vector<OtherHistory>& found,
                                                        const std::vector<std::string>& files,
                                                        const std::vector<HistoryRow>& rows,
                                                        const std::vector<std::string>& imported);

}  // namespace tandem
