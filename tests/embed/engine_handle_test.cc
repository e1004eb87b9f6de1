// tandem as a library: the Engine handle (tandem/tandem.h) opened once and called many times,
// on its own connection or the program's, and examples/embed built and run as a program.

#include <gtest/gtest.h>

#include "tandem/tandem.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

const char* kAccounts =
    "-- tandem:up\nCREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n"
    "INSERT INTO accounts VALUES (1, 'a@x'), (2, 'b@x');\n-- tandem:down\nDROP TABLE accounts;\n";

class EngineHandleTest : public ::testing::TestWithParam<Kind> {
 protected:
  EngineHandleTest() : db_(GetParam()) { dir_.write("0001_accounts.sql", kAccounts); }
  Options options() const {
    Options o = testing::options_for(db_, dir_);
    return o;
  }
  TempDir dir_;
  TestDb db_;
};

TEST_P(EngineHandleTest, OpenOnceThenStatusPlanUpDown) {
  auto engine = Engine::open(options());
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  auto before = (*engine)->status();
  ASSERT_TRUE(before.ok()) << before.status().message();
  EXPECT_EQ(before->pending, 1);
  auto plan = (*engine)->plan();
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_EQ(plan->front().file, "0001_accounts.sql");
  EXPECT_ANY_THROW(db_.value("SELECT 1 FROM accounts")) << "plan runs nothing";
  auto up = (*engine)->up();
  ASSERT_TRUE(up.ok()) << up.status().message();
  EXPECT_EQ(up->current_version, "1");
  EXPECT_EQ(db_.value("SELECT count(*) FROM accounts"), "2");
  // The same handle, again: nothing pending; a new file is seen without reopening.
  dir_.write("0002_more.sql",
             "-- tandem:up\nALTER TABLE accounts ADD COLUMN plan text;\n"
             "-- tandem:down\nALTER TABLE accounts DROP COLUMN plan;\n");
  auto again = (*engine)->up();
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->current_version, "2");
  auto down = (*engine)->down(DownOptions{});
  ASSERT_TRUE(down.ok()) << down.status().message();
  EXPECT_EQ(down->current_version, "1");
  auto validated = (*engine)->validate();
  ASSERT_TRUE(validated.ok());
  EXPECT_TRUE(validated->empty());
}

