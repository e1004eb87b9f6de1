// Names near PostgreSQL's 63-byte limit. Names tandem derives from the user's (dual-write
// functions, shadow columns) used to be cut to 63 bytes and collide: two tables sharing one
// dual-write function (wrong values, and complete failing forever), two columns sharing one
// shadow column, a cut inside a UTF-8 character. Derived names now end in a hash of the whole
// name; a name the user gives that PostgreSQL would cut is refused.

#include <gtest/gtest.h>

#include "tandem/backfill.h"
#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class LongNames : public ::testing::Test {
 protected:
  LongNames() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {}
  std::string in_new(const std::string& sql) {
    auto c = db_.connect();
    EXPECT_TRUE(c->execute("SET search_path = public_2").ok());
    auto r = c->query(sql);
    return r.ok() ? (r->empty() ? "" : r->text(0, 0)) : r.status().message();
  }
  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

TEST_F(LongNames, TablesWithALongCommonPrefixGetTheirOwnDualWrite) {
  std::string a = "orders_" + std::string(45, 'x') + "_a",
              b = "orders_" + std::string(45, 'x') + "_b";
  dir_.write("0001_t.sql", "-- tandem:up\nCREATE TABLE " + a + " (id int PRIMARY KEY, n int);\n" +
                               "CREATE TABLE " + b + " (id int PRIMARY KEY, n int);\n" +
                               "INSERT INTO " + a + " VALUES (1, 1);\nINSERT INTO " + b +
                               " VALUES (1, 1);\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_widen.yaml",
             "operations:\n"
             "  - alter_column: {table: " +
                 a +
                 ", column: n, type: bigint, up: n::bigint, down: "
                 "n::int}\n"
                 "  - alter_column: {table: " +
                 b +
                 ", column: n, type: bigint, up: (n + 1000)::bigint, "
                 "down: (n - 1000)::int}\n");
  auto s = expand::start(opts_, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(in_new("SELECT n FROM " + a), "1");
  EXPECT_EQ(in_new("SELECT n FROM " + b), "1001");
  // Writes through the old version, translated by each table's own trigger.
  db_.exec("INSERT INTO " + a + " VALUES (2, 5); INSERT INTO " + b + " VALUES (2, 5)");
  EXPECT_EQ(in_new("SELECT n FROM " + a + " WHERE id = 2"), "5");
  EXPECT_EQ(in_new("SELECT n FROM " + b + " WHERE id = 2"), "1005");
  auto v = backfill::verify(opts_);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->mismatches(), 0);
  auto done = expand::complete(opts_);
  ASSERT_TRUE(done.ok()) << done.status().message();
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = "
                      "p.pronamespace WHERE n.nspname = 'tandem'"),
            "0");
}

TEST_F(LongNames, ColumnsWithALongCommonPrefixGetTheirOwnShadow) {
  std::string c1 = "c_" + std::string(55, 'y') + "_1", c2 = "c_" + std::string(55, 'y') + "_2";
  dir_.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY, " + c1 + " int, " +
                               c2 + " int);\nINSERT INTO t VALUES (1, 10, 20);\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_widen.yaml", "operations:\n  - alter_column: {table: t, column: " + c1 +
                                    ", type: bigint, up: " + c1 + "::bigint, down: " + c1 +
                                    "::int}\n  - alter_column: {table: t, column: " + c2 +
                                    ", type: bigint, up: " + c2 + "::bigint, down: " + c2 +
                                    "::int}\n");
  auto s = expand::start(opts_, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(in_new("SELECT " + c1 + " || ',' || " + c2 + " FROM t"), "10,20");
  ASSERT_TRUE(expand::complete(opts_).ok());
  EXPECT_EQ(db_.value("SELECT " + c1 + " || ',' || " + c2 + " FROM t"), "10,20");
  EXPECT_EQ(
      db_.value("SELECT string_agg(data_type, ',' ORDER BY column_name) FROM "
                "information_schema.columns WHERE table_schema = 'public' AND table_name = 't' AND "
                "column_name <> 'id'"),
      "bigint,bigint");
}

TEST_F(LongNames, MultibyteNamesAreNeverCutInsideACharacter) {
  std::string t;
  for (int i = 0; i < 30; ++i) t += "\xc3\xa9";  // 30 × é = 60 bytes
  dir_.write("0001_t.sql", "-- tandem:up\nCREATE TABLE \"" + t +
                               "\" (id int PRIMARY KEY, n int);\nINSERT INTO \"" + t +
                               "\" VALUES (1, 1);\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_widen.yaml", "operations:\n  - alter_column: {table: \"" + t +
                                    "\", column: n, type: bigint, up: n::bigint, down: n::int}\n");
  auto r = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "up"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db_.value("SELECT n FROM \"" + t + "\""), "1");
}

TEST_F(LongNames, ANameLongerThan63BytesIsRefusedNotCut) {
  std::string name = "t_" + std::string(68, 'z');
  dir_.write("0001_t.yaml", "operations:\n  - create_table:\n      name: " + name +
                                "\n      columns: [{name: id, type: int, pk: true}]\n");
  std::string before = db_.snapshot();
  auto r = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "up"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("0001_t.yaml:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("63 bytes"), std::string::npos) << r.err;
  EXPECT_EQ(db_.snapshot(), before);
  // SQLite keeps long names whole: the same file applies there.
  TestDb lite(Kind::kSqlite);
  r = testing::run_tandem({"--db", lite.url(), "--dir", dir_.path(), "up"});
  EXPECT_EQ(r.code, 0) << r.err;
}

}  // namespace
}  // namespace tandem
