// The static lock/rewrite/scan classification against what PostgreSQL really does: every
// ALTER TABLE form (and the other DDL the rules judge) traced on the test server.

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tandem/lint.h"
#include "test_util.h"

namespace tandem::lint {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

const char* kSetup =
    "CREATE TABLE u (id bigint PRIMARY KEY);\n"
    "INSERT INTO u SELECT g FROM generate_series(1, 200) g;\n"
    "CREATE TABLE t (id bigint PRIMARY KEY, a int, v varchar(20), n numeric(10,2), e text, "
    "ts timestamp, j json, f float8);\n"
    "INSERT INTO t SELECT g, g, 'v' || g, g, 'e' || g, now(), '{}', g FROM generate_series(1, "
    "200) g;\n"
    "CREATE UNIQUE INDEX t_e_idx ON t (e);\n"
    "CREATE INDEX t_a_idx ON t (a);\n"
    "CREATE TABLE p (id int, k int) PARTITION BY RANGE (k);\n"
    "CREATE TABLE p1 (id int, k int);\n";

// Each line is traced after the ones before it were applied.
const char* kForms[] = {
    "ALTER TABLE t ADD COLUMN b int",
    "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0",
    "ALTER TABLE t ADD COLUMN d timestamptz DEFAULT now()",
    "ALTER TABLE t ADD COLUMN r float8 DEFAULT random()",
    "ALTER TABLE t ADD COLUMN s bigserial",
    "ALTER TABLE t ADD COLUMN i int GENERATED ALWAYS AS IDENTITY",
    "ALTER TABLE t ADD COLUMN g bigint GENERATED ALWAYS AS (id * 2) STORED",
    "ALTER TABLE t ADD COLUMN x text",
    "ALTER TABLE t ALTER COLUMN v TYPE varchar(40)",
    "ALTER TABLE t ALTER COLUMN v TYPE text",
    "ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2)",
    "ALTER TABLE t ALTER COLUMN a TYPE bigint",
    "ALTER TABLE t ALTER COLUMN x TYPE varchar(10)",
    "ALTER TABLE t ALTER COLUMN j TYPE jsonb USING j::jsonb",
    "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz",
    "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
    "ALTER TABLE t ALTER COLUMN a DROP NOT NULL",
    "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID",
    "ALTER TABLE t VALIDATE CONSTRAINT a_nn",
    "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
    "ALTER TABLE t ALTER COLUMN a SET DEFAULT 7",
    "ALTER TABLE t ALTER COLUMN a DROP DEFAULT",
    "ALTER TABLE t ADD CONSTRAINT ck CHECK (id > 0)",
    "ALTER TABLE t ADD CONSTRAINT ck2 CHECK (id > 0) NOT VALID",
    "ALTER TABLE t VALIDATE CONSTRAINT ck2",
    "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES u (id)",
    "ALTER TABLE t ADD CONSTRAINT fk2 FOREIGN KEY (id) REFERENCES u (id) NOT VALID",
    "ALTER TABLE t VALIDATE CONSTRAINT fk2",
    "ALTER TABLE t ADD CONSTRAINT uq UNIQUE (v)",
    "ALTER TABLE t ADD CONSTRAINT uq_e UNIQUE USING INDEX t_e_idx",
    "ALTER TABLE t DROP CONSTRAINT ck",
    "ALTER TABLE t RENAME COLUMN x TO y",
    "ALTER TABLE t RENAME CONSTRAINT ck2 TO ck3",
    "ALTER TABLE t DROP COLUMN y",
    "ALTER TABLE t SET (fillfactor = 70)",
    "ALTER TABLE t RESET (fillfactor)",
    "ALTER TABLE t ALTER COLUMN a SET STATISTICS 500",
    "ALTER TABLE t ALTER COLUMN e SET STORAGE EXTERNAL",
    "ALTER TABLE t CLUSTER ON t_a_idx",
    "ALTER TABLE t SET WITHOUT CLUSTER",
    "ALTER TABLE t DISABLE TRIGGER ALL",
    "ALTER TABLE t ENABLE TRIGGER ALL",
    "ALTER TABLE t SET UNLOGGED",
    "ALTER TABLE t SET LOGGED",
    "ALTER TABLE t REPLICA IDENTITY FULL",
    "ALTER TABLE t OWNER TO CURRENT_USER",
    "ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (0) TO (100)",
    "ALTER TABLE p DETACH PARTITION p1",
    "CREATE INDEX t_n_idx ON t (n)",
    "DROP INDEX t_n_idx",
    "REINDEX INDEX t_a_idx",
    "ALTER TABLE t RENAME TO t2",
    "ALTER TABLE t2 RENAME TO t",
    "UPDATE t SET f = f + 1",
    "DELETE FROM t WHERE id > 190",
    "TRUNCATE u2",
    "LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE",
    "CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION "
    "suppress_redundant_updates_trigger()",
    "DROP TABLE u2",
};

TEST(LintTrace, StaticClassificationMatchesPostgres) {
  TestDb db(Kind::kPostgres);
  std::string forms;
  for (const char* f : kForms) forms += std::string(f) + ";\n";
  forms = "CREATE TABLE u2 (id int);\nINSERT INTO u2 VALUES (1);\n" + forms;
  auto traced = trace({{"setup.sql", kSetup, 1, true}, {"forms.sql", forms, 1, true}}, db.url());
  ASSERT_TRUE(traced.ok()) << traced.status().message();
  int alters = 0;
  for (const TracedStatement& t : *traced) {
    EXPECT_TRUE(t.traced) << t.file << ":" << t.line << " " << t.sql << ": " << t.note;
    if (t.sql == "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz") {
      // The one documented difference: PostgreSQL skips this rewrite when the session's
      // TimeZone is UTC (the test server's); the static analysis assumes it is not.
      bool utc = db.value("SELECT current_setting('TimeZone') IN ('UTC', 'Etc/UTC', 'GMT')") == "t";
      EXPECT_EQ(t.disagreements.size(), utc ? 2u : 0u) << ::testing::PrintToString(t.disagreements);
      continue;
    }
    EXPECT_TRUE(t.disagreements.empty())
        << t.sql << ": " << ::testing::PrintToString(t.disagreements);
    alters += t.sql.rfind("ALTER TABLE", 0) == 0;
  }
  EXPECT_GE(alters, 45);
  // The trace itself measures: a rewrite changes the relfilenode, validation scans.
  auto find = [&](const std::string& sql) {
    for (const TracedStatement& t : *traced)
      if (t.sql == sql) return t;
    return TracedStatement{};
  };
  EXPECT_EQ(find("ALTER TABLE t ALTER COLUMN a TYPE bigint").rewritten,
            std::vector<std::string>{"t"});
  EXPECT_TRUE(find("ALTER TABLE t ALTER COLUMN v TYPE text").rewritten.empty());
  EXPECT_EQ(find("ALTER TABLE t VALIDATE CONSTRAINT fk2").lock, Lock::kShareUpdateExclusive);
  std::vector<std::string> scanned = find("ALTER TABLE t VALIDATE CONSTRAINT fk2").scanned;
  EXPECT_NE(std::find(scanned.begin(), scanned.end(), "t"), scanned.end());
}

// Every ALTER TABLE statement of the lint corpus (its first table's share), traced: the static
// classification the corpus snapshot records is the one PostgreSQL shows.
TEST(LintTrace, CorpusAlterTableFormsMatchPostgres) {
  TestDb db(Kind::kPostgres);
  std::string dir = std::string(TANDEM_SOURCE_DIR) + "/tests/lint/corpus/";
  std::string corpus = testing::read_file(dir + "corpus.sql");
  std::string first;  // the statements on `orders`, the corpus's first table
  for (size_t at = 0; at < corpus.size();) {
    size_t eol = corpus.find('\n', at);
    std::string line = corpus.substr(at, eol - at);
    if (line.find("users") != std::string::npos) break;
    first += line + "\n";
    at = eol + 1;
  }
  std::string data =
      "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
      "INSERT INTO refs SELECT g FROM generate_series(1, 50) g;\n"
      "INSERT INTO orders (id, d, e, a) SELECT g, g, 'e' || g, g FROM generate_series(1, 50) g;\n"
      "CREATE TABLE orders_old_idx_t (a int); CREATE INDEX orders_old_idx ON orders (b);\n";
  // With rows most forms run; those PostgreSQL refuses on rows (ADD COLUMN NOT NULL without a
  // default, a CHECK the rows break) are traced again on empty tables.
  auto run = [&](const TestDb& on, const std::string& rows) {
    return trace({{"setup.sql", testing::read_file(dir + "setup.sql"), 1, true},
                  {"data.sql", rows, 1, true},
                  {"corpus.sql", first, 1, true}},
                 on.url());
  };
  auto with_rows = run(db, data);
  ASSERT_TRUE(with_rows.ok()) << with_rows.status().message();
  TestDb fresh(Kind::kPostgres);
  auto empty =
      run(fresh, data.substr(0, data.find("INSERT")) + data.substr(data.rfind("CREATE TABLE")));
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  ASSERT_EQ(empty->size(), with_rows->size() - 2);  // two INSERTs fewer in data.sql
  bool utc = db.value("SELECT current_setting('TimeZone') IN ('UTC', 'Etc/UTC', 'GMT')") == "t";
  int alters = 0, on_rows = 0;
  std::vector<std::string> untraced;
  for (size_t i = 0; i < with_rows->size(); ++i) {
    const TracedStatement* t = &(*with_rows)[i];
    if (t->file != "corpus.sql" || t->sql.find("ALTER TABLE") == std::string::npos) continue;
    ++alters;
    if (t->traced) {
      ++on_rows;
    } else {
      t = &(*empty)[i - 2];
      if (!t->traced) {
        untraced.push_back(t->sql + ": " + t->note);
        continue;
      }
    }
    size_t known = utc && t->sql.find("TYPE timestamptz") != std::string::npos ? 2 : 0;
    EXPECT_EQ(t->disagreements.size(), known)
        << t->line << ": " << t->sql << ": " << ::testing::PrintToString(t->disagreements);
  }
  EXPECT_EQ(alters, 40);  // every ALTER TABLE form of the corpus
  EXPECT_GE(on_rows, 35);
  EXPECT_TRUE(untraced.empty()) << ::testing::PrintToString(untraced);
}

// Triggers, rules and policies: the lock each of their statements takes, and on which table,
// as PostgreSQL 15 takes it (DROP TRIGGER was once classified as taking no lock at all).
TEST(LintTrace, TriggerRuleAndPolicyLocksMatchPostgres) {
  TestDb db(Kind::kPostgres);
  const char* setup =
      "CREATE TABLE t (id int, a int CONSTRAINT t_pos CHECK (a > 0));\n"
      "INSERT INTO t SELECT g, g FROM generate_series(1, 100) g;\n"
      "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n";
  const char* forms[] = {
      "CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()",
      "CREATE OR REPLACE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch()",
      "CREATE CONSTRAINT TRIGGER ctrg AFTER INSERT ON t DEFERRABLE FOR EACH ROW EXECUTE "
      "FUNCTION touch()",
      "ALTER TABLE t DISABLE TRIGGER trg",
      "ALTER TABLE t ENABLE TRIGGER trg",
      "ALTER TABLE t ENABLE ALWAYS TRIGGER trg",
      "ALTER TABLE t ENABLE REPLICA TRIGGER trg",
      "ALTER TABLE t DISABLE TRIGGER USER",
      "ALTER TABLE t ENABLE TRIGGER USER",
      "ALTER TRIGGER trg ON t RENAME TO trg2",
      "ALTER TRIGGER trg2 ON t DEPENDS ON EXTENSION plpgsql",
      "COMMENT ON TRIGGER trg2 ON t IS 'audits'",
      "DROP TRIGGER trg2 ON t",
      "DROP TRIGGER IF EXISTS ctrg ON t",
      "CREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING",
      "ALTER TABLE t DISABLE RULE r",
      "ALTER TABLE t ENABLE RULE r",
      "ALTER TABLE t ENABLE ALWAYS RULE r",
      "ALTER TABLE t ENABLE REPLICA RULE r",
      "ALTER RULE r ON t RENAME TO r2",
      "COMMENT ON RULE r2 ON t IS 'keeps rows'",
      "DROP RULE r2 ON t",
      "CREATE POLICY p ON t USING (a > 0)",
      "ALTER POLICY p ON t USING (a > 1)",
      "ALTER POLICY p ON t RENAME TO p2",
      "COMMENT ON POLICY p2 ON t IS 'positive'",
      "DROP POLICY p2 ON t",
      "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
      "ALTER TABLE t FORCE ROW LEVEL SECURITY",
      "ALTER TABLE t NO FORCE ROW LEVEL SECURITY",
      "ALTER TABLE t DISABLE ROW LEVEL SECURITY",
      "COMMENT ON TABLE t IS 'things'",
      "COMMENT ON COLUMN t.a IS 'amount'",
      "COMMENT ON CONSTRAINT t_pos ON t IS 'positive'",
  };
  std::string sql;
  for (const char* f : forms) sql += std::string(f) + ";\n";
  auto traced = trace({{"setup.sql", setup, 1, true}, {"forms.sql", sql, 1, true}}, db.url());
  ASSERT_TRUE(traced.ok()) << traced.status().message();
  size_t checked = 0;
  for (const TracedStatement& t : *traced) {
    if (t.file != "forms.sql") continue;
    ++checked;
    EXPECT_TRUE(t.traced) << t.sql << ": " << t.note;
    EXPECT_TRUE(t.disagreements.empty())
        << t.sql << ": " << ::testing::PrintToString(t.disagreements);
    EXPECT_NE(t.lock, Lock::kNone) << t.sql;
    EXPECT_EQ(t.expected.relation, "t") << t.sql << ": the table it locks";
  }
  EXPECT_EQ(checked, std::size(forms));
}

// `lint --trace` printed only the trace and exited 0 where `lint` found an error: it reports
// the rule findings as `lint` does, exits as `lint` does (--fail-on, --severity), and adds
// what it measured.
TEST(LintTrace, CommandLineReportsTheFindingsAndExitsLikeLint) {
  TempDir dir;
  dir.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, a int);\n");
  dir.write("0002_index.sql", "-- tandem:up\nCREATE INDEX t_a ON t (a);\n");
  auto on_fresh = [&](const std::vector<std::string>& args) {
    TestDb db(Kind::kPostgres);  // a fresh scratch database each time
    return testing::run_tandem_on(db, dir, args);
  };
  auto plain = on_fresh({"lint"});
  ASSERT_EQ(plain.code, 1) << plain.out << plain.err;
  auto traced = on_fresh({"lint", "--trace"});
  EXPECT_EQ(traced.code, 1) << traced.out << traced.err;
  EXPECT_NE(traced.out.find("0002_index.sql:2:1: error index-not-concurrent: "), std::string::npos)
      << traced.out;
  EXPECT_NE(traced.out.find("2 statement(s) in 2 file(s): 1 error(s)"), std::string::npos)
      << traced.out;
  EXPECT_NE(traced.out.find("  traced: SHARE on t"), std::string::npos) << traced.out;
  EXPECT_NE(traced.out.find("2 statement(s) traced, 0 differ"), std::string::npos) << traced.out;

