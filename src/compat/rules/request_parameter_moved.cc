// request-parameter-location-changed: a parameter kept its name and moved (query → header,
// header → cookie): clients send it where the server no longer looks.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kRequestParameterMoved = {
    {"request-parameter-location-changed", Level::kError,
     "OpenAPI: a parameter moved (`in`: query, header, path, cookie): clients send it where the "
     "server no longer reads it"},
};

void request_parameter_moved(ApiWalker& w, const ApiParameter& c, const ApiParameter& s) {
  w.report("request-parameter-location-changed", s.required ? Level::kError : Level::kWarning,
           &c.at, &s.at,
           fmt::format("`{}` moved from {} to {}: {} clients send it in the {}, where the {} "
                       "server no longer reads it{}; read it from both places until every "
                       "client moved",
                       c.name, w.server_is_new() ? c.in : s.in, w.server_is_new() ? s.in : c.in,
                       w.client_side(), c.in, w.server_side(),
                       s.required ? ", and it is required: every call is refused" : ""));
}

}  // namespace tandem::compat::checks
