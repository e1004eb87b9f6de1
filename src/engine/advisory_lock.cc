// Why a dedicated connection: CREATE INDEX CONCURRENTLY waits for every transaction that
// could see the table, including one holding a transaction-level advisory lock on the same
// connection — the Flyway/golang-migrate deadlock. A session lock on a separate, idle
// connection is never inside a transaction, so it can never be waited on.

#include "engine/advisory_lock.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace tandem {

Result<std::unique_ptr<AdvisoryLock>> AdvisoryLock::acquire(
    const std::string& url, const std::string& app_name, int wait_ms,
    const std::function<void(const std::string&)>& log) {
  TANDEM_ASSIGN_OR_RETURN(db::Url parsed, db::parse_url(url));
  if (parsed.backend != db::Backend::kPostgres)
    return std::unique_ptr<AdvisoryLock>(new AdvisoryLock(nullptr));
  db::ConnectOptions copts;
  copts.application_name = app_name;
  TANDEM_ASSIGN_OR_RETURN(auto conn, db::connect(url, copts));
  auto start = std::chrono::steady_clock::now();
  int sleep_ms = 50;
  bool told = false;
  const std::string key = std::to_string(kKey);
  for (;;) {
    TANDEM_ASSIGN_OR_RETURN(db::Rows r,
                            conn->query("SELECT pg_try_advisory_lock($1::bigint)", {key}));
    if (r.text(0, 0) == "t")
      return std::unique_ptr<AdvisoryLock>(new AdvisoryLock(std::move(conn)));
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    if (waited >= wait_ms) {
      TANDEM_ASSIGN_OR_RETURN(std::string who, holder(*conn));
      return Status::LockNotAcquired(
          fmt::format("another migration holds the lock on {} ({}); gave up after {} ms",
                      conn->describe(), who.empty() ? "holder already gone" : who, waited),
          "wait for it to finish, raise --lock-wait, or if that process is stuck end it with "
          "SELECT pg_terminate_backend(<pid>)");
    }
    if (!told && waited >= 1000 && log) {
      auto who = holder(*conn);
      log(fmt::format("waiting for the migration lock held by {}",
                      who.ok() ? *who : "another session"));
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    sleep_ms = std::min(sleep_ms * 2, 500);
  }
}

AdvisoryLock::~AdvisoryLock() {
  // Closing the session releases the lock even if the unlock call fails.
  if (conn_) (void)conn_->query("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(kKey)});
}

Result<std::string> AdvisoryLock::holder(db::Connection& conn) {
  TANDEM_ASSIGN_OR_RETURN(
      db::Rows r,
      conn.query(
          "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), "
          "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
          "coalesce(host(a.client_addr), 'local socket') "
          "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
          "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
          "AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid "
          "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = "
          "current_database())",
          {std::to_string(kKey)}));
  if (r.empty()) return std::string();
  return fmt::format("pid {}, application_name '{}', user {}, from {}, connected since {}",
                     r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 4), r.text(0, 3));
}

}  // namespace tandem
