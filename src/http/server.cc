// The HTTP/1.1 server (http/server.h).

#include "http/server.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/this_coro.hpp>
#include <optional>

#include "http/connection.h"
#include "http/message_checks.h"
#include "http/problem.h"

namespace tandem::http {

using namespace std::chrono_literals;

struct Server::Worker {
  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>(1);
  std::unique_ptr<Reaper> reaper = std::make_unique<Reaper>(*io);
  std::unique_ptr<Acceptor> acceptor;
  WireHandler handler;
  int index = 0;
  int connections = 0;
  int in_flight = 0;
  ~Worker() {
    // Sessions still suspended in the io_context unregister their deadlines as it destroys
    // them: the reaper must outlive it.
    acceptor.reset();
    io.reset();
  }
};

bool split_host_port(const std::string& text, std::string& host, std::string& port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return port.size() <= 5 && std::stoi(port) <= 65535;
}

Server::Server(ServerLimits limits, int workers) : limits_(limits) {
  if (workers < 1) workers = 1;
  for (int i = 0; i < workers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    workers_.back()->index = i;
  }
}

Server::~Server() = default;

asio::io_context& Server::context(int i) { return *workers_[i]->io; }

Reaper& Server::reaper(int i) { return *workers_[i]->reaper; }

Status Server::bind(const std::string& listen) {
  std::string host, port;
  if (!split_host_port(listen, host, port)) {
    return Status::InvalidInput(fmt::format("`{}` is not host:port", listen),
                                "e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080");
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    // A host name (localhost): its first address.
    tcp::resolver resolver(*workers_.front()->io);
    auto results = resolver.resolve(host, port, ec);
    if (ec || results.empty()) {
      return Status::InvalidInput(
          fmt::format("`{}`: `{}` is neither an IP address nor a host name that resolves", listen,
                      host),
          "listen on an address, e.g. 127.0.0.1:8080 or 0.0.0.0:8080");
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(std::stoi(port)));
  {
    // SO_REUSEPORT would let this process share a port another one listens on (the kernel
    // splits the connections between them): a plain bind first proves the port is free, and
    // picks the port for "…:0".
    Acceptor probe(*workers_.front()->io);
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec) {
      return Status::InvalidInput(
          fmt::format("cannot listen on {}: {}", listen, ec.message()),
          "is another process using the port? choose another with --listen");
    }
    endpoint = probe.local_endpoint();
  }
  for (auto& w : workers_) {
    auto acceptor = std::make_unique<Acceptor>(*w->io);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      // Every worker accepts on the same port; the kernel spreads connections over them.
      int one = 1;
      ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::InvalidInput(
          fmt::format("cannot listen on {}: {}", listen, ec.message()),
          "is another process using the port? choose another with --listen");
    }
    w->acceptor = std::move(acceptor);
  }
  bound_ = endpoint.address().is_v6()
               ? fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port())
               : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
  return Status::Ok();
}

void Server::run(const std::function<Handler(int worker)>& handler_for) {
  run_wire([&handler_for](int i) -> WireHandler {
    return [handler = handler_for(i)](Request& req, const Peer& peer, Wire& out) -> Task<void> {
      bool head_request = req.method() == bhttp::verb::head;
      Response res = co_await handler(req, peer);
      out.close = !res.keep_alive();
      to_wire(std::move(res), head_request, out);
    };
  });
}

void Server::run_wire(const std::function<WireHandler(int worker)>& handler_for) {
  std::vector<std::thread> threads;
  for (size_t i = 0; i < workers_.size(); ++i) {
    threads.emplace_back([this, i, &handler_for] {
      Worker& w = *workers_[i];
      w.handler = handler_for(static_cast<int>(i));
      w.reaper->start();
      asio::co_spawn(*w.io, accept_loop(w), asio::detached);
      w.io->run();
    });
  }
  for (auto& t : threads) t.join();
}

void Server::stop(std::chrono::milliseconds drain) {
  drain_ = drain;
  stopping_ = true;
  for (auto& wp : workers_) {
    Worker* w = wp.get();
    asio::post(*w->io, [this, w] {
      beast::error_code ec;
      if (w->acceptor) w->acceptor->close(ec);
      // Waits for requests in flight, then ends the loop (idle connections close with it).
      asio::co_spawn(
          *w->io,
          [this, w]() -> Task<void> {
            auto deadline = std::chrono::steady_clock::now() + drain_;
            Timer timer(*w->io);
            while (w->in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
              timer.expires_after(10ms);
              co_await timer.async_wait(use_tuple);
            }
            w->io->stop();
          },
          asio::detached);
    });
  }
}

Task<void> Server::accept_loop(Worker& w) {
  for (;;) {
    auto [ec, socket] = co_await w.acceptor->async_accept(use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) co_return;
      // EMFILE and friends: back off instead of spinning.
      Timer timer(*w.io, 50ms);
      co_await timer.async_wait(use_tuple);
      continue;
    }
    if (w.connections >= limits_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(*w.io, session(w, std::move(socket)), asio::detached);
  }
}

namespace {

// Writes `wire` (its head gets the blank line, after "Connection: close" when the connection
// ends) and reports whether it went out whole.
Task<bool> write_wire(Socket& socket, Deadline& deadline, Wire& wire, bool keep_alive,
                      unsigned version, std::chrono::milliseconds timeout) {
  if (!keep_alive) {
    wire.head += "Connection: close\r\n\r\n";
  } else if (version == 10) {
    wire.head += "Connection: keep-alive\r\n\r\n";
  } else {
    wire.head += "\r\n";
  }
  std::array<asio::const_buffer, 2> buffers{asio::buffer(wire.head), asio::buffer(wire.body)};
  deadline.arm(timeout);
  auto [ec, n] = co_await asio::async_write(socket, buffers, use_tuple);
  (void)n;
  deadline.disarm();
  co_return !ec;
}

// A read that ended without a request to answer: the peer left, or a timeout (as nginx at
// client_header_timeout: no answer, the client that stopped sending is not reading either).
bool peer_gone(const beast::error_code& ec, const Deadline& deadline) {
  return deadline.expired() || ec == bhttp::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::eof;
}

}  // namespace

