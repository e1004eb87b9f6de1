#include "gateway/http_test_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <sstream>
#include <thread>

namespace tandem::testing {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

using Parser = http::response_parser<http::string_body>;

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

tcp::endpoint loopback(int port) {
  return {net::ip::make_address_v4("127.0.0.1"), static_cast<unsigned short>(port)};
}

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timeout";
  if (ec == http::error::end_of_stream || ec == net::error::eof) return "end of stream";
  return ec.message();
}

// Runs one asynchronous operation to completion, bounded by the stream's expiry (a timeout
// closes the socket and completes the operation with beast::error::timeout). Returns its error
// and, for reads and writes, the byte count.
struct Outcome {
  beast::error_code ec = net::error::would_block;
  std::size_t bytes = 0;
};

template <class Start>
Outcome run(net::io_context& ioc, Start start) {
  Outcome out;
  start([&out](beast::error_code ec, std::size_t bytes = 0) {
    out.ec = ec;
    out.bytes = bytes;
  });
  ioc.restart();
  ioc.run();
  return out;
}

beast::error_code connect(net::io_context& ioc, beast::tcp_stream& stream, int port,
                          Clock::time_point deadline) {
  stream.expires_at(deadline);
  auto ec = run(ioc, [&](auto handler) {
              stream.async_connect(loopback(port),
                                   [handler](beast::error_code ec) mutable { handler(ec); });
            }).ec;
  // Pipelined requests are separate writes: without this, delayed ACKs hold them back.
  if (!ec) stream.socket().set_option(tcp::no_delay(true), ec);
  return ec;
}

std::unique_ptr<Parser> new_parser(bool head) {
  auto parser = std::make_unique<Parser>();
  parser->body_limit(std::numeric_limits<std::uint64_t>::max());
  parser->header_limit(1024 * 1024);
  parser->skip(head);
  return parser;
}

HttpResponse convert(Parser& parser) {
  const auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  out.reason = std::string(res.reason());
  out.version = static_cast<int>(res.version());
  for (const auto& field : res) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = res.body();
  out.keep_alive = res.keep_alive();
  out.chunked = res.chunked();
  return out;
}

HttpResponse failed(std::string error) {
  HttpResponse out;
  out.error = std::move(error);
  return out;
}

http::request<http::string_body> build_request(int port, std::string_view method,
                                               std::string_view target, const HeaderList& headers,
                                               std::string_view body) {
  http::request<http::string_body> req;
  req.version(11);
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    req.method_string(method);
  } else {
    req.method(verb);
  }
  req.target(target);
  bool host = false, length = false;
  for (const auto& [name, value] : headers) {
    req.insert(name, value);
    host = host || iequals(name, "host");
    length = length || iequals(name, "content-length") || iequals(name, "transfer-encoding");
  }
  if (!host) req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.body() = std::string(body);
  bool sends_body = !body.empty() || verb == http::verb::post || verb == http::verb::put ||
                    verb == http::verb::patch;
  if (!length && sends_body) req.content_length(body.size());
  return req;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return "";
}

std::vector<std::string> HttpResponse::header_values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) out.push_back(v);
  }
  return out;
}

bool HttpResponse::has_header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return true;
  }
  return false;
}

RawResponse send_raw(int port, std::string_view bytes, int timeout_ms) {
  RawResponse out;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  if (auto ec = connect(ioc, stream, port, deadline)) {
    out.error = "connect: " + describe(ec);
    return out;
  }
  auto written = run(ioc, [&](auto handler) {
    net::async_write(stream, net::const_buffer(bytes.data(), bytes.size()), handler);
  });
  if (written.ec == beast::error::timeout) return out;
  // A server may answer and close before reading everything it was sent: still read what it
  // wrote back.
  if (written.ec) out.error = "write: " + describe(written.ec);
  char chunk[16384];
  for (;;) {
    auto got = run(ioc, [&](auto handler) { stream.async_read_some(net::buffer(chunk), handler); });
    out.data.append(chunk, got.bytes);
    if (got.ec == net::error::eof || got.ec == net::error::connection_reset) {
      out.closed = true;
      break;
    }
    if (got.ec) break;
  }
  return out;
}

