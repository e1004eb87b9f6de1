// Other migration tools' history tables: finding them, reading what they say is applied, and
// the check that keeps `up` from running again what they applied.

#include "engine/other_tools.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace tandem {
namespace {

// A table found in the database: how to show it, how to name it in SQL, its columns.
struct Table {
  std::string shown;
  std::string quoted;
  std::vector<std::string> columns;
  bool has(std::string_view column) const {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
  }
};

// `name` as the session resolves it (PostgreSQL: search_path, or "schema.name"); nullopt when
// there is no such table.
Result<std::optional<Table>> find_table(db::Connection& conn, const std::string& name) {
  Table t;
  if (conn.backend() == db::Backend::kPostgres) {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows r,
        conn.query("SELECT n.nspname, c.relname, a.attname FROM pg_catalog.pg_class c "
                   "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                   "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND "
                   "NOT a.attisdropped "
                   "WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p') ORDER BY a.attnum",
                   {name}));
    if (r.empty()) return std::optional<Table>();
    t.shown = r.text(0, 0) + "." + r.text(0, 1);
    t.quoted = db::quote_ident(r.text(0, 0)) + "." + db::quote_ident(r.text(0, 1));
    for (size_t i = 0; i < r.size(); ++i) t.columns.push_back(r.text(i, 2));
  } else {
    // pragma_table_info looks the name up in the parsed schema: no scan of sqlite_master.
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows r, conn.query("SELECT name FROM pragma_table_info($1) ORDER BY cid", {name}));
    if (r.empty()) return std::optional<Table>();
    t.shown = name;
    t.quoted = db::quote_ident(name);
    for (size_t i = 0; i < r.size(); ++i) t.columns.push_back(r.text(i, 0));
  }
  return std::optional<Table>(std::move(t));
}

// Which tool's table `t` looks like, by its columns.
std::optional<OtherTool> shape_of(const Table& t) {
  if (t.has("installed_rank") && t.has("version") && t.has("type") && t.has("script") &&
      t.has("success"))
    return OtherTool::kFlyway;
  if (t.has("version") && t.has("dirty")) return OtherTool::kGolangMigrate;
  // dbmate's table has nothing but the version (so does Rails': read the same way).
  if (t.columns.size() == 1 && t.has("version")) return OtherTool::kDbmate;
  return std::nullopt;
}

const char* default_table(OtherTool tool) {
  return tool == OtherTool::kFlyway ? "flyway_schema_history" : "schema_migrations";
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A boolean as either database returns it: PostgreSQL "t"/"f", SQLite 1/0 (or text).
bool truthy(const std::string& v) { return v == "t" || v == "1" || v == "true" || v == "TRUE"; }

// Flyway's version as a tandem version: "1", "001", "1.0" → "1" (Flyway compares versions part
// by part, a missing part counting as 0); "1.1" or "2024.01.15" → "" (no tandem file can have
// it: tandem versions are whole numbers).
std::string flyway_version(const std::string& raw) {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (;;) {
    size_t dot = raw.find('.', pos);
    std::string part = raw.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (!all_digits(part)) return "";
    parts.push_back(canonical_version(part));
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  while (parts.size() > 1 && parts.back() == "0") parts.pop_back();
  return parts.size() == 1 ? parts[0] : "";
}

Status read_dbmate(db::Connection& conn, const Table& t, OtherHistory& h) {
  TANDEM_ASSIGN_OR_RETURN(db::Rows r, conn.query("SELECT version FROM " + t.quoted));
  for (size_t i = 0; i < r.size(); ++i) {
    OtherHistory::Entry e;
    e.raw = r.text(i, 0);
    // dbmate takes the version from the leading digits of the file name, as tandem does.
    e.version = all_digits(e.raw) ? canonical_version(e.raw) : "";
    h.applied.push_back(std::move(e));
  }
  return Status::Ok();
}

Status read_golang_migrate(db::Connection& conn, const Table& t, OtherHistory& h) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn.query(fmt::format(
                      "SELECT CAST(version AS text), CAST(dirty AS text) FROM {}", t.quoted)));
  if (r.size() > 1) {
    h.blocking.push_back(
        {"other_tool_history", "", 0, 0,
         fmt::format("golang-migrate's history {} holds {} rows; golang-migrate keeps exactly "
                     "one, its current version",
                     h.table, r.size()),
         "leave the one row golang-migrate should have (`migrate version` shows it), then import "
         "again"});
    return Status::Ok();
  }
  if (r.empty()) return Status::Ok();  // nothing applied (or everything reverted)
  std::string version = r.text(0, 0);
  if (truthy(r.text(0, 1))) {
    h.blocking.push_back(
        {"other_tool_dirty", "", 0, 0,
         fmt::format("golang-migrate's history {} is dirty at version {}: that migration failed "
                     "part-way and may be half applied",
                     h.table, version),
         fmt::format("finish or undo migration {} by hand, then tell golang-migrate where the "
                     "database stands with `migrate -path DIR -database URL force {}` (or the "
                     "version before it, if you undid it); then import again",
                     version, version)});
    return Status::Ok();
  }
  if (!version.empty() && version[0] == '-') return Status::Ok();  // NilVersion: none applied
  OtherHistory::Entry e;
  e.raw = version;
  e.version = all_digits(version) ? canonical_version(version) : "";
  e.through = true;
  h.applied.push_back(std::move(e));
  return Status::Ok();
}

