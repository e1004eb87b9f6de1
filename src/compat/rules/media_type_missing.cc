// A media type of a request body or a response only one side has.
//   request-media-type-removed (error): clients send a body in a media type the server no longer
//     reads (415).
//   response-media-type-removed (error): clients ask for (and read) a media type the server no
//     longer produces (406, or a body they cannot parse).
//   request-media-type-added / response-media-type-added (info): clients do not use it; errors
//     in a FORWARD check (new clients use what an old server does not know).

#include <fmt/format.h>

#include "compat/rules/rules.h"

namespace tandem::compat::checks {

const std::vector<RuleInfo> kMediaTypeMissing = {
    {"request-media-type-removed", Level::kError,
     "OpenAPI: a request body media type is gone: old clients still send it (415)"},
    {"request-media-type-added", Level::kError,
     "OpenAPI: a request body media type was added (a note; an error in a FORWARD check)"},
    {"response-media-type-removed", Level::kError,
     "OpenAPI: a response media type is gone: old clients ask for it and cannot read the answer"},
    {"response-media-type-added", Level::kError,
     "OpenAPI: a response media type was added (a note; an error in a FORWARD check)"},
};

void media_type_missing(ApiWalker& w, bool request, const ApiMedia* c, const ApiMedia* s) {
  if (c != nullptr) {
    std::string why = request ? fmt::format(
                                    "{} clients send bodies as `{}`, which the {} server no longer "
                                    "reads: those calls are refused (415)",
                                    w.client_side(), c->type, w.server_side())
                              : fmt::format(
                                    "{} clients read `{}` here, which the {} server no longer "
                                    "produces: they get 406 or a body they cannot parse",
                                    w.client_side(), c->type, w.server_side());
    std::string fix = w.server_is_new() ? "keep the media type until no client uses it"
                                        : "roll back only to a server that has it";
    w.report(request ? w.pick("request-media-type-removed", "request-media-type-added")
                     : w.pick("response-media-type-removed", "response-media-type-added"),
             Level::kError, &c->at, nullptr, fmt::format("{}; {}", why, fix));
    return;
  }
  w.report(request ? w.pick("request-media-type-added", "request-media-type-removed")
                   : w.pick("response-media-type-added", "response-media-type-removed"),
           Level::kInfo, nullptr, &s->at,
           fmt::format("only the {} server has `{}`; {} clients do not use it", w.server_side(),
                       s->type, w.client_side()));
}

}  // namespace tandem::compat::checks
