// `tandem fleet` end to end on three PostgreSQL servers: the harness's and two of the test's
// own. A planted failure halts the rollout after the canary; fixing it and running again
// continues; a target added later catches up; a bad targets file is refused before anything
// runs anywhere, without printing a password.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include <map>
#include <nlohmann/json.hpp>

#include "pg_server.h"
#include "tandem/fleet.h"
#include "test_util.h"

namespace tandem {
namespace {

using nlohmann::json;
using testing::CmdResult;
using testing::Kind;
using testing::PgServer;
using testing::TempDir;
using testing::TestDb;

class FleetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    second_ = PgServer::start(55501).release();
    third_ = PgServer::start(55502).release();
  }
  static void TearDownTestSuite() {
    delete second_;
    delete third_;
    second_ = third_ = nullptr;
  }

  FleetTest() {
    dir_.write("0001_a.sql",
               "-- tandem:up\nCREATE TABLE a (id integer);\n-- tandem:down\nDROP "
               "TABLE a;\n");
    dir_.write("0002_b.sql",
               "-- tandem:up\nCREATE TABLE b (id integer);\n-- tandem:down\nDROP "
               "TABLE b;\n");
    dir_.write("0003_c.sql",
               "-- tandem:up\nCREATE TABLE c (id integer);\n-- tandem:down\nDROP "
               "TABLE c;\n");
  }

  // A fresh database on `server` (nullptr: the harness's), its URL.
  std::string database(PgServer* server) {
    if (server == nullptr) {
      harness_dbs_.push_back(std::make_unique<TestDb>(Kind::kPostgres));
      return harness_dbs_.back()->url();
    }
    std::string name = "fleet_" + std::to_string(getpid()) + "_" + std::to_string(counter_++);
    return server->create_database(name);
  }
  // The value of `sql` on the database at `url`.
  static std::string value(const std::string& url, const std::string& sql) {
    auto c = db::connect(url);
    EXPECT_TRUE(c.ok()) << c.status().message();
    if (!c.ok()) return "";
    auto r = (*c)->query(sql);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return !r.ok() || r->empty() ? "" : r->text(0, 0);
  }
  static void exec(const std::string& url, const std::string& sql) {
    auto c = db::connect(url);
    ASSERT_TRUE(c.ok()) << c.status().message();
    Status st = (*c)->execute_script(sql);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  static std::string tandem_state(const std::string& url) {
    return value(url, "SELECT to_regclass('tandem.migrations') IS NOT NULL");
  }
  std::string targets(const std::string& yaml) { return files_.write("targets.yaml", yaml); }
  CmdResult fleet(std::vector<std::string> args) {
    std::vector<std::string> a = {"--dir", dir_.path(), "fleet"};
    a.insert(a.end(), args.begin(), args.end());
    return testing::run_tandem(a);
  }
  static json parse(const CmdResult& r) {
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out << r.err;
    return j;
  }
  static json target(const json& report, const std::string& name) {
    for (const json& t : report["targets"])
      if (t["name"] == name) return t;
    ADD_FAILURE() << "no target " << name << " in " << report.dump(2);
    return json::object();
  }

  static PgServer* second_;
  static PgServer* third_;
  TempDir dir_, files_;
  std::vector<std::unique_ptr<TestDb>> harness_dbs_;
  static inline int counter_ = 0;
};

PgServer* FleetTest::second_ = nullptr;
PgServer* FleetTest::third_ = nullptr;

// Three servers, four targets, one wave each after the canary: migration 2 fails on the
// second target (a table `b` is there already). The canary is done, the failed one failed (its
// migration 1 applied, 2 not), the later waves not started and untouched. Fixed and run again:
// it continues, and the canary is left alone. A fifth target added later catches up.
TEST_F(FleetTest, PlantedFailureHaltsAndRunningAgainContinues) {
  std::string one = database(nullptr), two = database(second_), three = database(third_),
              four = database(nullptr);
  exec(two, "CREATE TABLE b (planted text)");
  auto line = [](const std::string& name, const std::string& url, const std::string& region) {
    return "  - { name: " + name + ", url: \"" + url + "\", labels: { region: " + region + " } }\n";
  };
  std::string list = line("eu-1", one, "eu") + line("eu-2", two, "eu") + line("us-1", three, "us") +
                     line("us-2", four, "us");
  std::string yaml = "targets:\n" + list + "canary: eu-1\n";
  std::string file = targets(yaml);

  auto first = fleet({"up", "--targets", file, "--wave-size", "1", "--json"});
  EXPECT_EQ(first.code, 1) << first.err;
  json r = parse(first);
  EXPECT_EQ(r["halted"], true);
  EXPECT_EQ(r["halted_by"], "eu-2");
  EXPECT_EQ(target(r, "eu-1")["state"], "done");
  EXPECT_EQ(target(r, "eu-1")["wave"], 0);
  EXPECT_EQ(target(r, "eu-1")["version_after"], "3");
  EXPECT_EQ(target(r, "eu-2")["state"], "failed");
  EXPECT_EQ(target(r, "eu-2")["version_after"], "1");
  EXPECT_NE(target(r, "eu-2")["error"].get<std::string>().find("0002_b.sql"), std::string::npos)
      << target(r, "eu-2").dump();
  EXPECT_EQ(target(r, "us-1")["state"], "not_started");
  EXPECT_EQ(target(r, "us-2")["state"], "not_started");
  EXPECT_EQ(r["counts"]["done"], 1);
  EXPECT_EQ(tandem_state(three), "f") << "a later wave must not have run";
  EXPECT_EQ(tandem_state(four), "f");
  EXPECT_EQ(value(one, "SELECT count(*) FROM tandem.migrations"), "3");

  // The table for people: every target's state, the halt explained.
  auto text = fleet({"status", "--targets", file});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("TARGET"), std::string::npos) << text.out;
  auto halted = fleet({"up", "--targets", file, "--wave-size", "1"});
  EXPECT_EQ(halted.code, 1);
  EXPECT_NE(halted.out.find("halted: eu-2 failed"), std::string::npos) << halted.out;
  EXPECT_NE(halted.out.find("not started"), std::string::npos) << halted.out;
  EXPECT_NE(halted.err.find("eu-2: failed"), std::string::npos) << halted.err;

