// tandem's own tables: one owner, a versioned layout upgraded by writing commands and only read
// by the others, and version schemas that are tandem's only when it recorded creating them.

#include <gtest/gtest.h>

#include "tandem/engine.h"
#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class StateTest : public ::testing::Test {
 protected:
  StateTest() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {}
  testing::CmdResult run(const std::vector<std::string>& args) {
    return testing::run_tandem_on(db_, dir_, args);
  }
  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

// `down` used to drop `<schema>_<version>` CASCADE by name: a user's schema of that name, with
// its tables, went with it.
TEST_F(StateTest, DownNeverDropsASchemaTandemDidNotCreate) {
  dir_.write("0001_a.sql",
             "-- tandem:up\nCREATE TABLE a (id int);\n-- tandem:down\nDROP TABLE a;\n");
  dir_.write("0002_b.sql",
             "-- tandem:up\nCREATE TABLE b (id int);\n-- tandem:down\nDROP TABLE b;\n");
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  db_.exec(
      "CREATE SCHEMA public_2; CREATE TABLE public_2.precious (id int); "
      "INSERT INTO public_2.precious VALUES (1)");
  auto r = run({"-q", "down"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM public_2.precious"), "1");
}

// `start` refuses, before changing anything, when a version schema's name is taken by a schema
// tandem did not create (complete and rollback would drop it).
TEST_F(StateTest, StartRefusesAVersionSchemaNameTakenBySomeoneElse) {
  dir_.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY, a int);\n");
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  dir_.write("0002_b.yaml",
             "operations:\n  - add_column: {table: t, column: {name: b, type: int, nullable: "
             "true}}\n");
  db_.exec("CREATE SCHEMA public_1; CREATE TABLE public_1.mine (id int)");
  std::string before = db_.snapshot();
  auto r = run({"start"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("schema \"public_1\" exists and was not created by tandem"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(db_.snapshot(), before);
  db_.exec("DROP SCHEMA public_1 CASCADE");
  ASSERT_EQ(run({"-q", "start"}).code, 0);
  ASSERT_EQ(run({"-q", "complete"}).code, 0);
  // The schemas tandem made are recorded; complete dropped the old one, kept the new one.
  EXPECT_EQ(db_.value("SELECT string_agg(schema_name, ',' ORDER BY schema_name) FROM "
                      "tandem.version_schemas"),
            "public_2");
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_1'"), "0");
}

// A database tandem wrote with layout 1: reading it (status, version-schema) changes nothing;
// the first writing command upgrades it to layout 2 — adopting the version schemas the old
// tandem made (only views) and no schema of the user's.
TEST_F(StateTest, Layout1IsReadAsItIsAndUpgradedByTheNextWrite) {
  dir_.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY);\n");
  dir_.write("0002_u.sql", "-- tandem:up\nCREATE TABLE u (id int PRIMARY KEY);\n");
  // What the release before layout 2 left: its three tables, version 1, a version schema.
  db_.exec(
      "CREATE SCHEMA tandem; CREATE TABLE tandem.migrations (version text PRIMARY KEY, name "
      "text NOT NULL, checksum text NOT NULL, status text NOT NULL, direction text NOT NULL "
      "DEFAULT 'up', applied_at timestamptz NOT NULL, duration_ms bigint NOT NULL DEFAULT 0, "
      "applied_by text NOT NULL, tandem_version text NOT NULL, transactional integer NOT NULL "
      "DEFAULT 1, statements_applied integer NOT NULL DEFAULT 0, statements_total integer NOT "
      "NULL DEFAULT 0, error text, failed_statement text);"
      "CREATE TABLE tandem.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at "
      "timestamptz NOT NULL, action text NOT NULL, version text, name text, checksum text, "
      "status text, duration_ms bigint, applied_by text, tandem_version text, "
      "statements_applied integer, statements_total integer, error text, failed_statement "
      "text, detail text);"
      "CREATE TABLE tandem.meta (key text PRIMARY KEY, value text NOT NULL);"
      "INSERT INTO tandem.meta VALUES ('state_version', '1');"
      "CREATE TABLE t (id int PRIMARY KEY);"
      "CREATE SCHEMA public_1; CREATE VIEW public_1.t AS SELECT id FROM public.t;"
      "CREATE SCHEMA public_7; CREATE TABLE public_7.keep (id int);");
  std::string sum = checksum(testing::read_file(dir_.path() + "/0001_t.sql"));
  db_.exec(
      "INSERT INTO tandem.migrations (version, name, checksum, status, applied_at, "
      "applied_by, tandem_version) VALUES ('1', 't', '" +
      sum + "', 'applied', now(), 'x', '0.1.0')");
  std::string before = db_.snapshot();
  auto st = run({"status", "--json"});
  ASSERT_EQ(st.code, 0) << st.err;
  EXPECT_NE(st.out.find("\"pending\": 1"), std::string::npos) << st.out;
  auto vs = run({"version-schema"});
  EXPECT_EQ(vs.out, "public_7\n") << "layout 1 finds version schemas by name";
  EXPECT_EQ(db_.snapshot(), before) << "reading never runs DDL";
  EXPECT_EQ(db_.value("SELECT value FROM tandem.meta WHERE key = 'state_version'"), "1");

  ASSERT_EQ(run({"-q", "up"}).code, 0);
  EXPECT_EQ(db_.value("SELECT value FROM tandem.meta WHERE key = 'state_version'"), "3");
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_attribute WHERE attrelid = "
                      "'tandem.backfill_jobs'::regclass AND attname = 'settings'"),
            "1");
  EXPECT_EQ(db_.value("SELECT string_agg(schema_name, ',') FROM tandem.version_schemas"),
            "public_1");
  EXPECT_EQ(db_.value("SELECT to_regclass('tandem.backfill_jobs') IS NOT NULL AND "
                      "to_regclass('tandem.active') IS NOT NULL"),
            "t");
  EXPECT_EQ(db_.value("SELECT status FROM tandem.migrations WHERE version = '2'"), "applied");
}

// Layout 2 (before backfill jobs kept their settings) is upgraded to 3 by the next write, and
// a layout-2 job (no settings stored) continues with the defaults.
TEST_F(StateTest, Layout2GainsTheJobSettingsColumn) {
  dir_.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY);\n");
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  db_.exec(
      "ALTER TABLE tandem.backfill_jobs DROP COLUMN settings; UPDATE tandem.meta SET value "
      "= '2' WHERE key = 'state_version'");
  EXPECT_EQ(run({"status"}).code, 0) << "layout 2 is read as it is";
  dir_.write("0002_u.sql", "-- tandem:up\nCREATE TABLE u (id int PRIMARY KEY);\n");
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  EXPECT_EQ(db_.value("SELECT value FROM tandem.meta WHERE key = 'state_version'"), "3");
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_attribute WHERE attrelid = "
                      "'tandem.backfill_jobs'::regclass AND attname = 'settings'"),
            "1");
}

// A state row tandem cannot read is reported (exit 3), never thrown.
TEST_F(StateTest, DamagedStateIsAnErrorNotACrash) {
  dir_.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY);\n");
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  db_.exec("UPDATE tandem.migrations SET status = 'exploded'");
  auto r = run({"status"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("exploded"), std::string::npos) << r.err;
  db_.exec(
      "UPDATE tandem.migrations SET status = 'applied'; "
      "INSERT INTO tandem.active (version, name, file, checksum, previous, created_previous, "
      "step, statements_done) VALUES ('9', 'x', 'x', 'x', '0', false, 'dancing', 0)");
  r = run({"status"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("tandem.active"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tandem
