// `tandem db create|drop|wait` end to end: the built binary against the test PostgreSQL server
// and SQLite files. Every database a test makes has the process id in its name and is dropped
// when the test ends, whatever happened.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace tandem {
namespace {

using nlohmann::json;
using testing::CmdResult;
using testing::run_tandem;
using testing::TempDir;

std::string pg_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) throw std::runtime_error(std::string(name) + " is not set: source the test server's env");
  return v;
}

std::string percent_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// A URL for database `name` on the test server; with `password` in its user part (the
// server trusts the socket, so any password works).
std::string url_for(const std::string& name, const std::string& password = "") {
  return fmt::format("postgresql://postgres{}@/{}?host={}&port={}",
                     password.empty() ? "" : ":" + password, percent_encode(name),
                     pg_env("TANDEM_TEST_PG_HOST"), pg_env("TANDEM_TEST_PG_PORT"));
}

std::unique_ptr<db::Connection> admin() {
  auto c = db::connect(url_for("postgres"));
  if (!c.ok()) throw std::runtime_error(c.status().message());
  return std::move(c).value();
}

bool pg_exists(const std::string& name) {
  auto rows = admin()->query("SELECT 1 FROM pg_database WHERE datname = $1", {name});
  if (!rows.ok()) throw std::runtime_error(rows.status().message());
  return !rows->empty();
}

// A database name for this test, dropped (if it exists) before and after it.
class ScratchName {
 public:
  explicit ScratchName(const std::string& stem) : name_(fmt::format("{}_{}", stem, getpid())) {
    drop();
  }
  ~ScratchName() { drop(); }
  const std::string& name() const { return name_; }

 private:
  void drop() const {
    (void)admin()->execute("DROP DATABASE IF EXISTS " + db::quote_ident(name_) + " WITH (FORCE)");
  }
  std::string name_;
};

CmdResult db_cmd(const std::string& url, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", url, "db"});
  return run_tandem(args);
}

