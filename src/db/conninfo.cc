// Database URLs: which backend, what may be printed, and a URL that carries session options.
//
// PostgreSQL URLs and key=value strings are read with libpq's own parser (PQconninfoParse) —
// the password libpq will send is the one hidden, wherever and however it is written. The
// positions are found with libpq's own rules (fe-connect.c: the user part of a URI runs to the
// first '@' before any '/'; query parameters and key=value pairs are percent-/quote-decoded).
// A URL libpq would read differently than its author meant (an unencoded '@' or '/' in the
// password) is refused before connecting: its "host" would be part of the password.

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cctype>
#include <map>

#include "tandem/db.h"

namespace tandem::db {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_uri(std::string_view url) {
  return starts_with(url, "postgres://") || starts_with(url, "postgresql://");
}

// Every keyword libpq reads from `conninfo` with its value; an error when libpq cannot read it
// (its reason with quoted text masked: it may quote part of a password).
Result<std::map<std::string, std::string>> libpq_values(std::string_view conninfo) {
  std::string text(conninfo);
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(text.c_str(), &err);
  if (opts == nullptr) {
    std::string why = err ? err : "out of memory";
    if (err) PQfreemem(err);
    std::string masked;
    bool quoted = false;
    for (char c : why) {
      if (c == '"') {
        masked += quoted ? "…\"" : "\"";
        quoted = !quoted;
      } else if (!quoted && c != '\n') {
        masked += c;
      }
    }
    return Status::InvalidInput("libpq cannot read the database URL: " + masked,
                                "check its syntax (special characters in the password must be "
                                "percent-encoded: @ %40, / %2F, ? %3F, # %23, : %3A)");
  }
  std::map<std::string, std::string> out;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out[o->keyword] = o->val;
  }
  PQconninfoFree(opts);
  return out;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// The parts of a URI as libpq splits them: [0, user_end) holds "scheme://user[:password]" up to
// the '@' at user_end (npos: no user part), then the host/path, then the query from '?'.
struct UriParts {
  size_t after_scheme = 0;
  size_t at = std::string::npos;     // the '@' ending the user part
  size_t query = std::string::npos;  // the '?'
};

UriParts split_uri(std::string_view url) {
  UriParts p;
  p.after_scheme = url.find("://") + 3;
  size_t i = p.after_scheme;
  while (i < url.size() && url[i] != '@' && url[i] != '/') ++i;
  if (i < url.size() && url[i] == '@') p.at = i;
  size_t from = p.at == std::string::npos ? p.after_scheme : p.at + 1;
  p.query = url.find('?', from);
  return p;
}

// An '@' where libpq reads the host or database: the author's password held an unencoded '@'
// or '/', and libpq would take part of it for a host name.
bool ambiguous_uri(std::string_view url) {
  UriParts p = split_uri(url);
  size_t from = p.at == std::string::npos ? p.after_scheme : p.at + 1;
  size_t to = p.query == std::string::npos ? url.size() : p.query;
  return url.substr(from, to - from).find('@') != std::string_view::npos;
}

// `url` with every query parameter whose (decoded) key is `key` replaced by `value` (nullopt:
// removed).
std::string rewrite_query(std::string_view url, const std::string& key,
                          const std::optional<std::string>& value) {
  UriParts p = split_uri(url);
  if (p.query == std::string::npos) return std::string(url);
  std::string out(url.substr(0, p.query));
  std::string_view query = url.substr(p.query + 1);
  std::string kept;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string_view param =
        query.substr(start, amp == std::string_view::npos ? query.npos : amp - start);
    size_t eq = param.find('=');
    std::string name = percent_decode(param.substr(0, eq));
    std::string piece(param);
    if (name == key) {
      piece = value ? std::string(param.substr(0, eq)) + "=" + *value : std::string();
    }
    if (!piece.empty()) kept += (kept.empty() ? "" : "&") + piece;
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return kept.empty() ? out : out + "?" + kept;
}

// A libpq key=value string as (key, raw value span) pairs, with libpq's quoting rules.
struct Pair {
  std::string key;
  size_t value_begin, value_end;  // the value as written, quotes included
};

std::vector<Pair> split_keywords(std::string_view s) {
  std::vector<Pair> out;
  size_t i = 0;
  auto space = [&](size_t k) {
    return k < s.size() && std::isspace(static_cast<unsigned char>(s[k]));
  };
  while (i < s.size()) {
    while (space(i)) ++i;
    if (i >= s.size()) break;
    size_t k = i;
    while (i < s.size() && s[i] != '=' && !space(i)) ++i;
    std::string key(s.substr(k, i - k));
    while (space(i)) ++i;
    if (i >= s.size() || s[i] != '=') break;  // libpq refuses it: PQconninfoParse said so
    ++i;
    while (space(i)) ++i;
    size_t v = i;
    if (i < s.size() && s[i] == '\'') {
      for (++i; i < s.size() && s[i] != '\''; ++i)
        if (s[i] == '\\') ++i;
      if (i < s.size()) ++i;
    } else {
      for (; i < s.size() && !space(i); ++i)
        if (s[i] == '\\') ++i;
    }
    out.push_back({key, v, std::min(i, s.size())});
  }
  return out;
}

const char* kHidden = "(not shown: it could hold the password)";

}  // namespace

