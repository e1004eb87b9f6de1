// Engine behaviour on both backends: every test runs on SQLite and on the real PostgreSQL.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class EngineTest : public ::testing::TestWithParam<Kind> {
 protected:
  EngineTest() : db_(GetParam()), opts_(testing::options_for(db_, dir_)) {}

  void write_basic() {
    dir_.write("0001_create_a.sql",
               "-- tandem:up\nCREATE TABLE a (id integer PRIMARY KEY, v text);\n-- "
               "tandem:down\nDROP TABLE a;\n");
    dir_.write("0002_fill_a.sql",
               "-- tandem:up\nINSERT INTO a VALUES (1, 'x;y');\nINSERT INTO a VALUES (2, 'z');\n"
               "-- tandem:down\nDELETE FROM a;\n");
    dir_.write("0003_create_b.sql",
               "-- tandem:up\nCREATE TABLE b (id integer);\n-- tandem:down\nDROP TABLE b;\n");
  }
  int count(const std::string& table) {
    return std::stoi(db_.value("SELECT count(*) FROM " + table));
  }
  bool table_exists(const std::string& t) {
    return db_.pg()
               ? db_.value("SELECT to_regclass('" + t + "') IS NOT NULL") == "t"
               : db_.value("SELECT count(*) FROM sqlite_master WHERE name = '" + t + "'") == "1";
  }
  std::string history() const { return db_.pg() ? "tandem.migrations" : "tandem_migrations"; }
  std::string events() const { return db_.pg() ? "tandem.events" : "tandem_events"; }

  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

TEST_P(EngineTest, UpAppliesInOrderAndRecordsHistory) {
  write_basic();
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->steps.size(), 3u);
  EXPECT_EQ(r->steps[0].version, "1");
  EXPECT_EQ(r->steps[1].statements, 2);
  EXPECT_EQ(r->current_version, "3");
  EXPECT_EQ(count("a"), 2);
  EXPECT_EQ(db_.value("SELECT v FROM a WHERE id = 1"), "x;y");
  EXPECT_EQ(count(history()), 3);
  EXPECT_EQ(db_.value("SELECT status FROM " + history() + " WHERE version = '2'"), "applied");
  EXPECT_EQ(db_.value("SELECT checksum FROM " + history() + " WHERE version = '2'"),
            checksum(testing::read_file(dir_.path() + "/0002_fill_a.sql")));
  EXPECT_EQ(db_.value("SELECT statements_total FROM " + history() + " WHERE version = '2'"), "2");
  EXPECT_FALSE(db_.value("SELECT applied_by FROM " + history() + " WHERE version = '2'").empty());
  EXPECT_EQ(db_.value("SELECT count(*) FROM " + events() + " WHERE action = 'up'"), "3");

  auto again = up(opts_, {});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->steps.empty());
  EXPECT_EQ(again->current_version, "3");
}

TEST_P(EngineTest, UpToAndDownStepsAndTo) {
  write_basic();
  UpOptions to2;
  to2.to = "2";
  ASSERT_TRUE(up(opts_, to2).ok());
  EXPECT_EQ(count(history()), 2);
  EXPECT_FALSE(table_exists("b"));
  ASSERT_TRUE(up(opts_, {}).ok());

  auto d = down(opts_, {});
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->steps.size(), 1u);
  EXPECT_EQ(d->steps[0].version, "3");
  EXPECT_FALSE(table_exists("b"));

  DownOptions to0;
  to0.to = "0";
  d = down(opts_, to0);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->steps.size(), 2u);
  EXPECT_FALSE(table_exists("a"));
  EXPECT_EQ(count(history()), 0);
  EXPECT_EQ(db_.value("SELECT count(*) FROM " + events() + " WHERE action = 'down'"), "3");

  ASSERT_TRUE(up(opts_, {}).ok());
  DownOptions steps2;
  steps2.steps = 2;
  d = down(opts_, steps2);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->steps.size(), 2u);
  EXPECT_TRUE(table_exists("a"));
  EXPECT_EQ(count("a"), 0);
}

