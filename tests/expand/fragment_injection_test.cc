// Every fragment of SQL a declarative file supplies is checked before anything runs: a type,
// default, CHECK, index predicate, storage parameter list, `where`, `set` value or `on_delete`
// that smuggles in a second statement (`text; DROP TABLE keep`) or ends in a `-- comment`
// that would swallow the rest of the generated statement is refused with file:line, and the
// database is left exactly as it was — through `tandem up` on SQLite and PostgreSQL and
// `tandem start` on PostgreSQL.

#include <gtest/gtest.h>

#include <cstdio>

#include "tandem/engine.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

struct Injection {
  const char* field;
  const char* operation;  // one operation, as a YAML list item on line 2
  bool postgres_only = false;
};

const Injection kInjections[] = {
    {"column.type",
     "  - add_column: {table: t, column: {name: c, type: \"text; DROP TABLE keep\", nullable: "
     "true}}\n"},
    {"column.default",
     "  - add_column: {table: t, column: {name: c, type: text, default: \"'x'; DROP TABLE "
     "keep\"}}\n"},
    {"column.default (comment)",
     "  - add_column: {table: t, column: {name: c, type: text, nullable: true, default: \"'x' -- "
     "note\", unique: true}}\n"},
    {"column.check",
     "  - add_column: {table: t, column: {name: c, type: int, nullable: true, check: {name: ck, "
     "constraint: \"c > 0) -- \"}}}\n"},
    {"create_table type",
     "  - create_table: {name: n, columns: [{name: id, type: \"int); DROP TABLE keep; CREATE "
     "TABLE z (a int\", pk: true}]}\n"},
    {"predicate",
     "  - create_index: {name: i, table: t, columns: [a], predicate: \"a > 'x') WITH "
     "(fillfactor = 10\"}\n"},
    {"alter_column type",
     "  - alter_column: {table: t, column: a, type: \"text; DROP TABLE keep\", up: a, down: "
     "a}\n"},
    {"alter_column default",
     "  - alter_column: {table: t, column: a, default: \"'x'; DROP TABLE keep\"}\n"},
    {"on_delete",
     "  - create_constraint: {table: t, name: fk, type: foreign_key, columns: [id], references: "
     "{table: keep, columns: [id], on_delete: \"CASCADE; DROP TABLE keep\"}}\n"},
    {"storage_parameters",
     "  - create_index: {name: i, table: t, columns: [a], storage_parameters: \"fillfactor = "
     "70); DROP TABLE keep; SELECT (1\"}\n",
     true},
    {"up ending in a comment",
     "  - alter_column: {table: t, column: n, type: bigint, up: \"n::bigint -- widen\", down: "
     "\"n::int\"}\n",
     true},
};

class FragmentInjection : public ::testing::TestWithParam<Kind> {
 protected:
  FragmentInjection() : db_(GetParam()), opts_(testing::options_for(db_, dir_)) {
    dir_.write("0001_tables.sql",
               "-- tandem:up\nCREATE TABLE keep (id int PRIMARY KEY);\n"
               "INSERT INTO keep VALUES (1);\n"
               "CREATE TABLE t (id int PRIMARY KEY, a text, n int);\n"
               "INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2);\n"
               "-- tandem:down\nDROP TABLE t;\nDROP TABLE keep;\n");
    EXPECT_TRUE(up(opts_, {}).ok());
  }
  testing::CmdResult run(const std::string& command) {
    return testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), command});
  }

  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

TEST_P(FragmentInjection, RefusedWithFileAndLineBeforeAnythingRuns) {
  std::string before = db_.snapshot();
  for (const Injection& inj : kInjections) {
    if (inj.postgres_only && !db_.pg()) continue;
    SCOPED_TRACE(inj.field);
    dir_.write("0002_x.yaml", std::string("operations:\n") + inj.operation);
    for (const char* command : {"up", "start"}) {
      if (!db_.pg() && std::string(command) == "start") continue;
      SCOPED_TRACE(command);
      auto r = run(command);
      EXPECT_EQ(r.code, 2) << r.err;
      EXPECT_NE(r.err.find("0002_x.yaml:2"), std::string::npos) << r.err;
      EXPECT_EQ(db_.value("SELECT count(*) FROM keep"), "1");
      EXPECT_EQ(db_.snapshot(), before) << "nothing may change";
    }
  }
}

