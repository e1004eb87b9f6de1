// Why a dedicated connection: CREATE INDEX CONCURRENTLY waits for every transaction that
// could see the table, including one holding a transaction-level advisory lock on the same
// connection — the Flyway/golang-migrate deadlock. A session lock on a separate, idle
// connection is never inside a transaction, so it can never be waited on.
//
// Why the keep-alive: an idle connection is exactly what `idle_session_timeout` (PostgreSQL
// 14+) and connection poolers end. The lock connection turns those timeouts off for itself
// and is pinged by a heartbeat, and check() proves the lock is still held before each write.

#include "engine/advisory_lock.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace tandem {

namespace {

const char* kHeldSql =
    "SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid() AND objsubid = 1 AND classid = ($1::bigint >> 32)::oid "
    "AND objid = ($1::bigint & 4294967295)::oid";

}  // namespace

AdvisoryLock::AdvisoryLock(std::unique_ptr<db::Connection> conn) : conn_(std::move(conn)) {}

Result<std::unique_ptr<AdvisoryLock>> AdvisoryLock::acquire(
    const std::string& url, const db::ConnectOptions& connect, int wait_ms,
    const std::function<void(const std::string&)>& log, int heartbeat_ms) {
  TANDEM_ASSIGN_OR_RETURN(db::Url parsed, db::parse_url(url));
  if (parsed.backend != db::Backend::kPostgres)
    return std::unique_ptr<AdvisoryLock>(new AdvisoryLock(nullptr));
  TANDEM_ASSIGN_OR_RETURN(auto conn, db::connect(url, connect));
  // The lock lives as long as this session: no server-side timeout may end it while it idles.
  std::string keep = "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0;";
  if (conn->server_version() >= 140000) keep += "SET idle_session_timeout = 0;";
  TANDEM_RETURN_IF_ERROR(conn->execute_script(keep));
  auto start = std::chrono::steady_clock::now();
  int sleep_ms = 50;
  bool told = false;
  const std::string key = std::to_string(kKey);
  for (;;) {
    TANDEM_ASSIGN_OR_RETURN(
        db::Rows r,
        conn->query("SELECT pg_try_advisory_lock($1::bigint), pg_backend_pid()", {key}));
    if (r.text(0, 0) == "t") {
      std::unique_ptr<AdvisoryLock> lock(new AdvisoryLock(std::move(conn)));
      lock->pid_ = std::atoi(r.text(0, 1).c_str());
      if (heartbeat_ms > 0) {
        lock->heartbeat_ =
            std::thread([l = lock.get(), heartbeat_ms] { l->heartbeat(heartbeat_ms); });
      }
      return lock;
    }
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
  if (heartbeat_.joinable()) {
    {
      std::lock_guard<std::mutex> g(stop_mu_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    heartbeat_.join();
  }
  // Closing the session releases the lock even if the unlock call fails.
  std::lock_guard<std::mutex> g(mu_);
  if (conn_ && lost_.empty())
    (void)conn_->query("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(kKey)});
}

Status AdvisoryLock::ping_locked() {
  if (!conn_) return Status::Ok();
  if (lost_.empty()) {
    auto r = conn_->query(kHeldSql, {std::to_string(kKey)});
    if (!r.ok()) {
      lost_ = fmt::format("its connection (pid {}) failed: {}", pid_, r.status().message());
    } else if (r->text(0, 0) != "1") {
      lost_ = fmt::format("its connection (pid {}) no longer holds it", pid_);
    }
  }
  if (lost_.empty()) return Status::Ok();
  return Status::LockNotAcquired(
      "the migration lock was lost: " + lost_ + "; stopped before the next write",
      "another tandem may now hold the lock (`tandem status` names it); everything done so far "
      "is committed and recorded: run the same command again to continue from there");
}

Status AdvisoryLock::check() {
  std::lock_guard<std::mutex> g(mu_);
  return ping_locked();
}

void AdvisoryLock::heartbeat(int every_ms) {
  std::unique_lock<std::mutex> stop(stop_mu_);
  while (!stop_cv_.wait_for(stop, std::chrono::milliseconds(every_ms), [this] { return stop_; })) {
    std::lock_guard<std::mutex> g(mu_);
    if (!ping_locked().ok()) return;  // lost: check() reports it at the next step
  }
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
