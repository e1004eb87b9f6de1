// --max-lag on real replication lag: a streaming replica of the test server (pg_basebackup -R,
// started by the harness's pg_replica_start) whose replay is paused with pg_wal_replay_pause().
// The backfill must stop advancing and say it waits on the lag, and finish once replay resumes —
// with the lag read on the primary (pg_stat_replication's replay_lag) and on the standby
// (--replica).

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "pg_server.h"
#include "tandem/tandem.h"
#include "test_util.h"

namespace tandem {
namespace {

using nlohmann::json;
using testing::Kind;
using testing::PgServer;
using testing::TempDir;
using testing::TestDb;
using namespace std::chrono_literals;

class ReplicationLagTest : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() { replica_ = PgServer::replica_of_harness(55511).release(); }
  static void TearDownTestSuite() {
    delete replica_;
    replica_ = nullptr;
  }

  ReplicationLagTest() : db_(Kind::kPostgres) {}

  // The test database's name ("t_123_4" of postgresql://postgres@/t_123_4?host=…).
  std::string dbname() const {
    const std::string& u = db_.url();
    size_t slash = u.rfind('/', u.find('?'));
    return u.substr(slash + 1, u.find('?') - slash - 1);
  }
  // `sql` on the standby's copy of the test database; "" while the standby has not replayed
  // its CREATE DATABASE yet.
  std::string replica_value(const std::string& sql) const {
    try {
      return replica_->value(dbname(), sql);
    } catch (const std::exception&) {
      return "";
    }
  }
  json job() const {
    std::string row = db_.value(
        "SELECT json_build_object('rows_done', rows_done, 'state', state, 'throttled', "
        "throttled)::text FROM tandem.backfill_jobs");
    return row.empty() ? json::object() : json::parse(row);
  }
  bool has_jobs() const {
    return db_.value("SELECT to_regclass('tandem.backfill_jobs') IS NOT NULL") == "t" &&
           !db_.value("SELECT 1 FROM tandem.backfill_jobs").empty();
  }
  // Waits until `pred` holds (at most `limit`).
  template <typename F>
  static bool eventually(F pred, std::chrono::milliseconds limit = 30s) {
    for (auto end = std::chrono::steady_clock::now() + limit;
         std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(50ms)) {
      if (pred()) return true;
    }
    return false;
  }

  static PgServer* replica_;
  TempDir dir_, logs_;
  TestDb db_;
};

PgServer* ReplicationLagTest::replica_ = nullptr;

TEST_P(ReplicationLagTest, BackfillWaitsWhileReplayIsPausedAndResumes) {
  const bool on_standby = GetParam();
  constexpr int kRows = 30000;
  dir_.write("0001_t.sql",
             "-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, n integer NOT NULL, m "
             "bigint);\nINSERT INTO t (id, n) SELECT g, g % 97 FROM generate_series(1, " +
                 std::to_string(kRows) + ") g;\n-- tandem:down\nDROP TABLE t;\n");
  auto applied = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "up"});
  ASSERT_EQ(applied.code, 0) << applied.err;
  dir_.write("0002_fill.yaml", "operations:\n  - update: {table: t, set: {m: n * 10}}\n");
  // The standby has the table (replay caught up) before the backfill starts.
  ASSERT_TRUE(
      eventually([&] { return replica_value("SELECT to_regclass('t') IS NOT NULL") == "t"; }));

  std::vector<std::string> args = {"--db",        db_.url(),   "--dir",
                                   dir_.path(),   "--max-lag", "1s",
                                   "--batch-max", "200",       "--max-rows-per-second",
                                   "3000"};
  if (on_standby) {
    args.push_back("--replica");
    args.push_back(replica_->url(dbname()));
  }
  args.push_back("start");
  std::string log = logs_.path() + "/start.log";
  pid_t pid = testing::spawn_tandem(args, log);
  ASSERT_TRUE(eventually([&] { return has_jobs() && job()["rows_done"].get<long long>() > 0; }))
      << testing::read_file(log);

  replica_->value("postgres", "SELECT pg_wal_replay_pause()");
  // The lag passes 1 s: the backfill waits, and says why.
  ASSERT_TRUE(eventually([&] {
    return job()["throttled"].get<std::string>().find("replication lag") != std::string::npos;
  })) << job().dump()
      << testing::read_file(log);
  long long at = job()["rows_done"];
  EXPECT_LT(at, kRows) << "the backfill finished before the replica fell behind";
  std::this_thread::sleep_for(2500ms);
  json waiting = job();
  EXPECT_EQ(waiting["rows_done"].get<long long>(), at) << "a backfill must not go on while the "
                                                          "replica lags more than --max-lag";
  EXPECT_EQ(waiting["state"], "running");
  EXPECT_NE(waiting["throttled"].get<std::string>().find("> 1.0 s"), std::string::npos)
      << waiting.dump();
  if (!on_standby) {
    // What the throttle read: replay_lag on the primary, over the limit.
    EXPECT_EQ(db_.value("SELECT max(replay_lag) > interval '1 second' FROM pg_stat_replication"),
              "t");
  }

  replica_->value("postgres", "SELECT pg_wal_replay_resume()");
  int code = testing::wait_exit(pid);
  EXPECT_EQ(code, 0) << testing::read_file(log);
  json done = job();
  EXPECT_EQ(done["state"], "done");
  EXPECT_EQ(done["rows_done"].get<long long>(), kRows);
  EXPECT_EQ(done["throttled"], "");
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE m = n * 10"), std::to_string(kRows));
  EXPECT_NE(testing::read_file(log).find("replication lag"), std::string::npos)
      << testing::read_file(log);
  // The replica converges once replay resumes.
  EXPECT_TRUE(eventually([&] {
    return replica_value("SELECT count(*) FROM t WHERE m IS NOT NULL") == std::to_string(kRows);
  }));
  auto done_start = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "complete"});
  EXPECT_EQ(done_start.code, 0) << done_start.err;
}

INSTANTIATE_TEST_SUITE_P(LagSource, ReplicationLagTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("OnStandby") : std::string("OnPrimary");
                         });

}  // namespace
}  // namespace tandem