TEST_P(EngineTest, FailingTransactionalMigrationLeavesNoTrace) {
  write_basic();
  dir_.write("0004_broken.sql",
             "-- tandem:up\nCREATE TABLE c (id integer);\nINSERT INTO c VALUES (1);\nINSERT INTO "
             "missing_table VALUES (1);\n");
  auto r = up(opts_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDatabase);
  EXPECT_NE(r.status().message().find("0004_broken.sql:4:"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("statement 3 of 3"), std::string::npos);
  EXPECT_NE(r.status().hint().find("rolled back"), std::string::npos);
  EXPECT_FALSE(table_exists("c"));
  EXPECT_EQ(count(history()), 3);
  EXPECT_EQ(db_.value("SELECT count(*) FROM " + events() +
                      " WHERE action = 'up_failed' AND version = '4'"),
            "1");
}

TEST_P(EngineTest, NonTransactionalFailureIsRecordedAndResumes) {
  dir_.write("0001_steps.sql",
             "-- tandem:no-transaction\n-- tandem:up\nCREATE TABLE s (id integer);\nINSERT INTO s "
             "VALUES (1);\n"
             "INSERT INTO nope VALUES (1);\nCREATE TABLE t (id integer);\n-- tandem:down\nDROP "
             "TABLE t;\nDROP TABLE s;\n");
  auto r = up(opts_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().hint().find("--resume"), std::string::npos);
  EXPECT_EQ(db_.value("SELECT status FROM " + history()), "failed");
  EXPECT_EQ(db_.value("SELECT statements_applied FROM " + history()), "2");
  EXPECT_NE(db_.value("SELECT failed_statement FROM " + history()).find("nope"), std::string::npos);

  auto st = status(opts_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->migrations[0].state, "failed");
  EXPECT_EQ(st->failed, 1);

  // Refused without --resume, and nothing changes.
  std::string before = db_.snapshot();
  r = up(opts_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("--resume"), std::string::npos);
  EXPECT_EQ(before, db_.snapshot());

  // Fix the statement and resume: the first two statements are not run again.
  dir_.write("0001_steps.sql",
             "-- tandem:no-transaction\n-- tandem:up\nCREATE TABLE s (id integer);\nINSERT INTO s "
             "VALUES (1);\n"
             "INSERT INTO s VALUES (2);\nCREATE TABLE t (id integer);\n-- tandem:down\nDROP TABLE "
             "t;\nDROP TABLE s;\n");
  UpOptions resume;
  resume.resume = true;
  r = up(opts_, resume);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->steps.size(), 1u);
  EXPECT_TRUE(r->steps[0].resumed);
  EXPECT_EQ(count("s"), 2);
  EXPECT_TRUE(table_exists("t"));
  EXPECT_EQ(db_.value("SELECT status FROM " + history()), "applied");
  EXPECT_EQ(db_.value("SELECT checksum FROM " + history()),
            checksum(testing::read_file(dir_.path() + "/0001_steps.sql")));

  // Reverting a non-transactional migration goes statement by statement too.
  ASSERT_TRUE(down(opts_, {}).ok());
  EXPECT_FALSE(table_exists("s"));
  EXPECT_EQ(count(history()), 0);
}

TEST_P(EngineTest, FailedNonTransactionalRevertResumes) {
  dir_.write("0001_two_tables.sql",
             "-- tandem:no-transaction\n-- tandem:up\nCREATE TABLE p (id integer);\nCREATE TABLE q "
             "(id integer);\n"
             "-- tandem:down\nDROP TABLE q;\nDROP TABLE nope;\nDROP TABLE p;\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  auto d = down(opts_, {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().hint().find("tandem down --resume"), std::string::npos) << d.status().hint();
  EXPECT_FALSE(table_exists("q"));
  EXPECT_TRUE(table_exists("p"));
  EXPECT_EQ(
      db_.value("SELECT status || ':' || direction || ':' || statements_applied FROM " + history()),
      "failed:down:1");
  // `up` refuses while a revert is half-done.
  EXPECT_EQ(up(opts_, {}).status().code(), Code::kInvalidInput);
  dir_.write("0001_two_tables.sql",
             "-- tandem:no-transaction\n-- tandem:up\nCREATE TABLE p (id integer);\nCREATE TABLE q "
             "(id integer);\n"
             "-- tandem:down\nDROP TABLE q;\nDROP TABLE IF EXISTS nope;\nDROP TABLE p;\n");
  DownOptions resume;
  resume.resume = true;
  d = down(opts_, resume);
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->steps.size(), 1u);
  EXPECT_TRUE(d->steps[0].resumed);
  EXPECT_FALSE(table_exists("p"));
  EXPECT_EQ(count(history()), 0);
}

