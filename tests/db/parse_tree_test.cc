// db::pg::parse and its Node: statements with their offsets, null-safe access to anything
// (missing keys, wrong types, out-of-range indexes), syntax errors with their position, deep
// nesting; and can_run_in_transaction_block for every form PostgreSQL 15 refuses in a
// transaction block, checked statically and against the real server.

#include "db/postgres/parse_tree.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace tandem::db::pg {
namespace {

Tree parsed(const std::string& sql) {
  auto t = parse(sql);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(*t) : Tree();
}

TEST(ParseTree, StatementsWithTheirOffsets) {
  std::string sql = "SELECT 1;\n  CREATE INDEX CONCURRENTLY i ON t (a);;UPDATE t SET a = 2";
  Tree tree = parsed(sql);
  const auto& st = tree.statements();
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].node.tag(), "SelectStmt");
  EXPECT_EQ(st[0].location, 0u);
  EXPECT_EQ(st[0].length, 8u);
  EXPECT_EQ(st[1].node.tag(), "IndexStmt");
  EXPECT_EQ(sql.substr(st[1].location, st[1].length), "\n  CREATE INDEX CONCURRENTLY i ON t (a)");
  EXPECT_TRUE(st[1].node.body()["concurrent"].boolean());
  EXPECT_EQ(st[1].node.body()["idxname"].str(), "i");
  EXPECT_EQ(st[1].node.body()["relation"]["relname"].str(), "t");
  EXPECT_EQ(st[2].node.tag(), "UpdateStmt");
  EXPECT_EQ(st[2].length, 0u) << "the last statement runs to the end of the text";
  EXPECT_EQ(sql.substr(st[2].location), "UPDATE t SET a = 2");
}

TEST(ParseTree, AccessIsNullSafe) {
  Tree tree = parsed("CREATE INDEX i ON t (a, b)");
  Node stmt = tree.statements().at(0).node;
  Node b = stmt.body();
  // Missing keys, at any depth, are the null Node with default values.
  EXPECT_FALSE(b["nope"].present());
  EXPECT_FALSE(b["nope"]["deeper"][3]["still"].present());
  EXPECT_FALSE(b.contains("concurrent")) << "libpg_query leaves false booleans out";
  EXPECT_FALSE(b["concurrent"].boolean());
  EXPECT_TRUE(b["concurrent"].boolean(true));
  EXPECT_EQ(b["nope"].str(), "");
  EXPECT_EQ(b["nope"].str("dflt"), "dflt");
  EXPECT_EQ(b["nope"].integer(7), 7);
  EXPECT_EQ(b["nope"].size(), 0u);
  EXPECT_EQ(b["nope"].tag(), "");
  EXPECT_FALSE(b["nope"].body().present());
  EXPECT_EQ(b["nope"].dump(), "null");
  // Wrong types give defaults too.
  EXPECT_EQ(b["idxname"].integer(-1), -1);
  EXPECT_FALSE(b["idxname"].boolean());
  EXPECT_FALSE(b["idxname"]["x"].present()) << "a string has no members";
  EXPECT_FALSE(b["idxname"][0].present()) << "a string has no elements";
  EXPECT_EQ(b["relation"].str("none"), "none");
  // Arrays: size, index, iteration; out of range is the null Node.
  Node params = b["indexParams"];
  ASSERT_TRUE(params.is_array());
  EXPECT_EQ(params.size(), 2u);
  EXPECT_EQ(params[1]["IndexElem"]["name"].str(), "b");
  EXPECT_FALSE(params[2].present());
  std::vector<std::string> names;
  for (Node p : params) names.emplace_back(p["IndexElem"]["name"].str());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  // Iterating anything but an array visits nothing.
  int visited = 0;
  for (Node n : b["relation"]) visited += n.present();
  for (Node n : b["nope"]) visited += n.present();
  EXPECT_EQ(visited, 0);
  // Objects: members in document order.
  std::vector<std::string> keys;
  for (auto [key, value] : b["relation"].members()) {
    keys.emplace_back(key);
    EXPECT_TRUE(value.present());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"relname", "inh", "relpersistence", "location"}));
  for (auto kv : b["nope"].members()) ADD_FAILURE() << kv.first;
  EXPECT_EQ(b["relation"]["location"].integer(), 18);
  EXPECT_TRUE(b["relation"].is_object());
  EXPECT_TRUE(b["relation"]["inh"].is_bool());
  EXPECT_TRUE(b["relation"]["location"].is_int());
  EXPECT_EQ(b["relation"].dump(),
            R"({"relname":"t","inh":true,"relpersistence":"p","location":18})");
  // A default Node is null everywhere.
  Node none;
  EXPECT_FALSE(none);
  EXPECT_FALSE(none.is_object());
  EXPECT_EQ(none.size(), 0u);
  EXPECT_FALSE(none["a"]["b"].present());
}

