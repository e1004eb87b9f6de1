// Backfills against the real PostgreSQL: exactly once across SIGKILLs and lost connections,
// concurrent application writes, control from a second process, throttles, a failing row
// named by its key, and `verify --tables`.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "tandem/backfill.h"
#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using nlohmann::json;
using testing::Kind;
using testing::TempDir;
using testing::TestDb;
using namespace std::chrono_literals;

class BackfillTest : public ::testing::Test {
 protected:
  BackfillTest() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {}

  // Table t (id, n, c, m) with `rows` rows: n = id % 97, c = id % 7, m NULL.
  void make_table(int rows) {
    dir_.write("0001_t.sql",
               "-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, n integer NOT NULL, c bigint "
               "NOT NULL, m bigint, hits integer NOT NULL DEFAULT 0);\nINSERT INTO t (id, n, c) "
               "SELECT g, g % 97, g % 7 FROM generate_series(1, " +
                   std::to_string(rows) + ") g;\n-- tandem:down\nDROP TABLE t;\n");
    ASSERT_TRUE(up(opts_, {}).ok());
  }
  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> a = {"--db", db_.url(), "--dir", dir_.path()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // The job's row, as `tandem backfill status --json` prints it.
  json job(const std::string& id = "") const {
    std::vector<std::string> a = {"backfill", "status", "--json"};
    if (!id.empty()) a.push_back(id);
    auto r = testing::run_tandem(args(a));
    EXPECT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    if (j.is_discarded() || j["jobs"].empty()) return json::object();
    return j["jobs"][0];
  }
  long long rows_done() const {
    std::string v = db_.value("SELECT coalesce(max(rows_done), 0) FROM tandem.backfill_jobs");
    return v.empty() ? 0 : std::stoll(v);
  }
  // Waits until `pred` holds (at most 20 s).
  template <typename F>
  bool eventually(F pred) const {
    for (int i = 0; i < 400; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  bool has_job_table() const {
    return db_.value("SELECT to_regclass('tandem.backfill_jobs') IS NOT NULL") == "t";
  }

  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

// A non-idempotent data migration (c = c + n), killed 20 times at random moments — SIGKILL,
// and every fifth time its connection terminated by the server instead — and run again each
// time: every row changed exactly once, and the job's counts exact.
TEST_F(BackfillTest, KilledTwentyTimesAppliesExactlyOnce) {
  constexpr int kRows = 60000;
  make_table(kRows);
  dir_.write("0002_bump.yaml", "operations:\n  - update: {table: t, set: {c: c + n}}\n");
  std::string expected = db_.value(
      "SELECT md5(string_agg(g || ':' || (g % 97) || ':' || (g % 7 + g % 97), ',' ORDER BY g)) "
      "FROM generate_series(1, " +
      std::to_string(kRows) + ") g");
  // ~10 s of backfill at the cap: longer than 20 kills take, so every kill lands before the end.
  auto cmd = args(
      {"-q", "--batch-max", "500", "--max-rows-per-second", "6000", "--lock-wait", "30s", "up"});
  std::mt19937 rng(20261122);
  int mid_backfill = 0, kills = 0;
  long long before = 0;
  TempDir logs;
  for (; kills < 20; ++kills) {
    pid_t pid = testing::spawn_tandem(cmd, logs.path() + "/run.log");
    if (kills % 5 == 4) {
      // A lost connection: the server ends tandem's session mid-backfill.
      ASSERT_TRUE(eventually([&] { return has_job_table() && rows_done() > before; }));
      db_.value(
          "SELECT count(pg_terminate_backend(runner_pid)) FROM tandem.backfill_jobs WHERE "
          "runner_pid IS NOT NULL");
      int code = testing::wait_exit(pid);
      ASSERT_NE(code, 0) << testing::read_file(logs.path() + "/run.log");
    } else {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 450)(rng)));
      kill(pid, SIGKILL);
      int code = testing::wait_exit(pid);
      ASSERT_EQ(code, 137) << "finished before the kill: make the backfill longer";
    }
    long long now = has_job_table() ? rows_done() : 0;
    ASSERT_GE(now, before) << "progress went backwards";
    if (now > before && now < kRows) ++mid_backfill;
    before = now;
    // The table holds exactly the committed batches: rows_done rows changed, the rest not.
    // (A kill may land before tandem's state exists: then nothing is changed.)
    if (!has_job_table()) {
      EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE c <> id % 7"), "0");
      continue;
    }
    EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE c <> id % 7"),
              db_.value("SELECT count(*) FROM t WHERE c <> id % 7 AND id <= coalesce((SELECT "
                        "(checkpoint::json->>0)::bigint FROM tandem.backfill_jobs WHERE "
                        "checkpoint <> '\"done\"'), " +
                        std::to_string(kRows) + ")"));
  }
  EXPECT_GE(mid_backfill, 10) << "most kills should land inside the backfill";
  auto last = testing::run_tandem(cmd);
  ASSERT_EQ(last.code, 0) << last.err;
  EXPECT_EQ(db_.value("SELECT md5(string_agg(id || ':' || n || ':' || c, ',' ORDER BY id)) FROM t"),
            expected);
  json j = job("2/t");
  EXPECT_EQ(j["state"], "done");
  EXPECT_EQ(j["rows_done"], kRows);
  EXPECT_EQ(j["rows_updated"], kRows);
  EXPECT_EQ(db_.value("SELECT status FROM tandem.migrations WHERE version = '2'"), "applied");
}

