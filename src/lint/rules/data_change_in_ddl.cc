// data-change-in-ddl: an UPDATE or DELETE in a transaction that also changes the schema holds
// the DDL's locks while it touches rows — one long transaction blocking the table.

#include <fmt/format.h>

#include "lint/rule.h"

namespace tandem::lint {
namespace {

class DataChangeInDdl final : public Rule {
 public:
  RuleInfo info() const override {
    return {"data-change-in-ddl",
            "changing rows in a schema-change transaction holds the DDL's locks for the whole "
            "data change",
            Severity::kWarning};
  }
  void check(const Statement& st, const Classification& c, const Context& ctx,
             std::vector<Finding>& out) const override {
    if (st.kind != "UpdateStmt" && st.kind != "DeleteStmt") return;
    if (!ctx.in_transaction || !ctx.ddl_in_transaction || ctx.created(c.relation)) return;
    out.push_back(
        finding(st,
                fmt::format("{} of {} in the same transaction as schema changes",
                            st.kind == "UpdateStmt" ? "UPDATE" : "DELETE", c.relation),
                lock_text(c),
                "-- run the data change on its own, in batches: a tandem `update` operation\n"
                "--   - update: {table: …, set: {…}, where: …}"));
  }
};

}  // namespace

std::unique_ptr<Rule> make_data_change_in_ddl() { return std::make_unique<DataChangeInDdl>(); }

}  // namespace tandem::lint