// Every bad-input case: a clear message, nothing changed (byte-for-byte on SQLite).
TEST_P(EngineTest, BadInputChangesNothing) {
  write_basic();
  ASSERT_TRUE(up(opts_, {}).ok());
  struct Case {
    std::string name;
    std::function<void()> arrange;
    std::function<void()> undo;
    std::string expect;
  };
  const std::string f1 = testing::read_file(dir_.path() + "/0001_create_a.sql");
  std::vector<Case> cases = {
      {"bad name", [&] { dir_.write("add_c.sql", "-- tandem:up\nCREATE TABLE c (id int);\n"); },
       [&] { dir_.remove("add_c.sql"); }, "rename it to <version>_<name>.sql"},
      {"duplicate version",
       [&] {
         dir_.write("0004_c.sql", "-- tandem:up\nCREATE TABLE c (id int);\n");
         dir_.write("4_d.sql", "-- tandem:up\nSELECT 1;\n");
       },
       [&] {
         dir_.remove("0004_c.sql");
         dir_.remove("4_d.sql");
       },
       "version 4 is also used by"},
      {"missing up", [&] { dir_.write("0004_c.sql", "CREATE TABLE c (id int);\n"); },
       [&] { dir_.remove("0004_c.sql"); }, "no `-- tandem:up` section"},
      {"checksum mismatch", [&] { dir_.write("0001_create_a.sql", f1 + "-- edited\n"); },
       [&] { dir_.write("0001_create_a.sql", f1); }, "file changed after it was applied"},
      {"missing file", [&] { dir_.remove("0001_create_a.sql"); },
       [&] { dir_.write("0001_create_a.sql", f1); }, "its file is not in the folder"},
      {"out of order",
       [&] {
         dir_.write("0000_zero.sql", "-- tandem:up\nCREATE TABLE z (id int);\n");
         dir_.write("0004_c.sql", "-- tandem:up\nCREATE TABLE c (id int);\n");
       },
       [&] {
         dir_.remove("0000_zero.sql");
         dir_.remove("0004_c.sql");
       },
       "lower than the newest applied version"},
      {"syntax error",
       [&] {
         dir_.write(
             "0004_c.sql",
             "-- tandem:up\nCREATE TABLE c (id int);\nINSERT INTO c VALUES ('unterminated);\n");
       },
       [&] { dir_.remove("0004_c.sql"); }, "0004_c.sql:3"},
      {"user transaction",
       [&] {
         dir_.write("0004_c.sql", "-- tandem:up\nBEGIN;\nCREATE TABLE c (id int);\nCOMMIT;\n");
       },
       [&] { dir_.remove("0004_c.sql"); }, "BEGIN/COMMIT"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    c.arrange();
    std::string before = db_.snapshot();
    auto r = up(opts_, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidInput);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("nothing was changed"), std::string::npos);
    EXPECT_EQ(before, db_.snapshot());
    // down refuses as well, except for a pending version below the newest applied one:
    // reverting the newest applied migrations does not touch it.
    if (c.name == "out of order") {
      auto d = plan_down(opts_, {});
      ASSERT_TRUE(d.ok()) << d.status().message();
      EXPECT_EQ(d->size(), 1u);
    } else {
      auto d = down(opts_, {});
      EXPECT_FALSE(d.ok());
    }
    EXPECT_EQ(before, db_.snapshot());
    c.undo();
  }
  // Out of order is allowed on request.
  dir_.write("0000_zero.sql", "-- tandem:up\nCREATE TABLE z (id integer);\n");
  opts_.allow_out_of_order = true;
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->steps.size(), 1u);
  EXPECT_TRUE(table_exists("z"));
}

