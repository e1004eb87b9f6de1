#pragma once
// The dashboard's client of a gateway's admin listener (`tandem serve --gateway-admin URL`):
// one HTTP/1.1 request at a time over Boost.Beast, with one deadline for the whole exchange
// and a cap on the answer, so a gateway that hangs or answers without end costs the dashboard
// at most `timeout` and `max_bytes`.

#include <chrono>
#include <cstddef>
#include <string>

#include "tandem/status.h"

namespace tandem::serve {

// "http://127.0.0.1:9090" taken apart. Only plain http: an admin listener is on a private
// address (docs/gateway.md).
struct AdminUrl {
  std::string text;  // as given, without a trailing '/'
  std::string host, port;
};
// InvalidInput with an example when `url` is not http://HOST:PORT.
Result<AdminUrl> parse_admin_url(const std::string& url);

struct AdminCall {
  std::string method = "GET";  // GET or POST
  std::string path;            // "/api/status"
  std::string body;            // JSON, for POST
  std::string token;           // sent as `Authorization: Bearer` when not empty
  std::chrono::milliseconds timeout{1000};
  size_t max_bytes = 4 * 1024 * 1024;
};

struct AdminAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
};

// The gateway's answer, whatever its status; an error when it could not be had in time
// (Code::kUnavailable-like: InvalidInput naming the URL and what failed).
Result<AdminAnswer> call_admin(const AdminUrl& url, const AdminCall& call);

}  // namespace tandem::serve