  // Fixed: the same command continues where it stopped.
  exec(two, "DROP TABLE b");
  auto again = fleet({"up", "--targets", file, "--wave-size", "1", "--json"});
  ASSERT_EQ(again.code, 0) << again.err << again.out;
  r = parse(again);
  EXPECT_EQ(r["halted"], false);
  EXPECT_EQ(target(r, "eu-1")["state"], "up_to_date");
  EXPECT_EQ(target(r, "eu-2")["state"], "done");
  EXPECT_EQ(target(r, "eu-2")["version_before"], "1");
  EXPECT_EQ(target(r, "us-1")["state"], "done");
  EXPECT_EQ(target(r, "us-2")["state"], "done");
  EXPECT_EQ(target(r, "us-1")["wave"], 2);
  for (const std::string& url : {one, two, three, four})
    EXPECT_EQ(value(url, "SELECT to_regclass('c') IS NOT NULL"), "t") << url;
  EXPECT_EQ(value(one, "SELECT count(*) FROM tandem.migrations"), "3") << "canary ran twice";

  // A target added later catches up; the others are up to date.
  std::string five = database(third_);
  targets(yaml + "targets_end: x\n");  // an unknown key: refused, nothing runs anywhere
  auto bad = fleet({"up", "--targets", file});
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find("targets.yaml:7"), std::string::npos) << bad.err;
  std::string added = "targets:\n" + list + line("us-3", five, "us") + "canary: eu-1\n";
  targets(added);
  auto before = fleet({"status", "--targets", file, "--exit-code", "--json"});
  EXPECT_EQ(before.code, 1) << "us-3 is behind";
  EXPECT_EQ(target(parse(before), "us-3")["state"], "pending");
  EXPECT_EQ(target(parse(before), "us-3")["pending"], 3);
  auto catch_up = fleet({"up", "--targets", file, "--concurrency", "3", "--json"});
  ASSERT_EQ(catch_up.code, 0) << catch_up.err;
  r = parse(catch_up);
  EXPECT_EQ(target(r, "us-3")["state"], "done");
  EXPECT_EQ(target(r, "us-3")["version_after"], "3");
  EXPECT_EQ(r["counts"]["up_to_date"], 4);
  auto after = fleet({"status", "--targets", file, "--exit-code", "--json"});
  EXPECT_EQ(after.code, 0) << after.out;
  EXPECT_EQ(parse(after)["counts"]["up_to_date"], 5);

  // --select: only the us targets are read; the others are skipped.
  auto us = fleet({"status", "--targets", file, "--select", "region=us", "--json"});
  ASSERT_EQ(us.code, 0) << us.err;
  EXPECT_EQ(target(parse(us), "eu-1")["state"], "skipped");
  EXPECT_EQ(target(parse(us), "us-2")["state"], "up_to_date");
}

