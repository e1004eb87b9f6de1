// Parsing migration files and folders.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tandem/migration.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::TempDir;

Migration parse(const std::string& content, std::vector<Problem>& problems,
                const std::string& file = "0001_x.sql") {
  return parse_migration("m", file, content, problems);
}

TEST(MigrationFile, ParsesSectionsWithLineNumbers) {
  std::vector<Problem> problems;
  Migration m = parse(
      "-- a comment\n-- tandem:up\nCREATE TABLE a (id int);\n\n-- tandem:down\nDROP TABLE a;\n",
      problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(m.version, "1");
  EXPECT_EQ(m.name, "x");
  EXPECT_EQ(m.path, "m/0001_x.sql");
  ASSERT_TRUE(m.up.present);
  EXPECT_EQ(m.up.first_line, 3);
  EXPECT_EQ(m.up.sql, "CREATE TABLE a (id int);\n\n");
  ASSERT_TRUE(m.down.present);
  EXPECT_EQ(m.down.first_line, 6);
  EXPECT_EQ(m.down.sql, "DROP TABLE a;\n");
  EXPECT_FALSE(m.no_transaction);
}

TEST(MigrationFile, AcceptsDbmateMarkersAndTransactionFalse) {
  std::vector<Problem> problems;
  Migration m = parse(
      "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- "
      "migrate:down\nDROP INDEX i;\n",
      problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_TRUE(m.up.present);
  EXPECT_TRUE(m.down.present);
  EXPECT_TRUE(m.no_transaction);
}

TEST(MigrationFile, NoTransactionDirective) {
  std::vector<Problem> problems;
  Migration m = parse("-- tandem:no-transaction\n-- tandem:up\nVACUUM;\n", problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_TRUE(m.no_transaction);
  EXPECT_EQ(m.no_transaction_line, 1);
}

TEST(MigrationFile, ReportsMissingUpSection) {
  std::vector<Problem> problems;
  parse("CREATE TABLE a (id int);\n", problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].kind, "code_before_up");
  EXPECT_EQ(problems[0].line, 1);
  EXPECT_EQ(problems[1].kind, "missing_up");
  EXPECT_NE(problems[1].hint.find("-- tandem:up"), std::string::npos);
}

TEST(MigrationFile, ReportsEmptyUpDuplicateSectionAndUnknownDirective) {
  std::vector<Problem> problems;
  parse(
      "-- tandem:up\n-- only a comment\n-- tandem:down\nSELECT 1;\n-- tandem:down\n-- tandem:upp\n",
      problems);
  std::vector<std::string> kinds;
  for (auto& p : problems) kinds.push_back(p.kind + ":" + std::to_string(p.line));
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"duplicate_section:5", "unknown_directive:6", "empty_up:1"}));
}

// A marker with a typo read as a comment put the down section's DROP into up: `-- tandem: down`,
// `-- Tandem:down`, `-- migrate:donw`, `-- migrate: down` are problems on their line, while
// prose after `-- migrate:` stays a comment.
TEST(MigrationFile, AlmostMarkersAreProblemsNotComments) {
  for (const char* marker :
       {"-- tandem: down", "-- tandem :down", "-- Tandem:down", "-- tandem:DOWN", "-- migrate:donw",
        "-- migrate: down", "-- migrate:Down", "--MIGRATE:down"}) {
    std::vector<Problem> problems;
    Migration m = parse(
        std::string("-- tandem:up\nCREATE TABLE t (id int);\n") + marker + "\nDROP TABLE t;\n",
        problems);
    ASSERT_EQ(problems.size(), 1u) << marker;
    EXPECT_EQ(problems[0].kind, "unknown_directive") << marker;
    EXPECT_EQ(problems[0].line, 3) << marker;
    EXPECT_NE(problems[0].hint.find("down`"), std::string::npos) << problems[0].hint;
  }
  std::vector<Problem> problems;
  Migration m = parse(
      "-- migrate:up\n-- Migrate: the old rows first\n-- tandem is great\nSELECT 1;\n"
      "-- migrate:down\nSELECT 2;\n",
      problems);
  EXPECT_TRUE(problems.empty()) << problems[0].message;
  EXPECT_TRUE(m.down.present);
}

TEST(MigrationFile, AByteOrderMarkIsNotSql) {
  std::vector<Problem> problems;
  Migration m = parse("\xEF\xBB\xBF-- tandem:up\nCREATE TABLE t (id int);\n", problems);
  EXPECT_TRUE(problems.empty()) << problems[0].message;
  EXPECT_TRUE(m.up.present);
  EXPECT_EQ(m.up.first_line, 2);
}