Status read_flyway(db::Connection& conn, const Table& t, OtherHistory& h) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn.query(fmt::format("SELECT CAST(installed_rank AS text), version, type, script, "
                             "installed_by, CAST(installed_on AS text), CAST(success AS text) "
                             "FROM {} ORDER BY installed_rank",
                             t.quoted)));
  // Replayed in installed_rank order: a later undo or `repair`'s DELETE row takes a version
  // back out.
  std::vector<OtherHistory::Entry> applied;
  std::set<std::string> repeatable;
  for (size_t i = 0; i < r.size(); ++i) {
    std::string rank = r.text(i, 0), raw = r.text(i, 1), type = r.text(i, 2), script = r.text(i, 3);
    std::string detail =
        fmt::format("{} ({}), installed by {} on {}", script, type, r.text(i, 4), r.text(i, 5));
    if (!truthy(r.text(i, 6))) {
      h.blocking.push_back(
          {"other_tool_failed", "", 0, 0,
           fmt::format("Flyway's history {} records a failed migration: {} (installed_rank {}); "
                       "its changes may be half applied",
                       h.table, raw.empty() ? script : "version " + raw + ", " + script, rank),
           "Flyway itself refuses to migrate from here: finish or undo it by hand, run `flyway "
           "repair` (it removes the failed row), then import again"});
      continue;
    }
    if (type == "SCHEMA") continue;  // "<< Flyway Schema Creation >>": not a migration
    if (raw.empty()) {
      if (repeatable.insert(script).second) {
        h.not_imported.push_back(fmt::format(
            "{}: a repeatable migration (no version); tandem has no repeatable migrations — it "
            "stays as it is in the database; put future changes to it in versioned files",
            script));
      }
      continue;
    }
    auto same = [&](const OtherHistory::Entry& e) { return e.raw == raw; };
    if (type == "DELETE" || type.rfind("UNDO", 0) == 0) {
      applied.erase(std::remove_if(applied.begin(), applied.end(), same), applied.end());
      continue;
    }
    OtherHistory::Entry e;
    e.raw = raw;
    e.version = flyway_version(raw);
    e.baseline = type.find("BASELINE") != std::string::npos;
    e.detail = std::move(detail);
    applied.erase(std::remove_if(applied.begin(), applied.end(), same), applied.end());
    applied.push_back(std::move(e));
  }
  h.applied = std::move(applied);
  return Status::Ok();
}

Status read_rows(db::Connection& conn, const Table& t, OtherHistory& h) {
  switch (h.tool) {
    case OtherTool::kDbmate:
      return read_dbmate(conn, t, h);
    case OtherTool::kGolangMigrate:
      return read_golang_migrate(conn, t, h);
    case OtherTool::kFlyway:
      return read_flyway(conn, t, h);
  }
  return Status::Ok();
}

// Up to `max` items joined by ", ", then "… (N in all)".
std::string list(const std::vector<std::string>& items, size_t max = 10) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += fmt::format(", … ({} in all)", items.size());
  return out;
}

}  // namespace

const char* other_tool_name(OtherTool tool) {
  switch (tool) {
    case OtherTool::kDbmate:
      return "dbmate";
    case OtherTool::kGolangMigrate:
      return "golang-migrate";
    case OtherTool::kFlyway:
      return "flyway";
  }
  return "dbmate";
}

std::optional<OtherTool> parse_other_tool(std::string_view name) {
  for (OtherTool t : {OtherTool::kDbmate, OtherTool::kGolangMigrate, OtherTool::kFlyway}) {
    if (name == other_tool_name(t)) return t;
  }
  return std::nullopt;
}

