// A type change on a column the linted files did not create: unknown is an error; with a live
// PostgreSQL catalog (LintOptions::column_types, `tandem --db … lint`) the old type is read
// from it, and the verdict — rewrite or not — is checked here against what PostgreSQL does.

#include <gtest/gtest.h>

#include "tandem/engine.h"
#include "tandem/lint.h"
#include "test_util.h"

namespace tandem::lint {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class LintLiveTypes : public ::testing::Test {
 protected:
  LintLiveTypes() : db_(Kind::kPostgres) {
    db_.exec(
        "CREATE TABLE t (id bigint PRIMARY KEY, a int, v varchar(20), n numeric(10,2), o int, "
        "e int[], c char(4), x text);"
        "INSERT INTO t SELECT g, g, 'v', g, g, ARRAY[g], 'c', 'x' FROM generate_series(1, 50) g;"
        "CREATE SCHEMA app; CREATE TABLE app.u (w varchar(5));");
    conn_ = db_.connect();
  }
  // The type-change-rewrite findings of `sql`, with the live catalog of `schema`.
  std::vector<Finding> type_findings(const std::string& sql, const std::string& schema = "public") {
    LintOptions o;
    o.runner_sets_lock_timeout = true;
    o.column_types = live_column_types(*conn_, schema);
    auto r = lint({{"m.sql", sql, 1, false}}, o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    std::vector<Finding> out;
    if (r.ok())
      for (const Finding& f : r->findings)
        if (f.rule == "type-change-rewrite") out.push_back(f);
    return out;
  }
  std::string relfilenode(const std::string& table) {
    return db_.value("SELECT relfilenode FROM pg_class WHERE oid = '" + table + "'::regclass");
  }
  TestDb db_;
  std::unique_ptr<db::Connection> conn_;
};

TEST_F(LintLiveTypes, OldTypeFromTheCatalog) {
  auto f = type_findings("ALTER TABLE t ALTER COLUMN a TYPE bigint;");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_NE(f[0].message.find("from integer (live catalog) to int8 rewrites the table"),
            std::string::npos)
      << f[0].message;

  f = type_findings("ALTER TABLE t ALTER COLUMN v TYPE varchar(40);");
  ASSERT_EQ(f.size(), 1u) << "a note, no error";
  EXPECT_EQ(f[0].severity, Severity::kInfo);
  EXPECT_NE(f[0].message.find("from character varying(20) (live catalog) to varchar(40) does "
                              "not rewrite the table"),
            std::string::npos)
      << f[0].message;

  f = type_findings("ALTER TABLE t ALTER COLUMN nope TYPE text;");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_NE(f[0].message.find("unknown"), std::string::npos) << f[0].message;
  EXPECT_NE(f[0].message.find("has no such column"), std::string::npos) << f[0].message;
}

TEST_F(LintLiveTypes, TablesResolveInTheSchemaOrAsQualified) {
  auto f = type_findings("ALTER TABLE app.u ALTER COLUMN w TYPE varchar(10);");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kInfo) << f[0].message;
  f = type_findings("ALTER TABLE u ALTER COLUMN w TYPE varchar(10);", "app");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kInfo) << f[0].message;
  f = type_findings("ALTER TABLE u ALTER COLUMN w TYPE varchar(10);", "public");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kError) << f[0].message;
}

// The linter's verdict from the catalog against PostgreSQL's: each change is linted against
// the table as it is, then run, and the table's relfilenode says whether it was rewritten.
TEST_F(LintLiveTypes, VerdictsMatchWhatPostgresDoes) {
  const char* kChanges[] = {
      "ALTER TABLE t ALTER COLUMN v TYPE varchar(40)",
      "ALTER TABLE t ALTER COLUMN v TYPE text",
      "ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2)",
      "ALTER TABLE t ALTER COLUMN n TYPE numeric",
      "ALTER TABLE t ALTER COLUMN o TYPE oid",  // binary-coercible per pg_cast
      "ALTER TABLE t ALTER COLUMN a TYPE bigint",
      "ALTER TABLE t ALTER COLUMN c TYPE text",
      "ALTER TABLE t ALTER COLUMN x TYPE varchar(10)",
      "ALTER TABLE t ALTER COLUMN e TYPE bigint[]",
      "ALTER TABLE t ALTER COLUMN o TYPE int4",
  };
  int rewrites = 0;
  for (const char* change : kChanges) {
    auto f = type_findings(change);
    ASSERT_EQ(f.size(), 1u) << change;
    bool predicted = f[0].severity == Severity::kError;
    std::string before = relfilenode("t");
    db_.exec(change);
    bool rewrote = relfilenode("t") != before;
    EXPECT_EQ(predicted, rewrote) << change << ": " << f[0].message;
    rewrites += rewrote;
  }
  EXPECT_GE(rewrites, 3) << "both verdicts were exercised";
}

