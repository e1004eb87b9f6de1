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
  // The value as a whole number / a number; a Database error naming the column when it is not
  // one (a corrupted state row is reported, never thrown).
  Result<long long> integer(size_t row, size_t col) const;
  Result<double> number(size_t row, size_t col) const;
};

// `text` as a whole number, nullopt when it is not exactly one.
std::optional<long long> to_integer(std::string_view text);

// The parsed form of a `--db` URL.
struct Url {
  Backend backend = Backend::kSqlite;
  std::string target;  // libpq conninfo/URL, or the SQLite file path (":memory:" allowed)
};

// Parses `postgres://…`, `postgresql://…`, a libpq "key=value" string, `sqlite:PATH`,
// `sqlite://PATH` and `sqlite::memory:`. Errors name the accepted forms.
Result<Url> parse_url(std::string_view url);

// The URL with the password replaced by "****", safe to print: the password is found with
// libpq's own parser, wherever it is written (user part, ?password=, password='…'); a URL libpq
// cannot read, or reads ambiguously, is not shown at all.
std::string redact_url(std::string_view url);

// The database a PostgreSQL URL (or key=value string) names — the URI's path, ?dbname= or
// dbname=, decoded by libpq's own parser; "" when it names none (libpq would then use
// PGDATABASE or the user name).
Result<std::string> url_database_name(std::string_view url);

// A PostgreSQL URL (or key=value string, kept in its form) whose `options` also carry `extra`
// ("-c search_path=public_2"): merged with options the URL already has, never a second one.
Result<std::string> with_session_options(std::string_view url, const std::string& extra);

struct ConnectOptions {
  // Shown in pg_stat_activity so a blocked colleague can see who holds a lock.
  std::string application_name = "tandem";
  // SQLite: how long a writer waits for another writer before giving up.
  int busy_timeout_ms = 5000;
  // PostgreSQL: seconds to wait for the server to answer a connection attempt. A
  // connect_timeout in the URL wins; 0 leaves it to libpq (PGCONNECT_TIMEOUT, else no limit).
  int connect_timeout_s = 10;
  // SQLite: create the file when it does not exist. Read-only commands (status, plan,
  // validate) pass false: a mistyped path is an error naming it, not a new empty database.
  bool create = true;
  // PostgreSQL: connect to this database instead of the one the URL names, with everything
  // else (host, port, user, password, sslmode, …) as the URL has it — the URL itself is not
  // rewritten. "" connects to the URL's own database. (`tandem db create` connects to the
  // maintenance database `postgres` this way.)
  std::string dbname;
};

// How SQL text is written for one backend: what generated statements need to embed values.
class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual Backend backend() const = 0;
  // `text` as a string literal, escaped by the driver (PQescapeLiteral / sqlite3_mprintf %Q):
  // correct whatever standard_conforming_strings says. Invalid encodings are an error.
  virtual Result<std::string> literal(std::string_view text) const = 0;
};

// A Dialect without a connection, for planning and tests: PostgreSQL literals follow
// PQescapeLiteral's rules (E'…' with doubled backslashes when the text has one), SQLite's
// sqlite3_mprintf("%Q").
const Dialect& offline_dialect(Backend backend);

// An open database session. Not thread-safe; one per thread.
class Connection : public Dialect {
 public:
  ~Connection() override = default;

  // Runs exactly one SQL statement without parameters. Text holding a second statement is
  // refused before anything runs (PostgreSQL: the extended protocol refuses it; SQLite: the
  // text after the first statement must be empty), so nothing tandem generates can smuggle in
  // a statement of its own.
  virtual Status execute(std::string_view sql) = 0;

  // Runs every statement of `sql` in order. Only for tandem's own fixed SQL (its state
  // tables' DDL, session settings) — never for text built from input.
  virtual Status execute_script(std::string_view sql) = 0;

  // Runs one statement with bound parameters ($1, $2, … on both backends) and returns its rows.
  virtual Result<Rows> query(std::string_view sql, const std::vector<Param>& params = {}) = 0;

  // Redacted description of the target, for messages.
  virtual std::string describe() const = 0;

  // PostgreSQL's version as a number (150018 for 15.18), known from connecting; 0 on SQLite.
  virtual int server_version() const { return 0; }
};

// A transaction that rolls back when it goes out of scope uncommitted — on every error path,
// without a hand-written ROLLBACK.
class Transaction {
 public:
  // `begin_sql`: "BEGIN" by default; "BEGIN IMMEDIATE" takes SQLite's write lock at once,
  // "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" a snapshot on PostgreSQL.
  static Result<Transaction> begin(Connection& conn, std::string_view begin_sql = "BEGIN");
  Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();
  // Rolls back now (the destructor does it too); ok when already ended.
  void rollback();
  bool active() const { return conn_ != nullptr; }

 private:
  explicit Transaction(Connection& conn) : conn_(&conn) {}
  Connection* conn_;
};

// Opens a connection; the error names the redacted URL and what to check.
Result<std::unique_ptr<Connection>> connect(std::string_view url,
                                            const ConnectOptions& options = {});

// Fragments: pieces of SQL a declarative migration supplies (a column's type, a default, a
// CHECK, an index predicate, `up`/`down`/`where` expressions, storage parameters) that tandem
// embeds into the statements it generates. Each is checked by the parser of the database that
// will run it as exactly one type name / expression / option list, written the way tandem
// embeds it — so `text; DROP TABLE keep`, or a trailing `-- comment` that would swallow the
// rest of a statement, is refused before anything runs.
enum class FragmentKind {
  kTypeName,       // "bigint", "varchar(20)", "numeric(10,2)[]"
  kExpression,     // embedded as `(expr)`: CHECK, WHERE, SET … = , trigger assignments
  kColumnDefault,  // a column's default: `(expr)` on PostgreSQL; as written on SQLite, whose
                   // ALTER TABLE ADD COLUMN refuses a parenthesised default
  kStorageParams,  // "fillfactor = 70, deduplicate_items = off" (PostgreSQL only)
  kName,           // a table, column, index, constraint or type name the file gives (quoted
                   // by tandem): on PostgreSQL at most 63 bytes, which it keeps whole
};

// Ok when `text` is exactly one fragment of `kind` for `backend` (PostgreSQL: libpg_query,
// PostgreSQL 15's own parser; SQLite: sqlite3_prepare on a private in-memory database);
// otherwise InvalidInput saying what it is not. Never touches a user database.
Status check_fragment(Backend backend, FragmentKind kind, std::string_view text);

// What a fragment of `kind` is called in messages ("type name", "SQL expression", …).
const char* fragment_kind_name(FragmentKind kind);

// Quotes an identifier for either backend ("a""b").
std::string quote_ident(std::string_view ident);

}  // namespace tandem::db
