// `tandem up` on PostgreSQL lints pending migrations first: error-level findings are refused
// before anything changes, unless --allow-unsafe, an inline ignore or the config file says so.

#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class LintGateTest : public ::testing::Test {
 protected:
  LintGateTest() : db_(Kind::kPostgres) {
    dir_.write("0001_t.sql",
               "-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, a int);\n"
               "CREATE INDEX t_a ON t (a);\n-- tandem:down\nDROP TABLE t;\n");
  }
  testing::CmdResult run(std::vector<std::string> extra) {
    std::vector<std::string> a = {"--db", db_.url(), "--dir", dir_.path()};
    a.insert(a.end(), extra.begin(), extra.end());
    return testing::run_tandem(a);
  }
  TempDir dir_;
  TestDb db_;
};

TEST_F(LintGateTest, UnsafePendingMigrationIsRefusedBeforeAnythingRuns) {
  // The index on a table created in the same migration is fine.
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  dir_.write("0002_index.sql",
             "-- tandem:up\nALTER TABLE t ADD COLUMN b int;\nCREATE INDEX t_b ON t (b);\n");
  dir_.write("0003_more.sql", "-- tandem:up\nALTER TABLE t ADD COLUMN c int;\n");
  std::string before = db_.snapshot();
  auto refused = run({"up"});
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_NE(refused.err.find("0002_index.sql:3:1: index-not-concurrent: "), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("CREATE INDEX CONCURRENTLY t_b ON t (b)"), std::string::npos);
  EXPECT_NE(refused.err.find("--allow-unsafe"), std::string::npos);
  EXPECT_EQ(db_.snapshot(), before) << "nothing may change";

  // An inline ignore accepts that one statement.
  dir_.write("0002_index.sql",
             "-- tandem:up\nALTER TABLE t ADD COLUMN b int;\n-- tandem:ignore "
             "index-not-concurrent (t is tiny)\nCREATE INDEX t_b ON t (b);\n");
  auto ok = run({"-q", "up"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_indexes WHERE indexname = 't_b'"), "1");
}

TEST_F(LintGateTest, AllowUnsafeAndConfigFile) {
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  dir_.write("0002_drop.sql", "-- tandem:up\nALTER TABLE t DROP COLUMN a;\n");
  EXPECT_EQ(run({"up"}).code, 2);
  // The config file turns the rule down to a warning: applied.
  TempDir cfg;
  std::string path = cfg.write("tandem.yaml", "lint:\n  rules:\n    breaking-change: warning\n");
  auto with_config = run({"--config", path, "-q", "up"});
  EXPECT_EQ(with_config.code, 0) << with_config.err;
  dir_.write("0003_rename.sql", "-- tandem:up\nALTER TABLE t RENAME COLUMN id TO key;\n");
  auto forced = run({"-q", "up", "--allow-unsafe"});
  EXPECT_EQ(forced.code, 0) << forced.err;
  // A config file naming an unknown rule is an error that names it.
  std::string bad = cfg.write("bad.yaml", "lint:\n  rules:\n    no-such-rule: off\n");
  auto refused = run({"--config", bad, "status"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("bad.yaml:3: unknown lint rule 'no-such-rule'"), std::string::npos)
      << refused.err;
}

}  // namespace
}  // namespace tandem
