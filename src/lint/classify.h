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

// Whether an expression calls something volatile (random(), now() is stable: no rewrite).
bool volatile_default(Node expr);

}  // namespace tandem::lint
