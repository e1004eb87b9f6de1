// The migration lock must never be lost silently: a second `tandem up` that gets the lock while
// the first still runs its backfill would apply a non-idempotent `update` (n = n + 1) twice.
// Both ways the lock connection goes away in production are reproduced against the real
// PostgreSQL: a database-wide idle_session_timeout, and the lock connection terminated.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tandem/engine.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;
using namespace std::chrono_literals;

class LockLossTest : public ::testing::Test {
 protected:
  static constexpr int kRows = 20000;

  LockLossTest() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {
    dir_.write("0001_t.sql",
               "-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, n integer NOT NULL);\n"
               "INSERT INTO t SELECT g, g % 97 FROM generate_series(1, " +
                   std::to_string(kRows) + ") g;\n-- tandem:down\nDROP TABLE t;\n");
    EXPECT_TRUE(up(opts_, {}).ok());
    dir_.write("0002_bump.yaml", "operations:\n  - update: {table: t, set: {n: n + 1}}\n");
  }

  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> a = {"--db", db_.url(), "--dir", dir_.path()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  long long rows_done() const {
    if (db_.value("SELECT to_regclass('tandem.backfill_jobs') IS NOT NULL") != "t") return 0;
    return std::stoll(db_.value("SELECT coalesce(max(rows_done), 0) FROM tandem.backfill_jobs"));
  }
  template <typename F>
  bool eventually(F pred) const {
    for (int i = 0; i < 600; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  // Rows whose n is not exactly one more than it was: applied twice, or not at all.
  std::string wrong_rows() const {
    return db_.value("SELECT count(*) FROM t WHERE n <> id % 97 + 1");
  }

  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
  TempDir logs_;
};

// With idle_session_timeout = 1s on the database, the lock connection (idle while the backfill
// runs on the other one) used to be ended after a second, and a second `tandem up` then took
// the lock and ran the same backfill again. The lock connection now turns that timeout off.
TEST_F(LockLossTest, IdleSessionTimeoutDoesNotEndTheLock) {
  db_.exec("ALTER DATABASE " + db_.value("SELECT current_database()") +
           " SET idle_session_timeout = '1s'");
  // ~5 s of backfill at the cap, in batches of at most 500 rows.
  pid_t first =
      testing::spawn_tandem(args({"--batch-max", "500", "--max-rows-per-second", "4000", "up"}),
                            logs_.path() + "/first.log");
  ASSERT_TRUE(eventually([&] { return rows_done() > 0; }));
  std::this_thread::sleep_for(2500ms);  // the lock connection has now idled past the timeout
  ASSERT_LT(rows_done(), kRows) << "the backfill finished too soon for the test to mean anything";
  pid_t second =
      testing::spawn_tandem(args({"--lock-wait", "60s", "up"}), logs_.path() + "/second.log");
  EXPECT_EQ(testing::wait_exit(first), 0) << testing::read_file(logs_.path() + "/first.log");
  EXPECT_EQ(testing::wait_exit(second), 0) << testing::read_file(logs_.path() + "/second.log");
  EXPECT_EQ(wrong_rows(), "0");
  EXPECT_EQ(db_.value("SELECT state || ' ' || rows_done FROM tandem.backfill_jobs"),
            "done " + std::to_string(kRows));
}

// The lock connection terminated mid-backfill (a DBA, a pooler, a network cut): the first
// process notices before its next batch and stops (exit 4, saying so); the second one takes
// the lock, waits for the first one's batch in flight, and continues from the checkpoint.
TEST_F(LockLossTest, TerminatedLockConnectionStopsTheHolder) {
  pid_t first =
      testing::spawn_tandem(args({"--batch-max", "500", "--max-rows-per-second", "4000", "up"}),
                            logs_.path() + "/first.log");
  ASSERT_TRUE(eventually([&] { return rows_done() > 0; }));
  ASSERT_EQ(db_.value("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                      "datname = current_database() AND application_name LIKE 'tandem up %lock'"),
            "1");
  pid_t second =
      testing::spawn_tandem(args({"--lock-wait", "60s", "up"}), logs_.path() + "/second.log");
  int first_code = testing::wait_exit(first);
  std::string first_log = testing::read_file(logs_.path() + "/first.log");
  EXPECT_EQ(first_code, 4) << first_log;
  EXPECT_NE(first_log.find("migration lock was lost"), std::string::npos) << first_log;
  EXPECT_EQ(testing::wait_exit(second), 0) << testing::read_file(logs_.path() + "/second.log");
  EXPECT_EQ(wrong_rows(), "0");
  EXPECT_EQ(db_.value("SELECT status FROM tandem.migrations WHERE version = '2'"), "applied");
}

// A tandem killed in the middle of a statement loses the lock at once, but its statement runs
// on in the server until the server notices the client is gone: the next run used to rebuild a
// CREATE INDEX CONCURRENTLY under it ("tuple concurrently updated"). It now waits for it.
TEST(PreviousHolder, ItsStatementStillRunningIsWaitedFor) {
  TempDir dir;
  TestDb db(Kind::kPostgres);
  dir.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY);\n");
  db::ConnectOptions copts;
  copts.application_name = "tandem up (pid 999999@killed-host)";
  auto ghost = db::connect(db.url(), copts);
  ASSERT_TRUE(ghost.ok()) << ghost.status().message();
  std::thread running([&] { (void)(*ghost)->execute("SELECT pg_sleep(1.5)"); });
  std::this_thread::sleep_for(200ms);  // the ghost's statement is active
  auto t0 = std::chrono::steady_clock::now();
  auto r = testing::run_tandem({"--db", db.url(), "--dir", dir.path(), "up"});
  auto waited = std::chrono::steady_clock::now() - t0;
  running.join();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("waiting for a statement of a previous tandem to end: pid"),
            std::string::npos)
      << r.err;
  EXPECT_GE(waited, 1000ms);
  // With --lock-wait shorter than the statement: refused, nothing written.
  std::thread again([&] { (void)(*ghost)->execute("SELECT pg_sleep(2)"); });
  std::this_thread::sleep_for(200ms);
  dir.write("0002_u.sql", "-- tandem:up\nCREATE TABLE u (id int PRIMARY KEY);\n");
  auto refused =
      testing::run_tandem({"--db", db.url(), "--dir", dir.path(), "--lock-wait", "300ms", "up"});
  again.join();
  EXPECT_EQ(refused.code, 4) << refused.err;
  EXPECT_ANY_THROW(db.value("SELECT 1 FROM u"));
}

}  // namespace
}  // namespace tandem
