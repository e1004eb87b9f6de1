// operation-id-changed (info): nothing on the wire changes, but code generated from the document
// names its method after the operationId: callers of the old name stop compiling.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kOperationIdChanged = {
    {"operation-id-changed", Level::kInfo,
     "OpenAPI: an operation's operationId changed: the wire is the same, generated client code "
     "renames its method"},
};

void operation_id_changed(ApiWalker& w, const ApiOperation& c, const ApiOperation& s) {
  if (c.operation_id.empty() || s.operation_id.empty() || c.operation_id == s.operation_id) return;
  const std::string& old_id = w.server_is_new() ? c.operation_id : s.operation_id;
  const std::string& new_id = w.server_is_new() ? s.operation_id : c.operation_id;
  w.report("operation-id-changed", Level::kInfo, &c.at, &s.at,
           fmt::format("the operationId changed from `{}` to `{}`: requests are the same, but "
                       "client code generated from the document renames its method; keep the "
                       "old id if generated clients matter",
                       old_id, new_id));
}

}  // namespace tandem::compat::checks
