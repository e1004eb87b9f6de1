// Keep-alive connections to an upstream (http/upstream_pool.h).

#include "http/upstream_pool.h"

#include <fmt/format.h>
#include <sys/socket.h>

namespace tandem::http {

const char* upstream_error_name(UpstreamError e) {
  switch (e) {
    case UpstreamError::kNone:
      return "none";
    case UpstreamError::kResolve:
      return "resolve";
    case UpstreamError::kConnect:
      return "connect";
    case UpstreamError::kTimeout:
      return "timeout";
    case UpstreamError::kReset:
      return "reset";
    case UpstreamError::kBadResponse:
      return "bad_response";
    case UpstreamError::kTooLarge:
      return "too_large";
  }
  return "unknown";
}

UpstreamPool::UpstreamPool(asio::io_context& io, UpstreamOptions options)
    : io_(io), options_(std::move(options)) {}

namespace {

// True when a pooled connection still looks usable: nothing to read (an unread byte or EOF
// means the upstream closed it or broke framing).
bool still_open(beast::tcp_stream& stream) {
  char byte;
  ssize_t n = ::recv(stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool idempotent(bhttp::verb v) {
  return v == bhttp::verb::get || v == bhttp::verb::head || v == bhttp::verb::options ||
         v == bhttp::verb::put || v == bhttp::verb::delete_;
}

}  // namespace

asio::awaitable<beast::error_code> UpstreamPool::connect(beast::tcp_stream& stream) {
  if (!resolved_) {
    tcp::resolver resolver(io_);
    auto [ec, results] = co_await resolver.async_resolve(options_.host, options_.port, use_tuple);
    if (ec) co_return ec;
    endpoints_ = results;
    resolved_ = true;
  }
  stream.expires_after(options_.connect_timeout);
  auto [ec, ep] = co_await stream.async_connect(endpoints_, use_tuple);
  (void)ep;
  if (!ec) {
    ++opened_;
    beast::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
  }
  co_return ec;
}

asio::awaitable<UpstreamResult> UpstreamPool::attempt(Request& req, Conn& conn, bool& got_bytes) {
  beast::tcp_stream& stream = conn.stream;
  beast::flat_buffer& buffer = conn.buffer;
  buffer.clear();
  if (buffer.capacity() < 16 * 1024) buffer.reserve(16 * 1024);
  UpstreamResult out;
  got_bytes = false;
  stream.expires_after(options_.timeout);
  auto [wec, wn] = co_await bhttp::async_write(stream, req, use_tuple);
  (void)wn;
  if (wec) {
    out.error = wec == beast::error::timeout ? UpstreamError::kTimeout : UpstreamError::kReset;
    out.detail = wec.message();
    co_return out;
  }
  for (;;) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_body);
    parser.header_limit(64 * 1024);
    if (req.method() == bhttp::verb::head) parser.skip(true);
    auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    (void)rn;
    if (buffer.size() > 0 || parser.got_some()) got_bytes = true;
    if (rec) {
      if (rec == beast::error::timeout) {
        out.error = UpstreamError::kTimeout;
      } else if (rec == bhttp::error::body_limit) {
        out.error = UpstreamError::kTooLarge;
      } else if (rec == bhttp::error::end_of_stream || rec == asio::error::connection_reset ||
                 rec == asio::error::eof) {
        out.error = UpstreamError::kReset;
      } else {
        out.error = UpstreamError::kBadResponse;
      }
      out.detail = rec.message();
      co_return out;
    }
    // An interim 1xx answer (100 Continue, 103 Early Hints) is skipped: the final one follows.
    int status = static_cast<int>(parser.get().result_int());
    if (status >= 100 && status < 200 && status != 101) continue;
    out.response = parser.release();
    if (buffer.size() > 0) {
      // Bytes after the answer: the upstream broke framing; never reuse this connection.
      out.response.keep_alive(false);
    }
    co_return out;
  }
}

asio::awaitable<UpstreamResult> UpstreamPool::exchange(Request& req) {
  auto now = std::chrono::steady_clock::now();
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<Conn> conn;
    bool reused = false;
    while (!idle_.empty()) {
      std::unique_ptr<Conn> candidate = std::move(idle_.back());
      idle_.pop_back();
      if (now - candidate->since < options_.idle_timeout && still_open(candidate->stream)) {
        conn = std::move(candidate);
        reused = true;
        break;
      }
      beast::error_code ignored;
      candidate->stream.socket().close(ignored);
    }
    if (!conn) {
      conn = std::make_unique<Conn>(io_);
      beast::error_code ec = co_await connect(conn->stream);
      if (ec) {
        UpstreamResult out;
        out.error = ec == beast::error::timeout ? UpstreamError::kTimeout : UpstreamError::kConnect;
        if (!resolved_) out.error = UpstreamError::kResolve;
        out.detail = ec.message();
        co_return out;
      }
    }
    bool got_bytes = false;
    UpstreamResult out = co_await attempt(req, *conn, got_bytes);
    if (out.error == UpstreamError::kNone) {
      if (out.response.keep_alive() && idle_.size() < options_.max_idle) {
        conn->stream.expires_never();
        conn->since = std::chrono::steady_clock::now();
        idle_.push_back(std::move(conn));
      } else {
        beast::error_code ignored;
        conn->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        conn->stream.socket().close(ignored);
      }
      co_return out;
    }
    beast::error_code ignored;
    conn->stream.socket().close(ignored);
    // A stale pooled connection: retried once on a fresh one when that cannot act twice.
    bool stale = reused && !got_bytes && out.error == UpstreamError::kReset;
    if (!(stale && idempotent(req.method()))) co_return out;
  }
  UpstreamResult out;
  out.error = UpstreamError::kReset;
  out.detail = "the upstream closed the connection";
  co_return out;
}

}  // namespace tandem::http
