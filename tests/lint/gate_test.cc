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
  testing::CmdResult run(const std::vector<std::string>& args) {
    return testing::run_tandem_on(db_, dir_, args);
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

// The gate fails closed: an `sql` operation the parser cannot read — here in a migration
// applied long ago and accepted by `tandem repair` after an edit — used to make the gate
// report nothing at all, so an unsafe pending migration was applied unchecked.
TEST_F(LintGateTest, AnUnparsableSqlOperationStopsUpInsteadOfSwitchingTheGateOff) {
  dir_.write("0002_view.yaml",
             "operations:\n  - sql:\n      up: CREATE VIEW v AS SELECT 1 AS one\n"
             "      down: DROP VIEW v\n");
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  dir_.write("0002_view.yaml",
             "operations:\n  - sql:\n      up: CREATE VIEW v AS SELEC 1 AS one\n"
             "      down: DROP VIEW v\n");
  ASSERT_EQ(run({"-q", "repair"}).code, 0);
  dir_.write("0003_index.sql", "-- tandem:up\nCREATE INDEX t_id_a ON t (id, a);\n");
  std::string before = db_.snapshot();
  auto refused = run({"up"});
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_NE(refused.err.find("0002_view.yaml:2: cannot check this SQL for safety: syntax error"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("cannot check this SQL"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("0003_index.sql:2:1: index-not-concurrent"), std::string::npos)
      << refused.err;
  EXPECT_EQ(db_.snapshot(), before) << "nothing may change";
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_indexes WHERE indexname = 't_id_a'"), "0");
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
  // A config file naming an unknown rule is an error that names it, for the commands that lint
  // (status only warns: tests/cli/project_config_test.cc).
  std::string bad = cfg.write("bad.yaml", "lint:\n  rules:\n    no-such-rule: off\n");
  auto refused = run({"--config", bad, "up"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("bad.yaml:3: unknown lint rule 'no-such-rule'"), std::string::npos)
      << refused.err;
}

// Declarative migrations: `start` (and `up`, which runs start + complete) lint what they would
// run — the `sql` operations as written and the SQL tandem generates — before changing anything.
TEST_F(LintGateTest, StartAndUpLintTheDeclarativePlanFirst) {
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  const std::string unsafe =
      "operations:\n"
      "  - add_column: {table: t, column: {name: b, type: int, nullable: true}}\n"
      "  - sql:\n"
      "      up: CREATE INDEX t_b ON t (b)\n"
      "      down: DROP INDEX t_b\n";
  dir_.write("0002_ops.yaml", unsafe);
  std::string before = db_.snapshot();
  for (const char* cmd : {"start", "up"}) {
    auto refused = run({cmd});
    EXPECT_EQ(refused.code, 2) << cmd << ": " << refused.err;
    EXPECT_NE(refused.err.find("0002_ops.yaml:3:1: index-not-concurrent: "), std::string::npos)
        << refused.err;
    EXPECT_NE(refused.err.find("generated by `tandem start` (sql): CREATE INDEX t_b ON t (b)"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(db_.snapshot(), before) << cmd << ": nothing may change";
  }
  // `tandem lint` sees the sql operation without a database; --plan adds the generated SQL.
  auto offline = testing::run_tandem({"--dir", dir_.path(), "lint", "--format", "json"});
  EXPECT_EQ(offline.code, 1);
  EXPECT_NE(offline.out.find("\"generated\": \"the `sql` operation: CREATE INDEX t_b ON t (b)\""),
            std::string::npos)
      << offline.out;
  auto planned = run({"lint", "--plan", "--explain"});
  EXPECT_EQ(planned.code, 1);
  EXPECT_NE(planned.out.find("ALTER TABLE \"t\" ADD COLUMN IF NOT EXISTS \"b\" int"),
            std::string::npos)
      << planned.out;
  // The inline ignore works inside the operation's SQL; then it starts.
  dir_.write("0002_ops.yaml",
             "operations:\n"
             "  - add_column: {table: t, column: {name: b, type: int, nullable: true}}\n"
             "  - sql:\n"
             "      up: \"-- tandem:ignore index-not-concurrent\\nCREATE INDEX t_b ON t (b)\"\n"
             "      down: DROP INDEX t_b\n");
  auto ok = run({"-q", "start"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  ASSERT_EQ(run({"-q", "rollback"}).code, 0);
  // --allow-unsafe accepts the finding.
  dir_.write("0002_ops.yaml", unsafe);
  auto forced = run({"-q", "up", "--allow-unsafe"});
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_indexes WHERE indexname = 't_b'"), "1");
}

// `tandem lint --plan` lints each pending declarative migration as the many steps tandem
// generates for it; the summary still counts files ("22 statements in 12 files" for 2 files).
TEST_F(LintGateTest, LintPlanCountsEachFileOnce) {
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  dir_.write("0002_ops.yaml",
             "operations:\n"
             "  - add_column: {table: t, column: {name: b, type: int, nullable: true}}\n"
             "  - rename_column: {table: t, from: a, to: c}\n");
  auto planned = run({"lint", "--plan"});
  EXPECT_NE(planned.out.find(" in 2 file(s): "), std::string::npos) << planned.out << planned.err;
  auto json = run({"lint", "--plan", "--format", "json"});
  EXPECT_NE(json.out.find("\"files\": 2,"), std::string::npos) << json.out;
}

// `tandem lint --plan FILE`: an earlier pending declarative migration of the file's folder is
// context — planned, in its place before the file, and not reported.
TEST_F(LintGateTest, LintPlanOfOneFileReadsTheEarlierMigrationsAsContext) {
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  dir_.write("0002_ops.yaml",
             "operations:\n"
             "  - add_column: {table: t, column: {name: b, type: varchar(20), nullable: true}}\n"
             "  - sql:\n"
             "      up: CREATE INDEX t_a2 ON t (a)\n"
             "      down: DROP INDEX t_a2\n");
  std::string third = dir_.write("0003_widen.sql",
                                 "-- tandem:up\nALTER TABLE t ALTER COLUMN b TYPE varchar(40);\n");
  auto planned = run({"lint", "--plan", third});
  EXPECT_EQ(planned.code, 0) << planned.out << planned.err;
  EXPECT_EQ(planned.out.find("0002_ops.yaml"), std::string::npos) << planned.out;
  EXPECT_NE(planned.out.find("1 statement(s) in 1 file(s): 0 error(s)"), std::string::npos)
      << planned.out;
}

// One check before anything runs, shared by `up`, `plan` and `start`: every pending migration
// is gated before the first one is applied — a safe SQL file is not applied when a declarative
// one after it would be refused — and `plan` reports exactly what `up` would refuse.
TEST_F(LintGateTest, PlanAndUpGateEveryPendingMigrationBeforeTheFirstRuns) {
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  dir_.write("0002_safe.sql", "-- tandem:up\nALTER TABLE t ADD COLUMN c int;\n");
  dir_.write("0003_ops.yaml",
             "operations:\n"
             "  - add_column: {table: t, column: {name: b, type: int, nullable: true}}\n"
             "  - sql:\n"
             "      up: CREATE INDEX t_b ON t (b)\n"
             "      down: DROP INDEX t_b\n");
  std::string before = db_.snapshot();
  for (const char* cmd : {"plan", "up"}) {
    auto refused = run({cmd});
    EXPECT_EQ(refused.code, 2) << cmd << ": " << refused.out << refused.err;
    EXPECT_NE(refused.err.find("0003_ops.yaml:3:1: index-not-concurrent: "), std::string::npos)
        << cmd << ": " << refused.err;
    EXPECT_EQ(db_.snapshot(), before) << cmd << ": nothing may change";
  }
  EXPECT_EQ(db_.value("SELECT count(*) FROM information_schema.columns WHERE column_name = 'c'"),
            "0")
      << "0002 must not be applied when 0003 is refused";

  // An unsafe SQL file: `plan` says what `up` says.
  dir_.write("0003_ops.yaml",
             "operations:\n"
             "  - add_column: {table: t, column: {name: b, type: int, nullable: true}}\n");
  dir_.write("0004_index.sql", "-- tandem:up\nCREATE INDEX t_id_a ON t (id, a);\n");
  auto up = run({"up"});
  auto plan = run({"plan"});
  EXPECT_EQ(up.code, 2) << up.err;
  EXPECT_EQ(plan.code, 2) << plan.out << plan.err;
  for (const auto* r : {&up, &plan}) {
    EXPECT_NE(r->err.find("0004_index.sql:2:1: index-not-concurrent"), std::string::npos) << r->err;
  }
  EXPECT_EQ(db_.snapshot(), before);
  auto forced = run({"-q", "up", "--allow-unsafe"});
  EXPECT_EQ(forced.code, 0) << forced.err;
}

// A declarative migration that cannot be planned before the ones ahead of it run (its table
// does not exist yet) is still gated before anything runs: its `sql` operations as written.
TEST(LintGateFresh, AnUnplannableDeclarativeMigrationIsLintedAsWritten) {
  TempDir dir;
  TestDb db(Kind::kPostgres);
  dir.write("0001_posts.sql",
            "-- tandem:up\nCREATE TABLE posts (id bigint PRIMARY KEY, title text);\n");
  dir.write("0002_posts_idx.yaml",
            "operations:\n"
            "  - add_column: {table: posts, column: {name: slug, type: text, nullable: true}}\n"
            "  - sql:\n"
            "      up: CREATE INDEX posts_title_idx ON posts (title)\n"
            "      down: DROP INDEX posts_title_idx\n");
  std::string before = db.snapshot();
  for (const char* cmd : {"plan", "up"}) {
    auto refused = testing::run_tandem({"--db", db.url(), "--dir", dir.path(), cmd});
    EXPECT_EQ(refused.code, 2) << cmd << ": " << refused.out << refused.err;
    EXPECT_NE(refused.err.find("0002_posts_idx.yaml:3:1: index-not-concurrent"), std::string::npos)
        << cmd << ": " << refused.err;
    EXPECT_EQ(db.snapshot(), before) << cmd << ": nothing may change";
  }
}

}  // namespace
}  // namespace tandem
