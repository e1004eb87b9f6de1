// URL parsing, redaction and the backend-neutral connect().

#include <fmt/format.h>

#include <regex>

#include "db/postgres/pg_connection.h"
#include "db/sqlite/sqlite_connection.h"
#include "tandem/db.h"

namespace tandem::db {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<Url> parse_url(std::string_view url) {
  if (url.empty()) {
    return Status::InvalidInput("empty database URL",
                                "pass --db postgres://user@host/db or --db sqlite:FILE");
  }
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://")) {
    return Url{Backend::kPostgres, std::string(url)};
  }
  if (starts_with(url, "sqlite:")) {
    std::string_view rest = url.substr(7);
    if (starts_with(rest, "//")) rest = rest.substr(2);
    if (rest.empty()) {
      return Status::InvalidInput("sqlite URL has no file", "write sqlite:PATH or sqlite::memory:");
    }
    return Url{Backend::kSqlite, std::string(rest)};
  }
  // A libpq keyword/value string ("host=/tmp dbname=app") is accepted as is.
  if (url.find('=') != std::string_view::npos && url.find("://") == std::string_view::npos) {
    return Url{Backend::kPostgres, std::string(url)};
  }
  return Status::InvalidInput(
      fmt::format("unsupported database URL '{}'", redact_url(url)),
      "use postgres://user@host:5432/db, postgresql://…, sqlite:PATH or sqlite::memory:");
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  // scheme://user:password@host → scheme://user:****@host
  static const std::regex kUserinfo(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@?#]*):[^@/?#]*@)");
  out = std::regex_replace(out, kUserinfo, "$1:****@");
  // ?password=… or &password=… in the query string, and password=… in a keyword string
  static const std::regex kParam(R"((^|[?&\s])(password\s*=\s*)('[^']*'|[^&\s]*))");
  out = std::regex_replace(out, kParam, "$1$2****");
  return out;
}

Result<std::unique_ptr<Connection>> connect(std::string_view url, const ConnectOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(Url parsed, parse_url(url));
  if (parsed.backend == Backend::kPostgres) return PgConnection::open(parsed.target, options);
  return SqliteConnection::open(parsed.target, options);
}

std::string quote_ident(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace tandem::db