TEST_F(LintLiveTypes, OnlyReads) {
  std::string before = db_.snapshot();
  auto f = type_findings(
      "ALTER TABLE t ALTER COLUMN a TYPE bigint; ALTER TABLE t ALTER COLUMN o TYPE oid;");
  EXPECT_EQ(f.size(), 2u);
  EXPECT_EQ(db_.snapshot(), before);
}

TEST_F(LintLiveTypes, CommandLine) {
  TempDir dir;
  std::string bigint = dir.write("bigint.sql", "ALTER TABLE t ALTER COLUMN a TYPE bigint;\n");
  std::string widen = dir.write("widen.sql", "ALTER TABLE t ALTER COLUMN v TYPE varchar(40);\n");
  std::string before = db_.snapshot();

  auto r = testing::run_tandem({"--db", db_.url(), "lint", bigint});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("error type-change-rewrite: changing t.a from integer (live catalog)"),
            std::string::npos)
      << r.out;

  r = testing::run_tandem({"--db", db_.url(), "lint", widen});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("info type-change-rewrite: changing t.v from character varying(20)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("0 error(s), 1 warning(s), 1 note(s)"), std::string::npos) << r.out;

  // DATABASE_URL counts as --db.
  r = testing::run_tandem({"lint", widen}, {{"DATABASE_URL", db_.url()}});
  EXPECT_EQ(r.code, 0) << r.out << r.err;

  // No PostgreSQL database: unknown, an error that says how to let tandem check.
  r = testing::run_tandem({"--db", "sqlite::memory:", "lint", widen});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("its current type is unknown"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pass --db"), std::string::npos) << r.out;

  // A database that cannot be reached is an error, not a silent unknown.
  r = testing::run_tandem({"--db", "postgresql://nobody@127.0.0.1:1/none", "lint", widen});
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  // … and is not even asked when nothing needs it.
  std::string index = dir.write("index.sql", "CREATE INDEX CONCURRENTLY i ON t (a);\n");
  r = testing::run_tandem({"--db", "postgresql://nobody@127.0.0.1:1/none", "lint", index});
  EXPECT_EQ(r.code, 0) << r.out << r.err;

  EXPECT_EQ(db_.snapshot(), before) << "lint never writes";
}

// tandem up's gate (lint::unsafe_problems) fails closed: without a catalog an unknown old type
// refuses the migration; with the live catalog the type it reads decides.
TEST(LintGateSemantics, UnknownTypeChangeFailsClosedAndTheCatalogDecides) {
  TempDir dir;
  dir.write("0001_retype.sql",
            "-- tandem:up\nALTER TABLE legacy ALTER COLUMN a TYPE bigint;\n"
            "ALTER TABLE legacy ALTER COLUMN v TYPE varchar(40);\n");
  std::vector<std::string> pending = {dir.path() + "/0001_retype.sql"};
  auto problems = unsafe_problems(dir.path(), pending, {});
  ASSERT_TRUE(problems.ok()) << problems.status().message();
  ASSERT_EQ(problems->size(), 2u) << "both type changes refused: their old types are unknown";
  testing::TestDb db(testing::Kind::kPostgres);
  db.exec("CREATE TABLE legacy (a integer, v varchar(20))");
  auto conn = db.connect();
  problems = unsafe_problems(dir.path(), pending, {}, live_column_types(*conn, "public"));
  ASSERT_TRUE(problems.ok()) << problems.status().message();
  ASSERT_EQ(problems->size(), 1u) << "varchar(20) -> varchar(40) is binary-coercible";
  EXPECT_NE((*problems)[0].message.find("integer"), std::string::npos) << (*problems)[0].message;
}

// One unparsable file does not switch the gate off: it is a problem of its own, and the other
// files' findings are still reported.
TEST(LintGateSemantics, AParseErrorIsAProblemAndHidesNothing) {
  TempDir dir;
  dir.write("0001_odd.yaml", "operations:\n  - sql: {up: \"SELEC 1\", down: \"SELECT 1\"}\n");
  dir.write("0002_index.sql", "-- tandem:up\nCREATE TABLE t (a int);\n");
  dir.write("0003_index.sql", "-- tandem:up\nCREATE INDEX i ON t (a);\n");
  auto problems = unsafe_problems(dir.path(), {dir.path() + "/0003_index.sql"}, {}, nullptr,
                                  migration_formats());
  ASSERT_TRUE(problems.ok()) << problems.status().message();
  ASSERT_EQ(problems->size(), 2u);
  EXPECT_EQ((*problems)[0].kind, "unparsable_sql");
  EXPECT_EQ((*problems)[0].line, 2) << (*problems)[0].message;
  EXPECT_NE((*problems)[0].file.find("0001_odd.yaml"), std::string::npos);
  EXPECT_NE((*problems)[1].message.find("index-not-concurrent"), std::string::npos);
}

}  // namespace
}  // namespace tandem::lint
