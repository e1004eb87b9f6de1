#pragma once
// RFC 9457 problem details: every error the network-facing parts answer with.

#include <string>
#include <string_view>

#include "http/http.h"

namespace tandem::http {

// A response with `application/problem+json`: {"type", "title", "status", "detail"} plus
// `extra` members (a JSON object's members without braces, e.g. "\"versions\":[…]"; "" for
// none). `type` is a short slug made into "https://tandem.dev/problems/<slug>".
Response problem(int status, std::string_view type, std::string_view title, std::string_view detail,
                 std::string_view extra = {});

// A string as a JSON string literal (quotes and escapes, invalid UTF-8 replaced by U+FFFD).
std::string json_string(std::string_view text);

}  // namespace tandem::http
