// tandem's own tables edited by hand or corrupted: every command that reads them fails with a
// message and an exit code — never an abort ("terminate called …", exit 134) from a parse that
// threw. Before issue 11, a non-numeric counter in the SQLite history or a checkpoint that is
// not JSON ended the process.

#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

void ExpectCleanFailure(const testing::CmdResult& r, const std::string& said) {
  EXPECT_GE(r.code, 1) << r.err;
  EXPECT_LE(r.code, 4) << "a clean exit code, not a signal: " << r.err;
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(said), std::string::npos) << r.err;
}

class CorruptStateTest : public ::testing::TestWithParam<Kind> {
 protected:
  CorruptStateTest() : db_(GetParam()) {
    dir_.write("0001_t.sql",
               "-- tandem:up\nCREATE TABLE t (id integer PRIMARY KEY, a integer);\n"
               "-- tandem:down\nDROP TABLE t;\n");
  }
  testing::CmdResult run(const std::vector<std::string>& args) {
    return testing::run_tandem_on(db_, dir_, args);
  }
  std::string table(const char* name) const {
    return std::string(db_.pg() ? "tandem." : "tandem_") + name;
  }
  TempDir dir_;
  TestDb db_;
};

TEST_P(CorruptStateTest, AHistoryRowThatDoesNotParse) {
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  // SQLite keeps whatever it is given; PostgreSQL's columns are typed, so its text one is used.
  db_.exec(db_.pg() ? "UPDATE tandem.migrations SET status = 'bogus'"
                    : "UPDATE tandem_migrations SET statements_applied = 'abc'");
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"status"}, {"status", "--json"}, {"up"}, {"plan"}, {"down"}}) {
    SCOPED_TRACE(cmd.front());
    ExpectCleanFailure(run(cmd), db_.pg() ? "bogus" : "abc");
  }
}

TEST_P(CorruptStateTest, AStateVersionThatIsNotANumber) {
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  db_.exec("UPDATE " + table("meta") + " SET value = 'x' WHERE key = 'state_version'");
  ExpectCleanFailure(run({"status"}), "state_version");
  ExpectCleanFailure(run({"up"}), "state_version");
}

INSTANTIATE_TEST_SUITE_P(Backends, CorruptStateTest,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

// A backfill checkpoint that is not a key (JSON) stops `backfill status` and the resumed start
// with a message naming it, instead of an uncaught parse exception.
TEST(CorruptState, ABackfillCheckpointThatIsNotAKey) {
  TempDir dir;
  TestDb db(Kind::kPostgres);
  dir.write("0001_t.sql",
            "-- tandem:up\nCREATE TABLE t (id integer PRIMARY KEY, a integer, b integer);\n"
            "INSERT INTO t SELECT g, g, NULL FROM generate_series(1, 1000) g;\n");
  dir.write("0002_fill.yaml", "operations:\n  - update: {table: t, set: {b: \"a * 2\"}}\n");
  std::vector<std::string> args = {"--db", db.url(),      "--dir", dir.path(),
                                   "-q",   "--batch-max", "50"};
  auto first =
      testing::run_tandem({"--db", db.url(), "--dir", dir.path(), "-q", "up", "--to", "1"});
  ASSERT_EQ(first.code, 0) << first.err;
  std::vector<std::string> start = args;
  start.push_back("start");
  auto killed = testing::run_tandem(start, {{"TANDEM_TEST_CRASH_AT", "start:backfill-batch:3"}});
  ASSERT_EQ(killed.code, 137) << killed.err;
  db.exec("UPDATE tandem.backfill_jobs SET checkpoint = '{not json'");
  std::vector<std::string> status = args;
  status.insert(status.end(), {"backfill", "status"});
  // Listing the jobs shows the damaged one (one bad row must not hide the others, on the
  // dashboard too); continuing from it is refused.
  auto listed = testing::run_tandem(status);
  EXPECT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.out.find("checkpoint is not a key"), std::string::npos) << listed.out;
  ExpectCleanFailure(testing::run_tandem(start), "checkpoint is not a key");
  // Set back as the hint says (from the table's start), it finishes.
  db.exec("UPDATE tandem.backfill_jobs SET checkpoint = NULL");
  auto again = testing::run_tandem(start);
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(db.value("SELECT count(*) FROM t WHERE b = a * 2"), "1000");
}

}  // namespace
}  // namespace tandem
