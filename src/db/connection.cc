// URL parsing, redaction and the backend-neutral connect().

#include <fmt/format.h>

#include "db/postgres/pg_connection.h"
#include "db/sqlite/sqlite_connection.h"
#include "db/utf8.h"
#include "tandem/db.h"

namespace tandem::db {

Result<std::unique_ptr<Connection>> connect(std::string_view url, const ConnectOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(Url parsed, parse_url(url));
  if (parsed.backend == Backend::kPostgres) return PgConnection::open(parsed.target, options);
  return SqliteConnection::open(parsed.target, options);
}

namespace {

class OfflineDialect final : public Dialect {
 public:
  explicit OfflineDialect(Backend b) : backend_(b) {}
  Backend backend() const override { return backend_; }
  Result<std::string> literal(std::string_view text) const override {
    if (text.find('\0') != std::string_view::npos)
      return Status::InvalidInput("a SQL literal cannot hold a NUL byte");
    bool pg = backend_ == Backend::kPostgres;
    if (pg && !utf8::valid(text))
      return Status::InvalidInput("cannot write a SQL literal: the text is not valid UTF-8");
    // PQescapeLiteral's rules: quotes doubled; with a backslash, an E'' string whose
    // backslashes are doubled — the same value whatever standard_conforming_strings says.
    bool backslash = pg && text.find('\\') != std::string_view::npos;
    std::string out = backslash ? "E'" : "'";
    for (char c : text) {
      if (c == '\'' || (backslash && c == '\\')) out += c;
      out += c;
    }
    return out + "'";
  }

 private:
  Backend backend_;
};

}  // namespace

const Dialect& offline_dialect(Backend backend) {
  static const OfflineDialect pg(Backend::kPostgres), sqlite(Backend::kSqlite);
  return backend == Backend::kPostgres ? static_cast<const Dialect&>(pg) : sqlite;
}

Result<Transaction> Transaction::begin(Connection& conn, std::string_view begin_sql) {
  TANDEM_RETURN_IF_ERROR(conn.execute(begin_sql));
  return Transaction(conn);
}

Transaction::~Transaction() { rollback(); }

Status Transaction::commit() {
  if (conn_ == nullptr) return Status::Database("transaction already ended");
  Connection* c = conn_;
  conn_ = nullptr;
  Status st = c->execute("COMMIT");
  // A failed COMMIT (PostgreSQL: a deferred constraint) leaves nothing open to roll back;
  // SQLite keeps the transaction open when COMMIT is busy.
  if (!st.ok() && c->backend() == Backend::kSqlite) (void)c->execute("ROLLBACK");
  return st;
}

void Transaction::rollback() {
  if (conn_ == nullptr) return;
  (void)conn_->execute("ROLLBACK");
  conn_ = nullptr;
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
