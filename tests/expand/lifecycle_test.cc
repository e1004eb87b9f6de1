// start / complete / rollback on the real PostgreSQL: two live versions of additive changes.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

std::string catalog(const TestDb& db) { return db.catalog(); }

// A new table, a column with a default and an index: additive changes both versions share.
const char* kExpand =
    "operations:\n"
    "  - create_table:\n      name: audit\n      columns:\n        - {name: id, type: bigint, pk: "
    "true}\n"
    "  - add_column:\n      table: users\n      column: {name: locale, type: text, default: "
    "\"'en'\"}\n"
    "  - create_index: {name: users_locale_idx, table: users, columns: [locale]}\n";

class LifecycleTest : public ::testing::Test {
 protected:
  LifecycleTest() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {
    dir_.write("0001_base.sql",
               "-- tandem:up\nCREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n"
               "INSERT INTO users VALUES (1, 'a@x');\n-- tandem:down\nDROP TABLE users;\n");
  }
  std::string in_version(const std::string& schema, const std::string& sql) {
    auto c = db_.connect();
    EXPECT_TRUE(c->execute_script("SET search_path = " + schema).ok());
    auto r = c->query(sql);
    if (!r.ok()) return "ERROR: " + r.status().message();
    return r->empty() || r->columns.empty() ? "" : r->text(0, 0);
  }
  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

TEST_F(LifecycleTest, AdditiveChangesLiveSideBySideThenRollbackThenComplete) {
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_expand.yaml", kExpand);
  std::string before = catalog(db_);

  auto s = expand::start(opts_, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->old_schema, "public_1");
  EXPECT_EQ(s->new_schema, "public_2");
  // Both versions read and write at the same time, each seeing its own shape.
  EXPECT_EQ(in_version("public_1", "INSERT INTO users VALUES (2, 'b@x') RETURNING id"), "2");
  EXPECT_EQ(
      in_version("public_2", "INSERT INTO users (id, email) VALUES (3, 'c@x') RETURNING locale"),
      "en");
  EXPECT_EQ(in_version("public_2", "SELECT locale FROM users WHERE id = 2"), "en");
  EXPECT_EQ(in_version("public_1", "SELECT email FROM users WHERE id = 3"), "c@x");
  EXPECT_NE(in_version("public_1", "SELECT locale FROM users").find("ERROR"), std::string::npos);
  EXPECT_NE(in_version("public_1", "SELECT * FROM audit").find("ERROR"), std::string::npos);
  EXPECT_EQ(in_version("\"$user\", public_2", "SELECT count(*) FROM audit"), "0");

  // version-schema: what each application puts on its search_path, and a URL that does it.
  auto vs = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "version-schema"});
  EXPECT_EQ(vs.out, "public_2\n") << vs.err;
  vs = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "version-schema", "1"});
  EXPECT_EQ(vs.out, "public_1\n") << vs.err;
  vs = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "version-schema", "7"});
  EXPECT_EQ(vs.code, 2);
  EXPECT_NE(vs.err.find("versions with a schema: 2, 1"), std::string::npos) << vs.err;
  vs = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "version-schema", "--dsn"});
  ASSERT_EQ(vs.code, 0) << vs.err;
  auto app = db::connect(vs.out.substr(0, vs.out.size() - 1), {});
  ASSERT_TRUE(app.ok()) << app.status().message();
  EXPECT_EQ((*app)->query("SELECT locale FROM users WHERE id = 3")->text(0, 0), "en");
  // The URL's own options stay: merged into one `options`, never a second one that wins.
  vs = testing::run_tandem({"--db", db_.url() + "&options=-c%20statement_timeout%3D5s", "--dir",
                            dir_.path(), "version-schema", "--dsn"});
  ASSERT_EQ(vs.code, 0) << vs.err;
  EXPECT_EQ(vs.out.find("options=", vs.out.find("options=") + 1), std::string::npos) << vs.out;
  app = db::connect(vs.out.substr(0, vs.out.size() - 1), {});
  ASSERT_TRUE(app.ok()) << app.status().message();
  EXPECT_EQ((*app)->query("SHOW statement_timeout")->text(0, 0), "5s");
  EXPECT_EQ((*app)->query("SHOW search_path")->text(0, 0), "public_2");
  // A password is masked unless asked for (and then the URL works as it is).
  std::string with_pw = db_.url() + "&password=s3cret";
  vs = testing::run_tandem(
      {"--db", with_pw, "--dir", dir_.path(), "version-schema", "--dsn", "--json"});
  ASSERT_EQ(vs.code, 0) << vs.err;
  EXPECT_EQ(vs.out.find("s3cret"), std::string::npos) << vs.out;
  EXPECT_NE(vs.err.find("--show-password"), std::string::npos) << vs.err;
  vs = testing::run_tandem(
      {"--db", with_pw, "--dir", dir_.path(), "version-schema", "--dsn", "--show-password"});
  ASSERT_EQ(vs.code, 0) << vs.err;
  EXPECT_NE(vs.out.find("s3cret"), std::string::npos) << vs.out;
  app = db::connect(vs.out.substr(0, vs.out.size() - 1), {});
  ASSERT_TRUE(app.ok()) << app.status().message();
  EXPECT_EQ((*app)->query("SHOW search_path")->text(0, 0), "public_2");

  auto st = status(opts_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->active_migration, "2:started");
  EXPECT_EQ(st->active_old_schema, "public_1");
  EXPECT_EQ(st->active_new_schema, "public_2");
  EXPECT_EQ(st->migrations[1].state, "started");
  auto refused = up(opts_, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("tandem complete"), std::string::npos);
  EXPECT_FALSE(expand::start(opts_, std::nullopt).ok());

  auto rb = expand::rollback(opts_);
  ASSERT_TRUE(rb.ok()) << rb.status().message();
  EXPECT_EQ(catalog(db_), before);
  EXPECT_EQ(db_.value("SELECT string_agg(id::text, ',' ORDER BY id) FROM users"),
            "1,2,3");  // nothing lost

  ASSERT_TRUE(expand::start(opts_, std::nullopt).ok());
  auto done = expand::complete(opts_);
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_1'"), "0");
  EXPECT_EQ(in_version("public_2", "SELECT locale FROM users WHERE id = 1"), "en");
  EXPECT_EQ(
      db_.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_locale_idx'::regclass"),
      "t");
  EXPECT_EQ(db_.value("SELECT status FROM tandem.migrations WHERE version = '2'"), "applied");
  EXPECT_EQ(
      db_.value(
          "SELECT string_agg(action, ',' ORDER BY id) FROM tandem.events WHERE version = '2'"),
      "start,rollback,start,complete");
  EXPECT_FALSE(expand::complete(opts_).ok());  // nothing active any more
}

