// Statement splitting by the databases' own tokenizers, and classification.

#include <gtest/gtest.h>

#include "tandem/migration.h"

namespace tandem {
namespace {

std::vector<Statement> split(db::Backend b, const std::string& up, std::vector<Problem>& problems,
                             bool* no_tx = nullptr) {
  Migration m = parse_migration("m", "0001_x.sql", "-- tandem:up\n" + up, problems);
  if (no_tx) *no_tx = m.no_transaction;
  return split_statements(b, m, Direction::kUp, problems);
}

constexpr auto kPg = db::Backend::kPostgres;
constexpr auto kLite = db::Backend::kSqlite;

TEST(SplitPostgres, DollarQuotesCommentsAndQuotedSemicolons) {
  std::vector<Problem> problems;
  auto st = split(
      kPg,
      "CREATE FUNCTION f() RETURNS int AS $$ BEGIN PERFORM 1; RETURN 2; END $$ LANGUAGE plpgsql;\n"
      "-- a comment; with a semicolon\n"
      "INSERT INTO t VALUES ('a;b', E'it''s;');\n"
      "/* block; comment */ CREATE FUNCTION g() RETURNS text AS $body$ SELECT 'x;y' $body$ "
      "LANGUAGE sql;\n"
      "SELECT 1",
      problems);
  ASSERT_TRUE(problems.empty()) << problems[0].message;
  ASSERT_EQ(st.size(), 4u);
  EXPECT_NE(st[0].sql.find("RETURN 2; END $$"), std::string::npos);
  EXPECT_EQ(st[0].line, 2);
  EXPECT_EQ(st[1].sql, "INSERT INTO t VALUES ('a;b', E'it''s;')");
  EXPECT_EQ(st[1].line, 4);
  EXPECT_NE(st[2].sql.find("$body$ SELECT 'x;y' $body$"), std::string::npos);
  EXPECT_EQ(st[2].line, 5);
  EXPECT_EQ(st[2].column, 22);
  EXPECT_EQ(st[3].sql, "SELECT 1");
  for (const auto& s : st) EXPECT_TRUE(s.transactional);
}

TEST(SplitPostgres, DetectsStatementsThatCannotRunInATransaction) {
  std::vector<Problem> problems;
  auto st = split(kPg,
                  "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n"
                  "DROP INDEX CONCURRENTLY old_idx;\n"
                  "REINDEX INDEX CONCURRENTLY users_email_idx;\n"
                  "VACUUM users;\n"
                  "ALTER SYSTEM SET work_mem = '8MB';\n"
                  "CREATE INDEX plain_idx ON users (id);\n"
                  "ANALYZE users;\n"
                  "DISCARD ALL;\n",
                  problems);
  ASSERT_TRUE(problems.empty());
  ASSERT_EQ(st.size(), 8u);
  EXPECT_FALSE(st[7].transactional);
  EXPECT_FALSE(st[0].transactional);
  EXPECT_EQ(st[0].concurrent_index, "users_email_idx");
  EXPECT_FALSE(st[1].transactional);
  EXPECT_FALSE(st[2].transactional);
  EXPECT_FALSE(st[3].transactional);
  EXPECT_FALSE(st[4].transactional);
  EXPECT_TRUE(st[5].transactional);
  EXPECT_TRUE(st[6].transactional);
}

TEST(SplitPostgres, SyntaxErrorNamesLineAndColumn) {
  std::vector<Problem> problems;
  split(kPg, "CREATE TABLE a (id int);\nCREATE TABLE b (id int,, x int);\n", problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, "syntax_error");
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].column, 24);
  EXPECT_NE(problems[0].message.find("syntax error"), std::string::npos);
}

