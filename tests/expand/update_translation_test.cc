// An `update` operation on a column the same migration changes (here alter_column's type):
// the data change is written as the new version, so the dual-write trigger carries it into the
// old version's column too. Both versions read the updated value, `verify` finds no mismatch,
// and an old-version write afterwards does not undo it at complete.

#include <gtest/gtest.h>

#include "tandem/backfill.h"
#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

TEST(UpdateThroughTranslation, ReachesBothVersionsAndSurvivesComplete) {
  TempDir dir;
  TestDb db(Kind::kPostgres);
  Options opts = testing::options_for(db, dir);
  opts.backfill.max_rows = 40;  // several batches
  dir.write("0001_items.sql",
            "-- tandem:up\nCREATE TABLE items (id int PRIMARY KEY, price int NOT NULL, note "
            "text);\nINSERT INTO items SELECT g, g * 10, 'n' FROM generate_series(1, 200) g;\n");
  ASSERT_TRUE(up(opts, {}).ok());
  dir.write("0002_reprice.yaml",
            "operations:\n"
            "  - alter_column: {table: items, column: price, type: bigint, up: price::bigint, "
            "down: price::int}\n"
            "  - update: {table: items, set: {price: price + 1}, where: \"id <= 150\"}\n");
  auto started = expand::start(opts, std::nullopt);
  ASSERT_TRUE(started.ok()) << started.status().message();
  auto read = [&](const std::string& schema, int id) {
    auto c = db.connect();
    EXPECT_TRUE(c->execute("SET search_path = " + schema).ok());
    auto r = c->query("SELECT price FROM items WHERE id = " + std::to_string(id));
    return r.ok() && !r->empty() ? r->text(0, 0) : r.status().message();
  };
  EXPECT_EQ(read("public_2", 7), "71") << "the new version sees the update";
  EXPECT_EQ(read("public_1", 7), "71") << "so does the old version";
  EXPECT_EQ(read("public_1", 170), "1700") << "rows outside `where` are untouched";
  auto checked = backfill::verify(opts.engine);
  ASSERT_TRUE(checked.ok()) << checked.status().message();
  EXPECT_EQ(checked->mismatches(), 0);
  // The old application rewrites a row it read (its price unchanged): the translation keeps
  // the updated value.
  {
    auto old_app = db.connect();
    ASSERT_TRUE(old_app->execute("SET search_path = public_1").ok());
    ASSERT_TRUE(old_app->execute("UPDATE items SET price = price, note = 'old' WHERE id = 7").ok());
  }
  ASSERT_TRUE(expand::complete(opts).ok());
  EXPECT_EQ(db.value("SELECT price FROM items WHERE id = 7"), "71");
  EXPECT_EQ(db.value("SELECT count(*) FROM items WHERE price <> id * 10 + (id <= 150)::int"), "0");
  EXPECT_EQ(db.value("SELECT data_type FROM information_schema.columns WHERE table_name = "
                     "'items' AND column_name = 'price'"),
            "bigint");
}

}  // namespace
}  // namespace tandem
