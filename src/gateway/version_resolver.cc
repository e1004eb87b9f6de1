// Which version a request speaks (gateway/version_resolver.h).

#include "gateway/version_resolver.h"

#include <algorithm>

#include <fmt/format.h>

#include <variant>

namespace tandem::gateway {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string known_list(const Config& c) {
  std::string out;
  for (const auto& v : c.versions) out += fmt::format("{}{}", out.empty() ? "" : ", ", v.name);
  return out;
}

// For each media type in a comma-separated header value: its type/subtype without parameters.
template <typename F>
void each_media_type(std::string_view header, F&& f) {
  size_t i = 0;
  while (i <= header.size()) {
    size_t comma = header.find(',', i);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = header.substr(i, comma - i);
    size_t semi = item.find(';');
    f(trim(item.substr(0, semi)), i, i + (semi == std::string_view::npos ? item.size() : semi));
    i = comma + 1;
  }
}

bool match_pattern(std::string_view pattern, std::string_view media, std::string_view& version) {
  size_t at = pattern.find("{version}");
  std::string_view prefix = pattern.substr(0, at);
  std::string_view suffix = pattern.substr(at + 9);
  if (media.size() <= prefix.size() + suffix.size()) return false;
  if (media.substr(0, prefix.size()) != prefix) return false;
  if (media.substr(media.size() - suffix.size()) != suffix) return false;
  version = media.substr(prefix.size(), media.size() - prefix.size() - suffix.size());
  return true;
}

}  // namespace

std::string version_in_media_type(std::string_view pattern, std::string_view header) {
  std::string found;
  each_media_type(header, [&](std::string_view media, size_t, size_t) {
    std::string_view v;
    if (found.empty() && match_pattern(pattern, media, v)) found = std::string(v);
  });
  return found;
}

std::string rewrite_media_type(std::string_view pattern, std::string_view header,
                               std::string_view version) {
  std::string out;
  size_t last = 0;
  each_media_type(header, [&](std::string_view media, size_t, size_t) {
    std::string_view v;
    if (!match_pattern(pattern, media, v)) return;
    size_t begin = static_cast<size_t>(media.data() - header.data());
    out.append(header.substr(last, begin - last));
    size_t at = pattern.find("{version}");
    out.append(pattern.substr(0, at));
    out.append(version);
    out.append(pattern.substr(at + 9));
    last = begin + media.size();
  });
  out.append(header.substr(last));
  return out;
}

std::variant<VersionChoice, VersionError> resolve_version(
    const Config& c, const RequestView& req,
    const std::unordered_map<std::string, std::string>& pins,
    const std::unordered_map<std::string, std::string>& local_pins) {
  VersionChoice choice;
  choice.path = std::string(req.path);
  auto unknown = [&](std::string_view name, const char* where) {
    if (std::find(c.removed_versions.begin(), c.removed_versions.end(), name) !=
        c.removed_versions.end()) {
      return VersionError{410, "version-removed",
                          fmt::format("version {} ({}) was removed after its sunset; move to {} "
                                      "(known: {})",
                                      name, where, c.head(), known_list(c))};
    }
    return VersionError{400, "unknown-version",
                        fmt::format("`{}` ({}) is not a version of this API; known: {}", name,
                                    where, known_list(c))};
  };
  std::string_view header = trim(req.header_version);
  if (!header.empty()) {
    choice.index = c.version_index(header);
    if (choice.index < 0) return unknown(header, c.version_header.c_str());
    choice.source = "header";
  }
  if (!c.version_path.empty()) {
    std::string_view prefix =
        std::string_view(c.version_path).substr(0, c.version_path.find("{version}"));
    std::string_view path = req.path;
    if (path.substr(0, prefix.size()) == prefix) {
      std::string_view rest = path.substr(prefix.size());
      size_t slash = rest.find('/');
      std::string_view segment = rest.substr(0, slash);
      int idx = c.version_index(segment);
      if (idx < 0 && std::find(c.removed_versions.begin(), c.removed_versions.end(), segment) !=
                         c.removed_versions.end())
        return unknown(segment, "path");
      if (idx >= 0) {
        if (choice.index >= 0 && choice.index != idx) {
          return VersionError{
              400, "conflicting-versions",
              fmt::format("the path names {} and {} names {}", segment, c.version_header, header)};
        }
        choice.index = idx;
        if (!*choice.source) choice.source = "path";
        std::string stripped(prefix);
        if (slash != std::string_view::npos) stripped += rest.substr(slash + 1);
        if (stripped.empty() || stripped.front() != '/') stripped.insert(stripped.begin(), '/');
        choice.path = std::move(stripped);
      }
    }
  }
  if (!c.media_type.empty()) {
    for (std::string_view value : {req.accept, req.content_type}) {
      std::string v = version_in_media_type(c.media_type, value);
      if (v.empty()) continue;
      int idx = c.version_index(v);
      if (idx < 0) return unknown(v, "media type");
      if (choice.index >= 0 && choice.index != idx) {
        return VersionError{400, "conflicting-versions",
                            fmt::format("the media type names {}, which differs from {}", v,
                                        c.versions[choice.index].name)};
      }
      choice.index = idx;
      if (!*choice.source) choice.source = "media_type";
    }
  }
  if (choice.index >= 0) return choice;
  if (!req.client.empty()) {
    std::string client(req.client);
    const std::string* pinned = nullptr;
    if (auto it = pins.find(client); it != pins.end()) {
      pinned = &it->second;
    } else if (auto lit = local_pins.find(client); lit != local_pins.end()) {
      pinned = &lit->second;
    }
    if (pinned) {
      int idx = c.version_index(*pinned);
      if (idx >= 0) {
        choice.index = idx;
        choice.source = "pin";
        return choice;
      }
      // A pin to a version the config no longer lists (removed after its sunset): the
      // client is told, not silently moved to another version.
      return VersionError{
          410, "version-removed",
          fmt::format("client `{}` is pinned to {}, which this API no longer serves; "
                      "send {} to choose one of: {}",
                      client, *pinned, c.version_header, known_list(c))};
    }
  }
  choice.source = "default";
  if (c.default_pin) {
    choice.index = static_cast<int>(c.versions.size()) - 1;
    choice.pin_now = !req.client.empty();
  } else {
    choice.index = c.version_index(c.default_version);
  }
  return choice;
}

}  // namespace tandem::gateway
