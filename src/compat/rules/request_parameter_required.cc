// request-parameter-became-required (error): clients may leave out a parameter the server now
// requires. FORWARD: request-parameter-became-optional (new clients may leave out what an old
// server requires).

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kRequestParameterRequired = {
    {"request-parameter-became-required", Level::kError,
     "OpenAPI: an optional parameter became required: old clients that leave it out are "
     "refused"},
    {"request-parameter-became-optional", Level::kError,
     "OpenAPI (FORWARD): a required parameter became optional: new clients may leave out what "
     "an old server requires"},
};

void request_parameter_required(ApiWalker& w, const ApiParameter& c, const ApiParameter& s) {
  if (!s.required || c.required) return;
  w.report(w.pick("request-parameter-became-required", "request-parameter-became-optional"),
           Level::kError, &c.at, &s.at,
           fmt::format("{} clients may leave this parameter out, and the {} server requires it: "
                       "those calls are refused; {}",
                       w.client_side(), w.server_side(),
                       w.server_is_new() ? "keep it optional, with the old behaviour when absent"
                                         : "new clients must keep sending it while old servers "
                                           "may run"));
}

}  // namespace tandem::compat::checks