// Kill tandem (as SIGKILL would: no cleanup, no unlock) at every step of start, rollback and
// complete; running the same command again converges.
TEST_F(LifecycleTest, CrashAtEveryStepConverges) {
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_expand.yaml", kExpand);
  std::string before = catalog(db_);
  auto run = [&](const std::string& command, const std::string& crash_at) {
    return testing::run_tandem(
        {"--db", db_.url(), "--dir", dir_.path(), "-q", command},
        crash_at.empty() ? std::map<std::string, std::string>{}
                         : std::map<std::string, std::string>{{"TANDEM_TEST_CRASH_AT", crash_at}});
  };
  std::string after_start;
  for (const char* point : {"start:registered", "start:old-schema", "start:statement:1",
                            "start:statement:2", "start:statement:3", "start:new-schema"}) {
    SCOPED_TRACE(point);
    auto crashed = run("start", point);
    EXPECT_EQ(crashed.code, 137) << crashed.err;
    auto st = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "status", "--json"});
    EXPECT_NE(st.out.find("\"active_migration\": \"2:starting\""), std::string::npos) << st.out;
    auto again = run("start", "");
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(in_version("public_2", "SELECT count(*) FROM audit"), "0");
    EXPECT_EQ(
        db_.value(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_locale_idx'::regclass"),
        "t");
    if (after_start.empty()) after_start = catalog(db_);
    EXPECT_EQ(catalog(db_), after_start);  // every path ends in the same place
    // Roll back through a crash as well.
    for (const char* rb :
         {"rollback:new-schema-dropped", "rollback:statement:1", "rollback:schemas-dropped"}) {
      SCOPED_TRACE(rb);
      EXPECT_EQ(run("rollback", rb).code, 137);
      auto done = run("rollback", "");
      ASSERT_EQ(done.code, 0) << done.err;
      EXPECT_EQ(catalog(db_), before);
      ASSERT_EQ(run("start", "").code, 0);
    }
    ASSERT_EQ(run("rollback", "").code, 0);
    EXPECT_EQ(catalog(db_), before);
  }
  ASSERT_EQ(run("start", "").code, 0);
  EXPECT_EQ(run("complete", "complete:old-schema-dropped").code, 137);
  auto done = run("complete", "");
  ASSERT_EQ(done.code, 0) << done.err;
  EXPECT_EQ(db_.value("SELECT status FROM tandem.migrations WHERE version = '2'"), "applied");
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_1'"), "0");
  EXPECT_EQ(in_version("public_2", "SELECT locale FROM users WHERE id = 1"), "en");
}