// libpg_query's splitter leaves out a statement whose first word is no SQL keyword: `SELEC 1`
// vanished and the rest of the file ran. Every piece of text is a statement or a problem.
TEST(SplitPostgres, AStatementStartingWithAMisspelledKeywordIsASyntaxError) {
  for (const char* sql : {"SELEC 1;\nSELECT 2;\n", "SELECT 1;\n  FOO bar;\nSELECT 2;\n",
                          "SELECT 1;\nFOO bar\n", "-- lead\nSELEC 1;"}) {
    std::vector<Problem> problems;
    auto st = split(kPg, sql, problems);
    ASSERT_EQ(problems.size(), 1u) << sql;
    EXPECT_EQ(problems[0].kind, "syntax_error") << sql;
    EXPECT_NE(problems[0].message.find("syntax error"), std::string::npos) << problems[0].message;
    EXPECT_GE(problems[0].line, 2) << sql;  // line 1 is `-- tandem:up`
  }
  std::vector<Problem> problems;
  split(kPg, "SELECT 1;\n  FOO bar;\nSELECT 2;\n", problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].column, 3);
  // Semicolons and comments alone between statements are nothing to report.
  problems.clear();
  auto st = split(kPg, "SELECT 1;;\n; -- x\n/* y */ ;SELECT 2", problems);
  EXPECT_TRUE(problems.empty()) << problems[0].message;
  EXPECT_EQ(st.size(), 2u);
  // PostgreSQL's block comments nest, before a statement and between two.
  problems.clear();
  st = split(kPg, "SELECT 1;\n/* a /* b */ c */ SELECT 2;\n/* d /* e */ */\n", problems);
  EXPECT_TRUE(problems.empty()) << problems[0].message;
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[1].sql, "SELECT 2");
}

TEST(SplitPostgres, UnterminatedDollarQuoteIsAProblem) {
  std::vector<Problem> problems;
  split(kPg, "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n", problems);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].kind, "syntax_error");
}

TEST(SplitPostgres, UserTransactionControlIsRefused) {
  std::vector<Problem> problems;
  split(kPg, "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n", problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].kind, "user_transaction");
  EXPECT_EQ(problems[0].line, 2);
  EXPECT_EQ(problems[1].line, 4);
}

TEST(SplitSqlite, TriggerBodiesQuotesAndComments) {
  std::vector<Problem> problems;
  auto st = split(kLite,
                  "CREATE TABLE t (a text); -- trailing; comment\n"
                  "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
                  "  INSERT INTO log VALUES ('x;y');\n"
                  "  UPDATE t SET a = 'z' WHERE a = ';';\n"
                  "END;\n"
                  "/* c; */ INSERT INTO t VALUES ('it''s; ok')",
                  problems);
  ASSERT_TRUE(problems.empty()) << problems[0].message;
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].sql, "CREATE TABLE t (a text);");
  EXPECT_EQ(st[1].line, 3);
  EXPECT_NE(st[1].sql.find("WHERE a = ';';\nEND;"), std::string::npos);
  EXPECT_EQ(st[2].sql, "INSERT INTO t VALUES ('it''s; ok')");
  EXPECT_EQ(st[2].line, 7);
}

// Semicolons inside every kind of SQLite quote ([…], `…`, "…", '…') and comment never end a
// statement (the splitter skips them before asking sqlite3_complete), and lines and columns
// stay exact far down a long section (they are counted from the last statement, not from the
// section's start).
TEST(SplitSqlite, QuotedSemicolonsOfEveryKindAndPositionsFarDown) {
  std::vector<Problem> problems;
  std::string sql =
      "SELECT [a;b], `c;d`, \"e;f\", 'g;''h' -- i;\n /* j; */ FROM t;\n"
      "SELECT [it's];SELECT 2;\n";
  for (int i = 0; i < 2000; ++i) sql += "INSERT INTO t VALUES (" + std::to_string(i) + ");\n";
  auto st = split(kLite, sql, problems);
  ASSERT_TRUE(problems.empty()) << problems[0].message;
  ASSERT_EQ(st.size(), 2003u);
  EXPECT_EQ(st[0].sql, "SELECT [a;b], `c;d`, \"e;f\", 'g;''h' -- i;\n /* j; */ FROM t;");
  EXPECT_EQ(st[1].sql, "SELECT [it's];");
  EXPECT_EQ(st[2].sql, "SELECT 2;");
  EXPECT_EQ(st[2].line, 4);
  EXPECT_EQ(st[2].column, 15);
  EXPECT_EQ(st[2002].sql, "INSERT INTO t VALUES (1999);");
  EXPECT_EQ(st[2002].line, 2004);
  EXPECT_EQ(st[2002].column, 1);
}

