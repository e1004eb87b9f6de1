// Input that names nothing must not be taken for "everything": `up --to 9` without a version 9
// applied every pending migration, and a .yaml/.json migration without a version prefix was
// silently skipped (a .sql one is reported).

#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class UnknownInputTest : public ::testing::TestWithParam<Kind> {
 protected:
  UnknownInputTest() : db_(GetParam()) {
    dir_.write("0001_a.sql",
               "-- tandem:up\nCREATE TABLE a (id int PRIMARY KEY);\n"
               "-- tandem:down\nDROP TABLE a;\n");
    dir_.write("0002_b.sql",
               "-- tandem:up\nCREATE TABLE b (id int PRIMARY KEY);\n"
               "-- tandem:down\nDROP TABLE b;\n");
  }
  testing::CmdResult run(const std::vector<std::string>& args) {
    return testing::run_tandem_on(db_, dir_, args);
  }
  TempDir dir_;
  TestDb db_;
};

TEST_P(UnknownInputTest, UpToAVersionThatDoesNotExistIsRefused) {
  ASSERT_EQ(run({"-q", "init"}).code, 0);
  std::string before = db_.snapshot();
  for (const char* cmd : {"up", "plan"}) {
    SCOPED_TRACE(cmd);
    auto r = run({cmd, "--to", "9"});
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("--to 9: no migration has version 9"), std::string::npos) << r.err;
    EXPECT_EQ(db_.snapshot(), before) << "nothing may change";
  }
  // A version that exists, spelled with leading zeros, is fine.
  auto ok = run({"-q", "up", "--to", "0001"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_ANY_THROW(db_.value("SELECT 1 FROM b"));
}

TEST_P(UnknownInputTest, ADeclarativeFileWithoutAVersionIsReported) {
  for (const char* file : {"add_email.yaml", "add_email.json"}) {
    SCOPED_TRACE(file);
    dir_.write(file, "operations:\n  - sql: {up: SELECT 1, down: SELECT 1}\n");
    auto validate = run({"validate"});
    EXPECT_EQ(validate.code, 1) << validate.out << validate.err;
    EXPECT_NE((validate.out + validate.err)
                  .find(std::string(file) + ": file name does not start "
                                            "with a version"),
              std::string::npos)
        << validate.out << validate.err;
    auto up = run({"up"});
    EXPECT_EQ(up.code, 2) << up.err;
    dir_.remove(file);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, UnknownInputTest,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

}  // namespace
}  // namespace tandem