// The same for a migration with shadow columns, dual-write triggers and a batched backfill:
// kill it at every step (and inside the backfill); re-running converges, and every row ends up
// with the right value.
TEST_F(LifecycleTest, CrashAtEveryStepOfABackfillingMigrationConverges) {
  ASSERT_TRUE(up(opts_, {}).ok());
  ASSERT_TRUE(db_.connect()
                  ->execute_script("INSERT INTO users SELECT g, 'User' || g || '@X' FROM "
                                   "generate_series(2, 400) g")
                  .ok());
  dir_.write("0002_shadow.yaml",
             "operations:\n"
             "  - alter_column:\n      table: users\n      column: email\n      type: "
             "varchar(100)\n      up: lower(email)\n      down: email\n"
             "  - add_column:\n      table: users\n      up: length(email)\n      column: {name: "
             "email_len, type: int, unique: false}\n");
  std::string before = catalog(db_);
  auto run = [&](const std::string& command, const std::string& crash_at) {
    return testing::run_tandem(
        {"--db", db_.url(), "--dir", dir_.path(), "-q", "--batch-max", "50", command},
        crash_at.empty() ? std::map<std::string, std::string>{}
                         : std::map<std::string, std::string>{{"TANDEM_TEST_CRASH_AT", crash_at}});
  };
  auto correct = [&] {
    EXPECT_EQ(in_version("public_2",
                         "SELECT count(*) FROM users WHERE email IS DISTINCT FROM "
                         "lower(email) OR email_len IS DISTINCT FROM length(email)"),
              "0");
    EXPECT_EQ(in_version("public_2", "SELECT count(*) FROM users"), "400");
  };
  std::vector<std::string> points = {"start:registered", "start:old-schema",
                                     "start:backfill-batch:3"};
  for (int i = 1; i < 20; ++i) points.push_back("start:statement:" + std::to_string(i));
  bool started = false;
  int crashes = 0;
  for (const std::string& point : points) {
    SCOPED_TRACE(point);
    auto crashed = run("start", point);
    started = crashed.code == 0;
    if (started) break;  // past the last step
    ++crashes;
    ASSERT_EQ(crashed.code, 137) << crashed.err;
    auto again = run("start", "");
    ASSERT_EQ(again.code, 0) << again.err;
    correct();
    auto rb = run("rollback", point == "start:statement:2" ? "rollback:statement:1" : "");
    if (rb.code == 137) rb = run("rollback", "");
    ASSERT_EQ(rb.code, 0) << rb.err;
    EXPECT_EQ(catalog(db_), before);
  }
  EXPECT_GT(crashes, 8);  // registered, schemas, backfill, every statement
  ASSERT_TRUE(started);
  correct();
  EXPECT_EQ(run("complete", "complete:statement:1").code, 137);
  EXPECT_EQ(in_version("public_2", "SELECT count(*) FROM users"), "400");  // nothing half-done
  auto done = run("complete", "");
  ASSERT_EQ(done.code, 0) << done.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM users WHERE email <> lower(email) OR email_len <> "
                      "length(email)"),
            "0");
  EXPECT_EQ(db_.value("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid "
                      "= 'users'::regclass AND attname = 'email'"),
            "character varying(100)");
}

