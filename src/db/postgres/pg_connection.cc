// PostgreSQL Connection over libpq.

#include "db/postgres/pg_connection.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstdlib>

namespace tandem::db {
namespace {

// Builds a Status from a failed PGresult: primary message, detail, hint, SQLSTATE, position.
Status error_from_result(PGresult* res, PGconn* conn) {
  auto field = [res](int code) -> std::string {
    const char* v = res ? PQresultErrorField(res, code) : nullptr;
    return v ? v : "";
  };
  std::string primary = field(PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty()) {
    primary = PQerrorMessage(conn);
    while (!primary.empty() && (primary.back() == '\n' || primary.back() == ' '))
      primary.pop_back();
  }
  std::string sqlstate = field(PG_DIAG_SQLSTATE);
  std::string msg = primary;
  if (std::string detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty())
    msg += " (" + detail + ")";
  if (!sqlstate.empty()) msg += " [SQLSTATE " + sqlstate + "]";
  Status st = Status::Database(msg, sqlstate, field(PG_DIAG_MESSAGE_HINT));
  if (std::string pos = field(PG_DIAG_STATEMENT_POSITION); !pos.empty()) {
    st = st.with_position(std::atoi(pos.c_str()));
  }
  return st;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

void ignore_notice(void*, const char*) {}

}  // namespace

PgConnection::PgConnection(PGconn* conn, std::string description)
    : conn_(conn), description_(std::move(description)) {
  // Server NOTICEs ("schema already exists, skipping") are not for the user's terminal.
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Result<std::unique_ptr<Connection>> PgConnection::open(const std::string& conninfo,
                                                       const ConnectOptions& options) {
  // Pass the URL/conninfo through libpq untouched (sslmode, host=/socket/dir, service files all
  // work) and add fallback_application_name so a user-set application_name still wins. The
  // connect_timeout comes before the URL, which may set its own (a later key wins); an empty
  // value is left to libpq.
  // A second dbname (options.dbname) is taken as a plain name — libpq expands only the first —
  // and, coming later, wins over the URL's: the URL and its password are never rewritten.
  std::string timeout =
      options.connect_timeout_s > 0 ? std::to_string(options.connect_timeout_s) : "";
  bool other_db = !options.dbname.empty();
  const char* keys[] = {"connect_timeout", "dbname", "fallback_application_name",
                        other_db ? "dbname" : nullptr, nullptr};
  const char* values[] = {timeout.c_str(), conninfo.c_str(), options.application_name.c_str(),
                          other_db ? options.dbname.c_str() : nullptr, nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  std::string redacted = redact_url(conninfo);
  if (other_db) redacted += fmt::format(" (database {})", options.dbname);
  if (conn == nullptr) return Status::Database("out of memory connecting to " + redacted);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return Status::Database(fmt::format("cannot connect to {}: {}", redacted, err), "08006",
                            "check that the server is running and that --db (or DATABASE_URL) "
                            "names the right host, port, database and user");
  }
  return std::unique_ptr<Connection>(new PgConnection(conn, redacted));
}

Status PgConnection::execute(std::string_view sql) {
  std::string text(sql);
  // The extended protocol (unlike PQexec's simple query) refuses a second statement.
  ResultPtr res(PQexecParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
  return finish_execute(res.release());
}

Status PgConnection::execute_script(std::string_view sql) {
  std::string text(sql);
  return finish_execute(PQexec(conn_, text.c_str()));
}

Result<std::string> PgConnection::literal(std::string_view text) const {
  char* out = PQescapeLiteral(conn_, text.data(), text.size());
  if (out == nullptr) {
    std::string err = PQerrorMessage(conn_);
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return Status::InvalidInput("cannot write a SQL literal: " + err,
                                "the text must be valid in the database's encoding");
  }
  std::string quoted = out;
  PQfreemem(out);
  if (!quoted.empty() && quoted.front() == ' ') quoted.erase(0, 1);  // " E'…'" for backslashes
  return quoted;
}

Status PgConnection::finish_execute(PGresult* raw) {
  ResultPtr res(raw);
  ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
    return Status::Ok();
  if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
    // COPY FROM STDIN cannot be fed from a migration file; drain and refuse.
    while ((res = ResultPtr(PQgetResult(conn_)))) {
    }
    return Status::InvalidInput("COPY … FROM STDIN / TO STDOUT cannot run from a migration",
                                "load data with INSERT statements or COPY from a server-side file");
  }
  return error_from_result(res.get(), conn_);
}

Result<Rows> PgConnection::query(std::string_view sql, const std::vector<Param>& params) {
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  // Statements with parameters are prepared once per connection and reused: the history
  // writes run once per migration, and parse/plan time would otherwise dominate them.
  ResultPtr res;
  for (int attempt = 0; !params.empty() && attempt < 2; ++attempt) {
    auto it = prepared_.find(text);
    if (it == prepared_.end()) {
      std::string name = "tandem_" + std::to_string(next_prepared_++);
      ResultPtr prep(
          PQprepare(conn_, name.c_str(), text.c_str(), static_cast<int>(values.size()), nullptr));
      if (!prep || PQresultStatus(prep.get()) != PGRES_COMMAND_OK)
        return error_from_result(prep.get(), conn_);
      it = prepared_.emplace(text, name).first;
    }
    res.reset(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()),
                             values.data(), nullptr, nullptr, 0));
    // A migration that ran DISCARD ALL / DEALLOCATE ALL dropped it: prepare it again once.
    const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    if (state == nullptr || std::string_view(state) != "26000") break;
    prepared_.clear();
  }
  if (params.empty()) {
    res.reset(PQexecParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
  }
  ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return error_from_result(res.get(), conn_);
  Rows rows;
  int ncols = PQnfields(res.get());
  int nrows = PQntuples(res.get());
  rows.columns.reserve(ncols);
  for (int c = 0; c < ncols; ++c) rows.columns.emplace_back(PQfname(res.get(), c));
  rows.rows.resize(nrows);
  for (int r = 0; r < nrows; ++r) {
    rows.rows[r].reserve(ncols);
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        rows.rows[r].emplace_back(std::nullopt);
      } else {
        rows.rows[r].emplace_back(
            std::string(PQgetvalue(res.get(), r, c), PQgetlength(res.get(), r, c)));
      }
    }
  }
  return rows;
}

int PgConnection::server_version() const { return PQserverVersion(conn_); }

int PgConnection::backend_pid() const { return PQbackendPID(conn_); }

}  // namespace tandem::db