Result<Url> parse_url(std::string_view url) {
  if (url.empty()) {
    return Status::InvalidInput("empty database URL",
                                "pass --db postgres://user@host/db or --db sqlite:FILE");
  }
  if (starts_with(url, "sqlite:")) {
    std::string_view rest = url.substr(7);
    if (starts_with(rest, "//")) rest = rest.substr(2);
    if (rest.empty()) {
      return Status::InvalidInput("sqlite URL has no file", "write sqlite:PATH or sqlite::memory:");
    }
    return Url{Backend::kSqlite, std::string(rest)};
  }
  bool uri = is_uri(url);
  // A libpq keyword/value string ("host=/tmp dbname=app") is accepted as is.
  bool keywords =
      !uri && url.find('=') != std::string_view::npos && url.find("://") == std::string_view::npos;
  if (!uri && !keywords) {
    return Status::InvalidInput(
        fmt::format("unsupported database URL '{}'", redact_url(url)),
        "use postgres://user@host:5432/db, postgresql://…, sqlite:PATH or sqlite::memory:");
  }
  if (uri && ambiguous_uri(url)) {
    return Status::InvalidInput(
        "the database URL has an '@' after its user part, so libpq would read part of the "
        "password as a host name (the URL is not shown)",
        "percent-encode special characters in the user name and password: @ as %40, / as %2F, "
        "? as %3F, # as %23, : as %3A");
  }
  TANDEM_RETURN_IF_ERROR(libpq_values(url).status());
  return Url{Backend::kPostgres, std::string(url)};
}

std::string redact_url(std::string_view url) {
  if (starts_with(url, "sqlite:")) return std::string(url);
  bool uri = is_uri(url);
  if (!uri && url.find('=') == std::string_view::npos) {
    // Not something libpq reads; show its scheme only.
    size_t colon = url.find(':');
    return colon == std::string_view::npos ? std::string(kHidden)
                                           : std::string(url.substr(0, colon)) + ":" + kHidden;
  }
  auto values = libpq_values(url);
  if (!values.ok() || (uri && ambiguous_uri(url))) {
    return uri ? std::string(url.substr(0, url.find("://") + 3)) + kHidden : std::string(kHidden);
  }
  std::string out;
  if (uri) {
    UriParts p = split_uri(url);
    out = std::string(url);
    if (p.at != std::string::npos) {
      size_t colon = url.find(':', p.after_scheme);
      if (colon != std::string_view::npos && colon < p.at)
        out = std::string(url.substr(0, colon + 1)) + "****" + std::string(url.substr(p.at));
    }
    out = rewrite_query(out, "password", "****");
  } else {
    size_t at = 0;
    for (const Pair& pair : split_keywords(url)) {
      if (pair.key != "password") continue;
      out += std::string(url.substr(at, pair.value_begin - at)) + "****";
      at = pair.value_end;
    }
    out += std::string(url.substr(at));
  }
  // What libpq reads as the password must not be in what is printed, in any spelling.
  auto pw = values->find("password");
  if (pw != values->end() && pw->second.size() >= 4 &&
      (out.find(pw->second) != std::string::npos ||
       out.find(percent_encode(pw->second)) != std::string::npos)) {
    return uri ? std::string(url.substr(0, url.find("://") + 3)) + kHidden : std::string(kHidden);
  }
  return out;
}

Result<std::string> url_database_name(std::string_view url) {
  TANDEM_ASSIGN_OR_RETURN(Url parsed, parse_url(url));
  if (parsed.backend != Backend::kPostgres)
    return Status::InvalidInput("a database name exists on PostgreSQL only");
  TANDEM_ASSIGN_OR_RETURN(auto values, libpq_values(url));
  auto name = values.find("dbname");
  return name == values.end() ? std::string() : name->second;
}

Result<std::string> with_session_options(std::string_view url, const std::string& extra) {
  TANDEM_ASSIGN_OR_RETURN(Url parsed, parse_url(url));
  if (parsed.backend != Backend::kPostgres)
    return Status::InvalidInput("session options exist on PostgreSQL only");
  TANDEM_ASSIGN_OR_RETURN(auto values, libpq_values(url));
  std::string options = values.count("options") ? values["options"] + " " + extra : extra;
  if (is_uri(url)) {
    std::string out = rewrite_query(url, "options", std::nullopt);
    return out + (split_uri(out).query == std::string::npos ? "?" : "&") +
           "options=" + percent_encode(options);
  }
  // key=value: drop the old options pair, append the merged one in libpq's quoting.
  std::string out;
  size_t at = 0;
  for (const Pair& pair : split_keywords(url)) {
    if (pair.key != "options") continue;
    size_t key_begin = url.rfind("options", pair.value_begin);
    out += std::string(url.substr(at, key_begin - at));
    at = pair.value_end;
  }
  out += std::string(url.substr(at));
  std::string quoted = "'";
  for (char c : options) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  return out + " options=" + quoted + "'";
}

}  // namespace tandem::db
