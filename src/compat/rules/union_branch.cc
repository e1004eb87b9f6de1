// union-branch-removed / union-branch-added: a branch of the writer's union (Avro union, JSON
// Schema anyOf/oneOf or type list) that no branch of the reader's reads.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kUnionBranch = {
    {"union-branch-removed", Level::kError,
     "the new schema no longer reads one of the old union's branches: old data in that branch "
     "fails"},
    {"union-branch-added", Level::kError,
     "the new schema's union has a branch old readers do not read: new data in that branch "
     "fails for them"},
};

void union_branch(Walker& w, const Node& r, const Node& branch) {
  std::string rd = describe(w.reader(), r);
  std::string bd = describe(w.writer(), branch);
  std::string fix = w.reader_is_new() ? "keep a branch that reads it"
                                      : "add the branch to every old reader before writing it";
  w.report(w.pick("union-branch-removed", "union-branch-added"), Level::kError, &r.at, &branch.at,
           fmt::format("{}: the {} schema may write {} here, and the {} schema ({}) has nothing "
                       "that reads it: a {} reader fails on such values; {}",
                       w.where(), w.writer_side(), bd, w.reader_side(), rd, w.reader_side(), fix));
}

}  // namespace tandem::compat::checks
