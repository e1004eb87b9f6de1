// Fragments of SQL from declarative files, checked by each database's own parser as exactly
// one type name / expression / default / storage parameter list — and statements run one at a
// time, so nothing can ride along.

#include <gtest/gtest.h>

#include "tandem/db.h"
#include "test_util.h"

namespace tandem::db {
namespace {

using testing::Kind;

struct Case {
  FragmentKind kind;
  const char* text;
  bool postgres, sqlite;  // accepted by each
};

const Case kCases[] = {
    {FragmentKind::kTypeName, "bigint", true, true},
    {FragmentKind::kTypeName, "varchar(20)", true, true},
    {FragmentKind::kTypeName, "numeric(10, 2)", true, true},
    {FragmentKind::kTypeName, "timestamp with time zone", true, true},
    {FragmentKind::kTypeName, "text[]", true, true},  // SQLite reads [] as a name
    {FragmentKind::kTypeName, "text; DROP TABLE keep", false, false},
    {FragmentKind::kTypeName, "text NOT NULL", false, false},
    {FragmentKind::kTypeName, "text DEFAULT 'x'", false, false},
    {FragmentKind::kTypeName, "text, other int", false, false},
    {FragmentKind::kTypeName, "text -- comment", false, false},
    {FragmentKind::kTypeName, "text) PARTITION BY RANGE (x", false, false},
    {FragmentKind::kTypeName, "int PRIMARY KEY", false, false},
    {FragmentKind::kExpression, "total * 100", true, true},
    {FragmentKind::kExpression, "coalesce(a, 'x')", true, true},
    {FragmentKind::kExpression, "total::bigint", true, false},
    {FragmentKind::kExpression, "(SELECT max(id) FROM other)", true, true},
    {FragmentKind::kExpression, "total::bigint -- cents", false, false},
    {FragmentKind::kExpression, "1); DROP TABLE keep; SELECT (1", false, false},
    {FragmentKind::kExpression, "1) FROM keep WHERE (1", false, false},
    {FragmentKind::kExpression, "1 /* open comment", false, false},
    {FragmentKind::kExpression, "", false, false},
    {FragmentKind::kColumnDefault, "'USD'", true, true},
    {FragmentKind::kColumnDefault, "0", true, true},
    {FragmentKind::kColumnDefault, "-5", true, true},
    {FragmentKind::kColumnDefault, "CURRENT_TIMESTAMP", true, true},
    {FragmentKind::kColumnDefault, "now()", true, false},
    {FragmentKind::kColumnDefault, "'x' NOT NULL", false, false},
    {FragmentKind::kColumnDefault, "'x', evil int", false, false},
    {FragmentKind::kColumnDefault, "'x' CHECK (1 = 1)", false, false},
    {FragmentKind::kColumnDefault, "0; DROP TABLE keep", false, false},
    {FragmentKind::kColumnDefault, "0 -- zero", false, false},
    {FragmentKind::kStorageParams, "fillfactor = 70", true, false},
    {FragmentKind::kStorageParams, "fillfactor = 70, deduplicate_items = off", true, false},
    {FragmentKind::kStorageParams, "fillfactor = 70) WHERE (false", false, false},
    {FragmentKind::kStorageParams, "fillfactor = 70); DROP TABLE keep; SELECT (1", false, false},
};

TEST(Fragment, EachDatabaseParserAcceptsExactlyOneFragment) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(fragment_kind_name(c.kind)) + ": " + c.text);
    Status pg = check_fragment(Backend::kPostgres, c.kind, c.text);
    Status lite = check_fragment(Backend::kSqlite, c.kind, c.text);
    EXPECT_EQ(pg.ok(), c.postgres) << pg.message();
    EXPECT_EQ(lite.ok(), c.sqlite) << lite.message();
    if (!pg.ok()) {
      EXPECT_EQ(pg.code(), Code::kInvalidInput);
      EXPECT_FALSE(pg.hint().empty());
    }
  }
}

class SingleStatement : public ::testing::TestWithParam<Kind> {};

// Whatever a caller hands to execute(), a second statement never runs.
TEST_P(SingleStatement, ExecuteRefusesASecondStatement) {
  testing::TestDb db(GetParam());
  auto conn = db.connect();
  ASSERT_TRUE(conn->execute("CREATE TABLE keep (id int)").ok());
  Status st = conn->execute("CREATE TABLE a (id int); DROP TABLE keep");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(db.value("SELECT count(*) FROM keep"), "0") << "keep must still exist";
  // A trailing comment or semicolon is one statement.
  EXPECT_TRUE(conn->execute("CREATE TABLE b (id int); -- done").ok()) << "comment after";
  EXPECT_TRUE(conn->execute_script("CREATE TABLE c (id int); CREATE TABLE d (id int)").ok());
}

// Literals come from the driver and mean the same whatever standard_conforming_strings says.
TEST_P(SingleStatement, LiteralsRoundTrip) {
  testing::TestDb db(GetParam());
  auto conn = db.connect();
  for (const char* text : {"it's", "back\\slash", "a\\'; DROP TABLE x; --", "ünï"}) {
    auto lit = conn->literal(text);
    ASSERT_TRUE(lit.ok()) << lit.status().message();
    auto off = offline_dialect(conn->backend()).literal(text);
    ASSERT_TRUE(off.ok());
    EXPECT_EQ(*off, *lit) << "offline and driver escaping agree";
    EXPECT_EQ(db.value("SELECT " + *lit), text);
    if (db.pg()) {
      ASSERT_TRUE(conn->execute("SET standard_conforming_strings = off").ok());
      auto r = conn->query("SELECT " + *lit);
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(r->text(0, 0), text) << "standard_conforming_strings = off";
      ASSERT_TRUE(conn->execute("SET standard_conforming_strings = on").ok());
    }
  }
  if (db.pg()) {
    EXPECT_FALSE(conn->literal("\xff").ok()) << "invalid UTF-8 is refused";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SingleStatement,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

}  // namespace
}  // namespace tandem::db
