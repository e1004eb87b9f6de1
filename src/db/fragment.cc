// Fragments are checked inside the statement they will be embedded in, by the database's own
// parser: PostgreSQL's (libpg_query) must read exactly the expected tree and nothing else;
// SQLite's must accept the statement with nothing after it and, where SQLite can say so
// (pragma_table_info), read the fragment back exactly as written.

#include "tandem/db.h"

#include <fmt/format.h>
#include <pg_query.h>
#include <sqlite3.h>

#include <cctype>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

namespace tandem::db {
namespace {

using nlohmann::json;

// Whether every key of `node` is one of `allowed`.
bool only_keys(const json& node, std::initializer_list<const char*> allowed) {
  if (!node.is_object()) return false;
  for (const auto& [key, value] : node.items()) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) return false;
  }
  return true;
}

Status not_one(FragmentKind kind, std::string_view text, const std::string& why) {
  return Status::InvalidInput(fmt::format("invalid {} `{}`{}", fragment_kind_name(kind), text, why),
                              kind == FragmentKind::kTypeName
                                  ? "write only the type, e.g. `bigint` or `varchar(20)`; "
                                    "NOT NULL, DEFAULT and CHECK have fields of their own"
                                  : "write one SQL expression, as in a SELECT list, with no "
                                    "`;` and no `--` comment");
}

// PostgreSQL: `prefix + text + suffix` parsed; `accept` judges the one statement's tree.
Status check_postgres(FragmentKind kind, std::string_view text) {
  std::string prefix, suffix = ")";
  switch (kind) {
    case FragmentKind::kTypeName:
      prefix = "CREATE TABLE t (c ";
      break;
    case FragmentKind::kExpression:
    case FragmentKind::kColumnDefault:
      prefix = "SELECT (";
      break;
    case FragmentKind::kStorageParams:
      prefix = "CREATE INDEX i ON t (c) WITH (";
      break;
    case FragmentKind::kName:  // checked by check_fragment itself
      return Status::Ok();
  }
  std::string sql = prefix + std::string(text) + suffix;
  PgQueryParseResult r = pg_query_parse(sql.c_str());
  if (r.error != nullptr) {
    int at = r.error->cursorpos - static_cast<int>(prefix.size());
    std::string why = fmt::format(": {}{}", r.error->message,
                                  at >= 1 && at <= static_cast<int>(text.size())
                                      ? fmt::format(" (at character {})", at)
                                      : std::string());
    pg_query_free_parse_result(r);
    return not_one(kind, text, why);
  }
  json tree = json::parse(r.parse_tree, nullptr, /*allow_exceptions=*/false);
  pg_query_free_parse_result(r);
  if (tree.is_discarded() || !tree.contains("stmts") || tree["stmts"].size() != 1)
    return not_one(kind, text, " (it reads as more than one statement)");
  const json& stmt = tree["stmts"][0]["stmt"];
  bool ok = false;
  switch (kind) {
    case FragmentKind::kTypeName:
      if (stmt.contains("CreateStmt")) {
        const json& c = stmt["CreateStmt"];
        ok = only_keys(c, {"relation", "tableElts", "oncommit"}) && c["tableElts"].size() == 1 &&
             c["tableElts"][0].contains("ColumnDef") &&
             only_keys(c["tableElts"][0]["ColumnDef"],
                       {"colname", "typeName", "is_local", "location"});
      }
      break;
    case FragmentKind::kExpression:
    case FragmentKind::kColumnDefault:
      if (stmt.contains("SelectStmt")) {
        const json& s = stmt["SelectStmt"];
        ok = only_keys(s, {"targetList", "limitOption", "op"}) && s["targetList"].size() == 1 &&
             s["targetList"][0].contains("ResTarget") &&
             only_keys(s["targetList"][0]["ResTarget"], {"val", "location"});
      }
      break;
    case FragmentKind::kStorageParams:
      if (stmt.contains("IndexStmt")) {
        const json& i = stmt["IndexStmt"];
        ok = only_keys(i, {"idxname", "relation", "accessMethod", "indexParams", "options"}) &&
             i.contains("options") && i["indexParams"].size() == 1;
      }
      break;
    case FragmentKind::kName:
      ok = true;
      break;
  }
  return ok ? Status::Ok() : not_one(kind, text, " (it must be exactly one, and nothing else)");
}

// A private in-memory SQLite database per thread: nothing a check creates outlives it.
sqlite3* scratch() {
  thread_local struct Scratch {
    sqlite3* db = nullptr;
    Scratch() { sqlite3_open(":memory:", &db); }
    ~Scratch() { sqlite3_close(db); }
  } s;
  return s.db;
}

