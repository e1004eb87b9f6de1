// Version schemas on the real PostgreSQL: views per table, reads and writes through them,
// shadow columns hidden, renamed columns, any search_path spelling.

#include "expand/version_schema.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem::expand {
namespace {

using testing::Kind;
using testing::TestDb;

TEST(VersionSchema, ViewsReadAndWriteTheTablesAsTheVersionSeesThem) {
  TestDb db(Kind::kPostgres);
  auto c = db.connect();
  ASSERT_TRUE(c->execute_script(
                   "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                   "email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), "
                   "_tandem_email_lower text);"
                   "CREATE TABLE orders (id int PRIMARY KEY, user_id bigint REFERENCES users (id))")
                  .ok());
  auto tables = read_table_views(*c, "public");
  ASSERT_TRUE(tables.ok()) << tables.status().message();
  ASSERT_EQ(tables->size(), 2u);
  EXPECT_EQ((*tables)[1].name, "users");
  ASSERT_EQ((*tables)[1].columns.size(), 3u);  // the shadow column is hidden
  // This version calls `email` `address`.
  (*tables)[1].columns[1].name = "address";
  ASSERT_TRUE(create_version_schema(*c, "public", "0002", *tables, nullptr).ok());
  // re-running converges
  ASSERT_TRUE(create_version_schema(*c, "public", "0002", *tables, nullptr).ok());

  // Writes through the view get the table's identity and defaults.
  for (const char* path : {"public_0002, public", "\"$user\", public_0002", "\"public_0002\""}) {
    SCOPED_TRACE(path);
    auto s = db.connect();
    ASSERT_TRUE(s->execute_script(std::string("SET search_path = ") + path).ok());
    ASSERT_TRUE(s->execute_script("INSERT INTO users (address) VALUES ('a@x')").ok());
    auto r =
        s->query("SELECT count(*) FROM users WHERE address = 'a@x' AND created_at IS NOT NULL");
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_NE(r->text(0, 0), "0");
  }
  auto s = db.connect();
  ASSERT_TRUE(s->execute_script("SET search_path = public_0002").ok());
  ASSERT_TRUE(s->execute_script("UPDATE users SET address = 'b@x' WHERE id = 1").ok());
  EXPECT_EQ(db.value("SELECT email FROM public.users WHERE id = 1"), "b@x");
  EXPECT_FALSE(s->query("SELECT _tandem_email_lower FROM users").ok());
  EXPECT_FALSE(s->query("SELECT email FROM users").ok());  // renamed in this version

  ASSERT_TRUE(c->execute("DROP SCHEMA public_0002 CASCADE").ok());
  EXPECT_EQ(db.value("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_0002'"), "0");
  EXPECT_EQ(db.value("SELECT count(*) FROM public.users"), "3");
}

}  // namespace
}  // namespace tandem::expand
