// The linter as a whole: positions, classification, parse errors, reporters, sources.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tandem/lint.h"
#include "test_util.h"

namespace tandem::lint {
namespace {

using nlohmann::json;

LintReport run(const std::vector<Source>& sources, LintOptions o = {}) {
  auto r = lint(sources, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : LintReport{};
}

TEST(Lint, FindingsNameFileLineAndColumn) {
  LintReport r = run({{"0002_x.sql", "SELECT 1;\n\n  CREATE INDEX i ON t (a);\n", 5, true}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].file, "0002_x.sql");
  EXPECT_EQ(r.findings[0].line, 7);
  EXPECT_EQ(r.findings[0].column, 3);
  EXPECT_EQ(r.findings[0].rule, "index-not-concurrent");
  EXPECT_EQ(r.findings[0].lock, "SHARE on t (blocks writes)");
  EXPECT_NE(r.findings[0].fix.find("CREATE INDEX CONCURRENTLY i ON t (a)"), std::string::npos);
  EXPECT_EQ(r.worst(), Severity::kError);
}

TEST(Lint, ParseErrorNamesLineAndColumn) {
  auto r = lint({{"bad.sql", "SELECT 1;\nALTER TABLE t ADD COLUMN;\n", 10, true}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("bad.sql:11:25: syntax error"), std::string::npos)
      << r.status().message();
}

TEST(Lint, ClassifiesEveryStatement) {
  LintReport r = run({{"m.sql",
                       "ALTER TABLE t ADD COLUMN a int;\n"
                       "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u NOT VALID;\n"
                       "ALTER TABLE t VALIDATE CONSTRAINT f;\n"
                       "CREATE INDEX CONCURRENTLY i ON t (a);\n"
                       "ALTER TABLE t ALTER COLUMN a TYPE bigint;\n"
                       "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
                       "UPDATE t SET a = 1;\n"
                       "VACUUM FULL t;\n"
                       "LOCK TABLE t IN SHARE MODE;\n",
                       1, false}});
  ASSERT_EQ(r.statements.size(), 9u);
  auto lock = [&](size_t i) { return std::string(lock_name(r.statements[i].classification.lock)); };
  EXPECT_EQ(lock(0), "ACCESS EXCLUSIVE");
  EXPECT_FALSE(r.statements[0].classification.rewrites);
  EXPECT_EQ(lock(1), "SHARE ROW EXCLUSIVE");
  EXPECT_FALSE(r.statements[1].classification.scans);
  EXPECT_EQ(lock(2), "SHARE UPDATE EXCLUSIVE");
  EXPECT_TRUE(r.statements[2].classification.scans);
  EXPECT_EQ(lock(3), "SHARE UPDATE EXCLUSIVE");
  EXPECT_TRUE(r.statements[4].classification.rewrites);
  EXPECT_TRUE(r.statements[5].classification.scans);
  EXPECT_EQ(lock(6), "ROW EXCLUSIVE");
  EXPECT_TRUE(r.statements[6].classification.scans);
  EXPECT_TRUE(r.statements[7].classification.rewrites);
  EXPECT_EQ(lock(8), "SHARE");
  EXPECT_EQ(r.statements[8].classification.relation, "t");
}

// Boolean options are read as PostgreSQL reads them: (FULL false) is no VACUUM FULL,
// (CONCURRENTLY off) no concurrent REINDEX.
TEST(Lint, BooleanOptionsOff) {
  LintReport r =
      run({{"m.sql", "VACUUM (FULL false) t;\nREINDEX (CONCURRENTLY off) INDEX i;\n", 1, false}});
  ASSERT_EQ(r.statements.size(), 2u);
  EXPECT_EQ(r.statements[0].classification.lock, Lock::kShareUpdateExclusive);
  EXPECT_FALSE(r.statements[0].classification.rewrites);
  EXPECT_EQ(r.statements[1].classification.lock, Lock::kShare);
}

// Column types from earlier migrations decide whether a type change rewrites.
TEST(Lint, KnownTypesFromEarlierFiles) {
  Source create{"0001.sql",
                "CREATE TABLE t (id bigint PRIMARY KEY, v varchar(20), n numeric(10,2), i int);", 1,
                true};
  auto rewrite = [&](const std::string& alter) {
    LintReport r = run({create, {"0002.sql", alter, 1, true}});
    for (const Finding& f : r.findings)
      if (f.rule == "type-change-rewrite") return true;
    return false;
  };
  EXPECT_FALSE(rewrite("ALTER TABLE t ALTER COLUMN v TYPE varchar(50);"));
  EXPECT_FALSE(rewrite("ALTER TABLE t ALTER COLUMN v TYPE text;"));
  EXPECT_FALSE(rewrite("ALTER TABLE t ALTER COLUMN v TYPE varchar;"));
  EXPECT_FALSE(rewrite("ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2);"));
  EXPECT_FALSE(rewrite("ALTER TABLE t ALTER COLUMN n TYPE numeric;"));
  EXPECT_TRUE(rewrite("ALTER TABLE t ALTER COLUMN v TYPE varchar(10);"));
  EXPECT_TRUE(rewrite("ALTER TABLE t ALTER COLUMN n TYPE numeric(12,3);"));
  EXPECT_TRUE(rewrite("ALTER TABLE t ALTER COLUMN i TYPE bigint;"));
  EXPECT_TRUE(rewrite("ALTER TABLE t ALTER COLUMN v TYPE varchar(50) USING v || '';"));
  // Renames carry the type along.
  EXPECT_FALSE(
      rewrite("ALTER TABLE t RENAME COLUMN v TO w; ALTER TABLE t ALTER COLUMN w TYPE text;"));
  // An unknown table's change is an error: its old type may well be one that rewrites (it was
  // a warning, and CI passed int → bigint on tables created before the linted files).
  LintOptions quiet;
  quiet.runner_sets_lock_timeout = true;
  LintReport r = run({{"x.sql", "ALTER TABLE other ALTER COLUMN a TYPE text;", 1, true}}, quiet);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].severity, Severity::kError);
  EXPECT_NE(r.findings[0].message.find("unknown"), std::string::npos) << r.findings[0].message;
  EXPECT_NE(r.findings[0].message.find("--db"), std::string::npos) << r.findings[0].message;
  EXPECT_TRUE(r.statements[0].classification.rewrites);
  // … unless a caller chooses otherwise (tandem up's gate keeps it a warning for now).
  quiet.unknown_type_change = Severity::kWarning;
  r = run({{"x.sql", "ALTER TABLE other ALTER COLUMN a TYPE text;", 1, true}}, quiet);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].severity, Severity::kWarning);
  // What the linted files did to a table they did not create counts: the type they gave.
  r = run({{"x.sql",
            "ALTER TABLE other ADD COLUMN b varchar(10);\n"
            "ALTER TABLE other ALTER COLUMN b TYPE varchar(20);\n"
            "ALTER TABLE other RENAME COLUMN b TO c;\n"
            "ALTER TABLE other ALTER COLUMN c TYPE text;\n"
            "ALTER TABLE other DROP COLUMN c;\n"
            "ALTER TABLE other ALTER COLUMN c TYPE text;\n",
            1, false}},
          quiet);
  std::vector<int> lines;
  for (const Finding& f : r.findings)
    if (f.rule == "type-change-rewrite") lines.push_back(f.line);
  EXPECT_EQ(lines, std::vector<int>{6}) << "only the change after the DROP is unknown";
}