TEST(SplitPostgres, PositionsFarDown) {
  std::vector<Problem> problems;
  std::string sql = "SELECT 1; SELECT 2;\n";
  for (int i = 0; i < 2000; ++i) sql += "  INSERT INTO t VALUES (" + std::to_string(i) + ");\n";
  auto st = split(kPg, sql, problems);
  ASSERT_TRUE(problems.empty()) << problems[0].message;
  ASSERT_EQ(st.size(), 2002u);
  EXPECT_EQ(st[1].column, 11);
  EXPECT_EQ(st[2001].sql, "INSERT INTO t VALUES (1999)");
  EXPECT_EQ(st[2001].line, 2002);
  EXPECT_EQ(st[2001].column, 3);
}

// More statements than the limit: a problem at the first one over it, where splitting stops.
TEST(SplitStatements, StopsAtTheLimitWithAProblemThere) {
  for (db::Backend b : {kPg, kLite}) {
    std::vector<Problem> problems;
    Migration m = parse_migration(
        "m", "0001_x.sql",
        "-- tandem:up\nSELECT 1;\nSELECT 2;\nSELECT 3;\n  SELECT 4;\nSELECT 5;\n-- tandem:down\n"
        "SELECT 6;\n",
        problems);
    ASSERT_TRUE(problems.empty()) << problems[0].message;
    auto st = split_statements(b, m, Direction::kUp, problems, 3);
    EXPECT_EQ(st.size(), 3u);
    ASSERT_EQ(problems.size(), 1u) << problems[1].message;
    EXPECT_EQ(problems[0].kind, "too_many_statements");
    EXPECT_EQ(problems[0].line, 5);
    EXPECT_EQ(problems[0].column, 3);
    EXPECT_NE(problems[0].message.find("more than 3 statements in the up direction"),
              std::string::npos)
        << problems[0].message;
    EXPECT_NE(problems[0].hint.find("limits.max_statements"), std::string::npos);
    problems.clear();
    EXPECT_EQ(split_statements(b, m, Direction::kDown, problems, 3).size(), 1u);
    EXPECT_TRUE(problems.empty());
  }
}

TEST(SplitSqlite, VacuumRunsOutsideATransactionAndUnterminatedIsAProblem) {
  std::vector<Problem> problems;
  auto st = split(kLite, "VACUUM;\nCREATE TABLE a (b int);\n", problems);
  ASSERT_EQ(st.size(), 2u);
  EXPECT_FALSE(st[0].transactional);
  EXPECT_TRUE(st[1].transactional);
  split(kLite, "INSERT INTO a VALUES ('open;\n", problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, "syntax_error");
  EXPECT_EQ(problems[0].line, 2);
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// PostgreSQL's dollar-quoted bodies on SQLite: said to be PostgreSQL SQL, at the `$$` (it was
// "BEGIN/COMMIT in the file would end it early", pointing inside the body). `$1` and '$$' in a
// string are not dollar quotes.
TEST(SplitSqlite, DollarQuotedBodyIsReportedAsPostgresSql) {
  std::vector<Problem> problems;
  split(db::Backend::kSqlite,
        "CREATE TABLE u (id int);\nCREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN "
        "NEW.x := now(); RETURN NEW; END $$ LANGUAGE plpgsql;\n",
        problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, "not_sqlite");
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].column, 44);
  EXPECT_NE(problems[0].message.find("PostgreSQL SQL"), std::string::npos);
  problems.clear();
  auto ok = split(db::Backend::kSqlite, "INSERT INTO t VALUES ('$$', '$a$');\n-- $$\n", problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(ok.size(), 1u);
}

}  // namespace
}  // namespace tandem
