// `tandem lint --trace`: measured, not guessed. Each statement runs inside a transaction on a
// scratch database, between two looks at what the transaction holds: pg_locks (its own table
// locks), pg_class.relfilenode (a new one = the table was rewritten) and
// pg_stat_xact_user_tables.seq_scan (this transaction's sequential scans).

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>

#include "lint/classify.h"
#include "lint/reporters.h"
#include "lint/statement.h"

namespace tandem::lint {
namespace {

// Table locks this backend holds: "oid|Mode" (oids: a renamed or dropped table keeps its).
Result<std::set<std::string>> held_locks(db::Connection& conn) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r, conn.query("SELECT l.relation::text || '|' || l.mode FROM pg_locks l WHERE "
                             "l.pid = pg_backend_pid() AND l.locktype = 'relation' AND "
                             "l.granted AND l.database = (SELECT oid FROM pg_database WHERE "
                             "datname = current_database())"));
  std::set<std::string> out;
  for (size_t i = 0; i < r.size(); ++i) out.insert(r.text(i, 0));
  return out;
}

// oid → the first column's value, for every row of `sql` (oid, value).
Result<std::map<std::string, std::string>> per_table(db::Connection& conn, const std::string& sql) {
  TANDEM_ASSIGN_OR_RETURN(db::Rows r, conn.query(sql));
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < r.size(); ++i) out[r.text(i, 0)] = r.text(i, 1);
  return out;
}

// User tables: oid → name, oid → relfilenode, oid → this transaction's sequential scans.
const char* kUserTables =
    "SELECT c.oid::text, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
    "c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', "
    "'information_schema') AND n.nspname NOT LIKE 'pg_toast%'";
const char* kFilenodes =
    "SELECT c.oid::text, c.relfilenode::text FROM pg_class c JOIN pg_namespace n ON n.oid = "
    "c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', "
    "'information_schema') AND n.nspname NOT LIKE 'pg_toast%'";
const char* kScans = "SELECT relid::text, seq_scan::text FROM pg_stat_xact_user_tables";

Lock lock_from_mode(const std::string& mode) {
  static const std::map<std::string, Lock> kModes = {
      {"AccessShareLock", Lock::kAccessShare},
      {"RowShareLock", Lock::kRowShare},
      {"RowExclusiveLock", Lock::kRowExclusive},
      {"ShareUpdateExclusiveLock", Lock::kShareUpdateExclusive},
      {"ShareLock", Lock::kShare},
      {"ShareRowExclusiveLock", Lock::kShareRowExclusive},
      {"ExclusiveLock", Lock::kExclusive},
      {"AccessExclusiveLock", Lock::kAccessExclusive}};
  auto it = kModes.find(mode);
  return it == kModes.end() ? Lock::kNone : it->second;
}

// Where the measurement differs from the static classification. Not compared: whether a
// data change with a WHERE reads the whole table (the planner decides), and TRUNCATE's new
// relfilenode (an empty file, not a copy of the rows).
void compare(TracedStatement& t, std::string_view kind) {
  const Classification& e = t.expected;
  if (kind == "TruncateStmt") t.rewritten.clear();
  if (t.lock != e.lock) {
    t.disagreements.push_back(
        fmt::format("lock: static {}, traced {}", lock_name(e.lock), lock_name(t.lock)));
  }
  bool rewrote = !t.rewritten.empty();
  if (rewrote != e.rewrites) {
    t.disagreements.push_back(fmt::format("rewrite: static {}, traced {}",
                                          e.rewrites ? "yes" : "no", rewrote ? "yes" : "no"));
  }
  // A rewrite reads the whole table too.
  bool scanned = !t.scanned.empty();
  bool planned = (kind == "UpdateStmt" || kind == "DeleteStmt") && !e.scans;
  if (!planned && scanned != (e.scans || e.rewrites)) {
    t.disagreements.push_back(fmt::format("scan: static {}, traced {}",
                                          e.scans || e.rewrites ? "yes" : "no",
                                          scanned ? "yes" : "no"));
  }
}

