#pragma once
// Which API version a request speaks: `versions.header`, else the version in the path
// (`versions.path`), else the media type (`versions.media_type` in Accept / Content-Type),
// else the client's pin, else `versions.default` (`pin`: head, and the client is pinned to it).

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "tandem/gateway.h"

namespace tandem::gateway {

struct VersionChoice {
  int index = -1;
  const char* source = "";  // "header", "path", "media_type", "pin", "default"
  std::string path;         // the request path with a path version removed
  bool pin_now = false;     // default `pin` for a known client without a pin: record one
};

struct VersionError {
  int status = 400;
  std::string type, detail;
};

struct RequestView {
  std::string_view path;  // without the query string
  std::string_view header_version;
  std::string_view accept, content_type;
  std::string_view client;  // "" when the request names none
};

// `pins` then `local_pins` (pins this worker made that the snapshot does not show yet).
std::variant<VersionChoice, VersionError> resolve_version(
    const Config& config, const RequestView& req,
    const std::unordered_map<std::string, std::string>& pins,
    const std::unordered_map<std::string, std::string>& local_pins);

// The version named by `media_type` pattern in a header value
// ("application/vnd.shop.2025-01-01+json; q=0.9, */*"), "" when none.
std::string version_in_media_type(std::string_view pattern, std::string_view header);

// `header` with every media type of `pattern` rewritten to name `version`.
std::string rewrite_media_type(std::string_view pattern, std::string_view header,
                               std::string_view version);

}  // namespace tandem::gateway
