// The embedded default: declarative migrations that need a table rebuild on SQLite, including
// the orders scenario of examples/expand-contract, applied with `tandem up`.

#include <gtest/gtest.h>

#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class SqliteRebuild : public ::testing::Test {
 protected:
  SqliteRebuild() : db_(Kind::kSqlite), opts_(testing::options_for(db_, dir_)) {}
  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

// The same orders file PostgreSQL runs with two live versions: rename + type change with `up`,
// a new NOT NULL column with a default and a check. Indexes, triggers and views survive.
TEST_F(SqliteRebuild, OrdersExampleRunsOnTheEmbeddedDefault) {
  dir_.write("0001_orders.sql",
             "-- tandem:up\n"
             "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer text NOT NULL, total_amount "
             "integer NOT NULL CHECK (total_amount >= 0), note text DEFAULT 'none');\n"
             "CREATE INDEX orders_total_amount_idx ON orders (total_amount);\n"
             "CREATE VIEW big_orders AS SELECT id FROM orders WHERE total_amount > 100;\n"
             "CREATE TABLE audit (order_id integer);\n"
             "CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN INSERT INTO audit VALUES "
             "(NEW.id); END;\n"
             "INSERT INTO orders (customer, total_amount) VALUES ('a', 150), ('b', 7);\n"
             "-- tandem:down\nDROP VIEW big_orders;\nDROP TABLE orders;\nDROP TABLE audit;\n");
  dir_.write("0002_orders_minor_units.yaml",
             testing::read_file(std::string(TANDEM_SOURCE_DIR) +
                                "/examples/expand-contract/orders/0002_orders_minor_units.yaml"));
  auto r = up(opts_, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(
      db_.value("SELECT group_concat(name || ':' || lower(type) || ':' || \"notnull\", ',') FROM "
                "pragma_table_info('orders')"),
      "id:integer:0,customer:text:1,total_amount_minor:bigint:1,note:text:0,currency:text:1");
  EXPECT_EQ(db_.value("SELECT group_concat(total_amount_minor || currency, ',') FROM orders"),
            "150USD,7USD");
  auto c = db_.connect();
  EXPECT_FALSE(
      c->execute_script("INSERT INTO orders (customer, total_amount_minor, currency) VALUES "
                        "('x', 1, 'EURO')")
          .ok());  // the new check
  EXPECT_FALSE(
      c->execute_script("INSERT INTO orders (customer, total_amount_minor) VALUES ('x', -1)")
          .ok());  // the old check, on the renamed column
  ASSERT_TRUE(
      c->execute_script("INSERT INTO orders (customer, total_amount_minor) VALUES ('c', 500)")
          .ok());
  EXPECT_EQ(db_.value("SELECT count(*) FROM audit"), "3");       // the trigger still fires
  EXPECT_EQ(db_.value("SELECT count(*) FROM big_orders"), "2");  // the view still works
  EXPECT_EQ(db_.value("SELECT sql FROM sqlite_master WHERE name = 'orders_total_amount_idx'"),
            "CREATE INDEX orders_total_amount_idx ON orders (\"total_amount_minor\")");
  EXPECT_EQ(db_.value("SELECT note FROM orders WHERE customer = 'c'"), "none");  // defaults kept
  EXPECT_EQ(db_.value("SELECT count(*) FROM sqlite_master WHERE name LIKE '_tandem%'"), "0");
}

// A rebuild that cannot copy the rows (a value the new check refuses) changes nothing.
TEST_F(SqliteRebuild, FailedRebuildChangesNothing) {
  dir_.write("0001_t.sql",
             "-- tandem:up\nCREATE TABLE t (id INTEGER PRIMARY KEY, n integer);\n"
             "INSERT INTO t VALUES (1, 5), (2, -3);\n-- tandem:down\nDROP TABLE t;\n");
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_check.yaml",
             "operations:\n  - alter_column:\n      table: t\n      column: n\n      check: {name: "
             "t_n_positive, constraint: n > 0}\n");
  std::string before = db_.value("SELECT group_concat(sql, ';') FROM sqlite_master");
  auto r = up(opts_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("CHECK constraint failed"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(db_.value("SELECT group_concat(sql, ';') FROM sqlite_master"), before);
  EXPECT_EQ(db_.value("SELECT group_concat(n, ',') FROM t"), "5,-3");
}

}  // namespace
}  // namespace tandem