Result<std::vector<OtherHistory>> find_other_histories(db::Connection& conn) {
  std::vector<OtherHistory> out;
  for (const char* name : {"schema_migrations", "flyway_schema_history"}) {
    TANDEM_ASSIGN_OR_RETURN(std::optional<Table> t, find_table(conn, name));
    if (!t) continue;
    std::optional<OtherTool> tool = shape_of(*t);
    if (!tool || default_table(*tool) != std::string_view(name)) continue;
    OtherHistory h;
    h.tool = *tool;
    h.table = t->shown;
    TANDEM_RETURN_IF_ERROR(read_rows(conn, *t, h));
    out.push_back(std::move(h));
  }
  return out;
}

Result<OtherHistory> read_other_history(db::Connection& conn, OtherTool tool,
                                        const std::string& table) {
  const std::string name = table.empty() ? default_table(tool) : table;
  TANDEM_ASSIGN_OR_RETURN(std::optional<Table> t, find_table(conn, name));
  if (!t) {
    return Status::InvalidInput(
        fmt::format("{} has no table {} for {}'s history", conn.describe(), name,
                    other_tool_name(tool)),
        table.empty() ? fmt::format("if {} keeps its history under another name, pass it with "
                                    "--table NAME{}",
                                    other_tool_name(tool),
                                    conn.backend() == db::Backend::kPostgres
                                        ? " (schema.name when it is not on --schema)"
                                        : "")
                      : "check the name (`tandem status` lists the tables it recognises)");
  }
  std::optional<OtherTool> shape = shape_of(*t);
  if (shape != tool) {
    std::string cols;
    for (const std::string& c : t->columns) cols += (cols.empty() ? "" : ", ") + c;
    return Status::InvalidInput(
        fmt::format("{} ({}) does not look like {}'s history table", t->shown, cols,
                    other_tool_name(tool)),
        shape ? fmt::format("it has {}'s shape: use --from {}", other_tool_name(*shape),
                            other_tool_name(*shape))
              : "dbmate's is (version), golang-migrate's (version, dirty), Flyway's "
                "(installed_rank, version, description, type, script, checksum, …, success)");
  }
  OtherHistory h;
  h.tool = tool;
  h.table = t->shown;
  TANDEM_RETURN_IF_ERROR(read_rows(conn, *t, h));
  return h;
}

OtherApplied match_files(const OtherHistory& h, const std::vector<std::string>& versions) {
  OtherApplied out;
  std::map<std::string, const OtherHistory::Entry*> explicit_versions;
  std::vector<const OtherHistory::Entry*> ranges;
  for (const OtherHistory::Entry& e : h.applied) {
    bool has_file =
        !e.version.empty() && std::binary_search(versions.begin(), versions.end(), e.version,
                                                 [](const std::string& a, const std::string& b) {
                                                   return compare_versions(a, b) < 0;
                                                 });
    if (e.through || e.baseline) {
      if (!e.version.empty()) ranges.push_back(&e);
      // golang-migrate's current version is a migration it ran: it needs its file. A Flyway
      // baseline marker is not a migration and needs none.
      if (e.through && !has_file) out.without_file.push_back({e.raw, e.version});
      if (e.baseline && has_file) explicit_versions.emplace(e.version, &e);
      continue;
    }
    if (has_file) {
      explicit_versions[e.version] = &e;
    } else {
      out.without_file.push_back({e.raw, e.version});
    }
  }
  for (const std::string& v : versions) {
    OtherApplied::Version got;
    got.version = v;
    if (auto it = explicit_versions.find(v); it != explicit_versions.end()) {
      got.baseline = it->second->baseline;
      got.detail = it->second->detail;
      out.with_file.push_back(std::move(got));
      continue;
    }
    // An applied range wins over a baseline one; either covers the files up to its version.
    const OtherHistory::Entry* cover = nullptr;
    for (const OtherHistory::Entry* r : ranges) {
      if (compare_versions(v, r->version) > 0) continue;
      if (cover == nullptr || (cover->baseline && !r->baseline)) cover = r;
    }
    if (cover == nullptr) continue;
    got.baseline = cover->baseline;
    got.detail = cover->detail;
    out.with_file.push_back(std::move(got));
  }
  return out;
}

std::vector<std::string> folder_versions(const MigrationSet& set) {
  std::vector<std::string> out;
  out.reserve(set.migrations.size());
  for (const Migration& m : set.migrations) {
    if (out.empty() || out.back() != m.version) out.push_back(m.version);
  }
  return out;
}

