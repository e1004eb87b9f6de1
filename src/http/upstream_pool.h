#pragma once
// Keep-alive connections to one upstream, owned by one worker (no locks): a request takes an
// idle connection or opens one, and gives it back when the exchange ended cleanly.

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "http/deadline.h"
#include "http/http.h"

namespace tandem::http {

struct UpstreamOptions {
  std::string host, port;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds timeout{5000};  // writing the request and reading the answer
  std::chrono::milliseconds idle_timeout{
      4000};  // an idle pooled connection older than this is closed
  size_t max_response_body = 64 * 1024 * 1024;
  size_t max_idle = 256;
};

// Why an exchange failed (metrics labels, the status the client gets).
enum class UpstreamError { kNone, kResolve, kConnect, kTimeout, kReset, kBadResponse, kTooLarge };
const char* upstream_error_name(UpstreamError e);

// A request as bytes: the request line and fields ending with the blank line, then the body
// (framing already in the head: a Content-Length, or none).
struct OutRequest {
  bhttp::verb method = bhttp::verb::get;
  std::string head;
  std::string body;
};

struct UpstreamResult {
  UpstreamError error = UpstreamError::kNone;
  std::string detail;
  Response response;
  bool keep_alive = false;  // the connection may carry another exchange
};

class UpstreamPool {
 public:
  UpstreamPool(asio::io_context& io, Reaper& reaper, UpstreamOptions options);

  // Sends `req` and reads the answer. A
  // request on a pooled connection that the upstream closed meanwhile (EOF before any byte of
  // the answer) is sent once more on a new connection — only when it is idempotent (GET, HEAD,
  // OPTIONS, PUT, DELETE): a POST may have been acted on.
  Task<UpstreamResult> exchange(const OutRequest& req);

  size_t idle() const { return idle_.size(); }
  long long opened() const { return opened_; }

 private:
  // A connection and its read buffer, which keeps its capacity from one answer to the next
  // (a fresh buffer per answer grows from 512 bytes in many small reads).
  struct Conn {
    // The read buffer is bounded: a chunk-size line or extension that never ends fails with
    // buffer_overflow instead of growing without end (the body itself leaves the buffer).
    Conn(asio::io_context& io, Reaper& reaper)
        : socket(io), deadline(reaper, socket), buffer(kMaxBuffered) {}
    static constexpr std::size_t kMaxBuffered = 128 * 1024;
    Socket socket;
    Deadline deadline;
    beast::flat_buffer buffer;
    std::chrono::steady_clock::time_point since;
  };
  Task<UpstreamResult> attempt(const OutRequest& req, Conn& conn, bool& got_bytes);
  Task<beast::error_code> connect(Conn& conn);

  asio::io_context& io_;
  Reaper& reaper_;
  UpstreamOptions options_;
  std::deque<std::unique_ptr<Conn>> idle_;
  std::vector<tcp::endpoint> endpoints_;
  bool resolved_ = false;
  long long opened_ = 0;
};

}  // namespace tandem::http
