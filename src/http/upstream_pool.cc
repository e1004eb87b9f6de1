// Keep-alive connections to an upstream (http/upstream_pool.h).

#include "http/upstream_pool.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <array>

#include "http/connection.h"

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

UpstreamPool::UpstreamPool(asio::io_context& io, Reaper& reaper, UpstreamOptions options)
    : io_(io), reaper_(reaper), options_(std::move(options)) {}

namespace {

// True when a pooled connection still looks usable: nothing to read (an unread byte or EOF
// means the upstream closed it or broke framing).
bool still_open(Socket& socket) {
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool idempotent(bhttp::verb v) {
  return v == bhttp::verb::get || v == bhttp::verb::head || v == bhttp::verb::options ||
         v == bhttp::verb::put || v == bhttp::verb::delete_;
}

}  // namespace

Task<beast::error_code> UpstreamPool::connect(Conn& conn) {
  if (!resolved_) {
    Resolver resolver(io_);
    auto [ec, results] = co_await resolver.async_resolve(options_.host, options_.port, use_tuple);
    if (ec) co_return ec;
    endpoints_.assign(results.begin(), results.end());
    resolved_ = true;
  }
  conn.deadline.arm(options_.connect_timeout);
  auto [ec, ep] = co_await asio::async_connect(conn.socket, endpoints_, use_tuple);
  (void)ep;
  conn.deadline.disarm();
  if (ec && conn.deadline.expired()) ec = beast::error::timeout;
  if (!ec) {
    ++opened_;
    beast::error_code ignored;
    conn.socket.set_option(tcp::no_delay(true), ignored);
  }
  co_return ec;
}

Task<UpstreamResult> UpstreamPool::attempt(const OutRequest& req, Conn& conn, bool& got_bytes) {
  Socket& socket = conn.socket;
  beast::flat_buffer& buffer = conn.buffer;
  buffer.clear();
  if (buffer.capacity() < 16 * 1024) buffer.reserve(16 * 1024);
  UpstreamResult out;
  got_bytes = false;
  conn.deadline.arm(options_.timeout);
  std::array<asio::const_buffer, 2> request{asio::buffer(req.head), asio::buffer(req.body)};
  auto [wec, wn] = co_await asio::async_write(socket, request, use_tuple);
  (void)wn;
  if (wec) {
    out.error = conn.deadline.expired() ? UpstreamError::kTimeout : UpstreamError::kReset;
    out.detail = conn.deadline.expired() ? "timed out" : wec.message();
    co_return out;
  }
  for (;;) {
    bhttp::response_parser<Body> parser;
    parser.body_limit(options_.max_response_body);
    parser.header_limit(64 * 1024);
    if (req.method == bhttp::verb::head) parser.skip(true);
    auto [rec, rn] = co_await bhttp::async_read_header(socket, buffer, parser, use_tuple);
    (void)rn;
    TrailerGuard trailers;
    bool chunked = false;
    if (!rec) {
      const auto& head = parser.get();
      chunked = parser.chunked();
      if (chunked) trailers.keep(head);
      int status = static_cast<int>(head.result_int());
      std::string_view te = head[bhttp::field::transfer_encoding];
      if (status < 100 || status > 599) {
        // Beast reads any three digits; 000 or 999 is no HTTP status a client could act on.
        out.error = UpstreamError::kBadResponse;
        out.detail = fmt::format("the upstream answered with status {}, outside 100-599", status);
        co_return out;
      }
      if (status == 101) {
        // No upgrades through the gateway: the connection would stop being HTTP.
        out.error = UpstreamError::kBadResponse;
        out.detail = "the upstream switched protocols (101), which the gateway does not relay";
        co_return out;
      }
      if (!te.empty() && !beast::iequals(te, "chunked")) {
        // Beast removes the chunking and keeps the rest (`gzip, chunked`): the body would go
        // out without its coding named. Only plain chunked is relayed.
        out.error = UpstreamError::kBadResponse;
        out.detail = "the upstream used a transfer coding other than chunked";
        co_return out;
      }
      if (!parser.is_done()) {
        auto [bec, bn] = co_await bhttp::async_read(socket, buffer, parser, use_tuple);
        (void)bn;
        rec = bec;
      }
    }
    if (buffer.size() > 0 || parser.got_some()) got_bytes = true;
    if (rec) {
      if (conn.deadline.expired()) {
        out.error = UpstreamError::kTimeout;
        out.detail = "timed out";
        co_return out;
      }
      if (rec == bhttp::error::body_limit) {
        out.error = UpstreamError::kTooLarge;
      } else if (rec == bhttp::error::end_of_stream || rec == asio::error::connection_reset ||
                 rec == asio::error::eof || rec == bhttp::error::partial_message) {
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
    conn.deadline.disarm();
    out.response = parser.release();
    if (chunked) trailers.restore(out.response);  // trailers are not relayed
    out.keep_alive = buffer.size() == 0 && keeps_alive(out.response, out.response.version());
    // (Bytes after the answer: the upstream broke framing; the connection is not reused.)
    co_return out;
  }
}

Task<UpstreamResult> UpstreamPool::exchange(const OutRequest& req) {
  auto now = std::chrono::steady_clock::now();
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<Conn> conn;
    bool reused = false;
    while (!idle_.empty()) {
      std::unique_ptr<Conn> candidate = std::move(idle_.back());
      idle_.pop_back();
      // Checked every time: bytes the upstream sent after its answer (a body on a HEAD, a
      // stray response) would otherwise be read as the next client's answer.
      if (now - candidate->since < options_.idle_timeout && still_open(candidate->socket)) {
        conn = std::move(candidate);
        reused = true;
        break;
      }
      beast::error_code ignored;
      candidate->socket.close(ignored);
    }
    if (!conn) {
      conn = std::make_unique<Conn>(io_, reaper_);
      beast::error_code ec = co_await connect(*conn);
      if (ec) {
        UpstreamResult out;
        out.error = ec == beast::error::timeout ? UpstreamError::kTimeout : UpstreamError::kConnect;
        if (!resolved_) out.error = UpstreamError::kResolve;
        out.detail = ec == beast::error::timeout ? "connect timed out" : ec.message();
        co_return out;
      }
    }
    bool got_bytes = false;
    UpstreamResult out = co_await attempt(req, *conn, got_bytes);
    conn->deadline.disarm();
    if (out.error == UpstreamError::kNone) {
      if (out.keep_alive && idle_.size() < options_.max_idle) {
        conn->since = std::chrono::steady_clock::now();
        idle_.push_back(std::move(conn));
      } else {
        beast::error_code ignored;
        conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
        conn->socket.close(ignored);
      }
      co_return out;
    }
    beast::error_code ignored;
    conn->socket.close(ignored);
    // A stale pooled connection: retried once on a fresh one when that cannot act twice.
    bool stale = reused && !got_bytes && out.error == UpstreamError::kReset;
    if (!(stale && idempotent(req.method))) co_return out;
  }
  UpstreamResult out;
  out.error = UpstreamError::kReset;
  out.detail = "the upstream closed the connection";
  co_return out;
}

}  // namespace tandem::http
