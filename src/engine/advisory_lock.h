#pragma once
// The migration lock. PostgreSQL: a session-level advisory lock on its own connection,
// outside any migration transaction. SQLite: nothing here; each step runs under
// BEGIN IMMEDIATE instead (see apply.cc).
//
// A lock that is lost silently is worse than none: two processes then run the same
// non-idempotent backfill. So the lock connection is kept alive (no idle timeouts, a
// heartbeat), `check()` is asked before every step and every batch, and writers also fence
// their transactions with the lock epoch (Session::fence) so a batch already in flight when the
// lock changes hands can never commit after the new holder read the state.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tandem/db.h"
#include "tandem/status.h"

namespace tandem {

class AdvisoryLock {
 public:
  // The advisory lock key: 'tand' 'em' 0001.
  static constexpr long long kKey = (0x74616e64LL << 32) | 0x656d0001LL;

  // Polls pg_try_advisory_lock until it succeeds or `wait_ms` passes. On timeout the error
  // names the holder (pid, application_name, user, since when). For SQLite returns a no-op lock.
  // `heartbeat_ms` > 0 starts a thread that pings the lock connection that often.
  static Result<std::unique_ptr<AdvisoryLock>> acquire(
      const std::string& url, const db::ConnectOptions& connect, int wait_ms,
      const std::function<void(const std::string&)>& log, int heartbeat_ms = 5000);
  ~AdvisoryLock();

  // Ok while this process still holds the lock; otherwise a LockNotAcquired status saying how
  // it was lost (the lock connection closed or was terminated). Asks the server each time, so
  // a lost lock is noticed before the next write. Always ok for SQLite's no-op lock.
  Status check();

  // The backend pid of the lock connection (0 for SQLite).
  int pid() const { return pid_; }

  // Describes who holds the lock now, or "" when nobody does (read-only; PostgreSQL only).
  static Result<std::string> holder(db::Connection& conn);

 private:
  explicit AdvisoryLock(std::unique_ptr<db::Connection> conn);
  // Runs the held-lock query; the caller holds mu_.
  Status ping_locked();
  void heartbeat(int every_ms);

  std::unique_ptr<db::Connection> conn_;
  int pid_ = 0;
  std::mutex mu_;     // the lock connection is shared by check() and the heartbeat thread
  std::string lost_;  // why the lock was lost, "" while held; guarded by mu_
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread heartbeat_;
};

}  // namespace tandem