// A file holding a statement PostgreSQL refuses in a transaction block runs statement by
// statement (db::pg::can_run_in_transaction_block), so nothing holds a lock across statements;
// ANALYZE alone may run in a transaction, so its file stays one.
TEST(Lint, StatementsRefusedInATransactionMakeTheFileAutocommit) {
  auto after_lock = [](const std::string& extra) {
    LintReport r =
        run({{"m.sql", "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE u ADD COLUMN b int;\n" + extra,
              1, true}});
    for (const Finding& f : r.findings)
      if (f.rule == "statements-after-lock") return true;
    return false;
  };
  EXPECT_TRUE(after_lock(""));
  EXPECT_TRUE(after_lock("ANALYZE t;"));
  EXPECT_TRUE(after_lock("REINDEX (CONCURRENTLY false) TABLE u;"));
  for (const char* alone :
       {"VACUUM t;", "VACUUM (ANALYZE) t;", "CREATE INDEX CONCURRENTLY i ON u (a);",
        "REINDEX SCHEMA s;", "DISCARD ALL;", "ALTER SYSTEM SET work_mem = '1MB';", "CLUSTER;",
        "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;", "DROP SUBSCRIPTION s;"})
    EXPECT_FALSE(after_lock(alone)) << alone;
}

TEST(Lint, SeverityOverridesAndOff) {
  LintOptions o;
  o.severity["index-not-concurrent"] = Severity::kInfo;
  o.severity["missing-lock-timeout"] = Severity::kOff;
  LintReport r = run({{"m.sql", "CREATE INDEX i ON t (a);", 1, true}}, o);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].severity, Severity::kInfo);
}

