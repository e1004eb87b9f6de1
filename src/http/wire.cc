// Messages as bytes (http/wire.h).

#include "http/wire.h"

#include <charconv>

namespace tandem::http {

namespace {

// (A byte loop: string_view::find_first_of calls memchr once per byte for a set of two.)
void append_clean(std::string& out, std::string_view text) {
  const char* start = text.data();
  const char* end = start + text.size();
  for (const char* p = start; p != end; ++p) {
    if (*p == '\r' || *p == '\n') {
      out.append(start, p);
      start = p + 1;
    }
  }
  out.append(start, end);
}

}  // namespace

void append_status_line(std::string& out, int status, std::string_view reason) {
  if (status < 100 || status > 999) status = 500;
  char digits[4];
  digits[0] = static_cast<char>('0' + status / 100);
  digits[1] = static_cast<char>('0' + status / 10 % 10);
  digits[2] = static_cast<char>('0' + status % 10);
  digits[3] = ' ';
  out += "HTTP/1.1 ";
  out.append(digits, 4);
  if (reason.empty()) reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  append_clean(out, reason);
  out += "\r\n";
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  append_clean(out, name);
  out += ": ";
  append_clean(out, value);
  out += "\r\n";
}

void append_field(std::string& out, std::string_view name, size_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  append_field(out, name, std::string_view(buf, static_cast<size_t>(end - buf)));
}

void append_content_length(std::string& head, int status, bool head_request,
                           std::string_view head_length, size_t body_size) {
  if (bodiless_status(status)) return;
  if (!head_request) {
    append_field(head, "Content-Length", body_size);
  } else if (!head_length.empty()) {
    append_field(head, "Content-Length", head_length);
  }
}

void to_wire(Response&& res, bool head_request, Wire& out) {
  out.status = static_cast<int>(res.result_int());
  out.head.clear();
  append_status_line(out.head, out.status, res.reason());
  for (const auto& f : res) {
    switch (f.name()) {
      case bhttp::field::connection:
      case bhttp::field::keep_alive:
      case bhttp::field::transfer_encoding:
      case bhttp::field::content_length:
        continue;
      default:
        break;
    }
    append_field(out.head, f.name_string(), f.value());
  }
  // A HEAD answer keeps the length its GET would have: the one set, else its body's.
  std::string body_length = std::to_string(res.body().size());
  std::string_view set_length = res[bhttp::field::content_length];
  append_content_length(out.head, out.status, head_request,
                        set_length.empty() ? std::string_view(body_length) : set_length,
                        res.body().size());
  if (head_request || bodiless_status(out.status)) {
    out.body.clear();
  } else {
    out.body = std::move(res.body());
  }
}

}  // namespace tandem::http
