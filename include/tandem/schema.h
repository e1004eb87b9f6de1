#pragma once
// The live schema as deterministic SQL (`tandem dump`), and its differences from a replay of
// the migrations into a scratch database (`tandem drift`). See docs/drift.md.

#include <string>
#include <string_view>
#include <vector>

#include "tandem/db.h"
#include "tandem/engine.h"
#include "tandem/options.h"
#include "tandem/status.h"

namespace tandem {

// One object of a schema, as read from the database's catalog.
struct SchemaObject {
  // PostgreSQL: "extension" | "type" | "function" | "sequence" | "table" | "view" |
  // "constraint" | "index" | "trigger"; SQLite: "table" | "view" | "index" | "trigger".
  std::string kind;
  // Unique within its kind, identifiers quoted as PostgreSQL's quote_ident quotes them:
  // "public.users", "public.users.users_pkey" (constraints and triggers: table.name),
  // "public.f(integer, text)" (functions: their identity arguments); SQLite: the name.
  std::string name;
  // The SQL that creates it, ending in ";". Two equal objects have byte-identical definitions:
  // PostgreSQL's own pg_get_*def functions with every name schema-qualified; SQLite's stored
  // text with comments removed and whitespace collapsed.
  std::string definition;
};

// Everything a schema holds, in a fixed order: by kind (the order of SchemaObject::kind above),
// then by name compared byte by byte — never by the order objects were created in.
struct SchemaDump {
  std::string database;  // the redacted URL
  std::string backend;   // "postgres" | "sqlite"
  std::string schema;    // PostgreSQL: the managed schema dumped; SQLite: ""
  std::vector<SchemaObject> objects;

  // The dump as SQL: a header naming the schema (no URL, no time), then each object after a
  // "-- <kind> <name>" line. Equal schemas give byte-identical text, so it can be diffed and
  // kept in version control. Meant for reading and diffing: views that use views, and
  // sequences owned by columns, are not ordered for restoring.
  std::string sql() const;
};

// Dumps the schema `options.schema` (PostgreSQL) or the whole database (SQLite) that
// `options.db_url` names, in one read-only snapshot. Leaves out tandem's own state (schema
// `tandem`, the version schemas such as public_7, tables `tandem_*`), objects that belong to an
// extension, and SQLite's internal tables. Changes nothing; an SQLite file that does not exist
// is an error, not a new database. A PostgreSQL schema that does not exist: kInvalidInput.
Result<SchemaDump> dump_schema(const EngineOptions& options);

// The same on a connection the caller owns (read-only; on PostgreSQL inside a transaction of
// its own, so `conn` must not be in one).
Result<SchemaDump> dump_schema(db::Connection& conn, const std::string& schema);

// One object that differs between two dumps.
// `name` safe on one line of text — in a `-- kind name` comment of a dump (which psql may run)
// or a drift report: each control character as \xNN. A quoted identifier can hold a newline,
// and one printed as it is would end the comment and make the rest of the name a statement.
std::string printable_name(std::string_view name);

struct SchemaDifference {
  std::string kind, name;
  // "added": in the live schema only (made by hand, or by a migration not in the folder);
  // "missing": in the replay only (dropped by hand); "changed": in both, defined differently.
  std::string change;
  std::string live;      // the live definition ("" when missing)
  std::string expected;  // the replay's definition ("" when added)
  // For "changed": the lines of each definition the other does not have, in order (a column
  // added by hand is one line of `only_live`).
  std::vector<std::string> only_live, only_expected;
};

// Every object whose definition differs between `expected` (the replay) and `live`, in the
// dumps' order. Empty when the schemas are the same.
std::vector<SchemaDifference> diff_schemas(const SchemaDump& expected, const SchemaDump& live);

struct DriftOptions {
  // Replay every migration of the folder, pending ones too. By default only those the live
  // history lists as applied (or baselined) are replayed: a pending migration is not drift.
  bool all = false;
};

// What `tandem drift` found.
struct DriftReport {
  std::string database;  // the live database, redacted
  std::string backend;   // "postgres" | "sqlite"
  std::string schema;    // PostgreSQL: the managed schema compared
  // The scratch database the migrations were replayed into (PostgreSQL: its name; SQLite: the
  // file). It is dropped before drift returns, also when the replay fails.
  std::string scratch;
  std::vector<std::string> replayed;  // the files replayed, in order
  // What the replay could not reproduce as applied: an applied file that is gone or was edited
  // since, a failed or interrupted migration (not replayed). Differences may come from these.
  std::vector<std::string> notes;
  std::vector<SchemaDifference> differences;
  bool drifted() const { return !differences.empty(); }
};

// Replays the migrations into a scratch database on the same server (PostgreSQL: CREATE
// DATABASE tandem_drift_<random> from the maintenance database, so the user in --db needs
// CREATEDB; SQLite: a temporary file), dumps it and the live schema, and lists every
// difference. Never writes to the live database. Refused (kProblem, problem kind
// "active_migration") while an expand/contract migration is active on it: its shadow
// columns, triggers and version schemas are not drift. A migration that fails in the replay
// is an error naming it; the scratch database is dropped whatever happens.
Result<DriftReport> drift(const Options& options, const DriftOptions& how = {});

}  // namespace tandem
