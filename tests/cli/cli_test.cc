// The `tandem` binary end to end on both backends: output shapes, --json, exit codes.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"

namespace tandem {
namespace {

using nlohmann::json;
using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class CliTest : public ::testing::TestWithParam<Kind> {
 protected:
  CliTest() : db_(GetParam()) {
    dir_.write("0001_create_a.sql",
               "-- tandem:up\nCREATE TABLE a (id integer);\n-- tandem:down\nDROP TABLE a;\n");
    dir_.write("0002_create_b.sql",
               "-- tandem:up\nCREATE TABLE b (id integer);\n-- tandem:down\nDROP TABLE b;\n");
  }
  testing::CmdResult run(std::vector<std::string> extra) {
    std::vector<std::string> a = {"--db", db_.url(), "--dir", dir_.path()};
    a.insert(a.end(), extra.begin(), extra.end());
    return testing::run_tandem(a);
  }
  json run_json(std::vector<std::string> extra, int want_code = 0) {
    auto r = run(extra);
    EXPECT_EQ(r.code, want_code) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
    return j;
  }
  TempDir dir_;
  TestDb db_;
};

TEST_P(CliTest, StatusJsonShapeAndExitCode) {
  ASSERT_EQ(run({"-q", "init"}).code, 0);  // status never creates the SQLite file
  json s = run_json({"status", "--json"});
  EXPECT_EQ(s["backend"], GetParam() == Kind::kPostgres ? "postgres" : "sqlite");
  EXPECT_EQ(s["pending"], 2);
  EXPECT_EQ(s["applied"], 0);
  EXPECT_TRUE(s["current_version"].is_null());
  ASSERT_EQ(s["migrations"].size(), 2u);
  for (const char* key : {"version", "name", "file", "state", "applied_at", "checksum"}) {
    EXPECT_TRUE(s["migrations"][0].contains(key)) << key;
  }
  EXPECT_EQ(s["migrations"][0]["state"], "pending");
  EXPECT_TRUE(s["problems"].is_array());
  EXPECT_EQ(run({"status", "--exit-code"}).code, 1);

  auto raw = run({"up", "--json"});
  ASSERT_EQ(raw.code, 0) << raw.err;
  json u = json::parse(raw.out);
  // Without a terminal, progress goes to stderr as JSON lines, one per migration.
  std::vector<json> events;
  std::istringstream lines(raw.err);
  for (std::string line; std::getline(lines, line);) {
    json e = json::parse(line, nullptr, false);
    ASSERT_FALSE(e.is_discarded()) << "not a JSON line: " << line;
    if (e["event"] == "migration") events.push_back(e);
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["done"], 2);
  EXPECT_EQ(events[1]["total"], 2);
  EXPECT_EQ(events[1]["file"], "0002_create_b.sql");
  EXPECT_GE(u["elapsed_ms"].get<int>(), 0);
  ASSERT_EQ(u["migrations"].size(), 2u);
  EXPECT_EQ(u["migrations"][0]["version"], "1");
  EXPECT_EQ(u["migrations"][0]["direction"], "up");
  EXPECT_EQ(u["migrations"][0]["transactional"], true);
  EXPECT_EQ(u["current_version"], "2");

  EXPECT_EQ(run({"status", "--exit-code"}).code, 0);
  s = run_json({"status", "--json"});
  EXPECT_EQ(s["migrations"][1]["state"], "applied");
  EXPECT_FALSE(s["migrations"][1]["applied_at"].is_null());
  auto text = run({"status"});
  EXPECT_NE(text.out.find("version   2 (2 applied, 0 pending)"), std::string::npos) << text.out;
}

// Inside a migration that runs long, `up` shows how far it got: without a terminal a JSON line
// `statements` once it has run a second, then at most once a second; a quick migration shows
// none (not noisy), and -q none at all.
TEST_P(CliTest, ProgressInsideALongMigration) {
  std::string slow = "-- tandem:up\nCREATE TABLE s (x int);\n";
  for (int i = 0; i < 5; ++i) slow += "INSERT INTO s VALUES (" + std::to_string(i) + ");\n";
  dir_.write("0003_slow.sql", slow + "-- tandem:down\nDROP TABLE s;\n");
  auto statements = [](const std::string& err) {
    std::vector<json> out;
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);) {
      json e = json::parse(line, nullptr, false);
      if (!e.is_discarded() && e["event"] == "statements") out.push_back(e);
    }
    return out;
  };
  auto quick = run({"up", "--to", "2"});
  ASSERT_EQ(quick.code, 0) << quick.err;
  EXPECT_TRUE(statements(quick.err).empty()) << quick.err;
  std::vector<std::string> up = {"--db", db_.url(), "--dir", dir_.path(), "up"};
  std::map<std::string, std::string> env = {{"TANDEM_TEST_SLEEP_AFTER_STATEMENT", "400"}};
  auto r = testing::run_tandem(up, env);
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<json> shown = statements(r.err);
  ASSERT_FALSE(shown.empty()) << r.err;
  EXPECT_EQ(shown.front()["file"], "0003_slow.sql");
  EXPECT_EQ(shown.front()["total"], 6);
  EXPECT_GE(shown.front()["done"].get<int>(), 3);  // 400 ms a statement: not before a second
  EXPECT_LT(shown.back()["done"].get<int>(), 6);   // the last one is the migration's own line
  EXPECT_GE(shown.front()["elapsed_ms"].get<int>(), 1000);
  ASSERT_EQ(run({"-q", "down"}).code, 0);
  up.insert(up.begin(), "-q");
  auto quiet = testing::run_tandem(up, env);
  ASSERT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

TEST_P(CliTest, PlanDownAndValidate) {
  json p = run_json({"plan", "--json"});
  ASSERT_EQ(p["migrations"].size(), 2u);
  EXPECT_EQ(p["migrations"][0]["statements"][0]["line"], 2);
  auto text = run({"up", "--dry-run"});
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("-- up 0001_create_a.sql (one transaction)\nBEGIN;\nCREATE TABLE a"),
            std::string::npos)
      << text.out;
  ASSERT_EQ(run({"-q", "init"}).code, 0);  // status never creates the SQLite file
  EXPECT_EQ(run({"status", "--json"}).out.find("\"applied\": 0") != std::string::npos, true);

