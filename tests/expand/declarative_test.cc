// Declarative (pgroll-format) migrations: parsing and direct mode on both backends.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

std::vector<Problem> parse_problems(const std::string& yaml) {
  std::vector<Problem> problems;
  expand::parse_operations("m/0001_x.yaml", yaml, problems);
  return problems;
}

TEST(DeclarativeParse, ReadsPgrollOperations) {
  std::vector<Problem> problems;
  auto ops = expand::parse_operations("m/0001_x.yaml",
                                      "operations:\n"
                                      "  - create_table:\n"
                                      "      name: users\n"
                                      "      columns:\n"
                                      "        - {name: id, type: bigint, pk: true}\n"
                                      "        - {name: email, type: text, unique: true}\n"
                                      "  - add_column:\n"
                                      "      table: users\n"
                                      "      column: {name: note, type: text, nullable: true}\n",
                                      problems);
  ASSERT_TRUE(problems.empty()) << problems[0].message;
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0]->kind(), "create_table");
  EXPECT_EQ(ops[0]->line(), 2);
  EXPECT_EQ(ops[1]->line(), 7);
  auto sql = ops[0]->up(db::offline_dialect(db::Backend::kPostgres));
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ(
      sql->statements[0],
      "CREATE TABLE \"users\" (\n  \"id\" bigint NOT NULL,\n  \"email\" text NOT NULL UNIQUE,\n"
      "  PRIMARY KEY (\"id\")\n)");
}

TEST(DeclarativeParse, JsonIsAcceptedToo) {
  std::vector<Problem> problems;
  auto ops = expand::parse_operations(
      "m/0001_x.json",
      R"({"operations": [{"drop_index": {"name": "old_idx"}}, {"rename_table": {"from": "a", "to": "b"}}]})",
      problems);
  ASSERT_TRUE(problems.empty()) << problems[0].message;
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[1]->up(db::offline_dialect(db::Backend::kSqlite))->statements[0],
            "ALTER TABLE \"a\" RENAME TO \"b\"");
}

