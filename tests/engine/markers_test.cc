// `-- tandem:…` marker lines count only outside literals: one inside a multi-line string (or a
// dollar quote, or a block comment) is part of that text. Before, a string holding
// "\n-- tandem:no-transaction\n" made the migration run outside a transaction, so a failure
// after it left the migration half applied.

#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class MarkersTest : public ::testing::TestWithParam<Kind> {
 protected:
  MarkersTest() : db_(GetParam()) {}
  testing::CmdResult run(const std::vector<std::string>& args) {
    return testing::run_tandem_on(db_, dir_, args);
  }
  TempDir dir_;
  TestDb db_;
};

TEST_P(MarkersTest, AMarkerInsideAStringIsText) {
  dir_.write("0001_m.sql",
             "-- tandem:up\n"
             "CREATE TABLE m (id int PRIMARY KEY, note text);\n"
             "INSERT INTO m VALUES (1, 'first line\n"
             "-- tandem:no-transaction\n"
             "-- tandem:down\n"
             "last line');\n"
             "INSERT INTO m VALUES (1, 'the same key again');\n");
  auto plan = run({"plan"});
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_EQ(plan.out.find("outside a transaction"), std::string::npos) << plan.out;
  auto failed = run({"up"});
  EXPECT_NE(failed.code, 0);
  // One transaction: the CREATE TABLE is rolled back with the failing INSERT.
  EXPECT_ANY_THROW(db_.value("SELECT count(*) FROM m"));
  dir_.write("0001_m.sql",
             "-- tandem:up\n"
             "CREATE TABLE m (id int PRIMARY KEY, note text);\n"
             "INSERT INTO m VALUES (1, 'first line\n"
             "-- tandem:down\n"
             "last line');\n"
             "-- tandem:down\n"
             "DROP TABLE m;\n");
  ASSERT_EQ(run({"-q", "repair"}).code, 0);
  auto ok = run({"-q", "up"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(db_.value("SELECT note FROM m"), "first line\n-- tandem:down\nlast line");
  auto down = run({"-q", "down"});
  EXPECT_EQ(down.code, 0) << down.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, MarkersTest, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         testing::kind_name);

}  // namespace
}  // namespace tandem
