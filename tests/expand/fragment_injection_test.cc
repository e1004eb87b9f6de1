// Every fragment of SQL a declarative file supplies is checked before anything runs: a type,
// default, CHECK, index predicate, storage parameter list, `where`, `set` value or `on_delete`
// that smuggles in a second statement (`text; DROP TABLE keep`) or ends in a `-- comment`
// that would swallow the rest of the generated statement is refused with file:line, and the
// database is left exactly as it was — through `tandem up` on SQLite and PostgreSQL and
// `tandem start` on PostgreSQL.

#include <gtest/gtest.h>

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

INSTANTIATE_TEST_SUITE_P(Backends, FragmentInjection,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

}  // namespace
}  // namespace tandem