TEST(DbCommand, PostgresCreateIsIdempotentAndDropNeedsYes) {
  ScratchName db("tandem_dbcmd_life");
  std::string url = url_for(db.name());

  auto created = db_cmd(url, {"create"});
  EXPECT_EQ(created.code, 0) << created.err;
  EXPECT_NE(created.out.find("created database \"" + db.name() + "\""), std::string::npos)
      << created.out;
  EXPECT_TRUE(pg_exists(db.name()));

  auto again = db_cmd(url, {"create", "--json"});
  EXPECT_EQ(again.code, 0) << again.err;
  json j = json::parse(again.out);
  EXPECT_EQ(j["outcome"], "exists");
  EXPECT_EQ(j["name"], db.name());
  EXPECT_EQ(j["backend"], "postgres");

  // Without --yes: refused, exit 2, naming what it would drop; the database is still there.
  auto refused = db_cmd(url, {"drop"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("error: "), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("\"" + db.name() + "\""), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("hint: pass --yes"), std::string::npos) << refused.err;
  EXPECT_TRUE(pg_exists(db.name()));

  auto dropped = db_cmd(url, {"drop", "--yes"});
  EXPECT_EQ(dropped.code, 0) << dropped.err;
  EXPECT_NE(dropped.out.find("dropped database"), std::string::npos) << dropped.out;
  EXPECT_FALSE(pg_exists(db.name()));

  auto absent = db_cmd(url, {"drop", "--yes", "--json"});
  EXPECT_EQ(absent.code, 0) << absent.err;
  EXPECT_EQ(json::parse(absent.out)["outcome"], "absent");
  auto absent_text = db_cmd(url, {"drop", "--yes"});
  EXPECT_EQ(absent_text.code, 0) << absent_text.err;
  EXPECT_NE(absent_text.out.find("does not exist"), std::string::npos) << absent_text.out;
}

TEST(DbCommand, PostgresDropRefusesADatabaseInUseUnlessForced) {
  ScratchName db("tandem_dbcmd_busy");
  std::string url = url_for(db.name());
  ASSERT_EQ(db_cmd(url, {"create"}).code, 0);
  auto session = db::connect(url);
  ASSERT_TRUE(session.ok()) << session.status().message();

  auto refused = db_cmd(url, {"drop", "--yes"});
  EXPECT_EQ(refused.code, 3) << refused.err;
  EXPECT_NE(refused.err.find("has 1 other session(s) connected"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_TRUE(pg_exists(db.name()));
  EXPECT_TRUE((*session)->query("SELECT 1").ok()) << "the session must still work";

  auto forced = db_cmd(url, {"drop", "--yes", "--force", "--json"});
  EXPECT_EQ(forced.code, 0) << forced.err;
  json j = json::parse(forced.out);
  EXPECT_EQ(j["outcome"], "dropped");
  EXPECT_EQ(j["sessions_ended"], 1);
  EXPECT_FALSE(pg_exists(db.name()));
  EXPECT_FALSE((*session)->query("SELECT 1").ok()) << "its session was ended";
}

TEST(DbCommand, PostgresRefusesToDropTheServersOwnDatabases) {
  for (const char* name : {"postgres", "template0", "template1"}) {
    SCOPED_TRACE(name);
    auto r = db_cmd(url_for(name), {"drop", "--yes", "--force"});
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(fmt::format("refusing to drop \"{}\"", name)), std::string::npos) << r.err;
    EXPECT_TRUE(pg_exists(name));
  }
  // A URL that names no database is refused too: drop never guesses it.
  std::string no_name = fmt::format("postgresql://postgres@/?host={}&port={}",
                                    pg_env("TANDEM_TEST_PG_HOST"), pg_env("TANDEM_TEST_PG_PORT"));
  for (std::vector<std::string> args : {std::vector<std::string>{"create"}, {"drop", "--yes"}}) {
    auto r = db_cmd(no_name, args);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("names no database"), std::string::npos) << r.err;
  }
}

TEST(DbCommand, PostgresNamesAreQuoted) {
  for (const std::string stem : {"my-db\"x", "MixedCase Db", "semi;colon"}) {
    SCOPED_TRACE(stem);
    ScratchName db(stem);
    std::string url = url_for(db.name());
    auto created = db_cmd(url, {"create", "--json"});
    ASSERT_EQ(created.code, 0) << created.err;
    EXPECT_EQ(json::parse(created.out)["name"], db.name());
    EXPECT_TRUE(pg_exists(db.name()));
    // The database is the one named: tandem works in it.
    auto status = run_tandem({"--db", url, "--dir", TempDir().path(), "init"});
    EXPECT_EQ(status.code, 0) << status.err;
    auto dropped = db_cmd(url, {"drop", "--yes"});
    EXPECT_EQ(dropped.code, 0) << dropped.err;
    EXPECT_FALSE(pg_exists(db.name()));
  }
}

TEST(DbCommand, PostgresCreateWithTemplateEncodingAndOwner) {
  ScratchName db("tandem_dbcmd_opts");
  auto r = db_cmd(url_for(db.name()), {"create", "--template", "template0", "--encoding",
                                       "SQL_ASCII", "--owner", "postgres"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto rows = admin()->query(
      "SELECT pg_encoding_to_char(encoding), pg_get_userbyid(datdba) FROM pg_database "
      "WHERE datname = $1",
      {db.name()});
  ASSERT_TRUE(rows.ok() && rows->size() == 1);
  EXPECT_EQ(rows->text(0, 0), "SQL_ASCII");
  EXPECT_EQ(rows->text(0, 1), "postgres");
  // An owner that does not exist: the server's error, exit 3, nothing created.
  ScratchName other("tandem_dbcmd_noowner");
  auto bad = db_cmd(url_for(other.name()), {"create", "--owner", "no_such_role_x"});
  EXPECT_EQ(bad.code, 3) << bad.err;
  EXPECT_NE(bad.err.find("no_such_role_x"), std::string::npos) << bad.err;
  EXPECT_FALSE(pg_exists(other.name()));
}

TEST(DbCommand, PasswordsAreNeverPrinted) {
  const std::string pw = "Sup3rS3cretPw";
  ScratchName db("tandem_dbcmd_pw");
  std::string url = url_for(db.name(), pw);
  std::string down = "postgresql://postgres:" + pw + "@127.0.0.1:1/" + db.name();
  const std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
      {url, {"wait"}},
      {url, {"create"}},
      {url, {"create", "--json"}},
      {url, {"drop"}},
      {url, {"drop", "--json"}},
      {url, {"wait", "--json"}},
      {url, {"drop", "--yes"}},
      {url, {"drop", "--yes"}},
      {down, {"create"}},
      {down, {"drop", "--yes"}},
      {down, {"wait", "--timeout", "1s"}},
      {down, {"wait", "--timeout", "1s", "--json"}}};
  for (const auto& [u, args] : runs) {
    auto r = db_cmd(u, args);
    SCOPED_TRACE(::testing::PrintToString(args));
    EXPECT_NE(r.out + r.err, "");
    EXPECT_EQ(r.out.find(pw), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(pw), std::string::npos) << r.err;
    if (u == down) {
      EXPECT_EQ(r.code, 3) << r.err;
      EXPECT_NE(r.err.find("postgres:****@127.0.0.1:1"), std::string::npos) << r.err;
    }
  }
}

TEST(DbCommand, WaitSucceedsOnARunningServer) {
  testing::TestDb existing(testing::Kind::kPostgres);
  auto r = db_cmd(existing.url(), {"wait", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["outcome"], "ready");
  EXPECT_EQ(j["exists"], true);
  EXPECT_EQ(j["attempts"], 1);

  // The server is up and the database not created yet: ready as well, and said so.
  ScratchName missing("tandem_dbcmd_notyet");
  auto up = db_cmd(url_for(missing.name()), {"wait", "--timeout", "5s"});
  EXPECT_EQ(up.code, 0) << up.err;
  EXPECT_NE(up.out.find("does not exist yet"), std::string::npos) << up.out;
  EXPECT_EQ(up.err, "") << "no waiting: the first attempt succeeds";
  EXPECT_FALSE(pg_exists(missing.name()));
}

TEST(DbCommand, WaitGivesUpOnAPortNothingListensOn) {
  auto start = std::chrono::steady_clock::now();
  auto r = db_cmd("postgresql://app@127.0.0.1:1/app", {"wait", "--timeout", "2s"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_GE(took, std::chrono::milliseconds(1900));
  EXPECT_LT(took, std::chrono::seconds(15));
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("error: gave up waiting for postgresql://app@127.0.0.1:1/app after"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("last error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: "), std::string::npos) << r.err;
  // Progress: the first failed attempt at once, then at most about once a second.
  size_t lines = 0;
  for (size_t at = r.err.find("(attempt "); at != r.err.npos; at = r.err.find("(attempt ", at + 1))
    ++lines;
  EXPECT_GE(lines, 2u) << r.err;
  EXPECT_LE(lines, 3u) << r.err;
  EXPECT_NE(r.err.find("waiting for postgresql://app@127.0.0.1:1/app"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(attempt 1, last error: "), std::string::npos) << r.err;

  auto bad = db_cmd("postgresql://app@127.0.0.1:1/app", {"wait", "--timeout", "soon"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--timeout 'soon' is not a duration"), std::string::npos) << bad.err;
  // A bare number might mean seconds: it was read as milliseconds and gave up at once.
  auto bare = db_cmd("postgresql://app@127.0.0.1:1/app", {"wait", "--timeout", "10"});
  EXPECT_EQ(bare.code, 2) << bare.err;
  EXPECT_NE(bare.err.find("hint: add a unit: 10s, 10ms or 10m"), std::string::npos) << bare.err;
}

// One attempt every half second, never a busy loop near the deadline.
TEST(DbCommand, WaitRetriesEveryHalfSecond) {
  TempDir dir;
  std::string url = "sqlite:" + dir.path() + "/missing/app.db";  // its folder does not exist
  auto r = db_cmd(url, {"wait", "--timeout", "1s", "--json"});
  EXPECT_EQ(r.code, 3) << r.err;
  size_t at = r.err.find("after ");
  ASSERT_NE(at, std::string::npos) << r.err;
  size_t open = r.err.find('(', at);
  int attempts = std::atoi(r.err.c_str() + open + 1);
  EXPECT_GE(attempts, 2) << r.err;
  EXPECT_LE(attempts, 4) << r.err;
}

TEST(DbCommand, SqliteCreateDropWait) {
  TempDir dir;
  std::string file = dir.path() + "/app.db";
  std::string url = "sqlite:" + file;

  // wait: no file yet, but a writable folder.
  auto waited = db_cmd(url, {"wait", "--json"});
  EXPECT_EQ(waited.code, 0) << waited.err;
  EXPECT_EQ(json::parse(waited.out)["exists"], false);

  auto created = db_cmd(url, {"create"});
  EXPECT_EQ(created.code, 0) << created.err;
  EXPECT_EQ(created.out, "created " + url + "\n");
  EXPECT_TRUE(std::filesystem::exists(file));
  auto again = db_cmd(url, {"create"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("already exists"), std::string::npos) << again.out;
  auto ready = db_cmd(url, {"wait", "--json"});
  EXPECT_EQ(ready.code, 0) << ready.err;
  EXPECT_EQ(json::parse(ready.out)["exists"], true);
  EXPECT_EQ(db_cmd(url, {"create", "--owner", "x"}).code, 2);

  // The database is usable, in WAL mode with its companions.
  ASSERT_EQ(run_tandem({"--db", url, "--dir", dir.path() + "/migrations", "init"}).code, 0);
  dir.write("app.db-journal", "");
  dir.write("app.db-shm", "");

  auto refused = db_cmd(url, {"drop"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find(file), std::string::npos) << refused.err;
  EXPECT_TRUE(std::filesystem::exists(file));

  auto dropped = db_cmd(url, {"drop", "--yes", "--json"});
  EXPECT_EQ(dropped.code, 0) << dropped.err;
  json j = json::parse(dropped.out);
  EXPECT_EQ(j["outcome"], "dropped");
  EXPECT_EQ(j["files_removed"].back(), file);
  EXPECT_GE(j["files_removed"].size(), 3u) << "the -shm and -journal files too";
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    EXPECT_FALSE(std::filesystem::exists(file + suffix)) << suffix;
  auto absent = db_cmd(url, {"drop", "--yes"});
  EXPECT_EQ(absent.code, 0) << absent.err;
  EXPECT_NE(absent.out.find("does not exist"), std::string::npos) << absent.out;

  // A file that is not an SQLite database is never removed.
  std::string notes = dir.write("notes.txt", "my notes, not a database\n");
  auto kept = db_cmd("sqlite:" + notes, {"drop", "--yes"});
  EXPECT_EQ(kept.code, 2) << kept.err;
  EXPECT_NE(kept.err.find("is not an SQLite database"), std::string::npos) << kept.err;
  EXPECT_TRUE(std::filesystem::exists(notes));
  for (const char* cmd : {"create", "wait"}) {
    auto r = db_cmd("sqlite:" + notes, {cmd});
    EXPECT_EQ(r.code, 2) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("is not an SQLite database"), std::string::npos) << r.err;
  }
  EXPECT_EQ(testing::read_file(notes), "my notes, not a database\n");

  // A folder that does not exist: create says so (exit 2); wait waits for it and gives up.
  std::string nowhere = "sqlite:" + dir.path() + "/no/such/dir/app.db";
  auto lost = db_cmd(nowhere, {"create"});
  EXPECT_EQ(lost.code, 2) << lost.err;
  EXPECT_NE(lost.err.find("does not exist"), std::string::npos) << lost.err;
  EXPECT_NE(lost.err.find("mkdir -p"), std::string::npos) << lost.err;
  auto gave_up = db_cmd(nowhere, {"wait", "--timeout", "1s"});
  EXPECT_EQ(gave_up.code, 3) << gave_up.err;
  EXPECT_NE(gave_up.err.find("gave up waiting"), std::string::npos) << gave_up.err;
  EXPECT_EQ(db_cmd("sqlite::memory:", {"create"}).code, 2);
}

TEST(DbCommand, UsageErrorsNameTheCommands) {
  auto none = run_tandem({"db"});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("`tandem db` needs a command"), std::string::npos) << none.err;
  for (const char* c : {"create", "drop", "wait"})
    EXPECT_NE(none.err.find(c), std::string::npos) << c << " in " << none.err;
  auto typo = run_tandem({"db", "crate"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("did you mean \"create\"?"), std::string::npos) << typo.err;
  for (const char* c : {"create", "drop", "wait"}) {
    auto help = run_tandem({"db", c, "--help"});
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("Examples:\n  tandem "), std::string::npos) << help.out;
  }
}

// The library's pieces under the commands: the database name as libpq reads it, and a
// connection to another database of the same server with the URL left as it is.
TEST(DbCommand, DatabaseNameAndConnectingToAnotherDatabase) {
  EXPECT_EQ(*db::url_database_name("postgres://u:p@h:5/my%2Ddb?sslmode=disable"), "my-db");
  EXPECT_EQ(*db::url_database_name("host=h dbname='a b' password=x"), "a b");
  EXPECT_EQ(*db::url_database_name("postgres://u@h/?dbname=q"), "q");
  EXPECT_EQ(*db::url_database_name("postgres://u@h"), "");
  EXPECT_FALSE(db::url_database_name("sqlite:x.db").ok());

  testing::TestDb own(testing::Kind::kPostgres);
  db::ConnectOptions copts;
  copts.dbname = "template1";
  auto other = db::connect(own.url(), copts);
  ASSERT_TRUE(other.ok()) << other.status().message();
  auto name = (*other)->query("SELECT current_database()");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->text(0, 0), "template1");
  EXPECT_NE((*other)->describe().find("(database template1)"), std::string::npos);
}

}  // namespace
}  // namespace tandem
