// `up` that applies some migrations and then stops at a later one says exactly that: which
// were applied, which one stopped it and why, and the version the database is at now. (It said
// "nothing was changed" and "current version none" although the first migration was applied.)

#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class PartialUpTest : public ::testing::TestWithParam<Kind> {
 protected:
  PartialUpTest() : db_(GetParam()) {
    dir_.write("0001_a.sql",
               "-- tandem:up\nCREATE TABLE a (id int PRIMARY KEY, x int);\n"
               "-- tandem:down\nDROP TABLE a;\n");
  }
  testing::CmdResult run(const std::vector<std::string>& args) {
    return testing::run_tandem_on(db_, dir_, args);
  }
  TempDir dir_;
  TestDb db_;
};

// The second migration can only fail once the first has run (its column is already there).
TEST_P(PartialUpTest, SaysWhatWasAppliedAndWhatStoppedIt) {
  dir_.write("0002_b.yaml",
             "operations:\n  - add_column: {table: a, column: {name: x, type: int, nullable: "
             "true}}\n");
  auto r = run({"up"});
  EXPECT_NE(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("applied 1 migration"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("current version 1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("stopped at 0002_b.yaml: the 1 migration before it was applied and "
                       "stays so (current version 1)"),
            std::string::npos)
      << r.err;
  auto status = run({"--json", "status"});
  EXPECT_NE(status.out.find("\"current_version\": \"1\""), std::string::npos) << status.out;
}

TEST_P(PartialUpTest, AFailingSqlMigrationAfterAnAppliedOne) {
  dir_.write("0002_b.sql", "-- tandem:up\nALTER TABLE a ADD COLUMN x int;\n");
  auto r = run({"up"});
  EXPECT_NE(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("current version 1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("stopped at 0002_b.sql: the 1 migration before it was applied"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("nothing of it was applied"), std::string::npos) << r.err;
}

// A statement cancelled by --statement-timeout is not a statement to fix: the hint says which
// setting stopped it.
TEST(StatementTimeout, TheHintNamesTheSetting) {
  TestDb db(Kind::kPostgres);
  TempDir dir;
  dir.write("0001_slow.sql", "-- tandem:up\nSELECT pg_sleep(2);\n");
  auto r = testing::run_tandem_on(db, dir, {"--statement-timeout", "100ms", "up"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("statement timeout"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("raise --statement-timeout (statement_timeout in tandem.yaml"),
            std::string::npos)
      << r.err;
  // A bare number was taken for milliseconds; it is refused now.
  auto bare = testing::run_tandem_on(db, dir, {"--statement-timeout", "30", "up"});
  EXPECT_EQ(bare.code, 2) << bare.err;
  EXPECT_NE(bare.err.find("add a unit: 30s, 30ms or 30m"), std::string::npos) << bare.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, PartialUpTest, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         testing::kind_name);

}  // namespace
}  // namespace tandem