  // The same exit rules as lint.
  auto warning = on_fresh({"lint", "--trace", "--severity", "index-not-concurrent=warning"});
  EXPECT_EQ(warning.code, 0) << warning.out << warning.err;
  EXPECT_NE(warning.out.find("warning index-not-concurrent"), std::string::npos) << warning.out;
  auto strict = on_fresh(
      {"lint", "--trace", "--severity", "index-not-concurrent=warning", "--fail-on", "warning"});
  EXPECT_EQ(strict.code, 1) << strict.out << strict.err;

  // JSON: one document with the findings and the traced statements.
  auto json = on_fresh({"lint", "--trace", "--format", "json"});
  EXPECT_EQ(json.code, 1) << json.err;
  nlohmann::json doc = nlohmann::json::parse(json.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded()) << json.out;
  ASSERT_EQ(doc["findings"].size(), 1u) << json.out;
  EXPECT_EQ(doc["findings"][0]["rule"], "index-not-concurrent");
  EXPECT_EQ(doc["worst"], "error");
  EXPECT_EQ(doc["files"], 2);
  ASSERT_EQ(doc["statements"].size(), 2u) << json.out;
  EXPECT_EQ(doc["statements"][1]["lock"], "SHARE");
  EXPECT_EQ(doc["statements"][1]["static"]["lock"], "SHARE");