TEST_P(EngineTest, GroupAppliesAllOrNothing) {
  write_basic();
  dir_.write("0004_broken.sql",
             "-- tandem:up\nCREATE TABLE c (id integer);\nINSERT INTO nope VALUES (1);\n");
  UpOptions grouped;
  grouped.group = true;
  auto r = up(opts_, grouped);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().hint().find("--group"), std::string::npos);
  EXPECT_FALSE(table_exists("a"));
  EXPECT_FALSE(table_exists("c"));
  EXPECT_EQ(count(history()), 0);
  EXPECT_EQ(db_.value("SELECT count(*) FROM " + events() + " WHERE action = 'up_failed'"), "1");
  dir_.remove("0004_broken.sql");
  // A statement that cannot run in a transaction closes the group and runs alone.
  dir_.write("0004_vacuum.sql", db_.pg() ? "-- tandem:up\nVACUUM a;\n" : "-- tandem:up\nVACUUM;\n");
  dir_.write("0005_d.sql", "-- tandem:up\nCREATE TABLE d (id integer);\n");
  r = up(opts_, grouped);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->steps.size(), 5u);
  EXPECT_FALSE(r->steps[3].transactional);
  EXPECT_EQ(count("a"), 2);
  EXPECT_TRUE(table_exists("d"));
  EXPECT_EQ(count(history()), 5);
  EXPECT_EQ(r->current_version, "5");
}