// Every way a targets file can be wrong: exit 2, the line named, nothing applied on the good
// targets listed with it, and the password never printed.
TEST_F(FleetTest, BadTargetsFilesAreRefusedBeforeAnythingRuns) {
  std::string good = database(nullptr), other = database(second_);
  std::string secret_good = good;
  // The same database with a password in the URL (trust auth ignores it).
  secret_good.insert(std::string("postgresql://postgres").size(), ":s3cret-pw");
  struct Case {
    std::string what, yaml, expect;
    int line;
  };
  std::string head = "targets:\n  - { name: good, url: \"" + secret_good + "\" }\n";
  std::vector<Case> cases = {
      {"unreachable",
       head + "  - { name: gone, url: \"postgresql://app:s3cret-pw@/app?host=/nonexistent-dir&"
              "port=5999\" }\n",
       "cannot be reached", 3},
      {"duplicate name", head + "  - { name: good, url: \"" + other + "\" }\n",
       "a second target named 'good'", 3},
      {"not postgres", head + "  - { name: lite, url: \"sqlite:/tmp/x.db\" }\n",
       "not a PostgreSQL URL", 3},
      {"not a url", head + "  - { name: odd, url: \"mysql://app:s3cret-pw@db/app\" }\n",
       "not a database URL", 3},
      {"unknown key", head + "  - { name: two, url: \"" + other + "\", region: eu }\n",
       "unknown target key 'region'", 3},
      {"unknown canary", head + "canary: nope\n", "the canary 'nope' is not one of the targets", 3},
      {"no url", head + "  - { name: two }\n", "target 'two' has no `url`", 3},
      // A name that would colour a terminal or fake a line of the report (a trial's finding).
      {"control characters",
       head + "  - { name: \"evil\\e[31mRED\\nhalted: fake\", url: \"" + other + "\" }\n",
       "control character", 3},
      {"label with =", head + "  - { name: two, url: \"" + other + "\", labels: { k=x: v } }\n",
       "'=' in its name", 3},
      {"yaml", head + "  - { name: two, url: [\n", "", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string file = targets(c.yaml);
    for (const char* action : {"up", "status"}) {
      auto r = fleet({action, "--targets", file});
      EXPECT_EQ(r.code, 2) << r.err;
      if (c.line > 0) {
        EXPECT_NE(r.err.find("targets.yaml:" + std::to_string(c.line)), std::string::npos) << r.err;
      } else {
        EXPECT_NE(r.err.find("targets.yaml:"), std::string::npos) << r.err;
      }
      EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("nothing ran on any target"), std::string::npos) << r.err;
      EXPECT_EQ(r.err.find("s3cret"), std::string::npos) << r.err;
      EXPECT_EQ(r.out.find("s3cret"), std::string::npos) << r.out;
      if (c.what == "unreachable") {
        EXPECT_NE(r.err.find("****"), std::string::npos) << r.err;
      }
    }
    EXPECT_EQ(tandem_state(good), "f") << "nothing may run on the good target";
    EXPECT_EQ(tandem_state(other), "f");
  }
  // --json: the refusal as a document, each problem with its kind and line.
  std::string file = targets(cases[0].yaml);
  auto j = fleet({"up", "--targets", file, "--json"});
  EXPECT_EQ(j.code, 2);
  json doc = parse(j);
  ASSERT_EQ(doc["error"]["problems"].size(), 1u) << doc.dump(2);
  EXPECT_EQ(doc["error"]["problems"][0]["kind"], "fleet_unreachable");
  EXPECT_EQ(doc["error"]["problems"][0]["line"], 3);
  // A missing file, a bad selector, a global --replica: refused too.
  EXPECT_EQ(fleet({"up", "--targets", files_.path() + "/none.yaml"}).code, 2);
  std::string ok_file = targets(head);
  auto sel = fleet({"up", "--targets", ok_file, "--select", "region"});
  EXPECT_EQ(sel.code, 2);
  EXPECT_NE(sel.err.find("is not KEY=VALUE"), std::string::npos) << sel.err;
  auto rep = testing::run_tandem({"--dir", dir_.path(), "--max-lag", "1s", "--replica", good,
                                  "fleet", "up", "--targets", ok_file});
  EXPECT_EQ(rep.code, 2);
  EXPECT_NE(rep.err.find("replica:"), std::string::npos) << rep.err;
  // A version no file has: refused, not a green "up to date" everywhere (a trial's finding).
  for (const std::vector<std::string>& args : {std::vector<std::string>{"up", "--to", "9999"},
                                               std::vector<std::string>{"start", "9999"}}) {
    std::vector<std::string> all = args;
    all.insert(all.end(), {"--targets", ok_file});
    auto typo = fleet(all);
    EXPECT_EQ(typo.code, 2) << typo.err;
    EXPECT_NE(typo.err.find("has version 9999"), std::string::npos) << typo.err;
  }
  EXPECT_EQ(fleet({"up", "--targets", files_.path()}).code, 2);  // a folder, not a file
  EXPECT_EQ(tandem_state(good), "f");
}

