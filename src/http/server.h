#pragma once
// An HTTP/1.1 server: one thread per worker, each with its own io_context and its own
// acceptor on the same address (SO_REUSEPORT), so nothing is shared on the request path.
// Keep-alive, pipelining (requests on one connection are answered in order, one at a time),
// size limits and timeouts on every read; ambiguous messages are refused with 400
// (http/message_checks.h) before a handler sees them.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/deadline.h"
#include "http/http.h"
#include "http/wire.h"
#include "tandem/status.h"

namespace tandem::http {

struct ServerLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 10 * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10000};  // from a request's first byte to its blank line
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};   // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{30000};  // a client that does not read its answer
  int max_connections = 10000;                     // per worker
};

// Who sent a request.
struct Peer {
  std::string address;  // remote IP
};

// Answers one request. Runs on its worker's thread; may co_await other I/O on that worker's
// io_context. A thrown exception answers 500 and closes the connection.
using Handler = std::function<Task<Response>(Request&, const Peer&)>;
// The same, writing its answer as bytes into `out` (cleared before the call): the proxy's
// hot path, which never builds a Beast response.
using WireHandler = std::function<Task<void>(Request&, const Peer&, Wire& out)>;

// A request the server refused before any handler saw it (a malformed or oversized message:
// 400, 413, 417, 431, 505), for metrics and logs. Called on the worker's thread.
struct Refusal {
  int status = 0;
  std::string_view type;  // the problem slug, e.g. "header-too-large"
  const Peer* peer = nullptr;
};
using RefusalObserver = std::function<void(int worker, const Refusal&)>;
// Writes the answer to a refused request (and to a handler that threw: status 500), for a
// server whose clients expect another error shape than problem+json (the schema registry's
// {"error_code", "message"}). Default: http::problem.
using RefusalWriter =
    std::function<Response(int status, std::string_view type, std::string_view detail)>;

class Server {
 public:
  Server(ServerLimits limits, int workers);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds "host:port" for every worker; port 0 picks a free port once for all of them.
  // InvalidInput when the address cannot be read or bound (in use, not local).
  Status bind(const std::string& listen);
  // "127.0.0.1:8080" after bind.
  std::string bound() const { return bound_; }

  // The io_context of worker `i`, e.g. for per-worker clients; valid until destruction.
  asio::io_context& context(int i);
  // The deadline sweeper of worker `i`, for the sockets a handler opens itself.
  Reaper& reaper(int i);
  int workers() const { return static_cast<int>(workers_.size()); }

  // Serves until stop(); `handler_for(i)` is called once, on worker i's thread, before it
  // accepts. Blocks.
  // Set before run().
  void on_refusal(RefusalObserver observer) { on_refusal_ = std::move(observer); }
  void refusal_writer(RefusalWriter writer) { refusal_writer_ = std::move(writer); }

  void run(const std::function<Handler(int worker)>& handler_for);
  void run_wire(const std::function<WireHandler(int worker)>& handler_for);

  // Thread-safe and signal-safe to call from another thread: stops accepting; a connection
  // closes after the request it is answering; returns from run() once none is in flight or
  // after `drain`.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(5000));

 private:
  struct Worker;
  class StreamOut;
  Task<void> accept_loop(Worker& w);
  Task<void> session(Worker& w, Socket socket);
  Task<void> serve(Worker& w, Socket& socket);

  ServerLimits limits_;
  RefusalObserver on_refusal_;
  RefusalWriter refusal_writer_;
  Response refusal(int status, std::string_view type, std::string_view title,
                   std::string_view detail) const;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::string bound_;
  std::atomic<bool> stopping_{false};
  std::chrono::milliseconds drain_{5000};
};

// Splits "host:port" ("[::1]:8080" too); false when it is not one.
bool split_host_port(const std::string& text, std::string& host, std::string& port);

}  // namespace tandem::http
