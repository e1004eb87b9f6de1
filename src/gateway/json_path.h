#pragma once
// Dotted paths into JSON bodies, as the gateway config writes them: "total", "customer.name",
// "items[].price", "data[].lines[]". A segment is a key, optionally followed by `[]` ("every
// element of the array under this key"). Keys cannot contain '.', '[' or ']'. A location (not a
// field) may also be "." (the body itself) or start with "[]" (the body is an array).

#include <string>
#include <string_view>
#include <vector>

#include "tandem/status.h"

namespace tandem::gateway {

struct PathSegment {
  std::string key;    // unescaped; empty only for a leading "[]" of a location
  bool each = false;  // `key[]`: every element of the array under `key`
  bool operator==(const PathSegment&) const = default;
};

struct JsonPath {
  std::vector<PathSegment> segments;  // empty: the located object / the body itself
  std::string text;                   // as written, for messages

  // The path without its last segment (the object that holds the field).
  JsonPath parent() const;
  const PathSegment& leaf() const { return segments.back(); }
  bool has_arrays() const;
};

// Parses a field path, relative to a located object. Errors (InvalidInput): empty, an empty
// segment ("a..b", ".a", "a."), bad brackets ("a[", "a]", "a[x]", "a[][]"), and a last
// segment with `[]` (a field is a key of an object).
Result<JsonPath> parse_field_path(std::string_view text);

// Parses a location: "." or a path like "data[]", "data[].lines[]", "order", "[]".
Result<JsonPath> parse_location(std::string_view text);

// `s` as the inside of a JSON string literal (quotes not included): '"', '\\' and control
// characters escaped; UTF-8 passed through.
std::string json_escape(std::string_view s);

}  // namespace tandem::gateway
