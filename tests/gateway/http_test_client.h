#pragma once
// An HTTP/1.1 client for the gateway tests, to talk to a server on loopback: one request, raw
// bytes (request smuggling shapes, malformed input), and one connection carrying several
// requests (keep-alive, pipelining). Responses are parsed by Boost.Beast, never by hand. Every
// call has a timeout, so a server that hangs fails a test instead of hanging it. Boost stays in
// http_test_client.cc.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::testing {

// Header fields in the order they were sent or received, names as written.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What a server sent back to raw bytes.
struct RawResponse {
  std::string data;     // every byte read, as read
  bool closed = false;  // the peer closed the connection (FIN or reset) before the timeout
  std::string error;    // "" unless the connection or the write failed
};

// One response, parsed by Beast.
struct HttpResponse {
  int status = 0;  // 0 when no complete response was read (see error)
  std::string reason;
  int version = 11;  // 10 or 11
  HeaderList headers;
  std::string body;  // the payload, with any chunked encoding removed
  bool keep_alive = false;
  bool chunked = false;  // it came with Transfer-Encoding: chunked
  // "" when a complete response was read; otherwise what went wrong: "timeout", "connect: …",
  // "end of stream" (the peer closed first), or the parser's message.
  std::string error;

  bool ok() const { return error.empty(); }
  // The first value of header `name` (case-insensitive), "" when absent.
  std::string header(std::string_view name) const;
  // Every value of header `name` (case-insensitive), in order.
  std::vector<std::string> header_values(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

// Opens one connection to 127.0.0.1:port, writes `bytes` exactly as given, then reads until the
// peer closes or `timeout_ms` (counted from the connect) has passed.
RawResponse send_raw(int port, std::string_view bytes, int timeout_ms = 2000);

// The responses in `bytes` (e.g. RawResponse::data), in order. A trailing incomplete or
// malformed response is the last element, with `error` set. Responses to HEAD cannot be told
// apart here: use Connection for those.
std::vector<HttpResponse> parse_responses(std::string_view bytes);

// One request on a new connection to 127.0.0.1:port, then the connection is closed. Adds
// `Host: 127.0.0.1:port` unless `headers` has a Host, and `Content-Length` unless they have a
// Content-Length or Transfer-Encoding (with `Transfer-Encoding: chunked`, the body is sent
// chunked). Interim 1xx responses (100 Continue) are skipped.
HttpResponse request(int port, std::string_view method, std::string_view target,
                     const HeaderList& headers = {}, std::string_view body = {},
                     int timeout_ms = 5000);

// One connection for several requests. send() only writes, so several sends before the reads
// pipeline the requests; read() returns the responses in order (reading a HEAD response without
// a body). After a timeout or a parse error the connection is closed, as a client would.
class Connection {
 public:
  // Connects (within timeout_ms); connected() tells whether it worked.
  explicit Connection(int port, int timeout_ms = 5000);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const;
  const std::string& error() const;  // why connecting or the last write failed

  // Writes one request, with the same defaults as request(). False when the write failed.
  bool send(std::string_view method, std::string_view target, const HeaderList& headers = {},
            std::string_view body = {});
  // Writes bytes exactly as given. A response to them is read with read(); it is parsed as
  // the answer to a request that is not HEAD.
  bool send_raw(std::string_view bytes);
  // Reads the next response, interim 1xx ones included, within the timeout.
  HttpResponse read();
  // send() then read(), skipping interim 1xx responses.
  HttpResponse request(std::string_view method, std::string_view target,
                       const HeaderList& headers = {}, std::string_view body = {});
  // True when the peer has closed the connection, waiting up to wait_ms for it. Bytes still
  // unread do not count as closed. Does not consume anything.
  bool closed_by_peer(int wait_ms = 1000);
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound and released).
int free_port();

// Waits until something accepts connections on 127.0.0.1:port; false after timeout_ms.
bool wait_for_port(int port, int timeout_ms = 10000);

}  // namespace tandem::testing