  EXPECT_EQ(run({"up", "-q"}).code, 0);
  json d = run_json({"down", "--steps", "2", "--json"});
  EXPECT_EQ(d["migrations"].size(), 2u);
  EXPECT_EQ(d["migrations"][0]["direction"], "down");
  EXPECT_EQ(d["migrations"][0]["version"], "2");

  json v = run_json({"validate", "--json"});
  EXPECT_EQ(v["valid"], true);
  dir_.write("0003_bad.sql", "CREATE TABLE c (id int);\n");
  v = run_json({"validate", "--json"}, 1);
  EXPECT_EQ(v["valid"], false);
  EXPECT_EQ(v["problems"][0]["kind"], "code_before_up");
  EXPECT_EQ(v["problems"][0]["line"], 1);
  auto refused = run({"up", "--json"});
  EXPECT_EQ(refused.code, 2);
  json err = json::parse(refused.out);
  EXPECT_EQ(err["error"]["code"], 2);
  EXPECT_NE(err["error"]["message"].get<std::string>().find("0003_bad.sql:1"), std::string::npos);
  // The refusal's problems as objects, with their kinds, for programs.
  ASSERT_EQ(err["error"]["problems"].size(), 2u) << refused.out;  // and missing_up
  EXPECT_EQ(err["error"]["problems"][0]["kind"], "code_before_up");
  EXPECT_EQ(err["error"]["problems"][0]["line"], 1);
  json planned = json::parse(run({"plan", "--json"}).out);
  EXPECT_EQ(planned["error"]["problems"][0]["kind"], "code_before_up") << planned;
  EXPECT_NE(refused.err.find("hint: add a line `-- tandem:up`"), std::string::npos) << refused.err;
}

// tandem's own notes in a plan ("-- start (each step in its own transaction)", a migration
// planned when it is reached) are comments, not statements: no ';' after them, and no line
// holding only ';'.
TEST_P(CliTest, PlanNotesAreNotFollowedBySemicolons) {
  dir_.write("0003_c.yaml",
             "operations:\n  - create_table:\n      name: c\n      columns:\n"
             "        - {name: id, type: integer, pk: true}\n");
  dir_.write("0004_d.yaml",
             "operations:\n  - add_column:\n      table: c\n"
             "      column: {name: note, type: text, nullable: true}\n");
  auto r = run({"plan"});
  ASSERT_EQ(r.code, 0) << r.err;
  int notes = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_NE(line, ";") << r.out;
    if (line.rfind("--", 0) == 0) {
      ++notes;
      EXPECT_NE(line.back(), ';') << line;
    }
  }
  EXPECT_GE(notes, 4) << r.out;
  if (GetParam() == Kind::kPostgres) {
    // 0004 needs 0003's table: it is planned when it is reached, said in a note.
    EXPECT_NE(r.out.find("planned when it is reached"), std::string::npos) << r.out;
  }
}