// Prepares `sql` as one statement with nothing after it; runs it when `run`.
Status sqlite_one(sqlite3* db, const std::string& sql, bool run, std::string& error) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt, &tail);
  if (rc != SQLITE_OK || stmt == nullptr) {
    error = rc == SQLITE_OK ? "empty" : sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    return Status::InvalidInput(error);
  }
  sqlite3_stmt* next = nullptr;
  int rc2 = tail && *tail ? sqlite3_prepare_v2(db, tail, -1, &next, nullptr) : SQLITE_OK;
  bool more = rc2 != SQLITE_OK || next != nullptr;
  sqlite3_finalize(next);
  if (more) {
    sqlite3_finalize(stmt);
    error = "it reads as more than one statement";
    return Status::InvalidInput(error);
  }
  if (run) rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (run && rc != SQLITE_DONE) {
    error = sqlite3_errmsg(db);
    return Status::InvalidInput(error);
  }
  return Status::Ok();
}

std::string trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

// SQLite: a column type or default is created on a scratch table and read back with
// pragma_table_info — it must come back exactly as written (nothing else was declared).
Status check_sqlite(FragmentKind kind, std::string_view text) {
  sqlite3* db = scratch();
  if (db == nullptr) return Status::Database("cannot open an in-memory SQLite database");
  std::string error;
  if (kind == FragmentKind::kStorageParams) {
    return Status::InvalidInput("SQLite has no storage parameters",
                                "drop `storage_parameters` for SQLite");
  }
  if (kind == FragmentKind::kExpression) {
    // SQLite cannot show its parse tree, so the fragment must read as an expression in three
    // different places: text that closes the parenthesis early and goes on (`1) FROM t WHERE
    // (1`) fits at most one of them.
    for (const char* wrap : {"CREATE VIEW v AS SELECT ({})", "CREATE VIEW v AS SELECT 1 WHERE ({})",
                             "CREATE VIEW v AS SELECT CASE WHEN ({}) THEN 1 END"}) {
      if (!sqlite_one(db, fmt::format(fmt::runtime(wrap), text), false, error).ok())
        return not_one(kind, text, ": " + error);
    }
    return Status::Ok();
  }
  bool type = kind == FragmentKind::kTypeName;
  std::string create = type ? "CREATE TABLE t (c " + std::string(text) + ")"
                            : "CREATE TABLE t (c DEFAULT " + std::string(text) + ")";
  (void)sqlite3_exec(db, "SAVEPOINT fragment", nullptr, nullptr, nullptr);
  Status st = sqlite_one(db, create, true, error);
  std::string got;
  int columns = 0, flags = 0;
  if (st.ok()) {
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT type, dflt_value, \"notnull\" + pk FROM pragma_table_info('t')",
                       -1, &q, nullptr);
    while (q && sqlite3_step(q) == SQLITE_ROW) {
      ++columns;
      const unsigned char* v = sqlite3_column_text(q, type ? 0 : 1);
      got = v ? reinterpret_cast<const char*>(v) : "";
      flags += sqlite3_column_int(q, 2);
    }
    sqlite3_finalize(q);
  }
  (void)sqlite3_exec(db, "ROLLBACK TO fragment; RELEASE fragment", nullptr, nullptr, nullptr);
  if (!st.ok()) return not_one(kind, text, ": " + error);
  // SQLite reads known type names back in upper case and identifiers unquoted.
  auto fold = [](std::string s) {
    std::string out;
    for (char c : s)
      if (c != '"') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  std::string want = fold(trim(text));
  got = fold(got);
  bool same = got == want || "(" + got + ")" == want;
  if (columns != 1 || flags != 0 || !same)
    return not_one(kind, text, " (it must be exactly one, and nothing else)");
  return Status::Ok();
}

}  // namespace

const char* fragment_kind_name(FragmentKind kind) {
  switch (kind) {
    case FragmentKind::kTypeName:
      return "type name";
    case FragmentKind::kExpression:
      return "SQL expression";
    case FragmentKind::kColumnDefault:
      return "default";
    case FragmentKind::kStorageParams:
      return "storage parameters";
    case FragmentKind::kName:
      return "name";
  }
  return "a fragment";
}

Status check_fragment(Backend backend, FragmentKind kind, std::string_view text) {
  if (kind == FragmentKind::kName) {
    // Quoted as an identifier wherever it goes: only its length can go wrong, and only where
    // PostgreSQL cuts names silently.
    if (text.empty()) return Status::InvalidInput("a name cannot be empty");
    if (text.find('\0') != std::string_view::npos)
      return Status::InvalidInput("a name cannot hold a NUL byte");
    if (backend == Backend::kPostgres && text.size() > 63) {
      return Status::InvalidInput(
          fmt::format("name `{}` is {} bytes; PostgreSQL keeps only 63 bytes of a name, so it "
                      "would be cut (and could then be the same as another)",
                      text, text.size()),
          "choose a name of at most 63 bytes");
    }
    return Status::Ok();
  }
  if (trim(text).empty()) return not_one(kind, text, " (it is empty)");
  if (text.find('\0') != std::string_view::npos)
    return not_one(kind, "…", " (it holds a NUL byte)");
  return backend == Backend::kPostgres ? check_postgres(kind, text) : check_sqlite(kind, text);
}

}  // namespace tandem::db