Result<std::vector<Problem>> other_tool_problems(Session& s, const PreparedSet& prepared,
                                                 const std::vector<HistoryRow>& rows,
                                                 const std::vector<Pick>& picks) {
  std::vector<Problem> out;
  TANDEM_ASSIGN_OR_RETURN(std::vector<OtherHistory> found, find_other_histories(*s.conn));
  if (found.empty()) return out;
  // What tandem knows of: its history, and every version it ever imported (one `tandem down`
  // reverted since is tandem's to apply again, whatever the other tool's table still says).
  TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> imported, s.state->event_versions("import"));
  std::set<std::string> recorded(imported.begin(), imported.end());
  for (const HistoryRow& r : rows) recorded.insert(r.version);
  // tandem has recorded nothing here yet — no migration, and no import (not even one that left
  // every version out for want of files): the other tool's history is all this database has.
  bool blank = rows.empty() && imported.empty();
  std::vector<std::string> versions = folder_versions(prepared.set);
  for (const OtherHistory& h : found) {
    const char* tool = other_tool_name(h.tool);
    OtherApplied applied = match_files(h, versions);
    std::set<std::string> lacking;
    for (const OtherApplied::Version& v : applied.with_file) {
      if (!recorded.count(v.version)) lacking.insert(v.version);
    }
    std::vector<std::string> clash;
    for (const Pick& p : picks) {
      if (lacking.count(p.migration->version)) clash.push_back(p.migration->version);
    }
    // The tool left the database half-migrated (golang-migrate dirty, a failed Flyway run):
    // nothing runs on top of that until it is settled and imported.
    if (!h.blocking.empty() && (blank || !picks.empty())) {
      for (const Problem& p : h.blocking) out.push_back(p);
      continue;
    }
    std::string hint = fmt::format(
        "record what {0} applied as tandem's history with `tandem import --from {0}` (it runs "
        "nothing; --dry-run shows what it would record), then run this again",
        tool);
    if (!clash.empty()) {
      out.push_back(
          {"applied_by_other_tool", "", 0, 0,
           fmt::format("{} already applied {} of the migrations this would run ({}): its history "
                       "table {} lists {}, tandem's history does not; running {} again would "
                       "fail half-way (\"already exists\") or apply {} changes twice",
                       tool, clash.size(), list(clash), h.table, clash.size() == 1 ? "it" : "them",
                       clash.size() == 1 ? "it" : "them", clash.size() == 1 ? "its" : "their"),
           hint});
      continue;
    }
    size_t listed = applied.with_file.size() + applied.without_file.size();
    if (blank && listed > 0) {
      std::vector<std::string> raw;
      for (const OtherApplied::Version& v : applied.with_file) raw.push_back(v.version);
      for (const OtherApplied::Missing& m : applied.without_file) raw.push_back(m.raw);
      out.push_back(
          {"managed_by_other_tool", "", 0, 0,
           fmt::format("this database was migrated by {}: its history table {} lists {} applied "
                       "version{} ({}) and tandem's history is empty",
                       tool, h.table, listed, listed == 1 ? "" : "s", list(raw)),
           hint});
    }
  }
  return out;
}

std::vector<OtherToolHistory> summarize_other_histories(const std::vector<OtherHistory>& found,
                                                        const std::vector<std::string>& files,
                                                        const std::vector<HistoryRow>& rows,
                                                        const std::vector<std::string>& imported) {
  std::set<std::string> recorded(imported.begin(), imported.end());
  for (const HistoryRow& r : rows) recorded.insert(r.version);
  std::vector<OtherToolHistory> out;
  for (const OtherHistory& h : found) {
    OtherApplied applied = match_files(h, files);
    OtherToolHistory sum;
    sum.tool = other_tool_name(h.tool);
    sum.table = h.table;
    sum.applied = static_cast<int>(applied.with_file.size() + applied.without_file.size());
    for (const OtherApplied::Version& v : applied.with_file)
      sum.not_in_history += recorded.count(v.version) ? 0 : 1;
    for (const OtherApplied::Missing& m : applied.without_file) {
      int unrecorded = !m.version.empty() && recorded.count(m.version) ? 0 : 1;
      sum.not_in_history += unrecorded;
      sum.without_file += unrecorded;
    }
    if (h.tool == OtherTool::kGolangMigrate && !h.applied.empty()) sum.version = h.applied[0].raw;
    for (const Problem& p : h.blocking) sum.blocking.push_back(p.message);
    out.push_back(std::move(sum));
  }
  return out;
}

}  // namespace tandem