// Backfills page through the primary key, else a unique index on NOT NULL columns; a table
// with neither is refused before anything changes, saying what to add (pgroll #636).
TEST_F(LifecycleTest, TablesWithoutPrimaryKeyUseAUniqueNotNullKey) {
  dir_.write("0001_base.sql",
             "-- tandem:up\nCREATE TABLE keyed (code text NOT NULL, n int);\n"
             "CREATE UNIQUE INDEX keyed_code ON keyed (code);\n"
             "CREATE TABLE loose (n int);\n"
             "INSERT INTO keyed SELECT 'c' || g, g FROM generate_series(1, 300) g;\n"
             "INSERT INTO loose VALUES (1);\n-- tandem:down\nDROP TABLE keyed, loose;\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_loose.yaml",
             "operations:\n  - alter_column: {table: loose, column: n, type: bigint, up: "
             "n::bigint, down: n::int}\n");
  std::string before = catalog(db_);
  auto refused = expand::start(opts_, std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("table \"loose\" has no primary key and no unique "
                                            "index on NOT NULL columns"),
            std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("hint: add a primary key"), std::string::npos);
  EXPECT_EQ(catalog(db_), before);

  dir_.write("0002_loose.yaml",
             "operations:\n  - alter_column: {table: keyed, column: n, type: bigint, up: "
             "n::bigint * 10, down: (n / 10)::int}\n");
  Options small = opts_;
  small.backfill.max_rows = 40;
  auto s = expand::start(small, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(
      in_version("public_2", "SELECT count(*) FROM keyed WHERE n = substr(code, 2)::int * 10"),
      "300");
}

// Which version wrote does not depend on the text of search_path, and the session setting
// tandem.version overrides it — for connections that cannot set a search_path (poolers) and use
// schema-qualified names instead.
TEST_F(LifecycleTest, VersionDetectionBySearchPathOrSessionSetting) {
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_mail.yaml",
             "operations:\n  - alter_column:\n      table: users\n      column: email\n      "
             "name: mail\n      type: text\n      up: upper(email)\n      down: lower(mail)\n");
  ASSERT_TRUE(expand::start(opts_, std::nullopt).ok());
  auto write = [&](const std::string& setup, int id) {
    auto c = db_.connect();
    EXPECT_TRUE(c->execute_script(setup).ok()) << setup;
    auto r = c->query("INSERT INTO public_2.users (id, mail) VALUES ($1, 'MiXeD')",
                      {std::to_string(id)});
    EXPECT_TRUE(r.ok()) << setup << ": " << r.status().message();
    return db_.value("SELECT email FROM public_1.users WHERE id = " + std::to_string(id));
  };
  // The new version wrote: the old column gets down(mail).
  EXPECT_EQ(write("SET search_path = public_2, public", 10), "mixed");
  EXPECT_EQ(write("SET search_path = \"$user\", public_2", 11), "mixed");
  EXPECT_EQ(write("SET search_path = nonexistent, public_2, public_1", 12), "mixed");
  EXPECT_EQ(write("SET tandem.version = '2'", 13), "mixed");
  EXPECT_EQ(write("SET tandem.version = 'public_2'", 14), "mixed");
  // An old-version write through the same view gets up(email) in the new column instead.
  auto old = db_.connect();
  ASSERT_TRUE(old->execute_script("SET search_path = public_1").ok());
  ASSERT_TRUE(old->execute_script("INSERT INTO users (id, email) VALUES (15, 'low')").ok());
  EXPECT_EQ(in_version("public_2", "SELECT mail FROM users WHERE id = 15"), "LOW");
  EXPECT_EQ(in_version("public_2", "SELECT mail FROM users WHERE id = 13"), "MiXeD");
}

// `plan` shows what `up` runs for a declarative migration on PostgreSQL: start, then complete.
TEST_F(LifecycleTest, PlanShowsStartAndComplete) {
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_expand.yaml", kExpand);
  auto p = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "plan"});
  ASSERT_EQ(p.code, 0) << p.err;
  size_t start = p.out.find("-- start"), complete = p.out.find("-- complete");
  ASSERT_NE(start, std::string::npos) << p.out;
  ASSERT_NE(complete, std::string::npos) << p.out;
  EXPECT_LT(start, p.out.find("CREATE INDEX CONCURRENTLY \"users_locale_idx\""));
  EXPECT_LT(start, complete);
  EXPECT_EQ(db_.value("SELECT count(*) FROM tandem.migrations WHERE version = '2'"), "0");
}

// A long transaction holding a lock never makes start queue traffic for longer than
// lock_timeout: every step, view DDL included, gives up and retries.
TEST_F(LifecycleTest, LockedTableIsRetriedNotWaitedOn) {
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_expand.yaml", kExpand);
  auto blocker = db_.connect();
  ASSERT_TRUE(blocker->execute_script("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE").ok());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    (void)blocker->execute_script("COMMIT");
  });
  auto r = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "--lock-timeout", "100ms",
                                "--lock-retries", "20", "start"});
  release.join();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("hit lock_timeout"), std::string::npos) << r.err;
  EXPECT_EQ(in_version("public_2", "SELECT count(*) FROM audit"), "0");
}

