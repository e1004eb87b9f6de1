#pragma once
// Which lock a statement takes, on what, and whether it rewrites or scans the table — from the
// statement and what the linter knows of the tables (the PostgreSQL 15 documentation of each
// command's lock; `tandem lint --trace` checks these against pg_locks).

#include "lint/statement.h"

namespace tandem::lint {

Classification classify(const Statement& st, const Context& ctx);

// Whether changing a column from `from` to `to` (type_name() forms) rewrites the table:
// false for the binary-coercible changes PostgreSQL skips the rewrite for (varchar widening,
// varchar → text, numeric precision widening, …). `from` "" (unknown) counts as a rewrite.
bool type_change_rewrites(const std::string& from, const std::string& to);
// The same, nullopt for the pairs it has no knowledge of (int4 → int8, text → jsonb, …): those
// count as rewrites unless a live catalog says the cast is binary-coercible.
std::optional<bool> known_type_change_rewrites(const std::string& from, const std::string& to);

// A column's type before a statement changes it, and where that is known from.
struct OldType {
  enum Source { kUnknown, kMigrations, kLiveCatalog } source = kUnknown;
  std::string type;     // type_name() form; "" when unknown
  std::string display;  // kLiveCatalog: as PostgreSQL prints it ("character varying(20)")
};
OldType old_type(const Context& ctx, const std::string& table, const std::string& column);

// Whether changing `from` to `to` rewrites the table: type_change_rewrites, where for pairs it
// does not know a binary-coercible cast in the live catalog (Context::live_coercible) counts.
bool change_rewrites(const Context& ctx, const std::string& from, const std::string& to);

// Reads from LintOptions::column_types what classifying and checking `st` needs and the
// migrations do not say: the current types of the columns it retypes on tables no linted file
// created, and whether unknown type pairs are binary-coercible. Nothing when no column_types.
Status read_live_types(const Statement& st, Context& ctx);
// Folds what `st` does to tables no linted file created into Context::outside_columns and
// Context::live_stale (before learn() folds the rest).
void learn_outside_columns(const Statement& st, Context& ctx);

// Whether an expression calls something volatile (random(), now() is stable: no rewrite).
bool volatile_default(Node expr);

}  // namespace tandem::lint