// An object a statement creates that must not exist yet (no IF NOT EXISTS, no OR REPLACE).
struct Created {
  const char* kind = "";  // "table", "index", …, "schema"
  std::string schema;     // "" when unqualified (the first schema of the search_path)
  std::string name;
  std::string where = {};  // "file:line:column"
  std::string key() const { return schema + "." + name; }
};

std::optional<Created> created_by(const Statement& st) {
  Node b = st.body();
  std::string_view k = st.kind;
  auto relation = [&](Node range_var, const char* kind) {
    return Created{kind, std::string(range_var["schemaname"].str()),
                   std::string(range_var["relname"].str())};
  };
  std::optional<Created> c;
  if (k == "CreateStmt" && !b["if_not_exists"].boolean()) {
    c = relation(b["relation"], "table");
  } else if (k == "IndexStmt" && !b["if_not_exists"].boolean() && !b["idxname"].str().empty()) {
    c = Created{"index", std::string(b["relation"]["schemaname"].str()),
                std::string(b["idxname"].str())};
  } else if (k == "ViewStmt" && !b["replace"].boolean()) {
    c = relation(b["view"], "view");
  } else if (k == "CreateSeqStmt" && !b["if_not_exists"].boolean()) {
    c = relation(b["sequence"], "sequence");
  } else if (k == "CreateTableAsStmt" && !b["if_not_exists"].boolean()) {
    c = relation(b["into"]["rel"],
                 b["objtype"].str() == "OBJECT_MATVIEW" ? "materialized view" : "table");
  } else if (k == "CreateSchemaStmt" && !b["if_not_exists"].boolean()) {
    c = Created{"schema", "", std::string(b["schemaname"].str())};
  }
  if (c) c->where = fmt::format("{}:{}:{}", st.file, st.line, st.column);
  return c;
}

// The names a DROP or RENAME frees or takes before a later CREATE reuses them.
std::vector<std::string> names_touched(const Statement& st) {
  Node b = st.body();
  std::vector<std::string> out;
  if (st.kind == "DropStmt") {
    for (Node object : b["objects"]) {
      Node items = object["List"]["items"];
      if (items.empty()) continue;
      std::string name(items[items.size() - 1]["String"]["sval"].str());
      std::string schema(items.size() > 1 ? items[items.size() - 2]["String"]["sval"].str() : "");
      out.push_back(schema + "." + name);
    }
  } else if (st.kind == "RenameStmt") {
    out.push_back("." + std::string(b["newname"].str()));
    if (b.contains("relation"))
      out.push_back(std::string(b["relation"]["schemaname"].str()) + "." +
                    std::string(b["relation"]["relname"].str()));
  }
  return out;
}

