// Commands that only read never create a SQLite database: `status` on a mistyped path is an
// error naming it; `plan` and `validate` read a file that does not exist yet as the empty
// database `up` would create, and say so. (Each of them used to create the file.)

#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace tandem {
namespace {

using testing::TempDir;

class ReadOnlyOpenTest : public ::testing::Test {
 protected:
  ReadOnlyOpenTest() {
    dir_.write("0001_a.sql",
               "-- tandem:up\nCREATE TABLE a (id int PRIMARY KEY);\n"
               "-- tandem:down\nDROP TABLE a;\n");
    file_ = work_.path() + "/typo.db";
  }
  testing::CmdResult run(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--db", "sqlite:" + file_, "--dir", dir_.path()};
    all.insert(all.end(), args.begin(), args.end());
    return testing::run_tandem(all);
  }
  TempDir dir_, work_;
  std::string file_;
};

TEST_F(ReadOnlyOpenTest, StatusOnAMissingFileIsAnErrorAndCreatesNothing) {
  for (auto args : std::vector<std::vector<std::string>>{{"status"}, {"--json", "status"}}) {
    auto r = run(args);
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("sqlite:" + file_ + ": no such database file"), std::string::npos)
        << r.err;
    EXPECT_FALSE(std::filesystem::exists(file_));
  }
  auto vs = run({"version-schema"});
  EXPECT_NE(vs.code, 0);
  EXPECT_FALSE(std::filesystem::exists(file_));
}

TEST_F(ReadOnlyOpenTest, PlanAndValidateReadAMissingFileAsEmptyWithoutCreatingIt) {
  auto plan = run({"plan"});
  EXPECT_EQ(plan.code, 0) << plan.err;
  EXPECT_NE(plan.out.find("CREATE TABLE a"), std::string::npos) << plan.out;
  EXPECT_NE(plan.err.find("does not exist yet"), std::string::npos) << plan.err;
  auto validate = run({"validate"});
  EXPECT_EQ(validate.code, 0) << validate.out << validate.err;
  EXPECT_FALSE(std::filesystem::exists(file_));
  // `up` creates it, and then status reads it.
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  EXPECT_TRUE(std::filesystem::exists(file_));
  EXPECT_EQ(run({"status"}).code, 0);
}

}  // namespace
}  // namespace tandem
