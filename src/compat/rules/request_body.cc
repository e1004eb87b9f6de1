// A request body on one side only, or required by the server only:
//   request-body-added-required (error): the server requires a body old clients do not send.
//   request-body-became-required (error): clients may leave the body out, the server requires it.
//   request-body-added (info): an optional body; old clients leave it out.
//   request-body-removed (warning): clients still send a body the server ignores.
// FORWARD checks mirror them (new clients, an old server): request-body-removed and
// request-body-became-optional are errors there.

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kRequestBody = {
    {"request-body-added-required", Level::kError,
     "OpenAPI: an operation now requires a request body old clients do not send"},
    {"request-body-became-required", Level::kError,
     "OpenAPI: an optional request body became required: old clients that leave it out are "
     "refused"},
    {"request-body-became-optional", Level::kError,
     "OpenAPI (FORWARD): a required request body became optional: new clients may leave out "
     "what an old server requires"},
    {"request-body-added", Level::kInfo,
     "OpenAPI: an optional request body was added (a warning in a FORWARD check)"},
    {"request-body-removed", Level::kError,
     "OpenAPI: the request body is gone: old clients still send it and the new server ignores "
     "it (warning); in a FORWARD check an error when the old server requires it"},
};

bool request_body(ApiWalker& w, const ApiOperation& c, const ApiOperation& s) {
  if (s.has_body && !c.has_body) {
    if (s.body.required) {
      w.report(w.pick("request-body-added-required", "request-body-removed"), Level::kError,
               nullptr, &s.body.at,
               fmt::format("the {} server requires a request body, and {} clients send none: "
                           "every call is refused; {}",
                           w.server_side(), w.client_side(),
                           w.server_is_new() ? "make it optional (`required: false`)"
                                             : "keep sending it until no old server runs"));
    } else {
      w.report(w.pick("request-body-added", "request-body-removed"), Level::kInfo, nullptr,
               &s.body.at,
               fmt::format("the request body is optional on the {} server, and {} clients send "
                           "none",
                           w.server_side(), w.client_side()));
    }
    return false;
  }
  if (c.has_body && !s.has_body) {
    w.report(w.pick("request-body-removed", "request-body-added"), Level::kWarning, &c.body.at,
             nullptr,
             fmt::format("{} clients send a request body the {} server does not read: the call "
                         "may succeed while what they sent is dropped; keep reading it until no "
                         "client sends it",
                         w.client_side(), w.server_side()));
    return false;
  }
  if (s.body.required && !c.body.required) {
    w.report(w.pick("request-body-became-required", "request-body-became-optional"), Level::kError,
             &c.body.at, &s.body.at,
             fmt::format("{} clients may send no request body, and the {} server requires one: "
                         "those calls are refused; {}",
                         w.client_side(), w.server_side(),
                         w.server_is_new() ? "keep it optional"
                                           : "new clients must keep sending it while old "
                                             "servers may run"));
  }
  return true;
}

}  // namespace tandem::compat::checks