// A second `lint --trace` on the same database used to fail statement by statement with
// "already exists": the trace applies what it runs, so the scratch database must be as it was
// before these migrations. Refused up front when something the sources create is already
// there (checked only for names no earlier statement drops or renames).
Status check_scratch_is_clean(const std::vector<Source>& sources, db::Connection& conn) {
  std::set<std::string> seen;
  for (const Source& source : sources) {
    TANDEM_ASSIGN_OR_RETURN(Parsed parsed, parse(source));
    for (const Statement& st : parsed.statements) {
      std::optional<Created> c = created_by(st);
      if (c && !c->name.empty() && seen.insert(c->key()).second) {
        TANDEM_ASSIGN_OR_RETURN(
            db::Rows found,
            std::string_view(c->kind) == "schema"
                ? conn.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", {c->name})
                : conn.query("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = "
                             "c.relnamespace WHERE c.relname = $2 AND n.nspname = "
                             "COALESCE(NULLIF($1, ''), current_schema())",
                             {c->schema, c->name}));
        if (found.size() > 0) {
          TANDEM_ASSIGN_OR_RETURN(db::Rows name, conn.query("SELECT current_database()"));
          std::string database = name.size() > 0 ? name.text(0, 0) : "?";
          return Status::InvalidInput(
              fmt::format("the scratch database \"{}\" is not empty: it already has {} {}, "
                          "which {} creates (`lint --trace` applies every statement it runs, so "
                          "an earlier trace leaves its tables behind)",
                          database, c->kind, c->schema.empty() ? c->name : c->key(), c->where),
              fmt::format("trace on a database as it was before these migrations: drop and "
                          "recreate it (dropdb {0} && createdb {0}), or point --db at an empty "
                          "database",
                          database));
        }
      }
      for (const std::string& n : names_touched(st)) seen.insert(n);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<TracedStatement>> trace(const std::vector<Source>& sources,
                                           const std::string& db_url) {
  TANDEM_ASSIGN_OR_RETURN(db::Url url, db::parse_url(db_url));
  if (url.backend != db::Backend::kPostgres) {
    return Status::InvalidInput(
        "`tandem lint --trace` needs a PostgreSQL --db (an empty scratch database)",
        "create one (`tandem --db postgres://…/lint_scratch db create`) and pass it as --db");
  }
  db::ConnectOptions copts;
  copts.application_name = "tandem lint --trace";
  TANDEM_ASSIGN_OR_RETURN(auto conn, db::connect(db_url, copts));
  TANDEM_RETURN_IF_ERROR(check_scratch_is_clean(sources, *conn));
  std::vector<TracedStatement> out;
  Context ctx;
  LintOptions none;
  ctx.options = &none;
  for (const Source& source : sources) {
    TANDEM_ASSIGN_OR_RETURN(Parsed parsed, parse(source));
    for (const Statement& st : parsed.statements) {
      TracedStatement t;
      t.file = st.file;
      t.line = st.line;
      t.column = st.column;
      t.sql = st.sql;
      t.expected = classify(st, ctx);
      learn(st, t.expected, ctx);
      if (source.context) {
        // An earlier migration of a linted file's folder: applied so the file finds its
        // tables, not traced, not reported unless it fails.
        if (st.kind == "TransactionStmt") continue;
        Status applied = conn->execute(st.raw);
        if (!applied.ok()) {
          t.note = "failed: " + applied.message() +
                   " (an earlier migration, applied before the linted file and not traced)";
          out.push_back(std::move(t));
        }
        continue;
      }
      if (st.kind == "TransactionStmt" || cannot_run_in_transaction(st)) {
        t.note = st.kind == "TransactionStmt" ? "transaction control: not traced"
                                              : "runs outside a transaction: applied, not traced";
        if (st.kind != "TransactionStmt") {
          Status applied = conn->execute(st.raw);
          if (!applied.ok()) t.note = "failed: " + applied.message();
        }
        out.push_back(std::move(t));
        continue;
      }
      // Traced alone in a transaction rolled back at once (so no lock an earlier statement
      // took hides this one's), then applied for real for the statements after it.
      TANDEM_ASSIGN_OR_RETURN(db::Transaction traced, db::Transaction::begin(*conn));
      auto measure = [&]() -> Status {
        TANDEM_ASSIGN_OR_RETURN(auto tables, per_table(*conn, kUserTables));
        TANDEM_ASSIGN_OR_RETURN(auto nodes0, per_table(*conn, kFilenodes));
        TANDEM_ASSIGN_OR_RETURN(auto scans0, per_table(*conn, kScans));
        Status ran = conn->execute(st.raw);
        if (!ran.ok()) {
          t.note = "failed: " + ran.message();
          return Status::Ok();
        }
        t.traced = true;
        TANDEM_ASSIGN_OR_RETURN(std::set<std::string> locks, held_locks(*conn));
        TANDEM_ASSIGN_OR_RETURN(auto nodes1, per_table(*conn, kFilenodes));
        TANDEM_ASSIGN_OR_RETURN(auto scans1, per_table(*conn, kScans));
        for (const std::string& l : locks) {
          auto table = tables.find(l.substr(0, l.find('|')));
          if (table == tables.end()) continue;  // not a table that existed before it
          Lock lock = lock_from_mode(l.substr(l.find('|') + 1));
          t.locks.push_back(fmt::format("{} on {}", lock_name(lock), table->second));
          if (lock > t.lock) {
            t.lock = lock;
            t.relation = table->second;
          }
        }
        for (const auto& [oid, node] : nodes1)
          if (nodes0.count(oid) && nodes0[oid] != node) t.rewritten.push_back(tables[oid]);
        for (const auto& [oid, n] : scans1) {
          auto before = scans0.find(oid);
          long long was = before == scans0.end() ? 0 : db::to_integer(before->second).value_or(0);
          if (tables.count(oid) && db::to_integer(n).value_or(0) > was)
            t.scanned.push_back(tables[oid]);
        }
        return Status::Ok();
      };
      Status measured = measure();
      traced.rollback();
      TANDEM_RETURN_IF_ERROR(measured);
      if (t.traced) {
        compare(t, st.kind);
        Status applied = conn->execute(st.raw);
        if (!applied.ok()) t.note = "applying it after the trace failed: " + applied.message();
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

namespace {

// "statements": every traced statement.
void statements_json(JsonWriter& w, const std::vector<TracedStatement>& traced) {
  w.key("statements").begin_array();
  for (const TracedStatement& t : traced) {
    w.begin_object()
        .field("column", t.column)
        .field("disagreements", t.disagreements)
        .field("file", t.file)
        .field("line", t.line)
        .field("lock", lock_name(t.lock))
        .field("locks", t.locks)
        .field("note", t.note)
        .field("relation", t.relation)
        .field("rewritten", t.rewritten)
        .field("scanned", t.scanned)
        .field("sql", t.sql)
        .key("static")
        .begin_object()
        .field("lock", lock_name(t.expected.lock))
        .field("relation", t.expected.relation)
        .field("rewrites", t.expected.rewrites)
        .field("scans", t.expected.scans)
        .end_object()
        .field("traced", t.traced)
        .end_object();
  }
  w.end_array();
}

}  // namespace

std::string render_trace(const std::vector<TracedStatement>& traced, bool json) {
  if (json) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    statements_json(w, traced);
    w.end_object();
    return out + "\n";
  }
  std::string out;
  int disagree = 0;
  for (const TracedStatement& t : traced) {
    out += fmt::format("{}:{}:{}: {}\n", t.file, t.line, t.column,
                       t.sql.size() > 100 ? t.sql.substr(0, 97) + "..." : t.sql);
    if (!t.traced) {
      out += "  " + t.note + "\n";
      continue;
    }
    std::string locks;
    for (const std::string& l : t.locks) locks += (locks.empty() ? "" : ", ") + l;
    out += fmt::format("  traced: {}{}{}\n", locks.empty() ? "no new table lock" : locks,
                       t.rewritten.empty() ? "" : "; rewrote " + t.rewritten[0],
                       t.scanned.empty() ? "" : "; scanned " + t.scanned[0]);
    for (const std::string& d : t.disagreements)
      out += "  differs from the static analysis: " + d + "\n";
    disagree += !t.disagreements.empty();
  }
  out += fmt::format("{} statement(s) traced, {} differ from the static analysis\n", traced.size(),
                     disagree);
  return out;
}

bool TraceReport::differs() const {
  for (const TracedStatement& t : traced)
    if (!t.disagreements.empty()) return true;
  return false;
}

Result<TraceReport> lint_and_trace(const std::vector<Source>& sources, const LintOptions& options,
                                   const std::string& db_url) {
  TraceReport report;
  // Linted first: the live catalog (LintOptions::column_types) is read before the trace
  // changes the database.
  TANDEM_ASSIGN_OR_RETURN(report.lint, lint(sources, options));
  TANDEM_ASSIGN_OR_RETURN(report.traced, trace(sources, db_url));
  return report;
}

std::string render(const TraceReport& report, Format format, bool explain) {
  if (format == Format::kText)
    return render(report.lint, format, explain) + render_trace(report.traced, false);
  if (format != Format::kJson) return render(report.lint, format, explain);
  const LintReport& r = report.lint;
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("files", r.files).key("findings").begin_array();
  for (const Finding& f : r.findings) finding_json(w, f);
  w.end_array();
  statements_json(w, report.traced);
  w.field("worst", severity_name(r.worst())).end_object();
  return out + "\n";
}

}  // namespace tandem::lint
