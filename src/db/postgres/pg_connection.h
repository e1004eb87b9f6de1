#pragma once
// PostgreSQL implementation of tandem::db::Connection (libpq).

#include <libpq-fe.h>

#include <unordered_map>

#include "tandem/db.h"

namespace tandem::db {

class PgConnection final : public Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const std::string& conninfo,
                                                  const ConnectOptions& options);
  ~PgConnection() override;

  Backend backend() const override { return Backend::kPostgres; }
  Status execute(std::string_view sql) override;
  Status execute_script(std::string_view sql) override;
  Result<std::string> literal(std::string_view text) const override;
  Result<Rows> query(std::string_view sql, const std::vector<Param>& params) override;
  std::string describe() const override { return description_; }

  // e.g. 150018 for 15.18.
  int server_version() const override;
  int backend_pid() const;

 private:
  PgConnection(PGconn* conn, std::string description);
  // Turns an execute result into a Status (takes ownership of `res`).
  Status finish_execute(PGresult* res);
  PGconn* conn_;
  std::string description_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text → prepared statement name
  unsigned next_prepared_ = 0;
};

}  // namespace tandem::db
