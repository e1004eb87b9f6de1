#pragma once
// SQLite implementation of tandem::db::Connection (sqlite3).

#include <sqlite3.h>

#include <unordered_map>

#include "tandem/db.h"

namespace tandem::db {

class SqliteConnection final : public Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                  const ConnectOptions& options);
  ~SqliteConnection() override;

  Backend backend() const override { return Backend::kSqlite; }
  Status execute(std::string_view sql) override;
  Status execute_script(std::string_view sql) override;
  Result<std::string> literal(std::string_view text) const override;
  Result<Rows> query(std::string_view sql, const std::vector<Param>& params) override;
  std::string describe() const override { return "sqlite:" + path_; }

 private:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status error(int rc, int offset = -1) const;
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;  // query() statements, by SQL text
};

}  // namespace tandem::db
