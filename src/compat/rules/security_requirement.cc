// security-requirement-added / security-requirement-removed, security-scope-added /
// security-scope-removed: an operation's `security` (or the document's) lets in fewer requests
// than clients send. Each alternative a client may satisfy must still satisfy one alternative of
// the server: the same schemes or fewer, the same scopes or fewer. A change that lets every
// client request in is security-requirement-changed, a note.

#include <fmt/format.h>

#include <algorithm>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kSecurityRequirement = {
    {"security-requirement-added", Level::kError,
     "OpenAPI: an operation needs credentials (a security scheme) old clients do not send: 401"},
    {"security-requirement-removed", Level::kError,
     "OpenAPI (FORWARD): new clients stop sending credentials an old server requires"},
    {"security-scope-added", Level::kError,
     "OpenAPI: an operation needs an OAuth2/OIDC scope old clients' tokens do not carry: 403"},
    {"security-scope-removed", Level::kError,
     "OpenAPI (FORWARD): new clients' tokens lack a scope an old server requires"},
    {"security-requirement-changed", Level::kInfo,
     "OpenAPI: the security requirements changed, and every request clients send is still let "
     "in"},
};

namespace {

using Alternatives = std::vector<SecurityAlternative>;

// Does a request carrying `have` satisfy `need`?
bool satisfies(const SecurityAlternative& have, const SecurityAlternative& need,
               bool check_scopes) {
  for (const auto& [scheme, scopes] : need) {
    auto it =
        std::find_if(have.begin(), have.end(), [&](const auto& h) { return h.first == scheme; });
    if (it == have.end()) return false;
    if (!check_scopes) continue;
    for (const std::string& scope : scopes)
      if (std::find(it->second.begin(), it->second.end(), scope) == it->second.end()) return false;
  }
  return true;
}

std::string describe(const SecurityAlternative& alt) {
  if (alt.empty()) return "no credentials";
  std::string out;
  for (const auto& [scheme, scopes] : alt) {
    if (!out.empty()) out += " and ";
    out += "`" + scheme + "`";
    if (!scopes.empty()) {
      out += " (";
      for (size_t i = 0; i < scopes.size(); ++i) out += (i ? ", " : "") + scopes[i];
      out += ")";
    }
  }
  return out;
}

std::string describe(const Alternatives& alts) {
  std::string out;
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " or " : "") + describe(alts[i]);
  return out;
}

}  // namespace

void security_requirement(ApiWalker& w, const ApiOperation& c, const ApiOperation& s) {
  if (c.security == s.security) return;
  // An empty list lets every request in: a client of it sends no credentials.
  Alternatives client = c.security.empty() ? Alternatives{{}} : c.security;
  for (const SecurityAlternative& have : client) {
    if (s.security.empty()) break;
    auto lets_in = [&](bool scopes) {
      return std::any_of(
          s.security.begin(), s.security.end(),
          [&](const SecurityAlternative& need) { return satisfies(have, need, scopes); });
    };
    if (lets_in(true)) continue;
    bool scopes_only = lets_in(false);
    std::string why = fmt::format(
        "{} clients authenticate with {}, and the {} server requires {}: their requests are "
        "refused ({}); {}",
        w.client_side(), describe(have), w.server_side(), describe(s.security),
        scopes_only ? "403: the token lacks a scope" : "401",
        w.server_is_new() ? "keep the old alternative beside the new one (security lists "
                            "alternatives) until every client sends the new credentials"
                          : "roll back only to a server that accepts what new clients send");
    w.report(scopes_only ? w.pick("security-scope-added", "security-scope-removed")
                         : w.pick("security-requirement-added", "security-requirement-removed"),
             Level::kError, &c.security_at, &s.security_at, std::move(why));
    return;
  }
  Alternatives server = s.security.empty() ? Alternatives{{}} : s.security;
  w.report("security-requirement-changed", Level::kInfo, &c.security_at, &s.security_at,
           fmt::format("the security requirements changed from {} to {}; every request {} "
                       "clients send is still let in",
                       describe(w.server_is_new() ? client : server),
                       describe(w.server_is_new() ? server : client), w.client_side()));
}

}  // namespace tandem::compat::checks