TEST(ParseTree, EmptyStatementsAndText) {
  EXPECT_TRUE(parsed("").statements().empty());
  EXPECT_TRUE(parsed("-- only a comment\n").statements().empty());
  Tree t = parsed(";;SELECT 1");
  int present = 0;
  for (const RawStatement& st : t.statements()) {
    if (!st.node.present()) continue;
    EXPECT_EQ(st.node.tag(), "SelectStmt");
    ++present;
  }
  EXPECT_EQ(present, 1);
}

// A Latin-1 file: libpg_query copies its bytes into the JSON, which simdjson would refuse.
TEST(ParseTree, InvalidUtf8ReadsAsReplacementCharacters) {
  std::string sql = "SELECT 1; ALTER TABLE caf\xE9 ADD CONSTRAINT c CHECK (a <> '\xFF\xC3')";
  Tree t = parsed(sql);
  ASSERT_EQ(t.statements().size(), 2u);
  Node b = t.statements()[1].node.body();
  EXPECT_EQ(b["relation"]["relname"].str(), "caf\xEF\xBF\xBD");
  Node check = b["cmds"][0]["AlterTableCmd"]["def"]["Constraint"]["raw_expr"]["A_Expr"];
  EXPECT_EQ(check["rexpr"]["A_Const"]["sval"]["sval"].str(), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(t.statements()[1].location, 9u) << "offsets are the SQL's own";
  EXPECT_EQ(check["rexpr"]["A_Const"]["location"].integer(), static_cast<int64_t>(sql.find('\'')));
}

TEST(ParseTree, Utf8Sequences) {
  size_t bad = 0;
  EXPECT_EQ(utf8_sequence("a", 0, bad), 1u);
  EXPECT_EQ(utf8_sequence("\xC3\xA9", 0, bad), 2u);
  EXPECT_EQ(utf8_sequence("\xF0\x9F\x98\x80", 0, bad), 4u);
  EXPECT_EQ(utf8_sequence("\xE9x", 0, bad), 0u);
  EXPECT_EQ(bad, 1u);
  EXPECT_EQ(utf8_sequence("\xE2\x82x", 0, bad), 0u);
  EXPECT_EQ(bad, 2u) << "the lead and the one continuation that fitted";
  EXPECT_EQ(utf8_sequence("\xED\xA0\x80", 0, bad), 0u) << "a surrogate";
  EXPECT_EQ(bad, 1u);
  EXPECT_EQ(utf8_sequence("\xE2\x82", 0, bad), 0u) << "cut short";
  EXPECT_EQ(bad, 2u);
}

TEST(ParseTree, SyntaxErrorCarriesItsPosition) {
  std::string sql = "SELECT 1;\nALTER TABLE t ADD COLUMN;";
  auto t = parse(sql);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Code::kInvalidInput);
  EXPECT_NE(t.status().message().find("syntax error"), std::string::npos) << t.status().message();
  EXPECT_EQ(t.status().position(), static_cast<int>(sql.find(';', 10)) + 1);
}

