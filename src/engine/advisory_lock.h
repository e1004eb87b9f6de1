#pragma once
// The migration lock. PostgreSQL: a session-level advisory lock on its own connection,
// outside any migration transaction. SQLite: nothing here; each step runs under
// BEGIN IMMEDIATE instead (see apply.cc).

#include <functional>
#include <memory>
#include <string>

#include "tandem/db.h"
#include "tandem/status.h"

namespace tandem {

class AdvisoryLock {
 public:
  // The advisory lock key: 'tand' 'em' 0001.
  static constexpr long long kKey = (0x74616e64LL << 32) | 0x656d0001LL;

  // Polls pg_try_advisory_lock until it succeeds or `wait_ms` passes. On timeout the error
  // names the holder (pid, application_name, user, since when). For SQLite returns a no-op lock.
  static Result<std::unique_ptr<AdvisoryLock>> acquire(
      const std::string& url, const std::string& app_name, int wait_ms,
      const std::function<void(const std::string&)>& log);
  ~AdvisoryLock();

  // Describes who holds the lock now, or "" when nobody does (read-only; PostgreSQL only).
  static Result<std::string> holder(db::Connection& conn);

 private:
  explicit AdvisoryLock(std::unique_ptr<db::Connection> conn) : conn_(std::move(conn)) {}
  std::unique_ptr<db::Connection> conn_;
};

}  // namespace tandem