// The application keeps writing through the old version while a type change backfills its
// shadow column: no write is lost, and no row is left with a stale translation.
TEST_F(BackfillTest, ConcurrentApplicationWritesAreNeverLost) {
  constexpr int kRows = 30000;
  make_table(kRows);
  dir_.write("0002_widen.yaml",
             "operations:\n  - alter_column:\n      table: t\n      column: n\n      type: "
             "bigint\n      up: n * 1000\n      down: (n / 1000)::integer\n");
  std::atomic<bool> stop{false};
  std::map<long long, int> hits;  // id → writes made
  std::atomic<long long> writes{0};
  std::thread writer([&] {
    auto conn = db_.connect();
    std::mt19937 rng(7);
    // The old version's schema appears early in start; write through it once it exists.
    while (!stop &&
           db_.value("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_1'") == "0") {
      std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(conn->execute_script("SET search_path = public_1").ok());
    while (!stop) {
      long long id = std::uniform_int_distribution<long long>(1, kRows)(rng);
      auto r = conn->query("UPDATE t SET n = n + 1, hits = hits + 1 WHERE id = $1",
                           {std::to_string(id)});
      ASSERT_TRUE(r.ok()) << r.status().message();
      ++hits[id];
      ++writes;
    }
  });
  Options o = opts_;
  o.backfill.max_rows = 500;
  o.backfill.max_rows_per_second = 20000;  // ~1.5 s of backfill, overlapped by the writer
  auto started = expand::start(o, std::nullopt);
  stop = true;
  writer.join();
  ASSERT_TRUE(started.ok()) << started.status().message();
  EXPECT_GT(writes.load(), 100);
  // Every write counted, and every shadow value the translation of the latest old value.
  long long counted = 0;
  for (auto& [id, n] : hits) counted += n;
  EXPECT_EQ(db_.value("SELECT sum(hits) FROM t"), std::to_string(counted));
  std::string lost;
  auto conn = db_.connect();
  auto rows = conn->query("SELECT id, hits FROM t WHERE hits > 0 ORDER BY id");
  ASSERT_TRUE(rows.ok());
  std::map<long long, int> stored;
  for (size_t i = 0; i < rows->size(); ++i)
    stored[std::stoll(rows->text(i, 0))] = std::stoi(rows->text(i, 1));
  for (auto& [id, n] : hits)
    if (stored[id] != n && lost.size() < 100) lost += std::to_string(id) + " ";
  EXPECT_EQ(stored.size(), hits.size());
  EXPECT_EQ(lost, "");
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE _tandem_new_n IS DISTINCT FROM n * 1000"), "0");
  auto v = backfill::verify(opts_);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->mismatches(), 0);
}

