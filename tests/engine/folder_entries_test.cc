// What is in the migrations folder is reported as it is: a folder that is a symlink loop is not
// "does not exist — run tandem init" (and status fails instead of showing 0 migrations); a
// dangling symlink or a directory named like a migration inside the folder is reported, not
// silently skipped.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "test_util.h"

namespace tandem {
namespace {

using testing::TempDir;

testing::CmdResult run(const std::string& dir, const std::string& db,
                       const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--db", "sqlite:" + db, "--dir", dir};
  all.insert(all.end(), args.begin(), args.end());
  return testing::run_tandem(all);
}

TEST(FolderEntries, ASymlinkLoopFolderIsReportedAsOne) {
  TempDir t;
  std::string loop = t.path() + "/migrations";
  ASSERT_EQ(symlink(loop.c_str(), loop.c_str()), 0);
  std::string db = t.path() + "/t.db";
  ASSERT_EQ(run(t.path() + "/elsewhere", db, {"-q", "init"}).code, 0);  // creates the database
  auto status = run(loop, db, {"status"});
  EXPECT_EQ(status.code, 2) << status.out;
  EXPECT_NE(status.out.find("symlink loop"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("tandem init"), std::string::npos) << status.out;
  auto up = run(loop, db, {"up"});
  EXPECT_EQ(up.code, 2);
  EXPECT_NE(up.err.find("symlink loop"), std::string::npos) << up.err;
  // A folder link to nothing says so.
  std::string dangling = t.path() + "/gone";
  ASSERT_EQ(symlink((t.path() + "/nowhere").c_str(), dangling.c_str()), 0);
  auto gone = run(dangling, db, {"validate"});
  EXPECT_NE(gone.code, 0);
  EXPECT_NE((gone.out + gone.err).find("is a symlink to"), std::string::npos)
      << gone.out << gone.err;
}

TEST(FolderEntries, DanglingLinksAndFoldersNamedLikeMigrationsAreReported) {
  TempDir t;
  t.write("m/0001_a.sql", "-- tandem:up\nCREATE TABLE a (id int);\n");
  std::filesystem::create_directories(t.path() + "/m/0002_b.sql");
  ASSERT_EQ(symlink((t.path() + "/missing.sql").c_str(), (t.path() + "/m/0003_c.sql").c_str()), 0);
  std::filesystem::create_directories(t.path() + "/m/archive");  // not named like a migration
  auto r = run(t.path() + "/m", t.path() + "/t.db", {"validate"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  std::string all = r.out + r.err;
  EXPECT_NE(all.find("0002_b.sql is a folder, not a migration file"), std::string::npos) << all;
  EXPECT_NE(all.find("0003_c.sql is a symlink to a file that does not exist"), std::string::npos)
      << all;
  EXPECT_EQ(all.find("archive"), std::string::npos) << all;
  auto up = run(t.path() + "/m", t.path() + "/t.db", {"up"});
  EXPECT_EQ(up.code, 2) << up.out;
}

}  // namespace
}  // namespace tandem
