// SQLite Connection over the sqlite3 C API.

#include "db/sqlite/sqlite_connection.h"

#include <fmt/format.h>

#include <charconv>

namespace tandem::db {
namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

}  // namespace

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Connection>> SqliteConnection::open(const std::string& path,
                                                           const ConnectOptions& options) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  if (options.create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string err = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    if (!options.create && (rc & 0xff) == SQLITE_CANTOPEN) {
      return Status::InvalidInput(
          fmt::format("sqlite:{}: no such database file (this command only reads, so it does "
                      "not create one)",
                      path),
          "check the path in --db / DATABASE_URL; `tandem init` or `tandem up` creates the file");
    }
    return Status::Database(fmt::format("cannot open sqlite:{}: {}", path, err),
                            fmt::format("SQLITE_{}", rc),
                            "check that the folder exists and is writable");
  }
  sqlite3_extended_result_codes(db, 1);
  // A second writer waits this long for the write lock instead of failing at once.
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  return std::unique_ptr<Connection>(new SqliteConnection(db, path));
}

Status SqliteConnection::error(int rc, int offset) const {
  std::string msg = sqlite3_errmsg(db_);
  Status st = Status::Database(fmt::format("{} [SQLITE_{}]", msg, rc & 0xff),
                               fmt::format("SQLITE_{}", rc & 0xff));
  if (offset >= 0) st = st.with_position(offset + 1);
  return st;
}

Status SqliteConnection::execute(std::string_view sql) {
  const char* end = sql.data() + sql.size();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return error(rc, sqlite3_error_offset(db_));
  if (tail != nullptr && tail < end) {
    // Whatever follows the first statement must be nothing but whitespace and comments.
    sqlite3_stmt* next = nullptr;
    int rc2 = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &next, nullptr);
    sqlite3_finalize(next);
    if (rc2 != SQLITE_OK || next != nullptr) {
      return Status::InvalidInput(
          fmt::format("refused to run text holding more than one statement: {}",
                      std::string(sql.substr(0, 200))),
          "each statement must run on its own; check the migration for a stray `;`");
    }
  }
  if (!stmt) return Status::Ok();
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return error(rc);
  return Status::Ok();
}

Result<std::string> SqliteConnection::literal(std::string_view text) const {
  return offline_dialect(Backend::kSqlite).literal(text);
}

Status SqliteConnection::execute_script(std::string_view sql) {
  // SQLite's own prepare-with-tail walks the text statement by statement, so quoted
  // semicolons, comments and trigger bodies are handled by the real tokenizer.
  const char* begin = sql.data();
  const char* end = sql.data() + sql.size();
  while (begin < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, begin, static_cast<int>(end - begin), &raw, &tail);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) {
      int off = sqlite3_error_offset(db_);
      return error(rc, off >= 0 ? static_cast<int>(begin - sql.data()) + off : -1);
    }
    if (stmt) {
      while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      }
      if (rc != SQLITE_DONE) return error(rc);
    }
    if (tail == nullptr || tail == begin) break;
    begin = tail;
  }
  return Status::Ok();
}

Result<Rows> SqliteConnection::query(std::string_view sql, const std::vector<Param>& params) {
  // Prepared statements are cached per connection (the history writes run once per
  // migration) and reset after every use, so none keeps a read transaction open.
  std::string key(sql);
  sqlite3_stmt* raw = nullptr;
  if (auto it = cache_.find(key); it != cache_.end()) {
    raw = it->second;
  } else {
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) return error(rc, sqlite3_error_offset(db_));
    if (raw == nullptr) return Rows{};
    cache_.emplace(key, raw);
  }
  struct Reset {
    sqlite3_stmt* s;
    ~Reset() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } reset{raw};
  sqlite3_stmt* stmt_ptr = raw;
  int rc = SQLITE_OK;
  for (size_t i = 0; i < params.size(); ++i) {
    // Parameters are written $1, $2 … as on PostgreSQL; SQLite numbers them by first use, so
    // look each one up by name.
    std::string name = fmt::format("${}", i + 1);
    int idx = sqlite3_bind_parameter_index(stmt_ptr, name.c_str());
    if (idx == 0) continue;
    rc = params[i] ? sqlite3_bind_text(stmt_ptr, idx, params[i]->data(),
                                       static_cast<int>(params[i]->size()), SQLITE_TRANSIENT)
                   : sqlite3_bind_null(stmt_ptr, idx);
    if (rc != SQLITE_OK) return error(rc);
  }
  Rows rows;
  int ncols = sqlite3_column_count(stmt_ptr);
  for (int c = 0; c < ncols; ++c) rows.columns.emplace_back(sqlite3_column_name(stmt_ptr, c));
  while ((rc = sqlite3_step(stmt_ptr)) == SQLITE_ROW) {
    auto& row = rows.rows.emplace_back();
    row.reserve(ncols);
    for (int c = 0; c < ncols; ++c) {
      int type = sqlite3_column_type(stmt_ptr, c);
      if (type == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
      } else if (type == SQLITE_INTEGER) {
        // The text sqlite3_column_text would give ("%lld"), without SQLite converting the
        // value (and allocating) inside the statement: most of tandem's history columns.
        char buf[24];
        auto end = std::to_chars(buf, buf + sizeof buf, sqlite3_column_int64(stmt_ptr, c)).ptr;
        row.emplace_back(std::string(buf, end));
      } else {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_ptr, c));
        row.emplace_back(std::string(text, sqlite3_column_bytes(stmt_ptr, c)));
      }
    }
  }
  if (rc != SQLITE_DONE) return error(rc);
  return rows;
}

}  // namespace tandem::db