TEST(ParseTree, NestedAsDeepAsPostgresAllows) {
  // 3,000 nested calls nest the JSON ~9,000 levels: far past simdjson's default of 1,024.
  std::string sql = "SELECT ";
  for (int i = 0; i < 3000; ++i) sql += "f(";
  sql += "1" + std::string(3000, ')');
  Tree t = parsed(sql);
  ASSERT_EQ(t.statements().size(), 1u);
  Node n = t.statements()[0].node.body()["targetList"][0]["ResTarget"]["val"];
  int depth = 0;
  while (n.contains("FuncCall")) {
    n = n["FuncCall"]["args"][0];
    ++depth;
  }
  EXPECT_EQ(depth, 3000);
}

struct TxCase {
  const char* sql;
  bool can_run;
  bool live = true;  // checked on the server too (false: needs what a test server lacks)
};

// Every form PostgreSQL 15 refuses in a transaction block, and near misses it accepts.
// `$db` is the current database's name.
const TxCase kTxCases[] = {
    {"CREATE INDEX CONCURRENTLY j ON t (a)", false},
    {"CREATE INDEX j ON t (a)", true},
    {"DROP INDEX CONCURRENTLY i", false},
    {"DROP INDEX i", true},
    {"REINDEX TABLE CONCURRENTLY t", false},
    {"REINDEX (CONCURRENTLY) INDEX i", false},
    {"REINDEX (CONCURRENTLY true) INDEX i", false},
    {"REINDEX (CONCURRENTLY false) TABLE t", true},
    {"REINDEX (CONCURRENTLY off) TABLE t", true},
    {"REINDEX (CONCURRENTLY 0) TABLE t", true},
    {"REINDEX TABLE t", true},
    {"REINDEX INDEX i", true},
    {"REINDEX (VERBOSE) TABLE t", true},
    {"REINDEX SCHEMA s", false},
    {"REINDEX DATABASE $db", false},
    {"REINDEX SYSTEM $db", false},
    {"VACUUM", false},
    {"VACUUM t", false},
    {"VACUUM (ANALYZE) t", false},
    {"VACUUM FULL t", false},
    {"ANALYZE", true},
    {"ANALYZE t", true},
    {"ANALYZE (VERBOSE) t", true},
    {"CLUSTER", false},
    {"CLUSTER t USING t_pkey", true},
    {"ALTER SYSTEM SET work_mem = '4MB'", false},
    {"ALTER SYSTEM RESET work_mem", false},
    {"DISCARD ALL", false},
    {"DISCARD PLANS", true},
    {"DISCARD TEMP", true},
    {"CREATE DATABASE tandem_never_created", false},
    {"DROP DATABASE IF EXISTS tandem_never_created", false},
    {"ALTER DATABASE $db SET TABLESPACE pg_default", false},
    {"ALTER DATABASE $db SET work_mem = '1MB'", true},
    {"CREATE TABLESPACE ts LOCATION '/nonexistent'", false},
    {"DROP TABLESPACE IF EXISTS tandem_never_created", false},
    {"CREATE SUBSCRIPTION s2 CONNECTION 'dbname=none' PUBLICATION p", false},
    {"CREATE SUBSCRIPTION s2 CONNECTION 'dbname=none' PUBLICATION p WITH (create_slot)", false,
     false},
    {"CREATE SUBSCRIPTION s2 CONNECTION 'dbname=none' PUBLICATION p WITH (connect = false)", true},
    {"CREATE SUBSCRIPTION s2 CONNECTION 'dbname=none' PUBLICATION p WITH (create_slot = false, "
     "connect = false)",
     true},
    // Connects to the publisher first (none here), then creates no slot.
    {"CREATE SUBSCRIPTION s2 CONNECTION 'dbname=none' PUBLICATION p WITH (create_slot = false)",
     true, false},
    // A disabled subscription refuses these for that reason first; the rule is in the docs.
    {"ALTER SUBSCRIPTION sub REFRESH PUBLICATION", false, false},
    {"ALTER SUBSCRIPTION sub REFRESH PUBLICATION WITH (copy_data = false)", false, false},
    {"ALTER SUBSCRIPTION sub SET PUBLICATION p2", false, false},
    {"ALTER SUBSCRIPTION sub ADD PUBLICATION p3", false, false},
    {"ALTER SUBSCRIPTION sub DROP PUBLICATION p", false, false},
    {"ALTER SUBSCRIPTION sub SET PUBLICATION p2 WITH (refresh = false)", true},
    {"ALTER SUBSCRIPTION sub ADD PUBLICATION p3 WITH (refresh = false)", true},
    {"ALTER SUBSCRIPTION sub DISABLE", true},
    {"ALTER SUBSCRIPTION sub SET (synchronous_commit = off)", true},
    {"DROP SUBSCRIPTION sub", false},
    {"ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY", false},
    {"ALTER TABLE p DETACH PARTITION p1", true},
    {"ALTER TABLE t ADD COLUMN b int, ALTER COLUMN a SET NOT NULL", true},
    {"COMMIT PREPARED 'none'", false},
    {"ROLLBACK PREPARED 'none'", false},
    {"ALTER TYPE e ADD VALUE 'b'", true},
    {"REFRESH MATERIALIZED VIEW mv", true},
    {"SELECT 1", true},
};

