#pragma once
// What makes a request ambiguous — read one way here and another way by the backend, the
// shape of request smuggling (RFC 9112 §6.3, §11.2). Beast's parser already refuses
// Content-Length together with Transfer-Encoding, two different Content-Lengths, a bad chunk
// size and malformed lines; these are the checks on top of it, on the parsed head.

#include <optional>
#include <string>

#include "http/http.h"

namespace tandem::http {

struct Rejection {
  int status = 400;
  std::string type;    // problem slug
  std::string detail;  // for the client
};

// nullopt when the request head is unambiguous: exactly one Host, at most one
// Content-Length field (a list "5, 5" counts as two), Transfer-Encoding only exactly
// "chunked" on HTTP/1.1, no control characters or bare CR/LF in a field, an origin-form
// target ("/path?query") without control characters or spaces.
std::optional<Rejection> check_request_head(const bhttp::request_parser<Body>& parser);

// The status and detail for a Beast parse error while reading a request.
Rejection rejection_for(const beast::error_code& ec);

}  // namespace tandem::http
