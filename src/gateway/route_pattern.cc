// Route patterns (gateway/route_pattern.h).

#include "gateway/route_pattern.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tandem::gateway {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

Result<RoutePattern> parse_route_pattern(std::string_view text) {
  RoutePattern p;
  p.text = std::string(text);
  std::string_view path = text;
  size_t space = text.find(' ');
  if (space != std::string_view::npos) {
    p.method = std::string(text.substr(0, space));
    path = text.substr(space + 1);
    bool upper = !p.method.empty() && std::all_of(p.method.begin(), p.method.end(), [](char c) {
      return std::isupper(static_cast<unsigned char>(c));
    });
    if (!upper) {
      return Status::InvalidInput(
          fmt::format("route `{}`: `{}` is not an HTTP method", text, p.method),
          "write routes like \"GET /orders\" or \"/orders/{id}\"");
    }
  }
  if (path.empty() || path.front() != '/' || path.find_first_of(" ?#") != std::string_view::npos) {
    return Status::InvalidInput(fmt::format("route `{}` is not METHOD /path", text),
                                "write routes like \"GET /orders\" or \"/orders/{id}\"");
  }
  for (std::string_view seg : split_path(path)) {
    bool param = seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
    if (!param && seg.find_first_of("{}") != std::string_view::npos) {
      return Status::InvalidInput(
          fmt::format("route `{}`: a segment is either text or {{name}}", text),
          "write routes like \"GET /orders\" or \"/orders/{id}\"");
    }
    p.segments.emplace_back(seg);
  }
  return p;
}

bool route_matches(const RoutePattern& pattern, std::string_view method, std::string_view path) {
  if (!pattern.method.empty() && pattern.method != method) return false;
  std::vector<std::string_view> segs = split_path(path);
  if (segs.size() != pattern.segments.size()) return false;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& want = pattern.segments[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') continue;
    if (want != segs[i]) return false;
  }
  return true;
}

}  // namespace tandem::gateway