TEST(CanRunInTransactionBlock, EveryForm) {
  for (const TxCase& c : kTxCases) {
    std::string sql = c.sql;
    // erase + insert of a char, not replace(at, 3, "d"): a false GCC 12 -Wrestrict at -O3.
    if (size_t at = sql.find("$db"); at != std::string::npos) {
      sql.erase(at, 3);
      sql.insert(sql.begin() + static_cast<std::ptrdiff_t>(at), 'd');
    }
    Tree t = parsed(sql);
    ASSERT_EQ(t.statements().size(), 1u) << sql;
    EXPECT_EQ(can_run_in_transaction_block(t.statements()[0].node), c.can_run) << sql;
  }
  EXPECT_TRUE(can_run_in_transaction_block(Node())) << "the null Node";
}

// The same cases on PostgreSQL 15 itself: each inside BEGIN … ROLLBACK, refused there exactly
// when the classifier says so.
TEST(CanRunInTransactionBlock, AgreesWithPostgres) {
  testing::TestDb db(testing::Kind::kPostgres);
  db.exec(
      "CREATE TABLE t (id int PRIMARY KEY, a int); CREATE INDEX i ON t (a);"
      "CREATE TABLE p (id int, k int) PARTITION BY RANGE (k);"
      "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);"
      "CREATE SCHEMA s; CREATE TYPE e AS ENUM ('a');"
      "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS x;"
      "CREATE SUBSCRIPTION sub CONNECTION 'dbname=none' PUBLICATION p WITH (connect = false)");
  // The database cannot be dropped while it has a subscription.
  struct DropSubscription {
    const testing::TestDb& db;
    ~DropSubscription() {
      try {
        db.exec("ALTER SUBSCRIPTION sub SET (slot_name = NONE); DROP SUBSCRIPTION sub");
      } catch (...) {
      }
    }
  } drop{db};
  std::string name = db.value("SELECT current_database()");
  auto conn = db.connect();
  int live = 0;
  for (const TxCase& c : kTxCases) {
    if (!c.live) continue;
    std::string sql = c.sql;
    if (size_t at = sql.find("$db"); at != std::string::npos) sql.replace(at, 3, name);
    ASSERT_TRUE(conn->execute("BEGIN").ok());
    Status ran = conn->execute(sql);
    ASSERT_TRUE(conn->execute("ROLLBACK").ok());
    bool refused = ran.message().find("cannot run inside a transaction block") != std::string::npos;
    EXPECT_TRUE(ran.ok() || refused) << sql << ": " << ran.message();
    Tree t = parsed(sql);
    EXPECT_EQ(can_run_in_transaction_block(t.statements().at(0).node), !refused)
        << sql << ": " << (ran.ok() ? "ran" : ran.message());
    ++live;
  }
  EXPECT_GE(live, 50);
}

}  // namespace
}  // namespace tandem::db::pg