  // GitHub annotations for the findings on stdout; the trace on stderr.
  auto github = on_fresh({"lint", "--trace", "--format", "github"});
  EXPECT_EQ(github.code, 1);
  EXPECT_EQ(github.out.rfind("::error file=", 0), 0u) << github.out;
  EXPECT_NE(github.err.find("traced: SHARE on t"), std::string::npos) << github.err;
}

// A second `lint --trace` on the same scratch database failed statement by statement with
// "already exists" (the first one applied everything) and never said the database was dirty.
// It is refused up front, naming the database, what is already there and what to do.
TEST(LintTrace, ADirtyScratchDatabaseIsRefusedUpFront) {
  TestDb db(Kind::kPostgres);
  std::vector<Source> migrations = {
      {"0001_t.sql", "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n", 2, true},
      {"0002_more.sql", "ALTER TABLE t ADD COLUMN a int;\n", 1, true}};
  auto first = trace(migrations, db.url());
  ASSERT_TRUE(first.ok()) << first.status().message();
  for (const TracedStatement& t : *first) EXPECT_TRUE(t.traced) << t.sql << ": " << t.note;
  std::string name = db.value("SELECT current_database()");
  std::string before = db.catalog();
  auto second = trace(migrations, db.url());
  ASSERT_FALSE(second.ok()) << "traced again on what the first trace left behind";
  EXPECT_EQ(second.status().code(), Code::kInvalidInput);
  const std::string& message = second.status().message();
  EXPECT_NE(message.find("the scratch database \"" + name + "\" is not empty"), std::string::npos)
      << message;
  EXPECT_NE(message.find("table t, which 0001_t.sql:2:1 creates"), std::string::npos) << message;
  EXPECT_NE(second.status().hint().find("dropdb " + name + " && createdb " + name),
            std::string::npos)
      << second.status().hint();
  EXPECT_NE(second.status().hint().find("an empty database"), std::string::npos);
  EXPECT_EQ(db.catalog(), before) << "nothing may run on it";

  // Only what the files create counts, and not a name they drop first.
  auto rerun =
      trace({{"again.sql", "DROP TABLE t;\nCREATE TABLE t (id int);\n", 1, true}}, db.url());
  ASSERT_TRUE(rerun.ok()) << rerun.status().message();
  for (const TracedStatement& t : *rerun) EXPECT_TRUE(t.traced) << t.sql << ": " << t.note;

  // On the command line: a usage error (exit 2) that says so.
  TempDir dir;
  dir.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id int);\n");
  auto refused = testing::run_tandem_on(db, dir, {"lint", "--trace"});
  EXPECT_EQ(refused.code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("is not empty"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("hint: trace on a database as it was before these migrations"),
            std::string::npos)
      << refused.err;
}

