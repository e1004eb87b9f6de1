// Routing a registry request (compat/registry/api.h): the target is split and
// percent-decoded here, once; each route's handler lives in its own file.

#include "compat/registry/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "compat/registry/call.h"
#include "db/utf8.h"

namespace tandem::registry {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; false on a broken escape. `plus_is_space`: the query's form encoding.
bool decode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

}  // namespace

ApiResponse error(int code, const std::string& message) {
  ApiResponse r;
  r.status = code < 1000 ? code : code / 100;
  // dump() with replacement: a subject name with invalid UTF-8 must not throw.
  r.body = nlohmann::json{{"error_code", code}, {"message", message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

int json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

ApiResponse json_response(const nlohmann::json& body, int status) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

ApiResponse store_error(const Status& st) {
  if (st.is_lock_timeout()) {
    return error(kTimedOut,
                 "Operation timed out: another registration or delete of this subject held it "
                 "longer than the lock wait; try again");
  }
  return error(kStoreError, "Error in the backend data store: " + st.message());
}

bool parse_version(const std::string& text, std::optional<int>& version) {
  if (text == "latest" || text == "-1") {
    version.reset();
    return true;
  }
  if (text.empty() || text.size() > 10) return false;
  long long v = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 2147483647LL) return false;
  version = static_cast<int>(v);
  return true;
}

ApiResponse handle(Store& store, const ApiRequest& request, const ApiSettings& settings) {
  try {
    std::string_view target = request.target;
    size_t q = target.find('?');
    std::string_view path = target.substr(0, q);
    Call call{store, settings, request.method, {}, {}, request.body};
    // Every body is JSON parsed by recursive code somewhere (its dump, its destructor): a
    // body nested deeper than any request needs is refused before anything reads it.
    if (json_depth(request.body) > kMaxBodyDepth) {
      return error(kBadRequest, fmt::format("The body nests deeper than {} levels: no request "
                                            "needs that (a schema is a string inside it)",
                                            kMaxBodyDepth));
    }
    if (q != std::string_view::npos) {
      std::string_view rest = target.substr(q + 1);
      while (!rest.empty()) {
        size_t amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        size_t eq = pair.find('=');
        std::string key, value;
        if (!decode(pair.substr(0, eq), true, key) ||
            (eq != std::string_view::npos && !decode(pair.substr(eq + 1), true, value))) {
          return error(kBadRequest, "The query string has a broken percent-escape");
        }
        if (!utf8::valid(key) || !utf8::valid(value))
          return error(kBadRequest, "The query string is not UTF-8 text");
        if (!key.empty()) call.query[key] = value;
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
      }
    }
    if (path.empty() || path[0] != '/') return error(404, "HTTP 404 Not Found");
    path.remove_prefix(1);
    while (!path.empty()) {
      size_t slash = path.find('/');
      std::string segment;
      if (!decode(path.substr(0, slash), false, segment))
        return error(kBadRequest, "The path has a broken percent-escape");
      // Subjects are stored as text: PostgreSQL refuses invalid UTF-8, so it is refused here
      // on every backend alike (and NUL, which no database keeps).
      if (!utf8::valid(segment) || segment.find('\0') != std::string::npos)
        return error(kBadRequest, "The path is not UTF-8 text once percent-decoded");
      call.segments.push_back(std::move(segment));
      if (slash == std::string_view::npos) break;
      path = path.substr(slash + 1);
      if (path.empty()) call.segments.emplace_back();  // a trailing slash
    }
    if (call.segments.empty() || (call.segments.size() == 1 && call.segments[0].empty())) {
      if (call.method != "GET") return error(405, "HTTP 405 Method Not Allowed");
      ApiResponse r = json_response(nlohmann::json::object());
      r.route = std::string(1, '/');
      return r;
    }
    const std::string& first = call.segments[0];
    ApiResponse r;
    if (first == "subjects") {
      r = subjects_route(call);
    } else if (first == "schemas") {
      r = schemas_route(call);
    } else if (first == "config") {
      r = config_route(call);
    } else if (first == "mode") {
      r = mode_route(call);
    } else if (first == "compatibility") {
      r = compatibility_route(call);
    } else {
      r = error(404, "HTTP 404 Not Found");
    }
    // A metrics label: only route shapes, never what a client typed.
    if (r.route.empty()) r.route = r.status == 404 ? "unknown" : fmt::format("/{}", first);
    return r;
  } catch (const std::exception& e) {
    // Nothing here throws by design; a bad_alloc on a hostile body still gets an answer.
    return error(500, fmt::format("Internal error: {}", e.what()));
  }
}

}  // namespace tandem::registry