// The library: the canary alone, then waves of wave_size with at most `concurrency` at once;
// a failure in a wave stops the waves after it; a stop request before the run starts nothing.
TEST_F(FleetTest, WavesConcurrencyAndStop) {
  std::vector<std::string> urls;
  std::string yaml = "targets:\n";
  for (int i = 0; i < 7; ++i) {
    urls.push_back(database(i % 2 == 0 ? nullptr : second_));
    yaml += "  - { name: t" + std::to_string(i) + ", url: \"" + urls.back() + "\" }\n";
  }
  // t4 (wave 2 with wave size 2: t3, t4) fails.
  exec(urls[4], "CREATE TABLE a (planted text)");
  auto file = fleet::load_targets(targets(yaml));
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->canary, "t0") << "without `canary:` the first target is the canary";

  fleet::RunOptions run;
  run.base.engine.dir = dir_.path();
  run.base.engine.lock_wait_ms = 2000;
  run.wave_size = 2;
  run.concurrency = 2;
  std::vector<std::string> finished;
  run.on_target = [&](const fleet::TargetResult& t) { finished.push_back(t.name); };
  auto report = fleet::rollout(*file, run);
  ASSERT_TRUE(report.ok()) << report.status().message();
  std::map<std::string, fleet::TargetResult> by;
  for (const auto& t : report->targets) by[t.name] = t;
  EXPECT_EQ(finished.front(), "t0") << "the canary runs alone, first";
  EXPECT_EQ(by["t0"].wave, 0);
  EXPECT_EQ(by["t1"].wave, 1);
  EXPECT_EQ(by["t2"].wave, 1);
  EXPECT_EQ(by["t3"].wave, 2);
  EXPECT_EQ(by["t5"].wave, 3);
  EXPECT_EQ(by["t4"].state, "failed");
  EXPECT_EQ(by["t4"].code, Code::kDatabase);
  EXPECT_EQ(by["t1"].state, "done");
  EXPECT_EQ(by["t2"].state, "done");
  EXPECT_EQ(by["t5"].state, "not_started");
  EXPECT_EQ(by["t6"].state, "not_started");
  EXPECT_TRUE(report->halted);
  EXPECT_EQ(report->halted_by, "t4");
  EXPECT_EQ(finished.size(), 5u);  // t3 ran beside t4 (or before it) and finished
  EXPECT_EQ(tandem_state(urls[5]), "f");
  EXPECT_GE(report->target_ms, by["t0"].duration_ms);

  // Stopped before it starts: nothing runs.
  std::atomic<bool> stop{true};
  run.stop = &stop;
  auto stopped = fleet::rollout(*file, run);
  ASSERT_TRUE(stopped.ok());
  EXPECT_TRUE(stopped->halted);
  EXPECT_EQ(stopped->halted_by, "signal");
  EXPECT_EQ(stopped->count("not_started"), 7);
  EXPECT_EQ(tandem_state(urls[6]), "f");
}