// Errors are values, and nothing is changed by a call that fails.
TEST_P(EngineHandleTest, ErrorsAreValues) {
  Options bad = options();
  bad.engine.db_url = "mysql://nope";
  auto no_url = Engine::open(bad);
  ASSERT_FALSE(no_url.ok());
  EXPECT_EQ(no_url.status().code(), Code::kInvalidInput);
  Options no_dir = options();
  no_dir.engine.dir = dir_.path() + "/missing";
  auto missing = Engine::open(no_dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);

  auto engine = Engine::open(options());
  ASSERT_TRUE(engine.ok());
  dir_.write("0002_broken.sql", "no sections here\n");
  std::string before = db_.snapshot();
  auto up = (*engine)->up();
  ASSERT_FALSE(up.ok());
  EXPECT_NE(up.status().message().find("0002_broken.sql"), std::string::npos)
      << up.status().message();
  EXPECT_EQ(db_.snapshot(), before) << "a refused up changes nothing";
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineHandleTest,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

// On the program's own connection (a pool's, say): the work runs on it — its session sees the
// search_path tandem set — and the two-version lifecycle works through the handle.
TEST(EngineHandle, OnTheProgramsConnectionWithTheLifecycle) {
  TempDir dir;
  TestDb db(Kind::kPostgres);
  dir.write("0001_accounts.sql", kAccounts);
  Options o = testing::options_for(db, dir);
  auto conn = db.connect();
  std::shared_ptr<db::Connection> shared(std::move(conn));
  o.engine.connection = shared;
  ASSERT_TRUE(shared->execute("SET lock_timeout = '7s'").ok());
  o.backfill.max_rows = 1;  // a batch per row
  auto engine = Engine::open(o);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  ASSERT_TRUE((*engine)->up().ok());
  dir.write("0002_upper.yaml",
            "operations:\n  - alter_column: {table: accounts, column: email, type: text, "
            "up: upper(email), down: lower(email)}\n");
  auto started = (*engine)->start();
  ASSERT_TRUE(started.ok()) << started.status().message();
  EXPECT_EQ(started->new_schema, "public_2");
  auto checked = (*engine)->verify();
  ASSERT_TRUE(checked.ok()) << checked.status().message();
  EXPECT_EQ(checked->mismatches(), 0);
  auto done = (*engine)->complete();
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(db.value("SELECT string_agg(email, ',' ORDER BY id) FROM accounts"), "A@X,B@X");
  // The program's connection is still open and usable, with the settings it had.
  auto setting = shared->query("SELECT current_setting('lock_timeout')");
  ASSERT_TRUE(setting.ok());
  EXPECT_EQ(setting->text(0, 0), "7s");
  auto r = shared->query("SELECT count(*) FROM accounts");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->text(0, 0), "2");
  // A connection to another database than db_url names is refused: the lock would be taken
  // on the wrong one. Another kind of database, and another PostgreSQL database.
  Options wrong = o;
  wrong.engine.db_url = "sqlite:" + dir.path() + "/x.db";
  auto refused = Engine::open(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("connection"), std::string::npos);
  TestDb other(Kind::kPostgres);
  wrong.engine.db_url = other.url();
  auto elsewhere = Engine::open(wrong);
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_NE(elsewhere.status().message().find("not on the database"), std::string::npos)
      << elsewhere.status().message();
  // SQLite: the same file by another spelling is the same database; another file is not.
  TestDb lite(Kind::kSqlite);
  Options on_file = testing::options_for(lite, dir);
  std::shared_ptr<db::Connection> file_conn(lite.connect());
  on_file.engine.connection = file_conn;
  EXPECT_TRUE(Engine::open(on_file).ok());
  on_file.engine.db_url = "sqlite:" + dir.path() + "/another.db";
  EXPECT_FALSE(Engine::open(on_file).ok());
}

// examples/embed: a program built against the public headers and tandem_lib alone.
TEST(EmbedExample, MigratesAtStartupOnBothBackends) {
  const std::string program = TANDEM_EMBED_EXAMPLE;
  const std::string migrations = std::string(TANDEM_SOURCE_DIR) + "/examples/embed/migrations";
  for (Kind kind : {Kind::kSqlite, Kind::kPostgres}) {
    TestDb db(kind);
    auto first = testing::run_program(program, {db.url(), migrations});
    EXPECT_EQ(first.code, 0) << first.out << first.err;
    EXPECT_NE(first.out.find("0 applied, 2 pending"), std::string::npos) << first.out;
    EXPECT_NE(first.out.find("applied 2 migrations; current version 2"), std::string::npos)
        << first.out;
    const char* history = kind == Kind::kPostgres ? "tandem.migrations" : "tandem_migrations";
    EXPECT_EQ(
        db.value(std::string("SELECT count(*) FROM ") + history + " WHERE status = 'applied'"),
        "2");
    db.exec("INSERT INTO accounts (id, email) VALUES (1, 'a@x')");
    EXPECT_EQ(db.value("SELECT plan FROM accounts"), "free");
    auto second = testing::run_program(program, {db.url(), migrations});
    EXPECT_EQ(second.code, 0) << second.err;
    EXPECT_NE(second.out.find("2 applied, 0 pending"), std::string::npos) << second.out;
    auto wrong = testing::run_program(program, {db.url(), migrations + "/nope"});
    EXPECT_EQ(wrong.code, 2) << wrong.out << wrong.err;
    EXPECT_NE(wrong.err.find("embed: open: migrations folder"), std::string::npos) << wrong.err;
  }
}

}  // namespace
}  // namespace tandem