Task<void> Server::session(Worker& w, Socket socket) {
  ++w.connections;
  struct Count {
    int& n;
    ~Count() { --n; }
  } count{w.connections};
  // Whatever fails inside one connection (an allocation refused under a memory limit) ends
  // that connection, never the worker: an exception out of a detached coroutine would.
  try {
    co_await serve(w, socket);
  } catch (const std::exception&) {
  }
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

// The writer of a streamed answer: each piece under the write timeout.
class Server::StreamOut : public StreamWriter {
 public:
  StreamOut(const Server& server, Socket& socket, Deadline& deadline)
      : server_(server), socket_(socket), deadline_(deadline) {}
  Task<bool> write(std::string_view bytes) override {
    if (server_.stopping_) co_return false;
    deadline_.arm(server_.limits_.write_timeout);
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), use_tuple);
    (void)n;
    deadline_.disarm();
    co_return !ec && !server_.stopping_;
  }
  bool stopping() const override { return server_.stopping_; }

 private:
  const Server& server_;
  Socket& socket_;
  Deadline& deadline_;
};

Task<void> Server::serve(Worker& w, Socket& socket) {
  Peer peer;
  {
    beast::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (!ec) peer.address = remote.address().to_string();
  }
  Deadline deadline(*w.reaper, socket);
  // Bounded: a head is at most max_header_bytes, a body moves into the message as it is
  // parsed, so only a chunk-size line, chunk extension or trailer that never ends could fill
  // it — and that fails with buffer_overflow (400) instead of taking the machine's memory.
  beast::flat_buffer buffer(limits_.max_header_bytes + 64 * 1024);
  Wire wire;
  for (;;) {
    if (stopping_) break;
    // Idle keep-alive wait: for the first byte of the next request.
    if (buffer.size() == 0) {
      deadline.arm(limits_.idle_timeout);
      auto [ec, n] = co_await socket.async_read_some(buffer.prepare(4096), use_tuple);
      if (ec) break;
      buffer.commit(n);
    }
    bhttp::request_parser<Body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    parser.body_limit(limits_.max_body_bytes);
    // From the first byte, the head must arrive within header_timeout (slowloris).
    deadline.arm(limits_.header_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(socket, buffer, parser, use_tuple);
    std::optional<Rejection> reject;
    if (hec) {
      if (peer_gone(hec, deadline)) break;
      reject = rejection_for(hec);
    } else if (hn > limits_.max_header_bytes) {
      // Beast's own header_limit lets some heads through past it (many short fields): the
      // bytes the head took are counted here as well.
      reject = rejection_for(bhttp::error::header_limit);
    } else {
      reject = check_request_head(parser);
    }
    if (!reject && parser.get()[bhttp::field::expect].size() > 0) {
      if (!beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        reject = Rejection{417, "expectation-failed", "only `Expect: 100-continue` is understood"};
      } else if (!parser.is_done()) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        deadline.arm(limits_.write_timeout);
        auto [cec, cn] = co_await asio::async_write(socket, asio::buffer(kContinue), use_tuple);
        (void)cn;
        if (cec) break;
      }
    }
    // Beast adds a chunked body's trailer fields to the head's: they were never checked
    // (a second Host, a client id), so they are dropped once the body is read.
    TrailerGuard trailers;
    bool chunked = !reject && parser.chunked();
    if (chunked) trailers.keep(parser.get());
    if (!reject && !parser.is_done()) {
      deadline.arm(limits_.body_timeout);
      auto [bec, bn] = co_await bhttp::async_read(socket, buffer, parser, use_tuple);
      (void)bn;
      if (bec) {
        if (peer_gone(bec, deadline)) break;
        reject = rejection_for(bec);
      }
    }
    deadline.disarm();
    if (reject) {
      if (on_refusal_) on_refusal_(w.index, Refusal{reject->status, reject->type, &peer});
      // After a malformed message the stream cannot be trusted: answer and close.
      to_wire(refusal(reject->status, reject->type, "Request refused", reject->detail), false,
              wire);
      co_await write_wire(socket, deadline, wire, false, 11, limits_.write_timeout);
      break;
    }
    Request req = parser.release();
    if (chunked) trailers.restore(req);
    bool keep_alive = keeps_alive(req, req.version());
    unsigned version = req.version();
    wire.clear();
    ++w.in_flight;
    try {
      co_await w.handler(req, peer, wire);
    } catch (const std::exception& e) {
      to_wire(refusal(500, "internal-error", "Internal error", "the server failed to answer"),
              req.method() == bhttp::verb::head, wire);
      keep_alive = false;
    }
    keep_alive = keep_alive && !wire.close && !stopping_ && !wire.stream;
    // In flight until written: a drain waits for the answer to leave, not only to be made.
    bool written =
        co_await write_wire(socket, deadline, wire, keep_alive, version, limits_.write_timeout);
    --w.in_flight;
    if (written && wire.stream) {
      StreamOut out(*this, socket, deadline);
      co_await wire.stream(out);
      break;
    }
    if (!written || !keep_alive) break;
  }
}

Response Server::refusal(int status, std::string_view type, std::string_view title,
                         std::string_view detail) const {
  if (refusal_writer_) return refusal_writer_(status, type, detail);
  return problem(status, type, title, detail);
}

}  // namespace tandem::http
