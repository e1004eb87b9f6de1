// security-scheme-changed: a security scheme kept its name but not what a client sends (http
// basic → bearer, an API key moved from a header to a query parameter or renamed): every client
// of every operation that uses it sends the wrong credentials.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kSecuritySchemeChanged = {
    {"security-scheme-changed", Level::kError,
     "OpenAPI: a security scheme kept its name and changed what clients send (type, http "
     "scheme, API key location or name, OAuth2 flows)"},
};

void security_scheme_changed(ApiWalker& w, const ApiSecurityScheme& c, const ApiSecurityScheme& s) {
  if (c.description == s.description) return;
  const std::string& old_d = w.server_is_new() ? c.description : s.description;
  const std::string& new_d = w.server_is_new() ? s.description : c.description;
  w.report("security-scheme-changed", Level::kError, &c.at, &s.at,
           fmt::format("security scheme `{}` changed from {} to {}: {} clients send credentials "
                       "the {} server does not read, and every operation that uses it refuses "
                       "them; add the new scheme under a new name as an alternative instead",
                       c.name, old_d, new_d, w.client_side(), w.server_side()));
}

}  // namespace tandem::compat::checks
