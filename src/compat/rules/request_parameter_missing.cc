// A request parameter only one side has. The server reads what clients send:
//   request-parameter-added-required (error): the server requires a parameter clients do not
//     send — every call is refused (400).
//   request-parameter-added (info): an optional one; old clients leave it out.
//   request-parameter-removed (warning): clients still send it and the server ignores it — the
//     call succeeds, but if the parameter meant something (a filter, a flag) the answer
//     silently changes. In a FORWARD check (new clients, an old server that requires it): error.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kRequestParameterMissing = {
    {"request-parameter-added-required", Level::kError,
     "OpenAPI: a new required parameter: old clients do not send it and are refused"},
    {"request-parameter-added", Level::kInfo,
     "OpenAPI: a new optional parameter (a warning in a FORWARD check: an old server ignores "
     "it)"},
    {"request-parameter-removed", Level::kError,
     "OpenAPI: a parameter is gone: old clients still send it and the new server ignores it "
     "(warning); in a FORWARD check an error when the old server requires it"},
};

void request_parameter_missing(ApiWalker& w, const ApiParameter* c, const ApiParameter* s) {
  if (s != nullptr) {
    if (s->required) {
      w.report(w.pick("request-parameter-added-required", "request-parameter-removed"),
               Level::kError, nullptr, &s->at,
               fmt::format("the {} server requires this parameter, and {} clients do not send "
                           "it: every call is refused; {}",
                           w.server_side(), w.client_side(),
                           w.server_is_new() ? "make it optional (`required: false`, with the "
                                               "old behaviour when it is absent)"
                                             : "keep sending it until no old server runs"));
    } else {
      w.report(w.pick("request-parameter-added", "request-parameter-removed"), Level::kInfo,
               nullptr, &s->at,
               fmt::format("the parameter is optional on the {} server, and {} clients leave "
                           "it out",
                           w.server_side(), w.client_side()));
    }
    return;
  }
  if (c->in == "path") return;  // the path template changed: the path itself no longer matches
  w.report(w.pick("request-parameter-removed", "request-parameter-added"), Level::kWarning, &c->at,
           nullptr,
           fmt::format("{} clients send this parameter and the {} server does not read it: the "
                       "call succeeds, but if the parameter changed the answer (a filter, a "
                       "flag) it silently no longer does; keep reading it until no client "
                       "sends it",
                       w.client_side(), w.server_side()));
}

}  // namespace tandem::compat::checks