// A NUL byte ends a statement or a string for libpq and PostgreSQL: `CREATE TABLE a; \0 CREATE
// TABLE b` was applied as the first statement alone and recorded as applied, and a JSON
// "\u0000" cut an `sql` operation or a comment short. Every such input is a problem with its
// line, on both backends, before anything runs.
TEST_P(FragmentInjection, ANulByteIsRefusedNotTruncated) {
  std::string before = db_.snapshot();
  const std::pair<const char*, std::string> cases[] = {
      {"0002_x.sql", std::string("-- tandem:up\nCREATE TABLE tn (id int);\0\nCREATE TABLE tn2 "
                                 "(id int);\n",
                                 67)},
      {"0002_x.json",
       "{\"operations\": [{\"sql\": {\"up\": \"CREATE TABLE tn (id int)\\u0000; CREATE TABLE "
       "tn2 (id int)\", \"down\": \"DROP TABLE tn\"}}]}\n"},
      {"0002_x.yaml",
       "operations:\n  - add_column: {table: t, column: {name: c, type: int, nullable: true, "
       "comment: \"hello\\0world\"}}\n"},
  };
  for (const auto& [file, content] : cases) {
    SCOPED_TRACE(file);
    dir_.write(file, content);
    auto r = run("up");
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("NUL"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::string(file) + ":"), std::string::npos) << r.err;
    EXPECT_EQ(db_.snapshot(), before) << "nothing may change";
    std::remove((dir_.path() + "/" + file).c_str());
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, FragmentInjection,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

// A column reference tandem rewrites (NEW."col" inside the dual-write trigger) must be replaced
// exactly: a U&"…" identifier is longer than its name, and cutting it at the name's length
// turned crafted column names into a second statement inside the trigger body — `start`
// succeeded and the next INSERT dropped `keep`. Such a spelling is now never rewritten: the
// expression is embedded as written (checked as one expression), over the row's columns
// declared as variables, and computes what it says.
TEST(ColumnRefRewrite, AUnicodeEscapedIdentifierIsNeverCutInTheWrongPlace) {
  TempDir dir;
  TestDb db(Kind::kPostgres);
  const std::string c1 = "xxxxxxxxxxxx); DROP TABLE keep CASCADE; PERFORM (SELECT 1 AS   ";
  const std::string c2 = " FROM (SELECT 1) AS    ";
  dir.write("0001_tables.sql",
            "-- tandem:up\nCREATE TABLE keep (id int PRIMARY KEY);\n"
            "INSERT INTO keep VALUES (1), (2);\n"
            "CREATE TABLE t (id bigint PRIMARY KEY, a int, " +
                db::quote_ident(c1) + " text, " + db::quote_ident(c2) +
                " text);\nINSERT INTO t VALUES (1, 1, 'p', 'q');\n");
  ASSERT_EQ(testing::run_tandem({"--db", db.url(), "--dir", dir.path(), "-q", "up"}).code, 0);
  std::string x12;
  for (int i = 0; i < 12; ++i) x12 += "\\\\0078";
  const std::string crafted = "U&\\\"" + x12 +
                              "); DROP TABLE keep CASCADE; PERFORM (SELECT 1 AS   \\\" || "
                              "U&\\\"\\\\0020FROM (SELECT 1) AS    \\\"";
  const std::string plain = "U&\\\"\\\\0061\\\"::text || 'x'";  // U&"\0061" is a
  const std::pair<std::string, std::string> cases[] = {{crafted, "rs"}, {plain, "2x"}};
  for (const auto& [up, expected] : cases) {
    SCOPED_TRACE(up);
    dir.write("0002_x.json",
              "{\"operations\": [{\"alter_column\": {\"table\": \"t\", \"column\": "
              "\"a\", \"type\": \"text\", \"up\": \"" +
                  up + "\", \"down\": \"a::int\"}}]}\n");
    auto r = testing::run_tandem({"--db", db.url(), "--dir", dir.path(), "-q", "start"});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    // The trigger runs on this INSERT: had the names been cut into SQL, keep would be dropped.
    db.exec("INSERT INTO t VALUES (2, 2, 'r', 's')");
    EXPECT_EQ(db.value("SELECT count(*) FROM keep"), "2");
    EXPECT_EQ(db.value("SELECT a FROM public_2.t WHERE id = 2"), expected);
    db.exec("DELETE FROM t WHERE id = 2");
    ASSERT_EQ(testing::run_tandem({"--db", db.url(), "--dir", dir.path(), "-q", "rollback"}).code,
              0);
  }
}

}  // namespace
}  // namespace tandem
