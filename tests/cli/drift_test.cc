// `tandem dump` and `tandem drift` end to end: the built binary against a real PostgreSQL and
// SQLite. Every scratch database drift makes must be gone when it returns, also when a
// migration fails in the replay.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "test_util.h"

namespace tandem {
namespace {

using nlohmann::json;
using testing::CmdResult;
using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class DriftTest : public ::testing::TestWithParam<Kind> {
 protected:
  DriftTest() : db_(GetParam()) {
    dir_.write("0001_users.sql",
               "-- tandem:up\n"
               "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);\n"
               "CREATE INDEX users_email_idx ON users (email);\n"
               "CREATE VIEW user_emails AS SELECT email FROM users;\n"
               "-- tandem:down\nDROP VIEW user_emails;\nDROP TABLE users;\n");
    if (pg()) {
      dir_.write("0002_greet.sql",
                 "-- tandem:up\nCREATE FUNCTION greet() RETURNS text LANGUAGE sql AS $$SELECT "
                 "'hello'$$;\n-- tandem:down\nDROP FUNCTION greet();\n");
    }
  }
  bool pg() const { return GetParam() == Kind::kPostgres; }
  std::string q(const std::string& name) const { return pg() ? "public." + name : name; }
  CmdResult run(std::vector<std::string> extra) {
    std::vector<std::string> a = {"--db", db_.url(), "--dir", dir_.path(), "-q"};
    a.insert(a.end(), extra.begin(), extra.end());
    return testing::run_tandem(a);
  }
  json run_json(std::vector<std::string> extra, int want_code) {
    extra.push_back("--json");
    auto r = run(extra);
    EXPECT_EQ(r.code, want_code) << r.out << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
    return j;
  }
  // Whether the scratch database (PostgreSQL: by name; SQLite: the file) a drift reported
  // still exists. By name: tests running at the same time have scratch databases of their own.
  bool scratch_exists(const json& report) const {
    std::string name = report.value("scratch", "");
    EXPECT_FALSE(name.empty()) << report.dump(2);
    if (!pg()) return std::filesystem::exists(name);
    return db_.value("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'") != "0";
  }
  TempDir dir_;
  TestDb db_;
};

TEST_P(DriftTest, NoDriftAfterUpThenEveryManualChangeIsNamed) {
  ASSERT_EQ(run({"up"}).code, 0);
  CmdResult clean = run({"drift"});
  EXPECT_EQ(clean.code, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("no drift"), std::string::npos) << clean.out;
  json j = run_json({"drift"}, 0);
  EXPECT_EQ(j["drift"], false);
  EXPECT_EQ(j["replayed"].size(), pg() ? 2u : 1u);
  EXPECT_TRUE(j["differences"].empty());
  EXPECT_FALSE(scratch_exists(j));

  db_.exec("ALTER TABLE users ADD COLUMN nickname text");
  db_.exec("DROP INDEX users_email_idx");
  db_.exec("CREATE TABLE notes (id integer)");
  if (pg()) {
    db_.exec("CREATE OR REPLACE FUNCTION greet() RETURNS text LANGUAGE sql AS $$SELECT 'hi'$$");
  }
  CmdResult drifted = run({"drift"});
  EXPECT_EQ(drifted.code, 1) << drifted.out << drifted.err;
  for (std::string expected :
       {"changed table " + q("users"), "missing index " + q("users_email_idx"),
        "added table " + q("notes"), std::string("nickname")}) {
    EXPECT_NE(drifted.out.find(expected), std::string::npos) << expected << "\n" << drifted.out;
  }
  if (pg()) {
    EXPECT_NE(drifted.out.find("changed function public.greet()"), std::string::npos)
        << drifted.out;
    EXPECT_NE(drifted.out.find("  + AS $function$SELECT 'hi'$function$;"), std::string::npos)
        << drifted.out;
    EXPECT_NE(drifted.out.find("  +     nickname text"), std::string::npos) << drifted.out;
  }

  json d = run_json({"drift"}, 1);
  EXPECT_EQ(d["drift"], true);
  std::map<std::string, std::string> changes;
  for (const json& diff : d["differences"]) {
    changes[diff["kind"].get<std::string>() + " " + diff["name"].get<std::string>()] =
        diff["change"];
  }
  std::map<std::string, std::string> want = {{"table " + q("users"), "changed"},
                                             {"index " + q("users_email_idx"), "missing"},
                                             {"table " + q("notes"), "added"}};
  if (pg()) want["function public.greet()"] = "changed";
  EXPECT_EQ(changes, want) << d.dump(2);
  EXPECT_FALSE(scratch_exists(d));
}

TEST_P(DriftTest, PendingMigrationsAreNotDriftUnlessAll) {
  ASSERT_EQ(run({"up"}).code, 0);
  dir_.write("0003_audit.sql", "-- tandem:up\nCREATE TABLE audit (id integer);\n");
  CmdResult r = run({"drift"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  CmdResult all = run({"drift", "--all"});
  EXPECT_EQ(all.code, 1) << all.out << all.err;
  EXPECT_NE(all.out.find("missing table " + q("audit")), std::string::npos) << all.out;
}

TEST_P(DriftTest, NotesSayWhatTheReplayCannotReproduce) {
  // Without tandem's history nothing is replayed: every live object is added, and a note says
  // why.
  db_.exec("CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL)");
  json none = run_json({"drift"}, 1);
  ASSERT_EQ(none["notes"].size(), 1u) << none.dump(2);
  EXPECT_NE(none["notes"][0].get<std::string>().find("no tandem history"), std::string::npos);
  EXPECT_TRUE(none["replayed"].empty());
  EXPECT_EQ(none["differences"][0]["change"], "added");
  db_.exec("DROP TABLE users");

  // An applied file edited since: replayed as it is now, and named in a note.
  ASSERT_EQ(run({"up"}).code, 0);
  dir_.write("0001_users.sql",
             "-- tandem:up\n"
             "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, extra text);\n"
             "CREATE INDEX users_email_idx ON users (email);\n"
             "CREATE VIEW user_emails AS SELECT email FROM users;\n");
  CmdResult r = run({"drift"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("note: 0001_users.sql: edited since it was applied"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("changed table " + q("users")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  - "), std::string::npos) << r.out;  // what only the replay has
}

TEST_P(DriftTest, ScratchIsDroppedWhenAMigrationFailsInTheReplay) {
  // The live database had a table made by hand that 0003 relies on: applied there, it cannot
  // run on an empty database.
  db_.exec("CREATE TABLE legacy (id integer PRIMARY KEY)");
  dir_.write("0003_uses_legacy.sql",
             "-- tandem:up\nCREATE TABLE uses_legacy (id integer);\n"
             "INSERT INTO legacy VALUES (1);\n");
  ASSERT_EQ(run({"up"}).code, 0);
  CmdResult r = run({"drift"});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("do not replay into an empty database"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir_.path() + "/0003_uses_legacy.sql"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("tandem-drift-files"), std::string::npos) << r.err;  // the user's path
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex("scratch database \"([^\"]+)\""))) << r.err;
  if (pg()) {
    EXPECT_EQ(db_.value("SELECT count(*) FROM pg_database WHERE datname = '" + m[1].str() + "'"),
              "0");
  } else {
    EXPECT_FALSE(std::filesystem::exists(m[1].str())) << m[1];
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(m[1].str()).parent_path()));
  }
}

TEST_P(DriftTest, DumpIsDeterministicAndJson) {
  ASSERT_EQ(run({"up"}).code, 0);
  CmdResult a = run({"dump"}), b = run({"dump"});
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out.find("-- table " + q("users")), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("-- index " + q("users_email_idx")), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("-- view " + q("user_emails")), std::string::npos) << a.out;
  EXPECT_EQ(a.out.find("tandem_"), std::string::npos) << a.out;
  json j = run_json({"dump"}, 0);
  ASSERT_TRUE(j["objects"].is_array());
  EXPECT_EQ(j["objects"][0]["kind"], pg() ? "function" : "table");
  EXPECT_EQ(j["backend"], pg() ? "postgres" : "sqlite");
}

INSTANTIATE_TEST_SUITE_P(Backends, DriftTest, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         testing::kind_name);

TEST(DriftPostgres, RefusedClearlyWhileAMigrationIsLive) {
  TestDb db(Kind::kPostgres);
  TempDir dir;
  dir.write("0001_users.sql",
            "-- tandem:up\nCREATE TABLE users (id integer PRIMARY KEY, email text);\n");
  dir.write("0002_locale.yaml",
            "operations:\n  - add_column:\n      table: users\n      column: {name: locale, "
            "type: text, default: \"'en'\"}\n");
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"--db", db.url(), "--dir", dir.path(), "-q"};
    a.insert(a.end(), extra.begin(), extra.end());
    return testing::run_tandem(a);
  };
  ASSERT_EQ(run({"up", "--to", "1"}).code, 0);
  ASSERT_EQ(run({"start"}).code, 0);
  CmdResult r = run({"drift"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("in the middle of an expand/contract migration"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("complete"), std::string::npos) << r.err;
  CmdResult j = run({"drift", "--json"});
  EXPECT_EQ(j.code, 1);
  EXPECT_NE(j.out.find("\"active_migration\""), std::string::npos) << j.out;
  ASSERT_EQ(run({"complete"}).code, 0);
  CmdResult after = run({"drift"});
  EXPECT_EQ(after.code, 0) << after.out << after.err;
}

TEST(DriftPostgres, OtherSchemaAndMissingSchema) {
  TestDb db(Kind::kPostgres);
  TempDir dir;
  dir.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id integer);\n");
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"--db", db.url(), "--dir", dir.path(), "--schema", "app", "-q"};
    a.insert(a.end(), extra.begin(), extra.end());
    return testing::run_tandem(a);
  };
  CmdResult missing = run({"dump"});
  EXPECT_EQ(missing.code, 2) << missing.err;
  EXPECT_NE(missing.err.find("schema \"app\" does not exist"), std::string::npos);
  ASSERT_EQ(run({"up"}).code, 0);
  EXPECT_NE(run({"dump"}).out.find("CREATE TABLE app.t ("), std::string::npos);
  CmdResult r = run({"drift"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  db.exec("CREATE INDEX t_id ON app.t (id)");
  r = run({"drift"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("added index app.t_id"), std::string::npos) << r.out;
}

TEST(DriftCli, UnreachableDatabaseIsExit3WithoutThePassword) {
  TempDir dir;
  for (const char* cmd : {"drift", "dump"}) {
    CmdResult r = testing::run_tandem({"--db",
                                       "postgresql://app:s3cr3t-pw@127.0.0.1:1/app?connect_"
                                       "timeout=2",
                                       "--dir", dir.path(), cmd});
    EXPECT_EQ(r.code, 3) << cmd << r.out << r.err;
    EXPECT_EQ((r.out + r.err).find("s3cr3t-pw"), std::string::npos) << r.out << r.err;
  }
}

TEST(DriftCli, AMigrationsFolderThatDoesNotExistIsBadInput) {
  TestDb db(Kind::kSqlite);
  db.exec("CREATE TABLE t (id integer)");
  TempDir dir;
  CmdResult r = testing::run_tandem({"--db", db.url(), "--dir", dir.path() + "/nope", "drift"});
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("migrations folder does not exist"), std::string::npos) << r.err;
}

TEST(DriftCli, HelpHasExamples) {
  for (const char* cmd : {"drift", "dump"}) {
    CmdResult r = testing::run_tandem({cmd, "--help"});
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace tandem
