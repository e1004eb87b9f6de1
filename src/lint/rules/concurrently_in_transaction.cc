// concurrently-in-transaction: CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot
// run inside a transaction block; PostgreSQL refuses them there.

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class ConcurrentlyInTransaction final : public Rule {
 public:
  RuleInfo info() const override {
    return {"concurrently-in-transaction",
            "CONCURRENTLY cannot run inside a transaction block: the migration fails",
            Severity::kError};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    if (!ctx.in_transaction || c.lock != Lock::kShareUpdateExclusive) return;
    if (st.kind != "IndexStmt" && st.kind != "DropStmt" && st.kind != "ReindexStmt") return;
    out.push_back(finding(st, "CONCURRENTLY inside an explicit transaction block (BEGIN … COMMIT)",
                          lock_text(c),
                          "-- move it out of BEGIN … COMMIT: tandem runs a file with CONCURRENTLY "
                          "statement by statement"));
  }
};

}  // namespace

std::unique_ptr<Rule> make_concurrently_in_transaction() {
  return std::make_unique<ConcurrentlyInTransaction>();
}

}  // namespace tandem::lint
