#pragma once
// Keep-alive connections to one upstream, owned by one worker (no locks): a request takes an
// idle connection or opens one, and gives it back when the exchange ended cleanly.

#include <chrono>
#include <deque>
#include <memory>
#include <string>

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

struct UpstreamResult {
  UpstreamError error = UpstreamError::kNone;
  std::string detail;
  Response response;
};

class UpstreamPool {
 public:
  UpstreamPool(asio::io_context& io, UpstreamOptions options);

  // Sends `req` (framing already set: Content-Length or none) and reads the answer. A
  // request on a pooled connection that the upstream closed meanwhile (EOF before any byte of
  // the answer) is sent once more on a new connection — only when it is idempotent (GET, HEAD,
  // OPTIONS, PUT, DELETE): a POST may have been acted on.
  asio::awaitable<UpstreamResult> exchange(Request& req);

  size_t idle() const { return idle_.size(); }
  long long opened() const { return opened_; }

 private:
  // A connection and its read buffer, which keeps its capacity from one answer to the next
  // (a fresh buffer per answer grows from 512 bytes in many small reads).
  struct Conn {
    explicit Conn(asio::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::chrono::steady_clock::time_point since;
  };
  asio::awaitable<UpstreamResult> attempt(Request& req, Conn& conn, bool& got_bytes);
  asio::awaitable<beast::error_code> connect(beast::tcp_stream& stream);

  asio::io_context& io_;
  UpstreamOptions options_;
  std::deque<std::unique_ptr<Conn>> idle_;
  tcp::resolver::results_type endpoints_;
  bool resolved_ = false;
  long long opened_ = 0;
};

}  // namespace tandem::http
