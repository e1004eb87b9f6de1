#pragma once
// Route patterns of the change list: "GET /orders", "/orders/{id}" (every method).

#include <string>
#include <string_view>

#include "tandem/gateway.h"

namespace tandem::gateway {

// Parses "METHOD /path/{param}" or "/path". Errors say what a pattern looks like.
Result<RoutePattern> parse_route_pattern(std::string_view text);

// True when `method` and `path` (no query string) match `pattern`. A `{name}` segment matches
// exactly one non-empty segment; a trailing slash on the path is ignored.
bool route_matches(const RoutePattern& pattern, std::string_view method, std::string_view path);

}  // namespace tandem::gateway
