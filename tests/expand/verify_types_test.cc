// `verify` compares stored values with what the dual-write expressions give for column types
// without an equality operator (point, json, xml, the geometric types) the way the trigger
// does, and still finds a planted difference in them. The shipped examples verify clean.

#include <gtest/gtest.h>

#include "tandem/backfill.h"
#include "tandem/engine.h"
#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

// Every column type the shipped expand-contract examples use: verify after start finds nothing.
TEST(VerifyTypes, ShippedExamplesVerifyClean) {
  struct Example {
    const char* name;
    const char* first;
    const char* second;
    const char* seed;
  };
  for (const Example& e :
       {Example{"trips", "0001_create_trips.sql", "0002_pickup_location.yaml",
                "INSERT INTO trips (rider, pickup_lat, pickup_lng) SELECT 'r', g + 0.25, -g "
                "FROM generate_series(1, 300) g"},
        Example{"orders", "0001_create_orders.sql", "0002_orders_minor_units.yaml",
                "INSERT INTO orders (customer, total_amount) SELECT 'c', g FROM "
                "generate_series(1, 300) g"}}) {
    SCOPED_TRACE(e.name);
    TempDir dir;
    TestDb db(Kind::kPostgres);
    Options opts = testing::options_for(db, dir);
    std::string from = std::string(TANDEM_SOURCE_DIR) + "/examples/expand-contract/" + e.name;
    dir.write(e.first, testing::read_file(from + "/" + e.first));
    ASSERT_TRUE(up(opts, {}).ok());
    ASSERT_TRUE(db.connect()->execute_script(e.seed).ok());
    dir.write(e.second, testing::read_file(from + "/" + e.second));
    auto started = expand::start(opts, std::nullopt);
    ASSERT_TRUE(started.ok()) << started.status().message();
    auto cli = testing::run_tandem_on(db, dir, {"verify"});
    EXPECT_EQ(cli.code, 0) << cli.out << cli.err;
    auto report = backfill::verify(opts.engine);
    ASSERT_TRUE(report.ok()) << report.status().message();
    EXPECT_GE(report->checks.size(), 2u);
    EXPECT_EQ(report->mismatches(), 0);
    for (const auto& c : report->checks) EXPECT_EQ(c.rows, 300) << c.column;
  }
}

TEST(VerifyTypes, TypesWithoutEqualityCompareAsTextAndStillFindADifference) {
  TempDir dir;
  TestDb db(Kind::kPostgres);
  Options opts = testing::options_for(db, dir);
  // Each type's value, and the expression the new column is computed with.
  const std::vector<std::pair<std::string, std::string>> types = {
      {"point", "point(id, -id)"},
      {"json", "json_build_object('id', id, 'n', 'x')"},
      {"xml", "xmlelement(name item, id)"},
      {"box", "box(point(0, 0), point(id, id))"},
      {"circle", "circle(point(id, 0), 2)"},
      {"line", "line(point(0, 0), point(1, id))"},
      {"lseg", "lseg(point(0, 0), point(id, 1))"},
      {"path", "path(polygon(box(point(0, 0), point(id, 1))))"},
      {"polygon", "polygon(box(point(0, 0), point(id, 1)))"},
      {"numeric(10,2)", "id / 3.0"},
      {"integer[]", "ARRAY[id, id + 1]"},
      {"tsvector", "to_tsvector('simple', 'row ' || id)"},
  };
  std::string create = "-- tandem:up\nCREATE TABLE things (id int PRIMARY KEY";
  std::string ops = "operations:\n";
  for (size_t i = 0; i < types.size(); ++i) {
    create += ", c" + std::to_string(i) + " " + types[i].first;
    ops += "  - alter_column: {table: things, column: c" + std::to_string(i) + ", type: \"" +
           types[i].first + "\", up: \"" + types[i].second + "\", down: c" + std::to_string(i) +
           "}\n";
  }
  create += ");\nINSERT INTO things (id) SELECT g FROM generate_series(1, 120) g;\n";
  std::string fill = "UPDATE things SET ";
  for (size_t i = 0; i < types.size(); ++i)
    fill += std::string(i ? ", " : "") + "c" + std::to_string(i) + " = " + types[i].second;
  create += fill + ";\n";
  dir.write("0001_things.sql", create);
  ASSERT_TRUE(up(opts, {}).ok());
  dir.write("0002_recompute.yaml", ops);
  auto started = expand::start(opts, std::nullopt);
  ASSERT_TRUE(started.ok()) << started.status().message();
  auto clean = backfill::verify(opts.engine);
  ASSERT_TRUE(clean.ok()) << clean.status().message();
  EXPECT_EQ(clean->checks.size(), 2 * types.size());
  EXPECT_EQ(clean->mismatches(), 0);
  // A value planted behind the trigger's back in the point column's new copy is found.
  auto c = db.connect();
  ASSERT_TRUE(c->execute_script("SET session_replication_role = replica").ok());
  ASSERT_TRUE(
      c->execute_script("UPDATE things SET _tandem_new_c0 = point(0, 0) WHERE id = 42").ok());
  auto planted = backfill::verify(opts.engine);
  ASSERT_TRUE(planted.ok()) << planted.status().message();
  // Both directions of c0 see it: the new copy is not up(id), the old column not down(new).
  EXPECT_EQ(planted->mismatches(), 2);
  for (const auto& check : planted->checks) {
    if (check.mismatches == 0) continue;
    EXPECT_TRUE(check.column == "_tandem_new_c0" || check.column == "c0") << check.column;
    ASSERT_EQ(check.sample_keys.size(), 1u);
    EXPECT_EQ(check.sample_keys[0], "(42)");
  }
}

}  // namespace
}  // namespace tandem
