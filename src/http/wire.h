#pragma once
// Messages as bytes on their way out. The hot path writes a head straight into a reused
// string (no field allocations, no Beast serializer walking a chain of buffer sequences) and
// sends head and body with one gathering write. Parsing stays with Beast; writing a head is
// formatting lines whose names and values were validated when they were parsed or set.

#include <functional>
#include <string>
#include <string_view>

#include "http/http.h"

namespace tandem::http {

// Writes the body of a streamed answer (server-sent events) piece by piece.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends `bytes` now. False when the peer is gone or did not read them within the server's
  // write timeout, or when the server is stopping: the stream should end.
  virtual Task<bool> write(std::string_view bytes) = 0;
  virtual bool stopping() const = 0;
};

// An answer ready for the wire: the status line and the header lines, each ending in CRLF,
// without the blank line (the server adds it after its own Connection header), and the body.
struct Wire {
  int status = 0;
  std::string head;
  std::string body;
  bool close = false;  // the handler wants the connection closed after this answer
  // A streamed answer: `head` (without Content-Length) goes out, then the server calls `stream`
  // until it returns, and closes the connection — the body is delimited by the close. The
  // stream does not count as a request in flight: stopping the server ends it.
  std::function<Task<void>(StreamWriter&)> stream;

  void clear() {
    status = 0;
    head.clear();
    body.clear();
    close = false;
    stream = nullptr;
  }
};

// "HTTP/1.1 200 OK\r\n"; `reason` empty: the status's standard phrase.
void append_status_line(std::string& out, int status, std::string_view reason = {});
// "Name: value\r\n"; CR and LF in either are dropped (never a second line).
void append_field(std::string& out, std::string_view name, std::string_view value);
void append_field(std::string& out, std::string_view name, size_t value);

// The Content-Length line of an answer: none for a bodiless status (1xx, 204, 304); for a HEAD
// request `head_length`, the length its GET would have ("" when not known: no line, as RFC 9110
// allows); else `body_size`.
void append_content_length(std::string& head, int status, bool head_request,
                           std::string_view head_length, size_t body_size);

// A Beast response as a Wire: its fields, a Content-Length for its body, and no body when
// it answers a HEAD request (Content-Length kept). `Connection` is the server's to write.
void to_wire(Response&& res, bool head_request, Wire& out);

// True when a response with this status has no body (1xx, 204, 304).
inline bool bodiless_status(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace tandem::http
