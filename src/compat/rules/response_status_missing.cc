// A response status only one side documents. Clients read responses:
//   response-status-removed: a success status (2xx) clients expect is gone — an error when none
//     of their success statuses is left (they never see the answer they handle), a warning when
//     another one stays; an error status gone is a note (clients simply stop seeing it).
//   response-status-added: a success status clients do not know (a warning: generated clients
//     may treat it as a failure); another status, a note.
// A client's `default` response reads every status; a range (2XX) every status it covers.

#include <fmt/format.h>

#include <algorithm>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kResponseStatusMissing = {
    {"response-status-removed", Level::kError,
     "OpenAPI: a success status old clients handle is no longer returned (a warning when "
     "another of theirs stays; a note for an error status)"},
    {"response-status-added", Level::kWarning,
     "OpenAPI: a new success status old clients do not know (a note for an error status)"},
};

namespace {

bool success(const std::string& status) { return !status.empty() && status[0] == '2'; }

bool covers(const std::string& key, const std::string& status) {
  return key == status || (key.size() == 3 && key[1] == 'X' && key[2] == 'X' && !status.empty() &&
                           status[0] == key[0]);
}

}  // namespace

void response_status_missing(ApiWalker& w, const ApiOperation& c_op, const ApiOperation& s_op,
                             const ApiResponse* c, const ApiResponse* s) {
  if (s != nullptr) {
    bool ok = success(s->status);
    w.report(w.pick("response-status-added", "response-status-removed"),
             ok ? Level::kWarning : Level::kInfo, nullptr, &s->at,
             ok ? fmt::format("the {} server may answer {}, a success status {} clients do not "
                              "document: generated clients may treat it as a failure; give "
                              "clients a `2XX` response, or keep the old status",
                              w.server_side(), s->status, w.client_side())
                : fmt::format("the {} server may answer {}, which {} clients do not document; "
                              "they handle it as any unexpected error",
                              w.server_side(), s->status, w.client_side()));
    return;
  }
  if (!success(c->status)) {
    w.report(w.pick("response-status-removed", "response-status-added"), Level::kInfo, &c->at,
             nullptr,
             fmt::format("the {} server no longer documents {}; {} clients simply stop seeing it",
                         w.server_side(), c->status, w.client_side()));
    return;
  }
  // Another success status both sides have: the clients still get an answer they read.
  bool another = std::any_of(c_op.responses.begin(), c_op.responses.end(), [&](const auto& cr) {
    return success(cr.status) && cr.status != c->status &&
           std::any_of(s_op.responses.begin(), s_op.responses.end(),
                       [&](const auto& sr) { return covers(sr.status, cr.status); });
  });
  w.report(w.pick("response-status-removed", "response-status-added"),
           another ? Level::kWarning : Level::kError, &c->at, nullptr,
           fmt::format("{} clients handle {}, which the {} server no longer returns: {}; {}",
                       w.client_side(), c->status, w.server_side(),
                       another ? "they still get another success status they know, but code "
                                 "waiting for this one does not run"
                               : "none of the success answers they handle is left, so "
                                 "successful calls look like failures to them",
                       w.server_is_new() ? "keep returning it for old clients"
                                         : "roll back only to a server that returns it"));
}

}  // namespace tandem::compat::checks