TEST_P(CliTest, NewInitBaselineRepair) {
  TempDir fresh;
  auto r = testing::run_tandem({"--db", db_.url(), "--dir", fresh.path() + "/m", "init"});
  EXPECT_EQ(r.code, 0) << r.err;
  r = testing::run_tandem(
      {"--db", db_.url(), "--dir", fresh.path() + "/m", "new", "add users", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_NE(j["file"].get<std::string>().find("_add_users.sql"), std::string::npos);

  json b = run_json({"baseline", "1", "--json"});
  ASSERT_EQ(b["baselined"].size(), 1u);
  json rep = run_json({"repair", "--json"});
  EXPECT_TRUE(rep["actions"].empty());
  EXPECT_EQ(run({"baseline", "2"}).code, 2);
}

TEST_P(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run({"up", "--to", "abc"}).code, 2);
  EXPECT_EQ(run({"--lock-timeout", "soon", "up"}).code, 2);
  EXPECT_EQ(run({"frobnicate"}).code, 2);
  EXPECT_EQ(run({"down", "--to", "1", "--steps", "2"}).code, 2);
  auto help = run({"up", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, CliTest, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         testing::kind_name);

TEST(Cli, DefaultsToDatabaseUrlThenSqliteFile) {
  TempDir work;
  work.write("migrations/0001_a.sql", "-- tandem:up\nCREATE TABLE a (id integer);\n");
  // $DATABASE_URL is used when --db is absent.
  auto r = testing::run_tandem({"--dir", work.path() + "/migrations", "up"},
                               {{"DATABASE_URL", "sqlite:" + work.path() + "/from-env.db"}});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(work.path() + "/from-env.db"));
}

TEST(Cli, PasswordsNeverPrinted) {
  auto r = testing::run_tandem(
      {"--db", "postgresql://app:s3cr3t-pw@127.0.0.1:1/app?connect_timeout=2", "status"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err.find("s3cr3t-pw"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("app:****@127.0.0.1"), std::string::npos) << r.err;
  r = testing::run_tandem({"--db", "mysql://root:hunter2@db/x", "status"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
}

// A password with @, /, ?, # or : never reaches the output — not from status, not from --json,
// not from a connection error — however it is written; a URL that libpq would read with part
// of the password as its host is refused before connecting.
TEST(Url, PasswordsWithSpecialCharactersAreNeverPrinted) {
  struct Case {
    std::string url;
    int code;
  };
  const Case cases[] = {
      {"postgresql://app:s3cr%40t%2Fpw%3F%23x@127.0.0.1:1/db", 3},
      {"postgres://app:s3cr@t/pw?#x@127.0.0.1:1/db", 2},
      {"postgres://app:s3cr/pw@127.0.0.1:1/db", 2},
      {"postgres://app:s3cr#pw?x@127.0.0.1:1/db", 3},
      {"postgresql://app@127.0.0.1:1/db?sslmode=disable&password=s3cr%40t%2Fpw", 3},
      {"host=127.0.0.1 port=1 dbname=db password='s3cr@t/pw?#x'", 3},
      {"host=127.0.0.1 port=1 dbname=db password=s3cr\\ t/pw", 3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    for (std::vector<std::string> args :
         {std::vector<std::string>{"status"}, std::vector<std::string>{"status", "--json"},
          std::vector<std::string>{"version-schema", "--dsn"}}) {
      args.insert(args.begin(), {"--db", c.url, "--lock-wait", "1s"});
      auto r = testing::run_tandem(args, {{"PGCONNECT_TIMEOUT", "2"}});
      EXPECT_EQ(r.code, c.code) << r.out << r.err;
      for (const char* secret : {"s3cr", "t/pw", "t%2Fpw", "%40t", "pw?"}) {
        EXPECT_EQ(r.out.find(secret), std::string::npos) << secret << " in " << r.out;
        EXPECT_EQ(r.err.find(secret), std::string::npos) << secret << " in " << r.err;
      }
    }
  }
  EXPECT_EQ(db::redact_url("postgres://u:p%40ss%2F@h/db"), "postgres://u:****@h/db");
  EXPECT_EQ(db::redact_url("host=h password='it\\'s' dbname=x"), "host=h password=**** dbname=x");
}

// A byte that is not UTF-8 — in a string literal of a .sql file, in a name in a .yaml file, in
// a file name — is reported with file:line (exit 2, nothing changed), never an abort.
TEST(InvalidUtf8, IsReportedWithFileAndLineNotAnAbort) {
  struct Case {
    std::string file, content, where;
  };
  const Case cases[] = {
      {"0001_a.sql", "-- tandem:up\nCREATE TABLE t (a text DEFAULT 'caf\xff');\n", "0001_a.sql:2:"},
      {"0001_a.yaml",
       "operations:\n  - create_table: {name: \"t\xff\", columns: [{name: id, type: int, pk: "
       "true}]}\n",
       "0001_a.yaml:2:"},
      {"0001_caf\xff.sql", "-- tandem:up\nCREATE TABLE t (a int);\n", "not valid UTF-8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.where);
    for (bool pg : {false, true}) {
      TempDir dir;
      dir.write(c.file, c.content);
      testing::TestDb db(pg ? testing::Kind::kPostgres : testing::Kind::kSqlite);
      db.exec("CREATE TABLE keep (a int)");
      std::string before = db.snapshot();
      for (std::vector<std::string> cmd :
           {std::vector<std::string>{"up"}, {"status", "--json"}, {"lint"}, {"start"}}) {
        if (!pg && cmd[0] == "start") continue;
        SCOPED_TRACE(cmd[0]);
        std::vector<std::string> args = {"--db", db.url(), "--dir", dir.path()};
        args.insert(args.end(), cmd.begin(), cmd.end());
        auto r = testing::run_tandem(args);
        EXPECT_LT(r.code, 128) << "aborted: " << r.err;
        if (cmd[0] == "status") {
          EXPECT_EQ(r.code, 0) << r.err;
          EXPECT_NE(r.out.find("not valid UTF-8"), std::string::npos) << r.out;
          EXPECT_TRUE(nlohmann::json::accept(r.out)) << r.out;
        } else {
          EXPECT_EQ(r.code, 2) << r.err;
          EXPECT_NE(r.err.find(c.where), std::string::npos) << r.err;
        }
      }
      EXPECT_EQ(db.snapshot(), before) << "nothing may change";
    }
  }
}

// A usage error is a JSON document when --json was asked for, even when the parse stopped
// before CLI11 set any flag (a flag missing its value).
TEST(Cli, UsageErrorsAreJsonWithJson) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--json", "status", "--dir"},
        std::vector<std::string>{"--json", "--db", "sqlite::memory:", "up", "--to"},
        std::vector<std::string>{"--json", "stauts"}}) {
    auto r = testing::run_tandem(args);
    EXPECT_EQ(r.code, 2) << r.err;
    json j = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: '" << r.out << "' for " << args.back();
    EXPECT_EQ(j["error"]["code"], 2);
  }
}

TEST(Url, ParsesAndRedacts) {
  EXPECT_EQ(db::parse_url("sqlite::memory:")->target, ":memory:");
  EXPECT_EQ(db::parse_url("sqlite:///tmp/x.db")->target, "/tmp/x.db");
  EXPECT_EQ(db::parse_url("sqlite:x.db")->backend, db::Backend::kSqlite);
  EXPECT_EQ(db::parse_url("postgres://u@h/db")->backend, db::Backend::kPostgres);
  EXPECT_EQ(db::parse_url("host=/tmp dbname=app")->backend, db::Backend::kPostgres);
  EXPECT_FALSE(db::parse_url("mysql://x").ok());
  // A URL inside a keyword value is not libpq's password, but it is one: masked too.
  auto nested = db::parse_url("host=/tmp dbname='postgresql://atk:Hunter2Secret@/x'");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message().find("Hunter2Secret"), std::string::npos)
      << nested.status().message();
  EXPECT_EQ(db::redact_url("dbname='postgresql://atk:Hunter2Secret@/x'").find("Hunter2Secret"),
            std::string::npos);
  EXPECT_EQ(db::redact_url("postgres://u:p@h:5/db?sslmode=require"),
            "postgres://u:****@h:5/db?sslmode=require");
  EXPECT_EQ(db::redact_url("postgres://h/db?password=abc&sslmode=require"),
            "postgres://h/db?password=****&sslmode=require");
  EXPECT_EQ(db::redact_url("host=h password='a b' dbname=x"), "host=h password=**** dbname=x");
  EXPECT_EQ(db::quote_ident("we\"ird"), "\"we\"\"ird\"");
}

}  // namespace
}  // namespace tandem
