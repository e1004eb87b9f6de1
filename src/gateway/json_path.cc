#include "gateway/json_path.h"

#include "http/problem.h"

namespace tandem::gateway {
namespace {

Status bad_path(std::string_view text, std::string_view why) {
  return Status::InvalidInput("bad path `" + std::string(text) + "`: " + std::string(why));
}

// Splits on '.', each part "key" or "key[]"; `allow_root_array`: a first part may be "[]".
Result<JsonPath> parse_segments(std::string_view text, bool allow_root_array) {
  JsonPath path;
  path.text = std::string(text);
  if (text.empty()) return bad_path(text, "empty");
  size_t pos = 0;
  while (true) {
    size_t dot = text.find('.', pos);
    std::string_view part =
        text.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    PathSegment seg;
    size_t open = part.find('[');
    std::string_view key = part.substr(0, open);
    if (open != std::string_view::npos) {
      if (part.substr(open) != "[]") {
        return bad_path(text, "`[` must be followed by `]` and end the segment (`items[]`)");
      }
      seg.each = true;
    }
    if (key.find(']') != std::string_view::npos) return bad_path(text, "`]` without `[`");
    if (key.empty() && !(seg.each && allow_root_array && path.segments.empty())) {
      return bad_path(text, "empty segment");
    }
    seg.key = std::string(key);
    path.segments.push_back(std::move(seg));
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return path;
}

}  // namespace

JsonPath JsonPath::parent() const {
  JsonPath p;
  p.segments.assign(segments.begin(), segments.end() - (segments.empty() ? 0 : 1));
  for (const PathSegment& s : p.segments) {
    if (!p.text.empty()) p.text += '.';
    p.text += s.key + (s.each ? "[]" : "");
  }
  return p;
}

bool JsonPath::has_arrays() const {
  for (const PathSegment& s : segments) {
    if (s.each) return true;
  }
  return false;
}

Result<JsonPath> parse_field_path(std::string_view text) {
  TANDEM_ASSIGN_OR_RETURN(JsonPath path, parse_segments(text, false));
  if (path.leaf().each) {
    return bad_path(text, "a field path ends with a key, not `[]`");
  }
  return path;
}

Result<JsonPath> parse_location(std::string_view text) {
  if (text == ".") return JsonPath{{}, "."};
  return parse_segments(text, true);
}

std::string json_escape(std::string_view s) {
  std::string quoted = http::json_string(s);  // the one JSON string writer (http/problem.h)
  return quoted.substr(1, quoted.size() - 2);
}

}  // namespace tandem::gateway
