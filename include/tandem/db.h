#pragma once
// One Connection interface over PostgreSQL (libpq) and SQLite (sqlite3).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/status.h"

namespace tandem::db {

enum class Backend { kPostgres, kSqlite };

// A bound parameter value in text form; std::nullopt binds SQL NULL.
using Param = std::optional<std::string>;

// Rows of a query, every value in text form (NULL as std::nullopt).
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  // Value of column `col` in row `row`, or "" for NULL.
  std::string text(size_t row, size_t col) const { return rows[row][col].value_or(""); }
};

// The parsed form of a `--db` URL.
struct Url {
  Backend backend = Backend::kSqlite;
  std::string target;  // libpq conninfo/URL, or the SQLite file path (":memory:" allowed)
};

// Parses `postgres://…`, `postgresql://…`, a libpq "key=value" string, `sqlite:PATH`,
// `sqlite://PATH` and `sqlite::memory:`. Errors name the accepted forms.
Result<Url> parse_url(std::string_view url);

// The URL with any password replaced by "****", safe to print.
std::string redact_url(std::string_view url);

struct ConnectOptions {
  // Shown in pg_stat_activity so a blocked colleague can see who holds a lock.
  std::string application_name = "tandem";
  // SQLite: how long a writer waits for another writer before giving up.
  int busy_timeout_ms = 5000;
};

// An open database session. Not thread-safe; one per thread.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;

  // Runs SQL text without parameters. PostgreSQL: one simple-query round trip (several
  // statements allowed). SQLite: every statement of the text in order (prepare with tail).
  virtual Status execute(std::string_view sql) = 0;

  // Runs one statement with bound parameters ($1, $2, … on both backends) and returns its rows.
  virtual Result<Rows> query(std::string_view sql, const std::vector<Param>& params = {}) = 0;

  // Redacted description of the target, for messages.
  virtual std::string describe() const = 0;

  // PostgreSQL's version as a number (150018 for 15.18), known from connecting; 0 on SQLite.
  virtual int server_version() const { return 0; }
};

// Opens a connection; the error names the redacted URL and what to check.
Result<std::unique_ptr<Connection>> connect(std::string_view url,
                                            const ConnectOptions& options = {});

// Quotes an identifier for either backend ("a""b").
std::string quote_ident(std::string_view ident);

}  // namespace tandem::db