TEST_F(LifecycleTest, UnsupportedOperationsAndSqliteAreRefusedWithoutChanges) {
  ASSERT_TRUE(up(opts_, {}).ok());
  std::string before = catalog(db_);
  // Each is refused with a message naming the operation, before anything changes.
  const std::pair<const char*, const char*> cases[] = {
      {"  - drop_column: {table: users, column: email}\n", "NOT NULL without a default"},
      {"  - drop_column: {table: nope, column: email}\n", "table \"nope\" does not exist"},
      {"  - alter_column: {table: users, column: emial, nullable: true}\n",
       "column \"emial\" does not exist"},
      {"  - alter_column: {table: users, column: email, type: bigint}\n", "needs both `up`"},
      {"  - alter_column: {table: users, column: id, type: bigint, up: id, down: id}\n",
       "primary key"},
      {"  - rename_column: {table: users, from: email, to: mail}\n  - drop_column: {table: "
       "users, column: mail, down: \"'x'\"}\n",
       "already changed by an earlier operation"},
      {"  - add_column: {table: users, up: \"lower(\", column: {name: e2, type: text, nullable: "
       "true}}\n",
       "invalid SQL expression `lower(`"},
      {"  - create_constraint: {table: users, name: c, type: check, columns: [email], check: "
       "\"email <> ''\", up: {email: email}, down: {email: emial}}\n",
       "reads column \"emial\", which the new version"},
      {"  - sql: {up: SELECT 1}\n", "without `down` cannot be rolled back"},
  };
  for (const auto& [ops, message] : cases) {
    SCOPED_TRACE(ops);
    dir_.write("0002_bad.yaml", std::string("operations:\n") + ops);
    auto s = expand::start(opts_, std::nullopt);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find(message), std::string::npos) << s.status().message();
    EXPECT_NE(s.status().message().find("0002_bad.yaml:"), std::string::npos)
        << s.status().message();
    EXPECT_EQ(catalog(db_), before);
  }

  TempDir other;
  EngineOptions lite = opts_;
  lite.db_url = "sqlite:" + other.path() + "/x.db";
  auto l = expand::start(lite, std::nullopt);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("needs PostgreSQL"), std::string::npos);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// A version schema is tandem's only as far as its views go: a table an application created in
// it (an unqualified CREATE TABLE through the version's search_path) stops rollback, complete
// and down with a message naming the schema — it used to go with DROP SCHEMA … CASCADE — and
// the command converges once the table is moved.
TEST(VersionSchemaDrop, NeverTakesWhatTandemDidNotCreate) {
  testing::TempDir dir;
  testing::TestDb db(testing::Kind::kPostgres);
  dir.write("0001_t.sql",
            "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY, n int);\n"
            "-- tandem:down\nDROP TABLE t;\n");
  dir.write("0002_c.yaml",
            "operations:\n  - add_column: {table: t, column: {name: c, type: int, nullable: "
            "true}}\n");
  auto run = [&](const char* cmd) {
    return testing::run_tandem({"--db", db.url(), "--dir", dir.path(), "-q", cmd});
  };
  ASSERT_EQ(
      testing::run_tandem({"--db", db.url(), "--dir", dir.path(), "-q", "up", "--to", "1"}).code,
      0);
  ASSERT_EQ(run("start").code, 0);
  db.exec("CREATE TABLE public_2.app_data AS SELECT g AS id FROM generate_series(1, 42) g");
  auto refused = run("rollback");
  EXPECT_EQ(refused.code, 3) << refused.err;
  EXPECT_NE(refused.err.find("cannot drop version schema public_2"), std::string::npos)
      << refused.err;
  EXPECT_EQ(db.value("SELECT count(*) FROM public_2.app_data"), "42");
  db.exec("ALTER TABLE public_2.app_data SET SCHEMA public");
  auto rolled = run("rollback");
  EXPECT_EQ(rolled.code, 0) << rolled.err;
  EXPECT_EQ(db.value("SELECT count(*) FROM app_data"), "42");
  // complete drops the old version's schema: same rule.
  ASSERT_EQ(run("start").code, 0);
  db.exec("CREATE TABLE public_1.old_app AS SELECT 1 AS id");
  auto complete = run("complete");
  EXPECT_EQ(complete.code, 3) << complete.err;
  EXPECT_NE(complete.err.find("cannot drop version schema public_1"), std::string::npos)
      << complete.err;
  EXPECT_EQ(db.value("SELECT count(*) FROM public_1.old_app"), "1");
  db.exec("DROP TABLE public_1.old_app");
  auto completed = run("complete");
  EXPECT_EQ(completed.code, 0) << completed.err;
  // down of 0002 drops public_2: a user's view over it is not dropped with it.
  db.exec("CREATE VIEW public.report AS SELECT id FROM public_2.t");
  auto down = run("down");
  EXPECT_EQ(down.code, 3) << down.err;
  EXPECT_EQ(db.value("SELECT count(*) FROM pg_views WHERE viewname = 'report'"), "1");
}

}  // namespace
}  // namespace tandem
