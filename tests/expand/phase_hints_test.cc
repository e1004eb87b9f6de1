// After a crash part-way through start, complete or rollback, every hint — `status`, the
// refusal of a command the phase does not allow — offers only the command that works there.
// (Crashed in complete, status and errors offered `tandem rollback`, which is then refused;
// complete during an unfinished rollback said "start one with `tandem start`".)

#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class PhaseHintsTest : public ::testing::Test {
 protected:
  PhaseHintsTest() : db_(Kind::kPostgres) {
    dir_.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY, a int);\n");
  }
  testing::CmdResult run(const std::string& command, const std::string& crash_at = "") {
    return testing::run_tandem(
        {"--db", db_.url(), "--dir", dir_.path(), command},
        crash_at.empty() ? std::map<std::string, std::string>{}
                         : std::map<std::string, std::string>{{"TANDEM_TEST_CRASH_AT", crash_at}});
  }
  TempDir dir_;
  TestDb db_;
};

TEST_F(PhaseHintsTest, EachPhaseOffersOnlyTheCommandThatWorks) {
  ASSERT_EQ(run("up").code, 0);
  dir_.write("0002_b.yaml",
             "operations:\n  - add_column: {table: t, column: {name: b, type: int}, up: a + 1}\n");
  // Killed while starting: start again or roll back; complete refuses and says so.
  EXPECT_EQ(run("start", "start:new-schema").code, 137);
  auto status = run("status");
  EXPECT_NE(status.out.find("run `tandem start` again to finish starting it, or `tandem "
                            "rollback` to undo it"),
            std::string::npos)
      << status.out;
  EXPECT_EQ(status.out.find("`tandem complete`"), std::string::npos) << status.out;
  auto complete = run("complete");
  EXPECT_EQ(complete.code, 2);
  EXPECT_NE(complete.err.find("run `tandem start` again"), std::string::npos) << complete.err;
  ASSERT_EQ(run("start").code, 0);

  // Killed while completing: only complete finishes it; rollback refuses without offering itself.
  EXPECT_EQ(run("complete", "complete:old-schema-dropped").code, 137);
  status = run("status");
  EXPECT_NE(status.out.find("run `tandem complete` again to finish it"), std::string::npos)
      << status.out;
  EXPECT_EQ(status.out.find("`tandem rollback`"), std::string::npos) << status.out;
  auto rollback = run("rollback");
  EXPECT_EQ(rollback.code, 2);
  EXPECT_NE(rollback.err.find("run `tandem complete` again"), std::string::npos) << rollback.err;
  EXPECT_EQ(rollback.err.find("`tandem rollback`"), std::string::npos) << rollback.err;
  ASSERT_EQ(run("complete").code, 0);

  // Killed while rolling back: complete says to finish the rollback, not to start one.
  dir_.write("0003_c.yaml",
             "operations:\n  - add_column: {table: t, column: {name: c, type: int}, up: a + 2}\n");
  ASSERT_EQ(run("start").code, 0);
  EXPECT_EQ(run("rollback", "rollback:new-schema-dropped").code, 137);
  complete = run("complete");
  EXPECT_EQ(complete.code, 2);
  EXPECT_NE(complete.err.find("run `tandem rollback` again to finish undoing it"),
            std::string::npos)
      << complete.err;
  EXPECT_EQ(complete.err.find("tandem start"), std::string::npos) << complete.err;
  auto up = run("up");
  EXPECT_NE(up.code, 0);
  EXPECT_NE(up.err.find("run `tandem rollback` again"), std::string::npos) << up.err;
  ASSERT_EQ(run("rollback").code, 0);
  EXPECT_EQ(run("status").out.find("active"), std::string::npos);
}

}  // namespace
}  // namespace tandem