// One migration file of a folder is traced after the folder's earlier migrations are applied
// (untraced, unreported), so its tables exist; it used to fail with "does not exist".
TEST(LintTrace, OneMigrationFileRunsAfterTheEarlierMigrationsOfItsFolder) {
  TempDir dir;
  dir.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id bigint PRIMARY KEY, a int);\n");
  std::string second = dir.write("0002_a.sql", "-- tandem:up\nALTER TABLE t ADD COLUMN b int;\n");
  dir.write("0003_later.sql", "-- tandem:up\nDROP TABLE t;\n");
  TestDb db(Kind::kPostgres);
  auto src = sources({second}, dir.path());
  ASSERT_TRUE(src.ok()) << src.status().message();
  auto traced = trace(*src, db.url());
  ASSERT_TRUE(traced.ok()) << traced.status().message();
  ASSERT_EQ(traced->size(), 1u) << "only the file named is reported";
  const TracedStatement& t = (*traced)[0];
  EXPECT_EQ(t.file, second);
  EXPECT_TRUE(t.traced) << t.note;
  EXPECT_EQ(t.lock, Lock::kAccessExclusive);
  EXPECT_TRUE(t.disagreements.empty()) << ::testing::PrintToString(t.disagreements);
  EXPECT_EQ(db.value("SELECT count(*) FROM pg_class WHERE relname = 't'"), "1")
      << "0003 is later: not run";
}

TEST(LintTrace, RefusesSqliteAndReportsFailures) {
  EXPECT_FALSE(trace({{"a.sql", "SELECT 1", 1, true}}, "sqlite::memory:").ok());
  TestDb db(Kind::kPostgres);
  auto traced = trace({{"a.sql", "ALTER TABLE missing ADD COLUMN a int;", 1, true}}, db.url());
  ASSERT_TRUE(traced.ok());
  ASSERT_EQ(traced->size(), 1u);
  EXPECT_FALSE((*traced)[0].traced);
  EXPECT_NE((*traced)[0].note.find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace tandem::lint
