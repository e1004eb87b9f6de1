// path-removed / path-added, operation-removed / operation-added: a route only one side has.
// What clients call and the server lacks fails with 404 (405 for a method): an error, a warning
// when the clients' document already marked every such operation `deprecated`. What the server
// has and clients do not call breaks nothing: a note.

#include <fmt/format.h>

#include <algorithm>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kPathMissing = {
    {"path-removed", Level::kError,
     "OpenAPI: a path old clients call is gone (404); a warning when all its operations were "
     "deprecated; a note in a FORWARD check"},
    {"path-added", Level::kError,
     "OpenAPI: a new path; a note, but an error in a FORWARD check (new clients call it, an old "
     "server has no route)"},
};

const std::vector<RuleInfo> kOperationMissing = {
    {"operation-removed", Level::kError,
     "OpenAPI: an operation (path + method) old clients call is gone; a warning when it was "
     "deprecated; a note in a FORWARD check"},
    {"operation-added", Level::kError,
     "OpenAPI: a new operation; a note, but an error in a FORWARD check (new clients call it)"},
};

namespace {

// The sentence for a route clients call and the server lacks.
std::string missing_route(const ApiWalker& w, const char* what, bool deprecated) {
  std::string fix = w.server_is_new()
                        ? fmt::format(
                              "keep the {} (mark it `deprecated: true`) until no client "
                              "calls it",
                              what)
                        : fmt::format(
                              "roll back only to a server that has the {}, or ship the "
                              "clients that call it after the server",
                              what);
  return fmt::format(
      "{} clients call this {}, and the {} server has no route for it: every such call fails "
      "(404 or 405){}; {}",
      w.client_side(), what, w.server_side(),
      deprecated ? " — it was deprecated, so clients were warned" : "", fix);
}

}  // namespace

void path_missing(ApiWalker& w, const ApiPath* c, const ApiPath* s) {
  if (c != nullptr) {
    bool deprecated =
        !c->operations.empty() && std::all_of(c->operations.begin(), c->operations.end(),
                                              [](const ApiOperation& o) { return o.deprecated; });
    w.report(w.pick("path-removed", "path-added"), deprecated ? Level::kWarning : Level::kError,
             &c->at, nullptr, missing_route(w, "path", deprecated));
    return;
  }
  w.report(w.pick("path-added", "path-removed"), Level::kInfo, nullptr, &s->at,
           fmt::format("only the {} document has this path; {} clients do not call it",
                       w.server_side(), w.client_side()));
}

void operation_missing(ApiWalker& w, const ApiOperation* c, const ApiOperation* s) {
  if (c != nullptr) {
    w.report(w.pick("operation-removed", "operation-added"),
             c->deprecated ? Level::kWarning : Level::kError, &c->at, nullptr,
             missing_route(w, "operation", c->deprecated));
    return;
  }
  w.report(w.pick("operation-added", "operation-removed"), Level::kInfo, nullptr, &s->at,
           fmt::format("only the {} document has this operation; {} clients do not call it",
                       w.server_side(), w.client_side()));
}

}  // namespace tandem::compat::checks
