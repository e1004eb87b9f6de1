#pragma once
// One parsed statement of a migration, and what the linter knows when it reaches it.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "db/postgres/parse_tree.h"
#include "tandem/lint.h"

namespace tandem::lint {

using db::pg::Node;

// Points into the parse tree of its source (Parsed::tree): valid while that lives.
struct Statement {
  Node node;              // {"IndexStmt": {…}} as libpg_query prints it
  std::string_view kind;  // "IndexStmt"
  std::string file;
  int line = 0, column = 0;
  std::string sql;                // the statement's text, whitespace collapsed
  std::string raw;                // the statement's text as written (no trailing semicolon)
  std::set<std::string> ignored;  // rule ids from `-- tandem:ignore a, b` before it
  Node body() const { return node.body(); }
};

// The statements of one source and the parse tree they point into.
struct Parsed {
  db::pg::Tree tree;
  std::vector<Statement> statements;
};

// Parses `source` with libpg_query; a syntax error names file, line and column.
Result<Parsed> parse(const Source& source);
// The 1-based line and column in the file of 1-based character `position` of `source.sql`.
std::pair<int, int> position_of(const Source& source, int position);

// A known table's columns and their types ("int4", "varchar(20)", "numeric(10,2)").
struct TableInfo {
  std::map<std::string, std::string> columns;
};

// What the statements before this one established.
struct Context {
  const LintOptions* options = nullptr;
  std::map<std::string, TableInfo> tables;  // every table created so far, in any source
  std::set<std::string> created_here;       // tables and indexes created in this source
  bool in_transaction = false;              // this statement runs inside a transaction
  bool lock_timeout_set = false;
  bool old_version_gone = false;    // see Source::old_version_gone
  std::string access_exclusive_on;  // a table locked ACCESS EXCLUSIVE earlier in this transaction
  bool ddl_in_transaction = false;  // DDL ran earlier in this transaction
  std::set<std::string> not_valid_here;  // "table.constraint" added NOT VALID in this transaction
  // table → columns with a validated CHECK (col IS NOT NULL) added in this migration history
  std::map<std::string, std::set<std::string>> not_null_checked;
  std::map<std::string, std::map<std::string, std::string>> check_columns;  // table → con → col
  std::map<std::string, std::string> index_tables;  // index → its table, for indexes created
  // Tables no linted file created (they exist only in the database): the columns linted files
  // added or retyped, with their types; "" once one dropped or renamed it (unknown again).
  std::map<std::string, std::map<std::string, std::string>> outside_columns;
  // Read from LintOptions::column_types before a statement that retypes such a column:
  // table → column → its type there (nullopt: no such column there).
  std::map<std::string, std::map<std::string, std::optional<ColumnType>>> live_types;
  // (from, to) → binary-coercible per the live catalog, for pairs type_change_rewrites does
  // not know.
  std::map<std::pair<std::string, std::string>, bool> live_coercible;
  // Tables whose live catalog entry no longer describes them here: dropped or renamed by a
  // linted file. Their columns are not looked up.
  std::set<std::string> live_stale;
  bool created(const std::string& table) const { return created_here.count(table) > 0; }
  // The table `relation` is or, for a known index, belongs to.
  const std::string& table_of(const std::string& relation) const {
    auto it = index_tables.find(relation);
    return it == index_tables.end() ? relation : it->second;
  }
};

// CONCURRENTLY, VACUUM, CREATE DATABASE, …: PostgreSQL refuses them inside a transaction
// block, so tandem runs a file holding one statement by statement
// (db::pg::can_run_in_transaction_block lists them all).
bool cannot_run_in_transaction(const Statement& st);

// Folds `st` (classified as `c`) into what the statements after it know.
void learn(const Statement& st, const Classification& c, Context& ctx);

// A RangeVar's name, schema-qualified when it was written so ("orders", "app.orders").
std::string relation_name(Node range_var);
// Whether two relation names as written are one table: the same, or one unqualified and the
// other's table part the same (the search_path finds it; tandem's generated SQL says both
// "public"."users" and "users").
bool same_relation(std::string_view a, std::string_view b);
// A TypeName as "int4", "varchar(20)", "timestamptz" (pg_catalog. dropped).
std::string type_name(Node type);

}  // namespace tandem::lint
