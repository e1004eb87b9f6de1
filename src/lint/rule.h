#pragma once
// A lint rule: one file under src/lint/rules/ each, with its id, its one-line reason, and the
// check that turns a statement (and what came before it) into findings. Rules only produce
// findings; the linter applies severities and ignores, reporters format them.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lint/classify.h"
#include "lint/statement.h"

namespace tandem::lint {

class Rule {
 public:
  virtual ~Rule() = default;
  virtual RuleInfo info() const = 0;
  virtual void check(const Statement& st, const Classification& c, const Context& ctx,
                     std::vector<Finding>& out) const = 0;

 protected:
  // A finding of this rule at `st`.
  Finding finding(const Statement& st, std::string message, std::string lock,
                  std::string fix) const;
};

// "ACCESS EXCLUSIVE on orders (blocks reads and writes)", "SHARE on orders (blocks writes)".
std::string lock_text(const Classification& c);
std::string lock_text(Lock lock, const std::string& relation);

// Every column a statement defines or retypes — CREATE TABLE columns, ADD COLUMN, ALTER COLUMN
// TYPE — with its table, its type (type_name form) and whether it is (part of) the primary key.
struct ColumnUse {
  std::string table, column, type;
  bool primary_key = false;
};
std::vector<ColumnUse> columns_defined(const Statement& st);

// Calls fn(table, cmd) for each ALTER TABLE subcommand of `subtype` ("AT_AddColumn") in `st`,
// unless the table was created earlier in this migration (nothing uses it yet).
void for_each_alter(const Statement& st, const Context& ctx, std::string_view subtype,
                    const std::function<void(const std::string&, Node)>& fn);

// Every rule, in check order (src/lint/rules/all.cc).
const std::vector<std::unique_ptr<Rule>>& all_rules();

}  // namespace tandem::lint