TEST_P(EngineTest, FirstRunWithBadInputChangesNothing) {
  (void)db_.connect();  // the empty database exists before tandem runs
  dir_.write("0001_ok.sql", "-- tandem:up\nCREATE TABLE a (id integer);\n");
  dir_.write("0002_bad.sql", "-- tandem:up\nCREATE TABLE b (id integer);\nBEGIN;\n");
  std::string before = db_.snapshot();
  auto r = up(opts_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("0002_bad.sql:3:1"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(before, db_.snapshot());
  // Read commands never write either.
  EXPECT_TRUE(status(opts_).ok());
  EXPECT_TRUE(validate(opts_).ok());
  EXPECT_FALSE(plan_up(opts_, {}).ok());
  EXPECT_EQ(before, db_.snapshot());
}

TEST_P(EngineTest, DownWithoutDownSectionIsRefused) {
  dir_.write("0001_a.sql", "-- tandem:up\nCREATE TABLE a (id integer);\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  std::string before = db_.snapshot();
  auto d = down(opts_, {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("no `-- tandem:down` statements"), std::string::npos);
  EXPECT_EQ(before, db_.snapshot());
  DownOptions bad;
  bad.to = "7";
  d = down(opts_, bad);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("version 7 is neither"), std::string::npos);
}

TEST_P(EngineTest, StatusShowsEveryState) {
  write_basic();
  ASSERT_TRUE(up(opts_, {}).ok());
  std::string f2 = testing::read_file(dir_.path() + "/0002_fill_a.sql");
  dir_.write("0002_fill_a.sql", f2 + "\n-- edited\n");
  dir_.remove("0003_create_b.sql");
  dir_.write("0000_early.sql", "-- tandem:up\nSELECT 1;\n");
  dir_.write("0009_next.sql", "-- tandem:up\nSELECT 1;\n");
  auto st = status(opts_);
  ASSERT_TRUE(st.ok()) << st.status().message();
  std::vector<std::string> states;
  for (const auto& m : st->migrations) states.push_back(m.version + ":" + m.state);
  EXPECT_EQ(states, (std::vector<std::string>{"0:out_of_order", "1:applied", "2:changed",
                                              "3:missing", "9:pending"}));
  EXPECT_EQ(st->current_version, "3");
  EXPECT_EQ(st->applied, 3);
  EXPECT_EQ(st->pending, 2);
  EXPECT_EQ(st->backend, db_.pg() ? "postgres" : "sqlite");

  auto problems = validate(opts_);
  ASSERT_TRUE(problems.ok());
  std::vector<std::string> kinds;
  for (const auto& p : *problems) kinds.push_back(p.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"checksum_mismatch", "missing_file", "out_of_order"}));
}

TEST_P(EngineTest, RepairAcceptsChecksumsAndForgetsMissingAndFailed) {
  write_basic();
  ASSERT_TRUE(up(opts_, {}).ok());
  std::string f2 = testing::read_file(dir_.path() + "/0002_fill_a.sql");
  dir_.write("0002_fill_a.sql", f2 + "-- a comment\n");
  dir_.remove("0003_create_b.sql");
  dir_.write("0004_fail.sql",
             "-- tandem:no-transaction\n-- tandem:up\nCREATE TABLE f (id integer);\nSELECT * FROM "
             "nope;\n");
  ASSERT_FALSE(up(opts_, {}).ok());  // refused: problems
  dir_.write("0003_create_b.sql",
             "-- tandem:up\nCREATE TABLE b (id integer);\n-- tandem:down\nDROP TABLE b;\n");
  dir_.write("0002_fill_a.sql", f2);
  ASSERT_FALSE(up(opts_, {}).ok());  // 0004 fails part-way
  EXPECT_EQ(db_.value("SELECT status FROM " + history() + " WHERE version = '4'"), "failed");
  dir_.write("0002_fill_a.sql", f2 + "-- a comment\n");
  dir_.remove("0003_create_b.sql");

  auto r = repair(opts_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<std::string> actions;
  for (const auto& a : *r) actions.push_back(a.version + ":" + a.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"2:updated_checksum", "3:removed_missing",
                                               "4:removed_failed"}));
  EXPECT_EQ(db_.value("SELECT count(*) FROM " + events() + " WHERE action = 'repair'"), "3");
  auto v = validate(opts_);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty());
  auto again = repair(opts_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST_P(EngineTest, RepairRefusesAMisreadFolder) {
  write_basic();
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("bad-name.sql", "-- tandem:up\nSELECT 1;\n");
  std::string before = db_.snapshot();
  auto r = repair(opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidInput);
  EXPECT_EQ(before, db_.snapshot());
}

TEST_P(EngineTest, BaselineMarksExistingSchemaThenUpAppliesTheRest) {
  write_basic();
  auto c = db_.connect();
  ASSERT_TRUE(c->execute_script("CREATE TABLE a (id integer PRIMARY KEY, v text)").ok());
  auto b = baseline(opts_, "0002");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->size(), 2u);
  EXPECT_EQ(count("a"), 0);  // 0002 was not run
  auto st = status(opts_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->migrations[0].state, "baseline");
  EXPECT_EQ(st->migrations[2].state, "pending");
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->steps.size(), 1u);
  // Baseline is refused once history exists, and down never reverts below it.
  EXPECT_FALSE(baseline(opts_, "1").ok());
  DownOptions all;
  all.to = "0";
  auto d = down(opts_, all);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->steps.size(), 1u);
  EXPECT_TRUE(table_exists("a"));
}

TEST_P(EngineTest, PlanShowsExactlyWhatWouldRunAndChangesNothing) {
  write_basic();
  UpOptions to1;
  to1.to = "1";
  ASSERT_TRUE(up(opts_, to1).ok());
  std::string before = db_.snapshot();
  auto p = plan_up(opts_, {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].file, "0002_fill_a.sql");
  ASSERT_EQ((*p)[0].statements.size(), 2u);
  EXPECT_NE((*p)[0].statements[0].sql.find("INSERT INTO a VALUES (1, 'x;y')"), std::string::npos);
  EXPECT_TRUE((*p)[0].transactional);
  auto pd = plan_down(opts_, {});
  ASSERT_TRUE(pd.ok());
  ASSERT_EQ(pd->size(), 1u);
  EXPECT_EQ((*pd)[0].statements[0].sql, db_.pg() ? "DROP TABLE a" : "DROP TABLE a;");
  EXPECT_EQ(before, db_.snapshot());
}