TEST(DeclarativeParse, ProblemsNameTheLine) {
  auto p = parse_problems("operations:\n  - add_colum:\n      table: t\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].line, 2);
  EXPECT_NE(p[0].message.find("unknown operation `add_colum`"), std::string::npos);
  EXPECT_NE(p[0].hint.find("add_column"), std::string::npos);

  p = parse_problems(
      "operations:\n  - add_column:\n      table: t\n      column: {name: c, type: text, nulable: "
      "true}\n");
  ASSERT_EQ(p.size(), 2u);  // the typo, and NOT NULL without default or up
  EXPECT_EQ(p[0].line, 4);
  EXPECT_NE(p[0].message.find("has no field `nulable`"), std::string::npos);
  EXPECT_NE(p[1].message.find("needs `up`"), std::string::npos);

  p = parse_problems("operations:\n  - create_index:\n      name: i\n      table: t\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("needs the field `columns`"), std::string::npos);

  p = parse_problems(
      "operations:\n  - alter_column:\n      table: t\n      column: c\n      type: bigint\n      "
      "up: c +\n      down: c\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].line, 6);
  EXPECT_NE(p[0].message.find("invalid SQL expression `c +`"), std::string::npos) << p[0].message;

  p = parse_problems("operations: [\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].kind, "syntax_error");

  p = parse_problems("steps:\n  - sql: {up: SELECT 1}\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("`operations:`"), std::string::npos);
}

class DeclarativeTest : public ::testing::TestWithParam<Kind> {
 protected:
  DeclarativeTest() : db_(GetParam()), opts_(testing::options_for(db_, dir_)) {}
  bool has_column(const std::string& table, const std::string& column) {
    return db_.pg() ? db_.value(
                          "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                          "'public' AND table_name = '" +
                          table + "' AND column_name = '" + column + "'") == "1"
                    : db_.value("SELECT count(*) FROM pragma_table_info('" + table +
                                "') WHERE name = '" + column + "'") == "1";
  }
  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

TEST_P(DeclarativeTest, UpAndDownInDirectMode) {
  dir_.write("0001_users.yaml",
             "operations:\n"
             "  - create_table:\n"
             "      name: users\n"
             "      columns:\n"
             "        - {name: id, type: bigint, pk: true}\n"
             "        - {name: email, type: text}\n"
             "        - {name: bio, type: text, nullable: true}\n");
  dir_.write("0002_sql.sql",
             "-- tandem:up\nINSERT INTO users (id, email) VALUES (1, 'Ada@X'), (2, 'Grace@X');\n"
             "-- tandem:down\nDELETE FROM users;\n");
  dir_.write("0003_more.json",
             R"json({"operations": [
  {"add_column": {"table": "users", "column": {"name": "currency", "type": "text", "default": "'USD'"}}},
  {"add_column": {"table": "users", "column": {"name": "email_lower", "type": "text", "nullable": true}, "up": "lower(email)"}},
  {"create_index": {"name": "users_email_lower_idx", "table": "users", "columns": ["email_lower"], "unique": true}},
  {"alter_column": {"table": "users", "column": "bio", "name": "about"}}
]})json");
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->steps.size(), 3u);
  EXPECT_EQ(r->steps[2].transactional, !db_.pg());  // CREATE INDEX CONCURRENTLY on PostgreSQL
  EXPECT_EQ(db_.value("SELECT email_lower FROM users WHERE id = 2"), "grace@x");
  EXPECT_EQ(db_.value("SELECT currency FROM users WHERE id = 1"), "USD");
  EXPECT_TRUE(has_column("users", "about"));
  EXPECT_FALSE(has_column("users", "bio"));
  auto dup = db_.connect()->execute_script(
      "INSERT INTO users (id, email, email_lower) VALUES (3, 'x', 'ada@x')");
  EXPECT_FALSE(dup.ok());  // the unique index holds

  DownOptions all;
  all.to = "0";
  auto d = down(opts_, all);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->steps.size(), 3u);
  EXPECT_EQ(db_.value(db_.pg() ? "SELECT to_regclass('users') IS NULL"
                               : "SELECT count(*) = 0 FROM sqlite_master WHERE name = 'users'"),
            db_.pg() ? "t" : "1");
}

TEST_P(DeclarativeTest, IrreversibleOperationsRefuseDownOnly) {
  dir_.write("0001_t.yaml",
             "operations:\n  - create_table:\n      name: t\n      columns:\n        - {name: id, "
             "type: integer, pk: true}\n"
             "        - {name: old, type: text, nullable: true}\n");
  dir_.write("0002_drop.yaml",
             "operations:\n  - drop_column:\n      table: t\n      column: old\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  EXPECT_FALSE(has_column("t", "old"));
  std::string before = db_.snapshot();
  auto d = down(opts_, {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("0002_drop.yaml:2"), std::string::npos)
      << d.status().message();
  EXPECT_NE(d.status().message().find("cannot be reverted in direct mode"), std::string::npos);
  EXPECT_EQ(before, db_.snapshot());
}

TEST_P(DeclarativeTest, BadFileChangesNothing) {
  dir_.write(
      "0001_ok.yaml",
      "operations:\n  - sql:\n      up: CREATE TABLE a (id integer)\n      down: DROP TABLE a\n");
  dir_.write("0002_bad.yaml", "operations:\n  - create_table:\n      name: b\n      columns: []\n");
  (void)db_.connect();
  std::string before = db_.snapshot();
  auto r = up(opts_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("0002_bad.yaml:4"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(before, db_.snapshot());
}

TEST_P(DeclarativeTest, Constraints) {
  dir_.write("0001_tables.sql",
             "-- tandem:up\nCREATE TABLE customers (id integer PRIMARY KEY);\n"
             "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer, code text, total "
             "integer);\n"
             "INSERT INTO customers VALUES (1);\nINSERT INTO orders VALUES (1, 1, 'a', 5), (2, 1, "
             "'b', 7);\n"
             "-- tandem:down\nDROP TABLE orders;\nDROP TABLE customers;\n");
  dir_.write(
      "0002_unique.yaml",
      "operations:\n  - create_constraint:\n      table: orders\n      name: orders_code_key\n"
      "      type: unique\n      columns: [code]\n      up: {code: code}\n      down: {code: "
      "code}\n");
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto c = db_.connect();
  EXPECT_FALSE(c->execute_script("INSERT INTO orders VALUES (3, 1, 'a', 1)").ok());
  if (!db_.pg()) {
    // SQLite has no ADD CONSTRAINT: the table is rebuilt with the constraint, rows copied and
    // checked — a row that violates it fails the migration and changes nothing.
    const char* check =
        "operations:\n  - create_constraint:\n      table: orders\n      name: "
        "orders_total_positive\n      type: check\n      columns: [total]\n      check: total > "
        "{}\n"
        "  - create_constraint:\n      table: orders\n      name: orders_customer_fk\n"
        "      type: foreign_key\n      columns: [customer_id]\n"
        "      references: {{table: customers, columns: [id], on_delete: CASCADE}}\n";
    dir_.write("0003_check.yaml", fmt::format(fmt::runtime(check), 6));
    std::string before = db_.snapshot();
    auto refused = up(opts_, {});
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("CHECK constraint failed"), std::string::npos)
        << refused.status().message();
    EXPECT_EQ(before, db_.snapshot());
    dir_.write("0003_check.yaml", fmt::format(fmt::runtime(check), 0));
    ASSERT_TRUE(repair(opts_).ok());
    auto applied = up(opts_, {});
    ASSERT_TRUE(applied.ok()) << applied.status().message();
    EXPECT_FALSE(c->execute_script("INSERT INTO orders VALUES (4, 1, 'z', -1)").ok());
    EXPECT_EQ(db_.value("SELECT \"table\" || '.' || \"to\" || ' ' || on_delete FROM "
                        "pragma_foreign_key_list('orders')"),
              "customers.id CASCADE");
    EXPECT_EQ(db_.value("SELECT count(*) FROM orders"), "2");  // every row copied
    EXPECT_FALSE(
        c->execute_script("INSERT INTO orders VALUES (3, 1, 'a', 1)").ok());  // unique kept
    ASSERT_TRUE(down(opts_, {}).ok());  // rebuilt without both constraints
    EXPECT_TRUE(c->execute_script("INSERT INTO orders VALUES (4, 1, 'z', -1)").ok());
    EXPECT_EQ(db_.value("SELECT count(*) FROM pragma_foreign_key_list('orders')"), "0");
    return;
  }
  dir_.write(
      "0003_more.yaml",
      "operations:\n"
      "  - create_constraint:\n      table: orders\n      name: orders_total_positive\n"
      "      type: check\n      columns: [total]\n      check: total > 0\n"
      "  - create_constraint:\n      table: orders\n      name: orders_customer_fk\n"
      "      type: foreign_key\n      columns: [customer_id]\n"
      "      references: {table: customers, columns: [id], on_delete: CASCADE}\n"
      "  - rename_constraint: {table: orders, from: orders_code_key, to: orders_code_unique}\n");
  r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->steps[0].transactional);  // NOT VALID and VALIDATE in separate transactions
  EXPECT_EQ(db_.value("SELECT string_agg(conname || ':' || convalidated, ',' ORDER BY conname) "
                      "FROM pg_constraint "
                      "WHERE conrelid = 'orders'::regclass AND contype <> 'p'"),
            "orders_code_unique:true,orders_customer_fk:true,orders_total_positive:true");
  EXPECT_FALSE(c->execute_script("INSERT INTO orders VALUES (4, 1, 'z', -1)").ok());
  EXPECT_FALSE(c->execute_script("INSERT INTO orders VALUES (4, 9, 'z', 1)").ok());
  DownOptions two;
  two.steps = 2;
  auto d = down(opts_, two);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND "
                      "contype <> 'p'"),
            "0");
}

TEST_P(DeclarativeTest, AlterColumnNullabilityDefaultAndEnums) {
  dir_.write("0001_t.sql",
             "-- tandem:up\nCREATE TABLE t (id integer PRIMARY KEY, note text);\n"
             "INSERT INTO t VALUES (1, 'a'), (2, NULL);\n-- tandem:down\nDROP TABLE t;\n");
  dir_.write(
      "0002_not_null.yaml",
      "operations:\n  - alter_column:\n      table: t\n      column: note\n      nullable: false\n"
      "      up: \"coalesce(note, 'none')\"\n      down: note\n"
      "  - alter_column: {table: t, column: note, default: \"'n/a'\"}\n");
  if (!db_.pg()) {
    // SQLite: a table rebuild makes the column NOT NULL (NULLs filled with `up`) with a default.
    auto r = up(opts_, {});
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(db_.value("SELECT note FROM t WHERE id = 2"), "none");
    EXPECT_EQ(db_.value("SELECT note FROM t WHERE id = 1"), "a");
    EXPECT_EQ(db_.value("SELECT \"notnull\" || ' ' || dflt_value FROM pragma_table_info('t') "
                        "WHERE name = 'note'"),
              "1 'n/a'");
    auto c = db_.connect();
    ASSERT_TRUE(c->execute_script("INSERT INTO t (id) VALUES (3)").ok());
    EXPECT_EQ(db_.value("SELECT note FROM t WHERE id = 3"), "n/a");
    EXPECT_FALSE(c->execute_script("INSERT INTO t (id, note) VALUES (4, NULL)").ok());
    return;
  }
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(db_.value("SELECT note FROM t WHERE id = 2"), "none");
  EXPECT_EQ(db_.value("SELECT is_nullable FROM information_schema.columns WHERE table_name = 't' "
                      "AND column_name = 'note'"),
            "NO");
  EXPECT_EQ(
      db_.value(
          "SELECT count(*) FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'c'"),
      "0");
  auto c = db_.connect();
  ASSERT_TRUE(c->execute_script("INSERT INTO t (id) VALUES (3)").ok());
  EXPECT_EQ(db_.value("SELECT note FROM t WHERE id = 3"), "n/a");

  ASSERT_TRUE(c->execute_script("CREATE TYPE order_status AS ENUM ('paid', 'canceled')").ok());
  dir_.write("0003_enum.yaml",
             "operations:\n  - alter_enum: {name: order_status, add_value: shipped, after: paid}\n"
             "  - alter_enum:\n      name: order_status\n      rename_value: {from: canceled, to: "
             "cancelled}\n");
  r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(db_.value("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum "
                      "WHERE enumtypid = 'order_status'::regtype"),
            "paid,shipped,cancelled");
  auto d = down(opts_, {});
  ASSERT_FALSE(d.ok());  // an added enum value cannot be removed
  EXPECT_NE(d.status().message().find("cannot remove an enum value"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, DeclarativeTest,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// The `update` data migration: one UPDATE on SQLite; key-range batches with checkpoints on
// PostgreSQL, which continue where a killed run stopped when `up` runs again.
TEST_P(DeclarativeTest, UpdateInBatchesSurvivesAKill) {
  dir_.write("0001_t.sql",
             "-- tandem:up\nCREATE TABLE t (id integer PRIMARY KEY, a integer, b integer);\n"
             "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 1000) "
             "INSERT INTO t SELECT i, i, NULL FROM g;\n-- tandem:down\nDROP TABLE t;\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_fill_b.yaml",
             "operations:\n  - update:\n      table: t\n      set: {b: \"a * 2\"}\n      where: "
             "a % 2 = 0\n");
  std::vector<std::string> args = {"--db", db_.url(),     "--dir", dir_.path(),
                                   "-q",   "--batch-max", "50",    "up"};
  if (db_.pg()) {
    auto killed = testing::run_tandem(args, {{"TANDEM_TEST_CRASH_AT", "start:backfill-batch:4"}});
    ASSERT_EQ(killed.code, 137) << killed.err;
    EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE b IS NOT NULL"), "75");  // 3 batches of 50
  }
  auto again = testing::run_tandem(args);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE b IS NOT NULL"), "500");
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE b <> a * 2 OR (a % 2 = 1 AND b IS NOT NULL)"),
            "0");
  EXPECT_EQ(db_.value("SELECT status FROM tandem" + std::string(db_.pg() ? "." : "_") +
                      "migrations WHERE version = '2'"),
            "applied");
}

// A non-idempotent update (n = n + 1) killed at any batch — the last one included — and run
// again changes every row exactly once.
TEST_P(DeclarativeTest, NonIdempotentUpdateAppliesExactlyOnce) {
  dir_.write("0001_t.sql",
             "-- tandem:up\nCREATE TABLE t (id integer PRIMARY KEY, n integer NOT NULL);\n"
             "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 230) "
             "INSERT INTO t SELECT i, 0 FROM g;\n-- tandem:down\nDROP TABLE t;\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_bump.yaml", "operations:\n  - update: {table: t, set: {n: n + 1}}\n");
  if (!db_.pg()) {  // one UPDATE in the migration's transaction: all rows or none
    ASSERT_TRUE(up(opts_, {}).ok());
    EXPECT_EQ(db_.value("SELECT sum(n = 1) || '/' || count(*) FROM t"), "230/230");
    return;
  }
  std::vector<std::string> args = {"--db", db_.url(),     "--dir", dir_.path(),
                                   "-q",   "--batch-max", "50",    "up"};
  // Killed inside the third batch: two batches (100 rows) are committed.
  auto killed = testing::run_tandem(args, {{"TANDEM_TEST_CRASH_AT", "start:backfill-batch:3"}});
  ASSERT_EQ(killed.code, 137) << killed.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE n = 1"), "100");
  // Killed after the last batch committed, before the step was recorded as done.
  killed = testing::run_tandem(args, {{"TANDEM_TEST_CRASH_AT", "start:backfill-finished"}});
  ASSERT_EQ(killed.code, 137) << killed.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM t WHERE n = 1"), "230");
  auto again = testing::run_tandem(args);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(db_.value("SELECT count(*) FILTER (WHERE n = 1) || '/' || count(*) FROM t"), "230/230");
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

// `down` of a declarative migration that `up` applied as start + complete (recorded as not
// transactional) runs its direct-mode statements in one transaction: how it was applied says
// nothing about how its down runs. A failing statement then undoes the whole down.
TEST(DeclarativeDown, RunsInOneTransactionWhateverUpRecorded) {
  testing::TempDir dir;
  testing::TestDb db(testing::Kind::kPostgres);
  dir.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY);\n");
  dir.write("0002_ab.yaml",
            "operations:\n"
            "  - add_column: {table: t, column: {name: a, type: int, nullable: true}}\n"
            "  - add_column: {table: t, column: {name: b, type: int, nullable: true}}\n");
  std::vector<std::string> args = {"--db", db.url(), "--dir", dir.path()};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = args;
    a.insert(a.end(), extra.begin(), extra.end());
    return testing::run_tandem(a);
  };
  ASSERT_EQ(run({"-q", "up"}).code, 0);
  auto plan = run({"plan", "--down"});
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_EQ(plan.out.find("outside a transaction"), std::string::npos) << plan.out;
  // A view on `a` makes the second statement (DROP COLUMN a) fail: b's drop is undone with it.
  db.exec("CREATE VIEW keeps_a AS SELECT a FROM t");
  auto failed = run({"down"});
  EXPECT_NE(failed.code, 0);
  EXPECT_EQ(db.value("SELECT count(*) FROM information_schema.columns WHERE table_name = 't' "
                     "AND column_name IN ('a', 'b')"),
            "2")
      << "the whole down rolled back";
  db.exec("DROP VIEW keeps_a");
  auto down = run({"-q", "down"});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(db.value("SELECT count(*) FROM information_schema.columns WHERE table_name = 't'"),
            "1");
}

}  // namespace
}  // namespace tandem
