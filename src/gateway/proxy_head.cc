// The heads of the messages the gateway sends: to the upstream, and back to the client
// (gateway/proxy.h).

#include <fmt/format.h>

#include "gateway/proxy.h"
#include "gateway/version_resolver.h"
#include "http/connection.h"

namespace tandem::gateway {

namespace bhttp = http::bhttp;

namespace {

// Hop-by-hop headers (RFC 9110 §7.6.1) and what the gateway sets itself: never forwarded.
bool hop_by_hop(bhttp::field f) {
  switch (f) {
    case bhttp::field::connection:
    case bhttp::field::keep_alive:
    case bhttp::field::proxy_connection:
    case bhttp::field::te:
    case bhttp::field::trailer:
    case bhttp::field::transfer_encoding:
    case bhttp::field::upgrade:
    case bhttp::field::expect:
    case bhttp::field::content_length:
      return true;
    default:
      return false;
  }
}

// True when `f` of a message from one side is not passed to the other: hop-by-hop, listed in
// its Connection header, or one the gateway writes itself (`own`).
template <typename Field, typename Own>
bool dropped(const Field& f, const std::vector<std::string_view>& listed, const Own& own) {
  if (hop_by_hop(f.name())) return true;
  std::string_view name = f.name_string();
  if (name.empty()) return true;
  for (std::string_view token : listed) {
    if (http::beast::iequals(token, name)) return true;
  }
  return own(f.name(), name);
}

}  // namespace

void Proxy::upstream_head(const http::Request& req, const Target& target, std::string_view path,
                          std::string_view query, bool body_steps, const std::string& rid,
                          const http::Peer& peer, std::string_view extra,
                          http::OutRequest& out) const {
  std::string& head = out.head;
  head.clear();
  head.reserve(512);
  head.append(req.method_string());
  head += ' ';
  head += target.base;
  head += path;
  head += query;
  head += " HTTP/1.1\r\n";
  bool rewrite_media = !config_.media_type.empty();
  auto own = [&](bhttp::field f, std::string_view name) {
    if (rewrite_media && (f == bhttp::field::accept || f == bhttp::field::content_type)) {
      return true;
    }
    if (body_steps && f == bhttp::field::accept_encoding) return true;  // answers must be readable
    return http::beast::iequals(name, config_.version_header) ||
           http::beast::iequals(name, "X-Request-Id") ||
           http::beast::iequals(name, "X-Forwarded-For");
  };
  std::vector<std::string_view> listed;
  http::connection_listed(req, listed);
  bool host_sent = false;
  for (const auto& f : req) {
    // Host is end to end whatever Connection lists: an HTTP/1.1 request without it is invalid.
    if (f.name() == bhttp::field::host) {
      if (!hop_by_hop(f.name()) && !host_sent) {
        http::append_field(head, f.name_string(), f.value());
        host_sent = true;
      }
      continue;
    }
    if (!dropped(f, listed, own)) http::append_field(head, f.name_string(), f.value());
  }
  // An HTTP/1.0 client may send no Host: the upstream still gets one (its own address).
  if (!host_sent) http::append_field(head, "Host", target.authority);
  http::append_field(head, config_.version_header, config_.head());
  http::append_field(head, "X-Request-Id", rid);
  // Every X-Forwarded-For value the client sent (there may be several fields), then the peer.
  std::string forwarded;
  auto xff = req.equal_range("X-Forwarded-For");
  for (auto it = xff.first; it != xff.second; ++it) {
    forwarded.append(it->value());
    forwarded += ", ";
  }
  forwarded += peer.address;
  http::append_field(head, "X-Forwarded-For", forwarded);
  if (rewrite_media) {
    for (auto f : {bhttp::field::accept, bhttp::field::content_type}) {
      std::string_view value = req[f];
      if (!value.empty()) {
        http::append_field(head, bhttp::to_string(f),
                           rewrite_media_type(config_.media_type, value, config_.head()));
      }
    }
  }
  head += extra;
  if (!out.body.empty() || req.method() == bhttp::verb::post || req.method() == bhttp::verb::put ||
      req.method() == bhttp::verb::patch) {
    http::append_field(head, "Content-Length", out.body.size());
  }
  head += "\r\n";
}

void Proxy::answer_head(const http::Response& from, int status, bool head_request, bool translated,
                        int version, size_t body_size, const std::string& rid,
                        http::Wire& out) const {
  const ApiVersion& v = config_.versions[version];
  bool rewrite_media = !config_.media_type.empty();
  std::string& head = out.head;
  head.clear();
  out.status = status;
  // A mapped status gets its own phrase, not the old one's.
  http::append_status_line(head, status,
                           status == static_cast<int>(from.result_int())
                               ? std::string_view(from.reason())
                               : std::string_view());
  auto own = [&](bhttp::field f, std::string_view name) {
    if (rewrite_media && f == bhttp::field::content_type) return true;
    if (f == bhttp::field::link) return !v.link.empty() && (v.deprecated || v.sunset);
    if (v.deprecated && http::beast::iequals(name, "Deprecation")) return true;
    if (v.sunset && http::beast::iequals(name, "Sunset")) return true;
    return http::beast::iequals(name, config_.version_header) ||
           http::beast::iequals(name, "X-Request-Id");
  };
  std::vector<std::string_view> listed;
  http::connection_listed(from, listed);
  for (const auto& f : from) {
    if (!dropped(f, listed, own)) http::append_field(head, f.name_string(), f.value());
  }
  if (rewrite_media) {
    std::string_view ct = from[bhttp::field::content_type];
    if (!ct.empty()) {
      http::append_field(head, "Content-Type", rewrite_media_type(config_.media_type, ct, v.name));
    }
  }
  // A HEAD gets the GET's length — unknown when the GET's body would be translated.
  http::append_content_length(
      head, status, head_request,
      translated ? std::string_view() : std::string_view(from[bhttp::field::content_length]),
      body_size);
  http::append_field(head, "X-Request-Id", rid);
  head += decoration(version);
}

}  // namespace tandem::gateway
