// Ambiguous requests (http/message_checks.h).

#include "http/message_checks.h"

#include <fmt/format.h>

namespace tandem::http {
namespace {

bool has_control(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Rejection> check_request_head(const bhttp::request_parser<Body>& parser) {
  const auto& req = parser.get();
  int hosts = 0, lengths = 0, encodings = 0;
  for (const auto& f : req) {
    std::string_view name = f.name_string();
    std::string_view value = f.value();
    if (has_control(name) || has_control(value)) {
      return Rejection{400, "bad-request",
                       fmt::format("header `{}` holds a control character", name)};
    }
    if (f.name() == bhttp::field::host) ++hosts;
    if (f.name() == bhttp::field::content_length) {
      ++lengths;
      if (value.find(',') != std::string_view::npos) ++lengths;
    }
    if (f.name() == bhttp::field::transfer_encoding) {
      ++encodings;
      if (!iequals(trim(value), "chunked")) {
        return Rejection{400, "bad-request",
                         "Transfer-Encoding other than `chunked` is not accepted"};
      }
    }
  }
  if (req.version() != 11 && req.version() != 10) {
    return Rejection{505, "http-version-not-supported", "only HTTP/1.1 and HTTP/1.0"};
  }
  if (req.version() == 10 && encodings > 0) {
    return Rejection{400, "bad-request", "Transfer-Encoding is not allowed in HTTP/1.0"};
  }
  if (req.version() == 11 && hosts != 1) {
    return Rejection{
        400, "bad-request",
        hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header"};
  }
  if (hosts > 1) return Rejection{400, "bad-request", "more than one Host header"};
  if (lengths > 1) return Rejection{400, "bad-request", "more than one Content-Length"};
  if (encodings > 1) return Rejection{400, "bad-request", "more than one Transfer-Encoding"};
  if (lengths > 0 && encodings > 0) {
    return Rejection{400, "bad-request", "both Content-Length and Transfer-Encoding"};
  }
  std::string_view target = req.target();
  if (target.empty() || target.front() != '/' || has_control(target) ||
      target.find(' ') != std::string_view::npos) {
    return Rejection{400, "bad-request", "the request target must be a path: /orders?limit=10"};
  }
  return std::nullopt;
}

Rejection rejection_for(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return Rejection{431, "header-too-large", "the request head is larger than the limit"};
  }
  if (ec == bhttp::error::body_limit) {
    return Rejection{413, "body-too-large", "the request body is larger than the limit"};
  }
  if (ec == bhttp::error::buffer_overflow) {
    return Rejection{400, "bad-request",
                     "a chunk-size line, chunk extension or trailer is longer than the limit"};
  }
  return Rejection{400, "bad-request",
                   fmt::format("the request is not valid HTTP/1.1 ({})", ec.message())};
}

}  // namespace tandem::http
