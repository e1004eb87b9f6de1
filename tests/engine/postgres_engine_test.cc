// PostgreSQL-specific engine behaviour: the advisory lock, concurrent runs, lock_timeout
// retries, SIGKILL at the worst moments, CREATE INDEX CONCURRENTLY.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/advisory_lock.h"
#include "test_util.h"

namespace tandem {
namespace {

using namespace std::chrono_literals;
using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class PostgresEngineTest : public ::testing::Test {
 protected:
  PostgresEngineTest() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {}

  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> a = {"--db", db_.url(), "--dir", dir_.path()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // Polls `sql` until it returns `want` or `timeout` passes.
  bool wait_for(const std::string& sql, const std::string& want,
                std::chrono::milliseconds timeout = 20s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (db_.value(sql) == want) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

TEST_F(PostgresEngineTest, TwoConcurrentUpsApplyEveryMigrationExactlyOnce) {
  auto c = db_.connect();
  ASSERT_TRUE(c->execute_script("CREATE TABLE applied_log (version int PRIMARY KEY)").ok());
  for (int v = 1; v <= 5; ++v) {
    // A duplicate run would violate the primary key; pg_sleep widens the race window.
    dir_.write(
        fmt::format("{:04d}_m{}.sql", v, v),
        fmt::format("-- tandem:up\nINSERT INTO applied_log VALUES ({});\nSELECT pg_sleep(0.1);\n",
                    v));
  }
  TempDir logs;
  pid_t a = testing::spawn_tandem(args({"up"}), logs.path() + "/a");
  pid_t b = testing::spawn_tandem(args({"up"}), logs.path() + "/b");
  int ca = testing::wait_exit(a), cb = testing::wait_exit(b);
  std::string la = testing::read_file(logs.path() + "/a"),
              lb = testing::read_file(logs.path() + "/b");
  EXPECT_EQ(ca, 0) << la;
  EXPECT_EQ(cb, 0) << lb;
  EXPECT_EQ(db_.value("SELECT count(*) FROM applied_log"), "5");
  EXPECT_EQ(db_.value("SELECT count(*) FROM tandem.migrations WHERE status = 'applied'"), "5");
  EXPECT_EQ(db_.value("SELECT count(*) FROM tandem.events WHERE action = 'up'"), "5");
  // One of them did everything; the loser waited for the lock and found nothing to do.
  bool a_won = la.find("applied 5 migrations") != std::string::npos;
  bool b_won = lb.find("applied 5 migrations") != std::string::npos;
  EXPECT_NE(a_won, b_won) << la << "\n---\n" << lb;
  EXPECT_NE((a_won ? lb : la).find("nothing to apply"), std::string::npos);
}

TEST_F(PostgresEngineTest, LockWaitTimesOutNamingTheHolder) {
  dir_.write("0001_a.sql", "-- tandem:up\nCREATE TABLE a (id int);\n");
  auto holder = db_.connect();
  ASSERT_TRUE(holder->execute_script("SET application_name = 'deploy-bot'").ok());
  ASSERT_TRUE(
      holder->query("SELECT pg_advisory_lock($1::bigint)", {std::to_string(AdvisoryLock::kKey)})
          .ok());
  std::string pid = holder->query("SELECT pg_backend_pid()")->text(0, 0);
  auto r = testing::run_tandem(args({"--lock-wait", "300ms", "up"}));
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("pid " + pid), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("deploy-bot"), std::string::npos) << r.err;
  EXPECT_EQ(db_.value("SELECT to_regclass('a') IS NULL"), "t");
  // status shows the holder too
  auto s = testing::run_tandem(args({"status", "--json"}));
  EXPECT_EQ(s.code, 0);
  EXPECT_NE(s.out.find("deploy-bot"), std::string::npos);
}

TEST_F(PostgresEngineTest, LockTimeoutIsRetriedWithBackoffUntilTheTableIsFree) {
  auto c = db_.connect();
  ASSERT_TRUE(c->execute_script("CREATE TABLE busy (id int)").ok());
  dir_.write("0001_alter.sql", "-- tandem:up\nALTER TABLE busy ADD COLUMN note text;\n");
  ASSERT_TRUE(c->execute_script("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE").ok());
  std::thread release([&] {
    std::this_thread::sleep_for(1500ms);
    (void)c->execute_script("COMMIT");
  });
  auto r = testing::run_tandem(args({"--lock-timeout", "100ms", "--lock-retries", "20", "up"}));
  release.join();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("hit lock_timeout"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("retry 1/20"), std::string::npos) << r.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy' "
                      "AND column_name = 'note'"),
            "1");
}

TEST_F(PostgresEngineTest, LockTimeoutGivesUpAfterRetriesAndChangesNothing) {
  auto c = db_.connect();
  ASSERT_TRUE(c->execute_script("CREATE TABLE busy (id int)").ok());
  dir_.write(
      "0001_alter.sql",
      "-- tandem:up\nCREATE TABLE other (id int);\nALTER TABLE busy ADD COLUMN note text;\n");
  ASSERT_TRUE(c->execute_script("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE").ok());
  // The blocked ALTER must not queue the application's readers behind it for longer than
  // lock_timeout: a reader on another connection gets through while tandem retries.
  auto r = testing::run_tandem(args({"--lock-timeout", "50ms", "--lock-retries", "2", "up"}));
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("lock"), std::string::npos);
  (void)c->execute_script("COMMIT");
  EXPECT_EQ(db_.value("SELECT to_regclass('other') IS NULL"), "t");
  EXPECT_EQ(db_.value("SELECT count(*) FROM tandem.migrations"), "0");
}

TEST_F(PostgresEngineTest, CreateIndexConcurrentlyRunsOutsideTheTransactionWithoutDeadlock) {
  auto c = db_.connect();
  ASSERT_TRUE(
      c->execute_script("CREATE TABLE users (id int, email text); INSERT INTO users SELECT g, 'u' "
                        "|| g FROM generate_series(1, 1000) g")
          .ok());
  dir_.write("0001_idx.sql",
             "-- tandem:up\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n"
             "-- tandem:down\nDROP INDEX CONCURRENTLY users_email_idx;\n");
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->steps[0].transactional);
  EXPECT_EQ(
      db_.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass"),
      "t");
  EXPECT_EQ(db_.value("SELECT transactional FROM tandem.migrations"), "0");
  ASSERT_TRUE(down(opts_, {}).ok());
  EXPECT_EQ(db_.value("SELECT to_regclass('users_email_idx') IS NULL"), "t");
}