TEST(Checksum, IgnoresLineEndingsButNotContent) {
  EXPECT_EQ(checksum("a\nb\n"), checksum("a\r\nb\r\n"));
  EXPECT_EQ(checksum("a\nb\n"), checksum("a\rb\r"));
  EXPECT_NE(checksum("a\nb\n"), checksum("a\nb \n"));
  EXPECT_EQ(checksum(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Versions, CompareNumericallyAtAnyLength) {
  EXPECT_EQ(canonical_version("0007"), "7");
  EXPECT_EQ(canonical_version("0000"), "0");
  EXPECT_LT(compare_versions("2", "10"), 0);
  EXPECT_GT(compare_versions("20261122093000", "99"), 0);
  EXPECT_EQ(compare_versions("12", "12"), 0);
  EXPECT_LT(compare_versions("123456789012345678901", "123456789012345678902"), 0);
}

// A marker-like line is looked for in a literal from the last one found outside any literal (not
// from the section's start each time): the answers are the same, after `-- tandem:ignore` lines
// and inside a block comment that began before one.
TEST(MigrationFile, MarkersAfterIgnoreLinesStillSeeLiterals) {
  std::vector<Problem> problems;
  Migration m = parse_migration("m", "0001_x.sql",
                                "-- tandem:up\n"
                                "-- tandem:ignore prefer-text\n"
                                "SELECT 'a\n"
                                "-- tandem:no-transaction\n"
                                "';\n"
                                "-- tandem:ignore prefer-text\n"
                                "SELECT $$\n"
                                "-- tandem:down\n"
                                "$$;\n"
                                "/*\n"
                                "-- tandem:ignore x\n"
                                "-- tandem:no-transaction\n"
                                "*/\n"
                                "-- tandem:down\n"
                                "SELECT 1;\n",
                                problems);
  EXPECT_TRUE(problems.empty()) << problems[0].message;
  EXPECT_FALSE(m.no_transaction);
  ASSERT_TRUE(m.down.present);
  EXPECT_EQ(m.down.first_line, 15);
  EXPECT_EQ(m.down.sql, "SELECT 1;\n");
  EXPECT_NE(m.up.sql.find("-- tandem:down\n$$;"), std::string::npos) << m.up.sql;
}

// A file over the size limit is a problem naming the limit, and is not read; one at the limit
// is read.
TEST(MigrationFolder, AFileOverTheSizeLimitIsAProblemNotRead) {
  TempDir dir;
  std::string body = "-- tandem:up\nSELECT 1;\n";
  dir.write("0001_a.sql", body);
  dir.write("0002_b.sql", body + std::string(100, '-') + "\n");
  InputLimits limits;
  limits.max_file_bytes = static_cast<long long>(body.size());
  MigrationSet set = load_migrations(dir.path(), {}, limits);
  ASSERT_EQ(set.migrations.size(), 1u);
  EXPECT_EQ(set.migrations[0].version, "1");
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_EQ(set.problems[0].kind, "file_too_large");
  EXPECT_NE(set.problems[0].file.find("0002_b.sql"), std::string::npos);
  std::string sizes =
      fmt::format("({} bytes), over the limit of {} bytes", body.size() + 101, body.size());
  EXPECT_NE(set.problems[0].message.find(sizes), std::string::npos) << set.problems[0].message;
  EXPECT_NE(set.problems[0].message.find("limits.max_file_size"), std::string::npos);
}

TEST(MigrationFolder, SortsNumericallyAndReportsBadNames) {
  TempDir dir;
  dir.write("10_ten.sql", "-- tandem:up\nSELECT 10;\n");
  dir.write("2_two.sql", "-- tandem:up\nSELECT 2;\n");
  dir.write("20261122093000_stamp.sql", "-- tandem:up\nSELECT 3;\n");
  dir.write("README.md", "not a migration");
  dir.write("add_users.sql", "-- tandem:up\nSELECT 1;\n");
  dir.write("0003_three.up.sql", "SELECT 1;\n");
  MigrationSet set = load_migrations(dir.path());
  ASSERT_EQ(set.migrations.size(), 3u);
  EXPECT_EQ(set.migrations[0].version, "2");
  EXPECT_EQ(set.migrations[1].version, "10");
  EXPECT_EQ(set.migrations[2].version, "20261122093000");
  ASSERT_EQ(set.problems.size(), 2u);
  EXPECT_EQ(set.problems[0].kind, "split_file");
  EXPECT_EQ(set.problems[1].kind, "bad_name");
  EXPECT_NE(set.problems[1].file.find("add_users.sql"), std::string::npos);
}

TEST(MigrationFolder, ReportsDuplicateVersions) {
  TempDir dir;
  dir.write("1_a.sql", "-- tandem:up\nSELECT 1;\n");
  dir.write("0001_b.sql", "-- tandem:up\nSELECT 1;\n");
  MigrationSet set = load_migrations(dir.path());
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_EQ(set.problems[0].kind, "duplicate_version");
  EXPECT_NE(set.problems[0].message.find("version 1"), std::string::npos);
}

TEST(MigrationFolder, MissingFolderIsAProblem) {
  MigrationSet set = load_migrations("/nonexistent/tandem/migrations");
  ASSERT_EQ(set.problems.size(), 1u);
  EXPECT_EQ(set.problems[0].kind, "missing_dir");
}

}  // namespace
}  // namespace tandem
