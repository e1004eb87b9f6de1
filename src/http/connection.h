#pragma once
// The Connection header (RFC 9110 §7.6.1), read the way a proxy must: every Connection field
// of a message (there may be several), each a comma-separated list, tokens trimmed of spaces
// and tabs, compared case-insensitively.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http.h"

namespace tandem::http {

// Calls fn(token) for every non-empty token of every Connection field of `fields`.
template <typename Fields, typename Fn>
void for_each_connection_token(const Fields& fields, Fn&& fn) {
  auto range = fields.equal_range(bhttp::field::connection);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view value = it->value();
    size_t i = 0;
    while (i <= value.size()) {
      size_t comma = value.find(',', i);
      if (comma == std::string_view::npos) comma = value.size();
      std::string_view token = value.substr(i, comma - i);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
      }
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (!token.empty()) fn(token);
      i = comma + 1;
    }
  }
}

// Whether the connection stays open after this message: HTTP/1.1 unless a token says close,
// HTTP/1.0 only when a token says keep-alive (and none says close).
template <typename Fields>
bool keeps_alive(const Fields& fields, unsigned version) {
  bool close = false, keep = false;
  for_each_connection_token(fields, [&](std::string_view t) {
    if (beast::iequals(t, "close")) close = true;
    if (beast::iequals(t, "keep-alive")) keep = true;
  });
  if (close) return false;
  return version >= 11 || keep;
}

// The header names the Connection fields list (hop-by-hop for this message), without the
// `close` and `keep-alive` options; views into `fields`.
template <typename Fields>
void connection_listed(const Fields& fields, std::vector<std::string_view>& out) {
  out.clear();
  for_each_connection_token(fields, [&](std::string_view t) {
    if (!beast::iequals(t, "close") && !beast::iequals(t, "keep-alive")) out.push_back(t);
  });
}

// The head's fields of a chunked message, kept before its body is read: Beast adds the
// trailer fields to the head's (next to a head field of the same name, so they cannot be told
// apart by position). restore() puts the head's back when trailers came.
class TrailerGuard {
 public:
  template <typename Message>
  void keep(const Message& m) {
    fields_.clear();
    for (const auto& f : m)
      fields_.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  template <typename Message>
  void restore(Message& m) const {
    size_t count = 0;
    for (auto it = m.begin(); it != m.end(); ++it) ++count;
    if (count == fields_.size()) return;  // no trailer
    for (auto it = m.begin(); it != m.end();) it = m.erase(it);
    for (const auto& [name, value] : fields_) m.insert(name, value);
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace tandem::http