// pause, resume and cancel from a second process; resume of a job nobody runs continues it.
TEST_F(BackfillTest, PauseResumeCancelFromAnotherProcess) {
  constexpr int kRows = 60000;
  make_table(kRows);
  dir_.write("0002_fill.yaml", "operations:\n  - update: {table: t, set: {m: n * 10}}\n");
  TempDir logs;
  std::string log = logs.path() + "/start.log";
  pid_t pid = testing::spawn_tandem(
      args({"--batch-max", "500", "--max-rows-per-second", "10000", "--max-lag", "30s", "start"}),
      log);
  ASSERT_TRUE(eventually([&] { return has_job_table() && rows_done() > 0; }));

  auto paused = testing::run_tandem(args({"backfill", "pause"}));
  ASSERT_EQ(paused.code, 0) << paused.err;
  EXPECT_NE(paused.out.find("2/t paused"), std::string::npos) << paused.out;
  ASSERT_TRUE(eventually([&] { return job()["waiting"] == "paused"; }));
  long long at = rows_done();
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(rows_done(), at) << "a paused job must not go on";
  json j = job();
  EXPECT_EQ(j["state"], "paused");
  EXPECT_NE(j["runner"].get<std::string>().find("tandem start"), std::string::npos);

  auto resumed = testing::run_tandem(args({"backfill", "resume", "2/t"}));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  ASSERT_TRUE(eventually([&] { return rows_done() > at; }));
  // Pausing again while it runs, twice: the second says so without changing anything.
  auto cancelled = testing::run_tandem(args({"backfill", "cancel", "--json"}));
  ASSERT_EQ(cancelled.code, 0) << cancelled.err;
  EXPECT_EQ(json::parse(cancelled.out)["state"], "cancelled");
  int code = testing::wait_exit(pid);
  EXPECT_EQ(code, 1) << testing::read_file(log);
  EXPECT_NE(testing::read_file(log).find("was cancelled after row key"), std::string::npos)
      << testing::read_file(log);
  j = job();
  EXPECT_EQ(j["state"], "cancelled");
  EXPECT_EQ(j["runner"], "");
  long long done = j["rows_done"];
  EXPECT_GT(done, 0);
  EXPECT_LT(done, kRows);
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE m IS NOT NULL"), std::to_string(done));
  EXPECT_EQ(testing::run_tandem(args({"backfill", "pause"})).code, 2) << "nothing to pause";

  // Nobody runs it now: resume continues it in this process, to the end.
  auto here = testing::run_tandem(args({"-q", "backfill", "resume"}));
  ASSERT_EQ(here.code, 0) << here.err;
  EXPECT_NE(here.out.find("resumed 2/t here"), std::string::npos) << here.out;
  j = job("2/t");
  EXPECT_EQ(j["state"], "done");
  EXPECT_EQ(j["rows_done"], kRows);
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE m = n * 10"), std::to_string(kRows));
  EXPECT_EQ(db_.value("SELECT step FROM tandem.active"), "started");
  EXPECT_EQ(testing::run_tandem(args({"backfill", "status", "nope"})).code, 2);

  // Rolled back: the job says so (its column values are gone with the migration's changes).
  auto rolled = testing::run_tandem(args({"-q", "rollback"}));
  ASSERT_EQ(rolled.code, 0) << rolled.err;
  EXPECT_EQ(job("2/t")["state"], "rolled_back");
}

// The custom throttle query pauses the job while it returns true; progress goes to stderr as
// JSON lines that say why it waits.
TEST_F(BackfillTest, ThrottleQueryPausesAndResumes) {
  make_table(40000);
  db_.exec("CREATE TABLE busy (on_ boolean NOT NULL); INSERT INTO busy VALUES (false)");
  dir_.write("0002_fill.yaml", "operations:\n  - update: {table: t, set: {m: n * 10}}\n");
  // A query that is not one boolean is refused before anything changes.
  std::string before = db_.snapshot();
  auto bad = testing::run_tandem(args({"--throttle-query", "SELECT 1, 2", "start"}));
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--throttle-query must return one row with one boolean"),
            std::string::npos)
      << bad.err;
  EXPECT_EQ(db_.snapshot(), before);
  // So is a --replica that is not a standby.
  auto primary = testing::run_tandem(args({"--max-lag", "1s", "--replica", db_.url(), "start"}));
  EXPECT_EQ(primary.code, 2) << primary.err;
  EXPECT_NE(primary.err.find("is not a standby"), std::string::npos) << primary.err;
  EXPECT_EQ(db_.snapshot(), before);
  // And a --replica without a lag limit: it would throttle nothing.
  auto no_lag = testing::run_tandem(args({"--replica", db_.url(), "start"}));
  EXPECT_EQ(no_lag.code, 2) << no_lag.err;
  EXPECT_NE(no_lag.err.find("--replica needs --max-lag"), std::string::npos) << no_lag.err;
  EXPECT_EQ(db_.snapshot(), before);

  TempDir logs;
  std::string log = logs.path() + "/start.log";
  pid_t pid = testing::spawn_tandem(args({"--batch-max", "500", "--max-rows-per-second", "10000",
                                          "--throttle-query", "SELECT on_ FROM busy", "start"}),
                                    log);
  ASSERT_TRUE(eventually([&] { return has_job_table() && rows_done() > 0; }));
  db_.exec("UPDATE busy SET on_ = true");
  ASSERT_TRUE(eventually([&] { return job()["waiting"] == "throttle query returned true"; }));
  long long at = rows_done();
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(rows_done(), at);
  db_.exec("UPDATE busy SET on_ = false");
  EXPECT_EQ(testing::wait_exit(pid), 0) << testing::read_file(log);
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE m = n * 10"), "40000");
  // JSON lines on stderr (no terminal): running, waiting with the reason, running, done.
  std::vector<json> events;
  std::istringstream lines(testing::read_file(log));
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line, nullptr, false);
    if (!e.is_discarded() && e["event"] == "backfill") events.push_back(e);
  }
  ASSERT_GE(events.size(), 3u);
  bool waited = false;
  for (const json& e : events) waited |= e["reason"] == "throttle query returned true";
  EXPECT_TRUE(waited);
  EXPECT_EQ(events.back()["state"], "done");
  EXPECT_EQ(events.back()["rows_done"], 40000);
  EXPECT_EQ(events.back()["job"], "2/t");
}

