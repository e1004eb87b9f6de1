// A response header clients read and the server may no longer send:
//   response-header-removed: gone — an error when clients' document marked it required (they
//     rely on it: Location, ETag, a rate limit), else a warning.
//   response-header-became-optional (error): required for clients, optional on the server.
//   response-header-added (info): a header clients do not read.
// FORWARD checks mirror them (response-header-added, response-header-became-required).

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kResponseHeader = {
    {"response-header-removed", Level::kError,
     "OpenAPI: a response header old clients read is gone (a warning when it was optional)"},
    {"response-header-became-optional", Level::kError,
     "OpenAPI: a response header old clients require may be left out by the new server"},
    {"response-header-added", Level::kError,
     "OpenAPI: a new response header (a note; in a FORWARD check an error when new clients "
     "require it)"},
    {"response-header-became-required", Level::kError,
     "OpenAPI (FORWARD): a header new clients require is optional for an old server"},
};

void response_header(ApiWalker& w, const ApiParameter* c, const ApiParameter* s) {
  if (c != nullptr && s == nullptr) {
    w.report(w.pick("response-header-removed", "response-header-added"),
             c->required ? Level::kError : Level::kWarning, &c->at, nullptr,
             fmt::format("{} clients read this header{}, and the {} server no longer sends it; "
                         "keep sending it until no client reads it",
                         w.client_side(), c->required ? " and rely on it (required)" : "",
                         w.server_side()));
    return;
  }
  if (c == nullptr) {
    w.report(w.pick("response-header-added", "response-header-removed"), Level::kInfo, nullptr,
             &s->at,
             fmt::format("only the {} server sends this header; {} clients do not read it",
                         w.server_side(), w.client_side()));
    return;
  }
  if (c->required && !s->required) {
    w.report(w.pick("response-header-became-optional", "response-header-became-required"),
             Level::kError, &c->at, &s->at,
             fmt::format("{} clients require this header, and the {} server may leave it out: "
                         "they fail on such answers; keep it required",
                         w.client_side(), w.server_side()));
  }
}

}  // namespace tandem::compat::checks
