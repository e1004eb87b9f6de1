// The backend-neutral connect(), transactions, literals and reading numbers from rows.

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

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

std::optional<long long> to_integer(std::string_view text) {
  std::string s(text);
  if (s.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

Result<long long> Rows::integer(size_t row, size_t col) const {
  std::string v = row < rows.size() && col < rows[row].size() ? text(row, col) : "";
  if (auto n = to_integer(v)) return *n;
  return Status::Database(
      fmt::format("column {} holds '{}', not a whole number",
                  col < columns.size() ? columns[col] : std::to_string(col), v.substr(0, 40)),
      "", "tandem's state looks damaged; `tandem status` shows what it reads");
}

Result<double> Rows::number(size_t row, size_t col) const {
  std::string v = row < rows.size() && col < rows[row].size() ? text(row, col) : "";
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || errno != 0 || end != v.c_str() + v.size()) {
    return Status::Database(fmt::format("column {} holds '{}', not a number",
                                        col < columns.size() ? columns[col] : std::to_string(col),
                                        v.substr(0, 40)));
  }
  return d;
}

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