TEST_P(EngineTest, InitAndNewFollowTheFolderNumbering) {
  TempDir fresh;
  EngineOptions o = opts_;
  o.dir = fresh.path() + "/db/migrations";
  ASSERT_TRUE(init(o).ok());
  ASSERT_TRUE(init(o).ok());  // idempotent
  EXPECT_TRUE(table_exists(db_.pg() ? "tandem.migrations" : "tandem_migrations"));
  auto p = new_migration(o, "Add Users Email!");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->size(),
            o.dir.size() + 1 + 14 + 1 + 15 + 4);  // <dir>/<14-digit stamp>_add_users_email.sql
  dir_.write("0007_x.sql", "-- tandem:up\nSELECT 1;\n");
  auto q = new_migration(opts_, "next one");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->substr(q->size() - 17), "0008_next_one.sql");
  EXPECT_FALSE(new_migration(opts_, "!!!").ok());
}

TEST_P(EngineTest, NumericOrderAcrossVersionStyles) {
  dir_.write("2_two.sql", "-- tandem:up\nCREATE TABLE two (id integer);\n");
  dir_.write("10_ten.sql", "-- tandem:up\nCREATE TABLE ten (id integer);\n");
  dir_.write("20261122093000_stamp.sql", "-- tandem:up\nCREATE TABLE stamp (id integer);\n");
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->steps.size(), 3u);
  EXPECT_EQ(r->steps[0].version, "2");
  EXPECT_EQ(r->steps[1].version, "10");
  EXPECT_EQ(r->steps[2].version, "20261122093000");
}

// Two processes racing on one SQLite file apply every migration exactly once.
TEST(SqliteEngine, ConcurrentUpsApplyEveryMigrationOnce) {
  TempDir dir;
  TestDb db(Kind::kSqlite);
  auto c = db.connect();
  ASSERT_TRUE(c->execute_script("CREATE TABLE applied_log (version integer PRIMARY KEY)").ok());
  for (int v = 1; v <= 20; ++v) {
    dir.write(fmt::format("{:04d}_m.sql", v),
              fmt::format("-- tandem:up\nINSERT INTO applied_log VALUES ({});\n", v));
  }
  TempDir logs;
  std::vector<std::string> args = {"--db", db.url(), "--dir", dir.path(), "up"};
  pid_t a = testing::spawn_tandem(args, logs.path() + "/a");
  pid_t b = testing::spawn_tandem(args, logs.path() + "/b");
  EXPECT_EQ(testing::wait_exit(a), 0) << testing::read_file(logs.path() + "/a");
  EXPECT_EQ(testing::wait_exit(b), 0) << testing::read_file(logs.path() + "/b");
  EXPECT_EQ(db.value("SELECT count(*) FROM applied_log"), "20");
  EXPECT_EQ(db.value("SELECT count(*) FROM tandem_events WHERE action = 'up'"), "20");
}

// Journal modes are SQLite's own.
TEST(SqliteEngine, SwitchesToWalUnlessAskedToKeepTheJournal) {
  TempDir dir_;
  TestDb db_(Kind::kSqlite);
  EngineOptions opts_ = testing::options_for(db_, dir_);
  dir_.write("0001_a.sql", "-- tandem:up\nCREATE TABLE a (id integer);\n");
  EngineOptions keep = opts_;
  keep.sqlite_keep_journal = true;
  ASSERT_TRUE(up(keep, {}).ok());
  EXPECT_EQ(db_.value("PRAGMA journal_mode"), "delete");
  dir_.write("0002_b.sql", "-- tandem:up\nCREATE TABLE b (id integer);\n");
  std::vector<std::string> logs;
  opts_.log = [&](const std::string& l) { logs.push_back(l); };
  ASSERT_TRUE(up(opts_, {}).ok());
  EXPECT_EQ(db_.value("PRAGMA journal_mode"), "wal");
  ASSERT_FALSE(logs.empty());
  EXPECT_NE(logs[0].find("switched journal_mode from delete to wal"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineTest, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         testing::kind_name);

}  // namespace
}  // namespace tandem