// start / complete / rollback over a fleet: each target's active migration is its own; running
// start again leaves started targets alone.
TEST_F(FleetTest, ExpandContractOverTheFleet) {
  TempDir dir;
  dir.write("0001_t.sql",
            "-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, n integer NOT NULL);\n"
            "INSERT INTO t SELECT g, g FROM generate_series(1, 100) g;\n"
            "-- tandem:down\nDROP TABLE t;\n");
  std::string one = database(nullptr), two = database(third_);
  std::string file = targets("targets:\n  - { name: a, url: \"" + one +
                             "\" }\n  - { name: b, url: \"" + two + "\" }\n");
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> a = {"--dir", dir.path(), "fleet"};
    a.insert(a.end(), args.begin(), args.end());
    return testing::run_tandem(a);
  };
  auto json_of = [&](std::vector<std::string> args, int code) {
    auto r = run(args);
    EXPECT_EQ(r.code, code) << r.err << r.out;
    return parse(r);
  };
  dir.write("0002_m.yaml",
            "operations:\n  - add_column:\n      table: t\n      column: { name: m, type: "
            "integer, nullable: true }\n      up: n * 2\n");
  // Up to the version before the declarative one (which `up` would start and complete).
  json r = json_of({"up", "--to", "1", "--targets", file, "--json"}, 0);
  EXPECT_EQ(r["counts"]["done"], 2);
  EXPECT_EQ(target(r, "b")["version_after"], "1");
  EXPECT_EQ(json_of({"up", "--to", "1", "--targets", file, "--json"}, 0)["counts"]["up_to_date"],
            2);
  r = json_of({"start", "--targets", file, "--json"}, 0);
  EXPECT_EQ(target(r, "a")["state"], "done");
  EXPECT_EQ(target(r, "b")["state"], "done");
  EXPECT_EQ(target(r, "b")["active"], "2:started");
  r = json_of({"status", "--targets", file, "--json"}, 0);
  EXPECT_EQ(target(r, "a")["state"], "active");
  // Started already: nothing runs again.
  r = json_of({"start", "--targets", file, "--json"}, 0);
  EXPECT_EQ(r["counts"]["up_to_date"], 2);
  r = json_of({"rollback", "--targets", file, "--json"}, 0);
  EXPECT_EQ(r["counts"]["done"], 2);
  EXPECT_EQ(value(two,
                  "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' "
                  "AND column_name = 'm'"),
            "0");
  r = json_of({"rollback", "--targets", file, "--json"}, 0);
  EXPECT_EQ(r["counts"]["up_to_date"], 2) << "nothing active: nothing to roll back";
  json_of({"start", "--targets", file, "--json"}, 0);
  r = json_of({"complete", "--targets", file, "--json"}, 0);
  EXPECT_EQ(r["counts"]["done"], 2);
  EXPECT_EQ(target(r, "a")["version_after"], "2");
  EXPECT_EQ(value(one, "SELECT sum(m) FROM t"), "10100");
  r = json_of({"status", "--targets", file, "--json", "--exit-code"}, 0);
  EXPECT_EQ(r["counts"]["up_to_date"], 2);
}

