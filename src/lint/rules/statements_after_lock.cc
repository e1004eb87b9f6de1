// statements-after-lock: once a transaction holds ACCESS EXCLUSIVE on a table, every further
// statement in it keeps the table blocked for reads and writes until COMMIT.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class StatementsAfterLock final : public Rule {
 public:
  RuleInfo info() const override {
    return {"statements-after-lock",
            "statements after an ACCESS EXCLUSIVE lock in the same transaction keep the table "
            "blocked until COMMIT",
            Severity::kWarning};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    if (!ctx.in_transaction || ctx.access_exclusive_on.empty()) return;
    if (st.kind == "TransactionStmt" || st.kind == "VariableSetStmt") return;
    // Cheap catalog-only statements add no wait worth a finding: those that lock nothing, and
    // those on the table already held or its indexes, which wait on nothing new (tandem's
    // complete: DROP COLUMN, RENAME COLUMN, SET NOT NULL over a validated check, ALTER INDEX
    // RENAME, in one transaction).
    if (c.lock == Lock::kNone && !c.scans) return;
    if (same_relation(ctx.table_of(c.relation), ctx.access_exclusive_on) && !c.rewrites && !c.scans)
      return;
    out.push_back(
        finding(st,
                fmt::format("runs while this transaction still holds ACCESS EXCLUSIVE on {}",
                            ctx.access_exclusive_on),
                lock_text(Lock::kAccessExclusive, ctx.access_exclusive_on),
                "-- move it to its own migration (or after COMMIT), so the lock is held for one "
                "statement"));
  }
};

}  // namespace

std::unique_ptr<Rule> make_statements_after_lock() {
  return std::make_unique<StatementsAfterLock>();
}

}  // namespace tandem::lint
