#include "pg_server.h"

#include <stdlib.h>

#include <stdexcept>

#include "tandem/db.h"
#include "test_util.h"

namespace tandem::testing {
namespace {

// Runs a function of scripts/pg-harness.sh; throws with its output when it fails.
void harness(const std::string& call) {
  auto r = run_program("/bin/bash", {"-c", std::string("source '") + TANDEM_SOURCE_DIR +
                                               "/scripts/pg-harness.sh' && " + call});
  if (r.code != 0) throw std::runtime_error(call + " failed: " + r.err + r.out);
}

std::string new_dir() {
  std::string tmpl = "/tmp/tandem-pgsrv.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

}  // namespace

std::unique_ptr<PgServer> PgServer::start(int port) {
  std::unique_ptr<PgServer> s(new PgServer(new_dir(), port));
  harness("pg_server_start '" + s->dir_ + "' " + std::to_string(port));
  return s;
}

std::unique_ptr<PgServer> PgServer::replica_of_harness(int port) {
  const char* host = std::getenv("TANDEM_TEST_PG_HOST");
  const char* primary_port = std::getenv("TANDEM_TEST_PG_PORT");
  if (!host || !primary_port) throw std::runtime_error("TANDEM_TEST_PG_HOST/PORT are not set");
  std::unique_ptr<PgServer> s(new PgServer(new_dir(), port));
  harness("pg_replica_start '" + s->dir_ + "' " + std::to_string(port) + " '" + host + "' " +
          primary_port);
  return s;
}

PgServer::~PgServer() {
  try {
    harness("pg_server_stop '" + dir_ + "'");
  } catch (...) {
  }
}

std::string PgServer::url(const std::string& db) const {
  return "postgresql://postgres@/" + db + "?host=" + dir_ + "&port=" + std::to_string(port_);
}

std::string PgServer::create_database(const std::string& name) const {
  auto c = db::connect(url());
  if (!c.ok()) throw std::runtime_error(c.status().message());
  Status st =
      (*c)->execute_script("CREATE DATABASE " + db::quote_ident(name) + " TEMPLATE template0");
  if (!st.ok()) throw std::runtime_error(st.message());
  return url(name);
}

std::string PgServer::value(const std::string& db, const std::string& sql) const {
  auto c = db::connect(url(db));
  if (!c.ok()) throw std::runtime_error(c.status().message());
  auto r = (*c)->query(sql);
  if (!r.ok()) throw std::runtime_error(sql + ": " + r.status().message());
  return r->empty() || r->columns.empty() ? "" : r->text(0, 0);
}

}  // namespace tandem::testing