// SIGTERM (or Ctrl-C) while the canary runs: it finishes, no other target starts, and the run
// says so (exit 1). Running the command again continues.
TEST_F(FleetTest, ASignalStopsNewTargetsFromStarting) {
  TempDir dir;
  dir.write("0001_slow.sql", "-- tandem:up\nSELECT pg_sleep(1.5);\n-- tandem:down\nSELECT 1;\n");
  std::string one = database(nullptr), two = database(second_), three = database(third_);
  std::string file =
      targets("targets:\n  - { name: a, url: \"" + one + "\" }\n  - { name: b, url: \"" + two +
              "\" }\n  - { name: c, url: \"" + three + "\" }\n");
  std::string log = files_.path() + "/fleet.log";
  pid_t pid = testing::spawn_tandem(
      {"--dir", dir.path(), "fleet", "up", "--targets", file, "--wave-size", "1", "--json"}, log);
  bool sleeping = false;
  for (int i = 0; i < 200 && !sleeping; ++i) {
    sleeping = value(one,
                     "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                     "'SELECT pg_sleep(1.5)%'") != "0";
    if (!sleeping) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(sleeping) << testing::read_file(log);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(testing::wait_exit(pid), 1) << testing::read_file(log);
  std::string out = testing::read_file(log);
  json r = json::parse(out.substr(out.rfind("\n{\n") + 1), nullptr, false);
  ASSERT_FALSE(r.is_discarded()) << out;
  EXPECT_EQ(r["halted_by"], "signal");
  EXPECT_EQ(target(r, "a")["state"], "done");
  EXPECT_EQ(target(r, "b")["state"], "not_started");
  EXPECT_EQ(target(r, "c")["state"], "not_started");
  EXPECT_EQ(tandem_state(two), "f");
  auto again =
      testing::run_tandem({"--dir", dir.path(), "fleet", "up", "--targets", file, "--json"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(parse(again)["counts"]["done"], 2);
  EXPECT_EQ(parse(again)["counts"]["up_to_date"], 1);
}

// The backfill flags reach every target, and a target's `replica:` becomes its backfills'
// standby: --max-lag with a `replica:` that is no standby (the target itself) fails that
// target's start before its backfill changes anything, naming the replica without its password.
TEST_F(FleetTest, BackfillThrottlesAndReplicaReachEachTarget) {
  TempDir dir;
  dir.write("0001_t.sql",
            "-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, n integer NOT NULL);\n"
            "INSERT INTO t SELECT g, g FROM generate_series(1, 100) g;\n"
            "-- tandem:down\nDROP TABLE t;\n");
  std::string one = database(nullptr);
  std::string with_password = one;
  with_password.insert(std::string("postgresql://postgres").size(), ":s3cret-pw");
  std::string file = targets("targets:\n  - { name: a, url: \"" + one + "\", replica: \"" +
                             with_password + "\" }\n");
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> a = {"--dir", dir.path()};
    a.insert(a.end(), args.begin(), args.end());
    return testing::run_tandem(a);
  };
  ASSERT_EQ(run({"fleet", "up", "--targets", file}).code, 0);
  dir.write("0002_m.yaml",
            "operations:\n  - add_column:\n      table: t\n      column: { name: m, type: "
            "integer, nullable: true }\n      up: n * 2\n");
  auto lagged = run({"--max-lag", "1s", "fleet", "start", "--targets", file, "--json"});
  EXPECT_EQ(lagged.code, 1) << lagged.err;
  json r = parse(lagged);
  EXPECT_EQ(target(r, "a")["state"], "failed");
  EXPECT_NE(target(r, "a")["error"].get<std::string>().find("is not a standby"), std::string::npos)
      << r.dump(2);
  EXPECT_EQ(lagged.out.find("s3cret"), std::string::npos) << lagged.out;
  EXPECT_EQ(lagged.err.find("s3cret"), std::string::npos) << lagged.err;
  if (value(one, "SELECT to_regclass('tandem.backfill_jobs') IS NOT NULL") == "t") {
    EXPECT_EQ(value(one, "SELECT coalesce(max(rows_done), 0) FROM tandem.backfill_jobs"), "0")
        << "no batch may run before the throttle's check";
  }
}

}  // namespace
}  // namespace tandem
