#pragma once
// PostgreSQL servers of a test's own, besides the one scripts/pg-harness.sh starts for the whole
// run: more servers (a fleet on several servers) and streaming replicas of the harness server
// (replication lag). Started with the harness's own functions; stopped and removed when the
// object goes away.

#include <memory>
#include <string>

namespace tandem::testing {

class PgServer {
 public:
  // A new, empty server on its own socket directory (no TCP). Throws when it cannot start.
  static std::unique_ptr<PgServer> start(int port);
  // A streaming replica of the harness server (TANDEM_TEST_PG_HOST/PORT), made with
  // pg_basebackup -R and reporting to it every second.
  static std::unique_ptr<PgServer> replica_of_harness(int port);
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // The URL of database `db` on this server.
  std::string url(const std::string& db = "postgres") const;
  // Creates database `name` (template0) and returns its URL.
  std::string create_database(const std::string& name) const;
  // The first column of the first row of `sql` on database `db` ("" for none/NULL).
  std::string value(const std::string& db, const std::string& sql) const;
  const std::string& dir() const { return dir_; }

 private:
  PgServer(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}
  std::string dir_;
  int port_;
};

}  // namespace tandem::testing
