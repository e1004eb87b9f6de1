// Input limits (issue 12): a migration file too big for a migration — over limits.max_file_size,
// or with more statements than limits.max_statements — is refused by validate, plan, up and lint
// alike, with the file, the limit and what to do, before anything runs; tandem.yaml's `limits:`
// raises them. Before, a 50 MB file took minutes and gigabytes with nothing shown.

#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class InputLimitsTest : public ::testing::TestWithParam<Kind> {
 protected:
  InputLimitsTest() : db_(GetParam()) {
    dir_.write(
        "0001_a.sql",
        "-- tandem:up\nCREATE TABLE a (id int PRIMARY KEY);\n-- tandem:down\nDROP TABLE a;\n");
  }
  testing::CmdResult run(const std::vector<std::string>& args) {
    return testing::run_tandem_on(db_, dir_, args);
  }
  // Runs with a tandem.yaml holding `config` (passed with --config).
  testing::CmdResult run_with(const std::string& config, const std::vector<std::string>& args) {
    std::string path = conf_.write("tandem.yaml", config);
    std::vector<std::string> all = {"--config", path};
    all.insert(all.end(), args.begin(), args.end());
    return run(all);
  }
  static bool has(const testing::CmdResult& r, const std::string& text) {
    return (r.out + r.err).find(text) != std::string::npos;
  }
  TempDir dir_;
  TempDir conf_;
  TestDb db_;
};

TEST_P(InputLimitsTest, AFileOverTheSizeLimitIsRefusedUnreadAndNothingChanges) {
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  // Valid SQL a little over the default 16 MiB: a statement and a long comment.
  std::string big = "-- tandem:up\nCREATE TABLE big (id int);\n";
  std::string line = "-- " + std::string(1021, 'x') + "\n";
  while (big.size() <= (16u << 20)) big += line;
  big += "-- tandem:down\nDROP TABLE big;\n";
  dir_.write("0002_big.sql", big);
  std::string before = db_.snapshot();
  std::string what = "0002_big.sql: the file is 16.0 MiB (" + std::to_string(big.size()) +
                     " bytes), over the limit of 16 MiB for one migration file "
                     "(limits.max_file_size); it was not read";
  auto validate = run({"validate"});
  EXPECT_EQ(validate.code, 1) << validate.out << validate.err;
  EXPECT_TRUE(has(validate, what)) << validate.out << validate.err;
  EXPECT_TRUE(has(validate, "raise `limits.max_file_size` in tandem.yaml"));
  for (const char* cmd : {"up", "plan", "lint"}) {
    SCOPED_TRACE(cmd);
    auto r = run({cmd});
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_TRUE(has(r, what)) << r.out << r.err;
    EXPECT_EQ(db_.snapshot(), before) << "nothing may change";
  }
  auto status = run({"status"});
  EXPECT_TRUE(has(status, what)) << status.out << status.err;
  // The project says it needs bigger files.
  auto raised = run_with("limits:\n  max_file_size: 32MiB\n", {"validate"});
  EXPECT_EQ(raised.code, 0) << raised.out << raised.err;
  auto up = run_with("limits: {max_file_size: 32MiB}\n", {"-q", "up"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM big"), "0");
}

TEST_P(InputLimitsTest, MoreStatementsThanTheLimitAreRefusedAtTheFirstOneOver) {
  dir_.write("0002_b.sql",
             "-- tandem:up\nCREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n"
             "INSERT INTO b VALUES (2);\n  INSERT INTO b VALUES (3);\n"
             "-- tandem:down\nDROP TABLE b;\n");
  ASSERT_EQ(run({"-q", "init"}).code, 0);
  std::string before = db_.snapshot();
  std::string config = "limits:\n  max_statements: 3\n";
  std::string what =
      "0002_b.sql:5:3: more than 3 statements in the up direction of one migration "
      "(limits.max_statements); statement 4 starts here";
  auto validate = run_with(config, {"validate"});
  EXPECT_EQ(validate.code, 1);
  EXPECT_TRUE(has(validate, what)) << validate.out << validate.err;
  auto up = run_with(config, {"up"});
  EXPECT_EQ(up.code, 2);
  EXPECT_TRUE(has(up, what)) << up.err;
  EXPECT_EQ(db_.snapshot(), before) << "not even 0001 runs";
  EXPECT_EQ(run_with("limits:\n  max_statements: 4\n", {"-q", "up"}).code, 0);
  EXPECT_EQ(db_.value("SELECT count(*) FROM b"), "3");
}

// The default protects: 100,001 statements in one file.
TEST_P(InputLimitsTest, TheDefaultStatementLimitProtects) {
  std::string sql = "-- tandem:up\nCREATE TABLE c (id int);\n";
  for (int i = 1; i <= 100'000; ++i) sql += "INSERT INTO c VALUES (" + std::to_string(i) + ");\n";
  dir_.write("0002_c.sql", sql);
  auto validate = run({"validate"});
  EXPECT_EQ(validate.code, 1);
  EXPECT_TRUE(has(validate,
                  "0002_c.sql:100002:1: more than 100000 statements in the up direction of one "
                  "migration (limits.max_statements)"))
      << validate.out << validate.err;
}

TEST_P(InputLimitsTest, BadLimitsInTheConfigAreRefusedWithTheirLine) {
  for (auto [config, message] : std::vector<std::pair<std::string, std::string>>{
           {"limits:\n  max_file_size: lots\n", ":2: `max_file_size: lots` is not a size"},
           {"limits:\n  max_file_size: 16MB\n", ":2: `max_file_size: 16MB` is not a size"},
           {"limits:\n  max_statements: 0\n", ":2: `max_statements` must be at least 1"},
           {"limits: {max_files: 3}\n", ":1: unknown limit 'max_files'"},
           {"limits: 5\n", ":1: `limits` must be a mapping"}}) {
    SCOPED_TRACE(config);
    auto r = run_with(config, {"validate"});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(has(r, message)) << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, InputLimitsTest,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

}  // namespace
}  // namespace tandem