// A start killed in its backfill and run again takes the job's stored lag limit for the flags
// left out: `--replica URL` alone is merged with the stored --max-lag (and checked then: this
// URL is the primary, no standby), not refused as "--replica needs --max-lag".
TEST_F(BackfillTest, ContinuedStartMergesGivenReplicaWithStoredLag) {
  make_table(3000);
  dir_.write("0002_fill.yaml", "operations:\n  - update: {table: t, set: {m: n * 10}}\n");
  auto killed = testing::run_tandem(args({"--batch-max", "200", "--max-lag", "30s", "start"}),
                                    {{"TANDEM_TEST_CRASH_AT", "start:backfill-batch:2"}});
  ASSERT_NE(killed.code, 0);
  ASSERT_EQ(json::parse(db_.value("SELECT settings FROM tandem.backfill_jobs"))["max_lag_ms"],
            30000);
  auto again = testing::run_tandem(args({"--replica", db_.url(), "start"}));
  EXPECT_EQ(again.code, 2) << again.err;
  EXPECT_EQ(again.err.find("--replica needs --max-lag"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("is not a standby"), std::string::npos) << again.err;
  // Without --replica it continues with the stored limit (read on the primary) and finishes.
  auto done = testing::run_tandem(args({"start"}));
  ASSERT_EQ(done.code, 0) << done.err;
  EXPECT_NE(done.err.find("30000 ms"), std::string::npos) << done.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE m = n * 10"), "3000");
}

// A job keeps the throttles it was started with: `backfill resume` of a job nobody runs
// continues with them (it ran unthrottled before), and a flag given to resume overrides one.
TEST_F(BackfillTest, ResumeKeepsTheJobsThrottlesUnlessOverridden) {
  make_table(40000);
  db_.exec("CREATE TABLE busy (on_ boolean NOT NULL); INSERT INTO busy VALUES (false)");
  dir_.write("0002_fill.yaml", "operations:\n  - update: {table: t, set: {m: n * 10}}\n");
  TempDir logs;
  pid_t pid = testing::spawn_tandem(args({"--batch-max", "300", "--max-rows-per-second", "8000",
                                          "--throttle-query", "SELECT on_ FROM busy", "start"}),
                                    logs.path() + "/start.log");
  ASSERT_TRUE(eventually([&] { return has_job_table() && rows_done() > 0; }));
  ASSERT_EQ(testing::run_tandem(args({"backfill", "cancel"})).code, 0);
  EXPECT_EQ(testing::wait_exit(pid), 1);
  json stored = json::parse(db_.value("SELECT settings FROM tandem.backfill_jobs"));
  EXPECT_EQ(stored["max_rows"], 300);
  EXPECT_EQ(stored["max_rows_per_second"], 8000);
  EXPECT_EQ(stored["throttle_query"], "SELECT on_ FROM busy");

  // Resumed with no flags: the throttle query still holds it.
  db_.exec("UPDATE busy SET on_ = true");
  pid = testing::spawn_tandem(args({"backfill", "resume"}), logs.path() + "/resume.log");
  ASSERT_TRUE(eventually([&] { return job()["waiting"] == "throttle query returned true"; }))
      << testing::read_file(logs.path() + "/resume.log");
  long long at = rows_done();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(rows_done(), at);
  ASSERT_EQ(testing::run_tandem(args({"backfill", "cancel"})).code, 0);
  EXPECT_EQ(testing::wait_exit(pid), 1) << testing::read_file(logs.path() + "/resume.log");

  // Overridden: this query never says wait, so it finishes although `busy` is still on; the
  // other throttles stay as stored.
  auto r = testing::run_tandem(args({"--throttle-query", "SELECT false", "backfill", "resume"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("at most 8000 rows/s"), std::string::npos) << r.err;
  EXPECT_EQ(job("2/t")["state"], "done");
  EXPECT_EQ(job("0002/t")["id"], "2/t") << "a version is accepted in any spelling";
  EXPECT_LE(job("2/t")["batch_size"].get<long long>(), 300);
  stored = json::parse(db_.value("SELECT settings FROM tandem.backfill_jobs"));
  EXPECT_EQ(stored["throttle_query"], "SELECT false");
  EXPECT_EQ(stored["max_rows_per_second"], 8000);
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE m = n * 10"), "40000");
}

// An expression that fails on one row: the error names that row's key; the batches before it
// stay committed and checkpointed, the rest unchanged; fixed and run again, it finishes.
TEST_F(BackfillTest, FailingRowIsNamedByItsKey) {
  make_table(5000);
  dir_.write("0002_ratio.yaml",
             "operations:\n  - update: {table: t, set: {m: \"1000 / (id - 3217)\"}}\n");
  auto r = testing::run_tandem(args({"--batch-max", "400", "up"}));
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("backfill of t failed at row key (3217): "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("division by zero"), std::string::npos) << r.err;
  json j = job();
  EXPECT_EQ(j["state"], "failed");
  long long done = j["rows_done"];
  EXPECT_LT(done, 3217);
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE m IS NOT NULL"), std::to_string(done));
  EXPECT_EQ(
      db_.value("SELECT max(id) FROM t WHERE m IS NOT NULL"),
      j["checkpoint"].get<std::string>().substr(1, j["checkpoint"].get<std::string>().size() - 2));
  db_.exec("DELETE FROM t WHERE id = 3217");
  auto again = testing::run_tandem(args({"-q", "up"}));
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE m = 1000 / (id - 3217)"), "4999");
  EXPECT_EQ(job()["state"], "done");
}

TEST_F(BackfillTest, VerifyTablesNamesTheDifferingRanges) {
  make_table(25000);
  db_.exec("CREATE TABLE copy AS SELECT * FROM t; ALTER TABLE copy ADD PRIMARY KEY (id)");
  auto same = backfill::compare_tables(opts_, "t", "public.copy", 1000);
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_TRUE(same->ranges.empty());
  EXPECT_EQ(same->rows_a, 25000);
  EXPECT_EQ(same->rows_b, 25000);
  EXPECT_EQ(same->chunks, 26);
  EXPECT_EQ(same->key, std::vector<std::string>{"id"});

  db_.exec(
      "UPDATE copy SET m = 1 WHERE id = 1500; DELETE FROM copy WHERE id = 20001; "
      "INSERT INTO copy (id, n, c) VALUES (30000, 1, 1)");
  auto r =
      testing::run_tandem(args({"verify", "--tables", "t", "copy", "--chunk", "1000", "--json"}));
  EXPECT_EQ(r.code, 1) << r.err;
  json d = json::parse(r.out);
  EXPECT_EQ(d["equal"], false);
  ASSERT_EQ(d["differing_ranges"].size(), 3u) << d.dump();
  EXPECT_EQ(d["differing_ranges"][0]["after"], "(1000)");
  EXPECT_EQ(d["differing_ranges"][0]["upto"], "(2000)");
  EXPECT_EQ(d["differing_ranges"][0]["sample_keys"], json::array({"(1500)"}));
  EXPECT_EQ(d["differing_ranges"][1]["sample_keys"], json::array({"(20001)"}));
  EXPECT_EQ(d["differing_ranges"][1]["rows_b"], 999);
  EXPECT_EQ(d["differing_ranges"][2]["upto"], nullptr);  // the last chunk runs to the end
  EXPECT_EQ(d["differing_ranges"][2]["sample_keys"], json::array({"(30000)"}));

  auto missing = backfill::compare_tables(opts_, "t", "nope", 1000);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("\"public\".\"nope\" does not exist"),
            std::string::npos);
}

}  // namespace
}  // namespace tandem
