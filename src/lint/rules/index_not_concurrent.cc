// index-not-concurrent: CREATE INDEX, DROP INDEX and REINDEX without CONCURRENTLY lock the
// table against writes (DROP/REINDEX: against reads too) for as long as they take.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class IndexNotConcurrent final : public Rule {
 public:
  RuleInfo info() const override {
    return {"index-not-concurrent",
            "building or dropping an index without CONCURRENTLY blocks writes for the whole build",
            Severity::kError};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    Node b = st.body();
    if (st.kind == "IndexStmt" && !b["concurrent"].boolean()) {
      std::string table = relation_name(b["relation"]);
      if (ctx.created(table)) return;
      std::string fix = st.sql;
      size_t at = fix.find("INDEX");
      if (at == std::string::npos) at = fix.find("index");
      if (at != std::string::npos) fix.insert(at + 5, " CONCURRENTLY");
      out.push_back(finding(
          st,
          fmt::format("CREATE INDEX on {} without CONCURRENTLY blocks writes while it builds",
                      table),
          lock_text(c),
          fix + "  -- outside a transaction; if it fails, drop the INVALID index and retry"));
    } else if (st.kind == "DropStmt" && b["removeType"].str() == "OBJECT_INDEX" &&
               !b["concurrent"].boolean()) {
      if (ctx.created(c.relation)) return;
      out.push_back(finding(
          st,
          fmt::format("DROP INDEX {} without CONCURRENTLY takes ACCESS EXCLUSIVE on its table",
                      c.relation),
          "ACCESS EXCLUSIVE on the index's table (blocks reads and writes)",
          fmt::format("DROP INDEX CONCURRENTLY IF EXISTS {};  -- outside a transaction",
                      c.relation)));
    } else if (st.kind == "ReindexStmt" && c.lock != Lock::kShareUpdateExclusive) {
      out.push_back(finding(st, "REINDEX without CONCURRENTLY blocks the table while it rebuilds",
                            lock_text(c),
                            "REINDEX INDEX CONCURRENTLY <index>;  -- PostgreSQL 12+"));
    }
  }
};

}  // namespace

std::unique_ptr<Rule> make_index_not_concurrent() { return std::make_unique<IndexNotConcurrent>(); }

}  // namespace tandem::lint
