// tandem.yaml, the project's settings: found from any folder below it, its relative paths read
// from its own folder, overridden by flags and DATABASE_URL; unknown keys refused with their
// line; a typo in its `lint:` section stops only the commands that lint.

#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace tandem {
namespace {

using testing::TempDir;

class ProjectConfigTest : public ::testing::Test {
 protected:
  ProjectConfigTest() {
    root_.write("db/migrations/0001_a.sql",
                "-- tandem:up\nCREATE TABLE a (id int PRIMARY KEY);\n-- tandem:down\nDROP TABLE "
                "a;\n");
    std::filesystem::create_directories(root_.path() + "/src/deep");
  }
  testing::CmdResult in(const std::string& sub, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {}) {
    return testing::run_tandem_in(root_.path() + sub, args, env);
  }
  TempDir root_;
};

TEST_F(ProjectConfigTest, FoundFromBelowWithPathsRelativeToItsFolder) {
  root_.write("tandem.yaml",
              "db: sqlite:var/app.db\ndir: db/migrations\nlock_timeout: 3s\nlock_retries: 2\n");
  std::filesystem::create_directories(root_.path() + "/var");
  auto r = in("/src/deep", {"-q", "up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(root_.path() + "/var/app.db"));
  auto status = in("/src/deep", {"--json", "status"});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("\"applied\": 1"), std::string::npos) << status.out;
  // A flag overrides the file; DATABASE_URL overrides its db.
  auto other = in("", {"--db", "sqlite:" + root_.path() + "/other.db", "-q", "up"});
  ASSERT_EQ(other.code, 0) << other.err;
  EXPECT_TRUE(std::filesystem::exists(root_.path() + "/other.db"));
  auto env = in("", {"-q", "up"}, {{"DATABASE_URL", "sqlite:" + root_.path() + "/env.db"}});
  ASSERT_EQ(env.code, 0) << env.err;
  EXPECT_TRUE(std::filesystem::exists(root_.path() + "/env.db"));
  // --config names another file.
  root_.write("alt.yaml", "db: sqlite:alt.db\ndir: db/migrations\n");
  auto alt = in("/src", {"--config", "../alt.yaml", "-q", "up"});
  ASSERT_EQ(alt.code, 0) << alt.err;
  EXPECT_TRUE(std::filesystem::exists(root_.path() + "/alt.db"));
}

TEST_F(ProjectConfigTest, UnknownKeysAndBadValuesAreRefusedWithTheirLine) {
  root_.write("tandem.yaml", "dir: db/migrations\ndri: x\n");
  auto r = in("", {"status"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("tandem.yaml:2: unknown setting 'dri'"), std::string::npos) << r.err;
  root_.write("tandem.yaml", "dir: db/migrations\nlock_timeout: soon\n");
  r = in("", {"status"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("tandem.yaml:2: `lock_timeout: soon` is not a duration"), std::string::npos)
      << r.err;
  root_.write("tandem.yaml", "backfill: {batch_target: 100ms, max_lagg: 2s}\n");
  r = in("", {"status"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown backfill setting 'max_lagg'"), std::string::npos) << r.err;
  root_.write("tandem.yaml", "dir: [a, b]\n");
  r = in("", {"status"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("tandem.yaml:1: `dir` must be a single value"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/tandem.db")) << "nothing was created";
}

// A typo in `lint:` does not break status; the commands that lint refuse it.
TEST_F(ProjectConfigTest, ALintTypoStopsOnlyTheCommandsThatLint) {
  root_.write("tandem.yaml", "db: sqlite:app.db\ndir: db/migrations\nlint:\n  fial_on: warning\n");
  auto up = in("", {"up"});
  EXPECT_EQ(up.code, 2);
  EXPECT_NE(up.err.find("tandem.yaml:4: unknown lint setting 'fial_on'"), std::string::npos)
      << up.err;
  EXPECT_FALSE(std::filesystem::exists(root_.path() + "/app.db"));
  auto lint = in("", {"lint"});
  EXPECT_EQ(lint.code, 2) << lint.out << lint.err;
  root_.write("tandem.yaml", "db: sqlite:app.db\ndir: db/migrations\nlint:\n  fail_on: warning\n");
  ASSERT_EQ(in("", {"-q", "up"}).code, 0);
  root_.write("tandem.yaml", "db: sqlite:app.db\ndir: db/migrations\nlint:\n  fial_on: warning\n");
  auto status = in("", {"status"});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.err.find("warning: tandem.yaml:4: unknown lint setting 'fial_on'"),
            std::string::npos)
      << status.err;
}

}  // namespace
}  // namespace tandem