std::vector<HttpResponse> parse_responses(std::string_view bytes) {
  std::vector<HttpResponse> out;
  net::const_buffer rest(bytes.data(), bytes.size());
  while (rest.size() > 0) {
    auto parser = new_parser(false);
    parser->eager(true);
    beast::error_code ec;
    while (rest.size() > 0 && !parser->is_done()) {
      std::size_t used = parser->put(rest, ec);
      rest += used;
      if (ec == http::error::need_more && used == 0) break;
      if (ec && ec != http::error::need_more) break;
      ec = {};
    }
    // All input used: the end of the bytes is the end of the connection (a body without a
    // length ends there; anything else is incomplete).
    if (!parser->is_done() && (!ec || ec == http::error::need_more)) parser->put_eof(ec);
    if (parser->is_done()) {
      out.push_back(convert(*parser));
      continue;
    }
    out.push_back(failed(ec ? describe(ec) : "incomplete response"));
    break;
  }
  return out;
}

struct Connection::Impl {
  int port;
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::deque<bool> pending_head;  // per request sent and not yet answered: was it HEAD
  bool connected = false;
  std::string error;

  bool write(std::string_view bytes) {
    if (!connected) return false;
    stream.expires_after(timeout);
    auto written = run(ioc, [&](auto handler) {
      net::async_write(stream, net::const_buffer(bytes.data(), bytes.size()), handler);
    });
    if (written.ec) {
      error = "write: " + describe(written.ec);
      return false;
    }
    return true;
  }
};

Connection::Connection(int port, int timeout_ms) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->timeout = std::chrono::milliseconds(timeout_ms);
  auto ec = connect(impl_->ioc, impl_->stream, port, Clock::now() + impl_->timeout);
  impl_->connected = !ec;
  if (ec) impl_->error = "connect: " + describe(ec);
}

Connection::~Connection() { close(); }

bool Connection::connected() const { return impl_->connected; }

const std::string& Connection::error() const { return impl_->error; }

bool Connection::send(std::string_view method, std::string_view target, const HeaderList& headers,
                      std::string_view body) {
  auto req = build_request(impl_->port, method, target, headers, body);
  std::ostringstream bytes;
  bytes << req;
  if (!impl_->write(bytes.str())) return false;
  impl_->pending_head.push_back(req.method() == http::verb::head);
  return true;
}

bool Connection::send_raw(std::string_view bytes) {
  if (!impl_->write(bytes)) return false;
  impl_->pending_head.push_back(false);
  return true;
}

HttpResponse Connection::read() {
  if (!impl_->connected) return failed(impl_->error.empty() ? "not connected" : impl_->error);
  bool head = !impl_->pending_head.empty() && impl_->pending_head.front();
  auto parser = new_parser(head);
  impl_->stream.expires_after(impl_->timeout);
  auto got = run(impl_->ioc, [&](auto handler) {
    http::async_read(impl_->stream, impl_->buffer, *parser, handler);
  });
  if (got.ec) {
    close();
    return failed(describe(got.ec));
  }
  HttpResponse out = convert(*parser);
  if (out.status >= 200 && !impl_->pending_head.empty()) impl_->pending_head.pop_front();
  return out;
}

HttpResponse Connection::request(std::string_view method, std::string_view target,
                                 const HeaderList& headers, std::string_view body) {
  if (!send(method, target, headers, body)) return failed(impl_->error);
  for (;;) {
    HttpResponse out = read();
    if (!out.ok() || out.status >= 200 || out.status == 101) return out;
  }
}

bool Connection::closed_by_peer(int wait_ms) {
  if (!impl_->connected) return true;
  if (impl_->buffer.size() > 0) return false;
  int fd = impl_->stream.socket().native_handle();
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, wait_ms) <= 0) return false;
  if (p.revents & (POLLHUP | POLLERR)) return true;
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

void Connection::close() {
  if (!impl_->connected) return;
  beast::error_code ec;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  impl_->stream.close();
  impl_->connected = false;
}

HttpResponse request(int port, std::string_view method, std::string_view target,
                     const HeaderList& headers, std::string_view body, int timeout_ms) {
  Connection connection(port, timeout_ms);
  if (!connection.connected()) return failed(connection.error());
  return connection.request(method, target, headers, body);
}

int free_port() {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, loopback(0));
  return acceptor.local_endpoint().port();
}

bool wait_for_port(int port, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    auto attempt = std::min(deadline, Clock::now() + std::chrono::milliseconds(500));
    if (!connect(ioc, stream, port, attempt)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace tandem::testing