TEST(Lint, Reporters) {
  LintReport r = run({{"m.sql", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);", 1, true}});
  std::string text = render(r, Format::kText);
  EXPECT_NE(text.find("m.sql:1:1: error constraint-not-valid: "), std::string::npos) << text;
  EXPECT_NE(text.find("  fix:  ALTER TABLE t ADD CONSTRAINT c … NOT VALID;"), std::string::npos);
  json j = json::parse(render(r, Format::kJson, /*explain=*/true));
  EXPECT_EQ(j["findings"][0]["rule"], "constraint-not-valid");
  EXPECT_EQ(j["explain"][0]["lock"], "ACCESS EXCLUSIVE");
  EXPECT_EQ(j["explain"][0]["scans"], true);
  json s = json::parse(render(r, Format::kSarif));
  EXPECT_EQ(s["version"], "2.1.0");
  EXPECT_EQ(s["runs"][0]["results"][0]["ruleId"], "constraint-not-valid");
  EXPECT_EQ(s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            1);
  EXPECT_GE(s["runs"][0]["tool"]["driver"]["rules"].size(), 17u);
  std::string gh = render(r, Format::kGithub);
  EXPECT_EQ(gh.rfind("::error file=m.sql,line=1,col=1,title=tandem constraint-not-valid::", 0), 0u)
      << gh;
  EXPECT_EQ(static_cast<size_t>(std::count(gh.begin(), gh.end(), '\n')), r.findings.size())
      << "one line per finding";
}

// A file linted in several parts (a declarative migration: its `sql` operations, or with --plan
// every step tandem generates) is one file in the summary, not one per part.
TEST(Lint, FilesAreCountedOnce) {
  Source first{"0002_ops.yaml", "ALTER TABLE t ADD COLUMN b int;", 2, true};
  Source second{"0002_ops.yaml", "ALTER TABLE t ADD COLUMN c int;", 5, true};
  second.continues = true;
  Source third = second;
  third.sql = "ALTER TABLE t DROP COLUMN b;";
  third.old_version_gone = true;
  LintReport r = run(
      {{"0001_t.sql", "CREATE TABLE t (id bigint PRIMARY KEY);", 1, true}, first, second, third});
  EXPECT_EQ(r.files, 2);
  EXPECT_EQ(r.statements.size(), 4u);
  std::string text = render(r, Format::kText);
  EXPECT_NE(text.find("4 statement(s) in 2 file(s)"), std::string::npos) << text;
  EXPECT_EQ(json::parse(render(r, Format::kJson))["files"], 2);
  // Files read only for the tables they create are not counted, like their statements.
  LintOptions only;
  only.only_files = {"0002_ops.yaml"};
  r = run({{"0001_t.sql", "CREATE TABLE t (id bigint PRIMARY KEY);", 1, true}, first, second},
          only);
  EXPECT_EQ(r.files, 1);
  EXPECT_EQ(r.statements.size(), 2u);
}

TEST(Lint, MigrationFilesLintTheirUpSectionOnly) {
  testing::TempDir dir;
  dir.write("0001_a.sql",
            "-- tandem:up\nCREATE TABLE a (id bigint PRIMARY KEY);\n\nCREATE INDEX i ON b (x);\n"
            "-- tandem:down\nDROP TABLE a;\n");
  dir.write("0002_b.sql", "-- tandem:up\nALTER TABLE a ADD COLUMN n int NOT NULL;\n");
  auto src = sources({}, dir.path());
  ASSERT_TRUE(src.ok()) << src.status().message();
  ASSERT_EQ(src->size(), 2u);
  LintReport r = run(*src);
  std::vector<std::string> got;
  for (const Finding& f : r.findings)
    got.push_back(f.file.substr(f.file.rfind('/') + 1) + ":" + std::to_string(f.line) + " " +
                  f.rule);
  std::vector<std::string> want = {"0001_a.sql:4 index-not-concurrent",
                                   "0002_b.sql:2 add-column-not-null",
                                   "0002_b.sql:2 missing-lock-timeout"};
  EXPECT_EQ(got, want);
}

// One migration file of a folder, linted alone, lost what the folder's earlier migrations had
// created: a type change on a column migration 1 created was "unknown". Its earlier migrations
// are read for context now, as `tandem lint DIR` reads them, without being reported.
TEST(Lint, OneMigrationFileReadsTheEarlierMigrationsOfItsFolder) {
  testing::TempDir dir;
  dir.write("0001_t.sql",
            "-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, v varchar(20), i int);\n"
            "CREATE INDEX u_x ON u (x);\n-- tandem:down\nDROP TABLE t;\n");
  std::string second = dir.write("0002_retype.sql",
                                 "-- tandem:up\nALTER TABLE t ALTER COLUMN v TYPE varchar(40),\n"
                                 "  ALTER COLUMN i TYPE bigint;\n");
  std::string third = dir.write("0003_later.sql", "-- tandem:up\nCREATE INDEX t_v ON t (v);\n");
  LintOptions quiet;
  quiet.runner_sets_lock_timeout = true;
  auto findings = [&](const std::vector<std::string>& paths) {
    auto src = sources(paths, "unused");
    EXPECT_TRUE(src.ok()) << src.status().message();
    LintReport r = run(src.ok() ? *src : std::vector<Source>{}, quiet);
    std::vector<std::string> got;
    for (const Finding& f : r.findings)
      got.push_back(f.file.substr(f.file.rfind('/') + 1) + ":" + std::to_string(f.line) + " " +
                    f.message);
    return std::make_pair(got, r);
  };
  auto [alone, report] = findings({second});
  std::vector<std::string> want = {
      "0002_retype.sql:2 changing t.i from int4 to int8 rewrites the table"};
  EXPECT_EQ(alone, want) << "varchar(20) -> varchar(40) is free; int -> bigint rewrites";
  EXPECT_EQ(report.files, 1);
  EXPECT_EQ(report.statements.size(), 1u);
  // Exactly what `tandem lint DIR` says about that file.
  auto [whole, all] = findings({dir.path()});
  std::erase_if(whole, [](const std::string& f) { return f.rfind("0002_retype.sql", 0) != 0; });
  EXPECT_EQ(whole, want);
  // Two files of the folder, in any order: read in version order, each reported once.
  auto [two, both] = findings({third, second});
  EXPECT_EQ(both.files, 2);
  EXPECT_EQ(both.statements.size(), 2u);
  EXPECT_EQ(two.size(), 2u) << ::testing::PrintToString(two);
  // A declarative migration named alone is read as the folder reads it: its `sql` operations.
  std::string ops = dir.write("0004_ops.yaml",
                              "operations:\n  - sql:\n      up: CREATE INDEX t_i ON t (i)\n"
                              "      down: DROP INDEX t_i\n");
  auto src = sources({ops}, "unused", migration_formats());
  ASSERT_TRUE(src.ok()) << src.status().message();
  LintReport r = run(*src, quiet);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "index-not-concurrent");
  EXPECT_EQ(r.findings[0].file, ops);
  EXPECT_EQ(r.findings[0].line, 2);
  // The command line, end to end.
  auto cli = testing::run_tandem({"lint", second});
  EXPECT_EQ(cli.code, 1) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("changing t.i from int4 to int8 rewrites the table"), std::string::npos)
      << cli.out;
  EXPECT_EQ(cli.out.find("unknown"), std::string::npos) << cli.out;
  EXPECT_EQ(cli.out.find("0001_t.sql"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("1 statement(s) in 1 file(s)"), std::string::npos) << cli.out;
}

// The project's folder is run by tandem under --lock-timeout: `tandem lint` of it does not
// report missing-lock-timeout (a README config with fail_on: warning failed on every ALTER);
// a file named on the command line, or the rule asked for by name, still does.
TEST(LintCli, TheProjectFolderNeedsNoLockTimeout) {
  testing::TempDir dir;
  dir.write("0001_users.sql", "-- tandem:up\nCREATE TABLE users (id int);\n");
  std::string file =
      dir.write("0002_phone.sql", "-- tandem:up\nALTER TABLE users ADD COLUMN phone text;\n");
  auto folder = testing::run_tandem({"--dir", dir.path(), "lint", "--fail-on", "warning"});
  EXPECT_EQ(folder.code, 0) << folder.out << folder.err;
  EXPECT_EQ(folder.out.find("missing-lock-timeout"), std::string::npos) << folder.out;
  auto named = testing::run_tandem({"lint", "--fail-on", "warning", file});
  EXPECT_EQ(named.code, 1) << named.out << named.err;
  EXPECT_NE(named.out.find("missing-lock-timeout"), std::string::npos) << named.out;
  auto asked = testing::run_tandem(
      {"--dir", dir.path(), "lint", "--severity", "missing-lock-timeout=warning"});
  EXPECT_NE(asked.out.find("missing-lock-timeout"), std::string::npos) << asked.out;
}

}  // namespace
}  // namespace tandem::lint