TEST_F(PostgresEngineTest, InvalidIndexLeftByAnInterruptedBuildIsRebuilt) {
  auto c = db_.connect();
  ASSERT_TRUE(c->execute_script("CREATE TABLE users (id int, email text)").ok());
  // What a killed CREATE INDEX CONCURRENTLY leaves behind: an index marked invalid.
  ASSERT_TRUE(c->execute_script("CREATE INDEX users_email_idx ON users (email)").ok());
  ASSERT_TRUE(
      c->execute_script(
           "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'users_email_idx'::regclass")
          .ok());
  dir_.write("0001_idx.sql",
             "-- tandem:up\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n");
  auto r = testing::run_tandem(args({"up"}));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("dropping invalid index"), std::string::npos) << r.err;
  EXPECT_EQ(
      db_.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass"),
      "t");
}

TEST_F(PostgresEngineTest, SigkillDuringNonTransactionalMigrationThenResume) {
  auto c = db_.connect();
  ASSERT_TRUE(c->execute_script("CREATE TABLE users (id int, email text)").ok());
  dir_.write("0001_long.sql",
             "-- tandem:up\n"
             "CREATE TABLE k (id int);\n"
             "INSERT INTO k VALUES (1);\n"
             "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n"
             "SELECT pg_sleep(3);\n"
             "INSERT INTO k VALUES (2);\n"
             "-- tandem:down\nDROP TABLE k;\n");
  TempDir logs;
  pid_t pid = testing::spawn_tandem(args({"up"}), logs.path() + "/log");
  // Kill it inside the long statement, after three statements are recorded.
  ASSERT_TRUE(
      wait_for("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%' AND "
               "state = 'active'",
               "1"))
      << testing::read_file(logs.path() + "/log");
  kill(pid, SIGKILL);
  EXPECT_EQ(testing::wait_exit(pid), 128 + SIGKILL);
  // The server notices the dead client (client_connection_check_interval) and stops the sleep.
  EXPECT_TRUE(wait_for(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'tandem up%'", "0", 10s));

  auto st = testing::run_tandem(args({"status", "--json"}));
  EXPECT_EQ(st.code, 0);
  auto j = nlohmann::json::parse(st.out);
  ASSERT_EQ(j["migrations"].size(), 1u);
  EXPECT_EQ(j["migrations"][0]["state"], "interrupted");
  EXPECT_EQ(j["migrations"][0]["statements_applied"], 3);
  EXPECT_EQ(j["migrations"][0]["statements_total"], 5);
  auto text = testing::run_tandem(args({"status"}));
  EXPECT_NE(text.out.find("tandem up --resume` (continues at statement 4)"), std::string::npos)
      << text.out;

  auto refused = testing::run_tandem(args({"up"}));
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("was interrupted after 3 of 5 statements"), std::string::npos)
      << refused.err;

  auto resumed = testing::run_tandem(args({"up", "--resume"}));
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming up 0001_long.sql at statement 4 of 5"), std::string::npos)
      << resumed.err;
  EXPECT_EQ(db_.value("SELECT string_agg(id::text, ',' ORDER BY id) FROM k"), "1,2");
  EXPECT_EQ(db_.value("SELECT status FROM tandem.migrations"), "applied");
  EXPECT_EQ(
      db_.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass"),
      "t");
}

TEST_F(PostgresEngineTest, SigkillDuringTransactionalMigrationLeavesNoTrace) {
  dir_.write("0001_a.sql", "-- tandem:up\nCREATE TABLE a (id int);\n");
  dir_.write(
      "0002_tx.sql",
      "-- tandem:up\nCREATE TABLE x (id int);\nINSERT INTO x VALUES (1);\nSELECT pg_sleep(5);\n");
  TempDir logs;
  pid_t pid = testing::spawn_tandem(args({"up"}), logs.path() + "/log");
  ASSERT_TRUE(
      wait_for("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(5)%' AND "
               "state = 'active'",
               "1"));
  std::string before_kill_events = db_.value("SELECT count(*) FROM tandem.events");
  kill(pid, SIGKILL);
  testing::wait_exit(pid);
  EXPECT_TRUE(wait_for(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'tandem up%'", "0", 10s));
  EXPECT_EQ(db_.value("SELECT to_regclass('x') IS NULL"), "t");
  EXPECT_EQ(db_.value("SELECT string_agg(version, ',') FROM tandem.migrations"), "1");
  EXPECT_EQ(db_.value("SELECT count(*) FROM tandem.events"), before_kill_events);
  auto st = status(opts_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->migrations[1].state, "pending");
}

TEST_F(PostgresEngineTest, SchemaOptionRunsMigrationsInThatSchema) {
  dir_.write("0001_a.sql",
             "-- tandem:up\nCREATE TABLE a (id int);\n-- tandem:down\nDROP TABLE a;\n");
  opts_.schema = "app";
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(db_.value("SELECT to_regclass('app.a') IS NOT NULL"), "t");
  EXPECT_EQ(db_.value("SELECT to_regclass('public.a') IS NULL"), "t");
}

TEST_F(PostgresEngineTest, MigrationThatDiscardsSessionStateDoesNotBreakHistoryWrites) {
  dir_.write("0001_a.sql", "-- tandem:up\nCREATE TABLE a (id int);\n");
  dir_.write("0002_discard.sql", "-- tandem:no-transaction\n-- tandem:up\nDISCARD ALL;\n");
  dir_.write("0003_b.sql", "-- tandem:up\nCREATE TABLE b (id int);\n");
  opts_.schema = "app";
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(db_.value("SELECT count(*) FROM tandem.migrations WHERE status = 'applied'"), "3");
  // search_path (--schema) was restored after DISCARD ALL: b lands in app, like a.
  EXPECT_EQ(
      db_.value("SELECT to_regclass('app.b') IS NOT NULL AND to_regclass('app.a') IS NOT NULL"),
      "t");
}

TEST_F(PostgresEngineTest, StatementTimeoutApplies) {
  dir_.write("0001_slow.sql", "-- tandem:up\nSELECT pg_sleep(2);\n");
  auto r = testing::run_tandem(args({"--statement-timeout", "200ms", "up"}));
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("57014"), std::string::npos) << r.err;  // query_canceled
}

}  // namespace
}  // namespace tandem
