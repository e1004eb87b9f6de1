// tandem dump (tandem/schema.h) on a real PostgreSQL and SQLite: deterministic text, every
// object kind, tandem's own state left out, and the same objects as `pg_dump --schema-only`.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "engine/schema_dump.h"
#include "tandem/schema.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

// One object of every kind dump_schema reads, in an order where nothing is created before what
// it uses.
const char* const kAllKinds[] = {
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE SEQUENCE order_numbers START 1000 INCREMENT 5 CACHE 10",
    "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL "
    "UNIQUE, name text COLLATE \"C\" DEFAULT 'anon', feeling mood NOT NULL DEFAULT 'ok', "
    "email_lower text GENERATED ALWAYS AS (lower(email)) STORED, CONSTRAINT email_has_at CHECK "
    "(position('@' in email) > 0))",
    "COMMENT ON COLUMN users.email IS 'login'",
    "CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id) "
    "ON DELETE CASCADE, number integer NOT NULL DEFAULT nextval('order_numbers'), during "
    "tstzrange, total numeric(10,2))",
    "ALTER TABLE orders ADD CONSTRAINT no_overlap EXCLUDE USING gist (user_id WITH =, during "
    "WITH &&)",
    "CREATE INDEX orders_user_idx ON orders (user_id) WHERE total > 0",
    "CREATE UNIQUE INDEX orders_number_idx ON orders (number)",
    "CREATE VIEW big_orders AS SELECT o.id, u.email FROM orders o JOIN users u ON u.id = "
    "o.user_id WHERE o.total > 100",
    "CREATE MATERIALIZED VIEW order_counts AS SELECT user_id, count(*) FROM orders GROUP BY "
    "user_id",
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.total := "
    "coalesce(NEW.total, 0); RETURN NEW; END $$",
    "CREATE FUNCTION add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS "
    "'SELECT a + b'",
    "CREATE PROCEDURE noop() LANGUAGE sql AS 'SELECT 1'",
    "CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE "
    "FUNCTION touch()",
    "CREATE TABLE events (at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at)",
    "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO "
    "('2027-01-01')",
    "CREATE INDEX events_at_idx ON events (at)",
};

std::string dump_sql(const TestDb& db, const std::string& schema = "public") {
  EngineOptions o;
  o.db_url = db.url();
  o.schema = schema;
  auto d = dump_schema(o);
  if (!d.ok()) throw std::runtime_error(d.status().message());
  return d->sql();
}

SchemaDump dump_of(const TestDb& db) {
  EngineOptions o;
  o.db_url = db.url();
  auto d = dump_schema(o);
  if (!d.ok()) throw std::runtime_error(d.status().message());
  return *d;
}

std::set<std::string> names_of(const SchemaDump& d, const std::string& kind) {
  std::set<std::string> out;
  for (const SchemaObject& o : d.objects) {
    if (o.kind == kind) out.insert(o.name);
  }
  return out;
}

// The first group of every match of `pattern` in each line of `text`.
std::set<std::string> matches(const std::string& text, const std::string& pattern) {
  std::set<std::string> out;
  std::regex re(pattern);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    for (auto it = std::sregex_iterator(line.begin(), line.end(), re); it != std::sregex_iterator();
         ++it) {
      out.insert((*it)[1]);
    }
  }
  return out;
}

// pg_dump of the PostgreSQL 15 the tests run on: where scripts/pg-harness.sh finds its
// binaries (PG_BIN), else Debian's place for them.
std::string pg_dump_program() {
  const char* bin = std::getenv("PG_BIN");
  return std::string(bin && *bin ? bin : "/usr/lib/postgresql/15/bin") + "/pg_dump";
}

TEST(SchemaDumpPostgres, EveryKindIsThereAndTheTextIsStable) {
  TestDb db(Kind::kPostgres);
  for (const char* sql : kAllKinds) db.exec(sql);
  SchemaDump d = dump_of(db);
  EXPECT_EQ(d.backend, "postgres");
  EXPECT_EQ(d.schema, "public");
  EXPECT_EQ(names_of(d, "extension"), (std::set<std::string>{"btree_gist"}));
  EXPECT_EQ(names_of(d, "type"), (std::set<std::string>{"public.mood"}));
  EXPECT_EQ(names_of(d, "sequence"),
            (std::set<std::string>{"public.order_numbers", "public.orders_id_seq"}));
  EXPECT_EQ(names_of(d, "table"), (std::set<std::string>{"public.events", "public.events_2026",
                                                         "public.orders", "public.users"}));
  EXPECT_EQ(names_of(d, "view"),
            (std::set<std::string>{"public.big_orders", "public.order_counts"}));
  EXPECT_EQ(names_of(d, "function"), (std::set<std::string>{"public.add(a integer, b integer)",
                                                            "public.noop()", "public.touch()"}));
  EXPECT_EQ(names_of(d, "constraint"),
            (std::set<std::string>{"public.orders.no_overlap", "public.orders.orders_pkey",
                                   "public.orders.orders_user_id_fkey", "public.users.email_has_at",
                                   "public.users.users_email_key", "public.users.users_pkey"}));
  EXPECT_EQ(names_of(d, "index"),
            (std::set<std::string>{"public.events_2026_at_idx", "public.events_at_idx",
                                   "public.orders_number_idx", "public.orders_user_idx"}));
  EXPECT_EQ(names_of(d, "trigger"), (std::set<std::string>{"public.orders.orders_touch"}));

  std::string sql = d.sql();
  // Columns with everything that defines them.
  for (const char* line :
       {"    id bigint NOT NULL GENERATED ALWAYS AS IDENTITY",
        "    name text COLLATE pg_catalog.\"C\" DEFAULT 'anon'::text",
        "    feeling public.mood DEFAULT 'ok'::public.mood NOT NULL",
        "    email_lower text GENERATED ALWAYS AS (lower(email)) STORED",
        "COMMENT ON COLUMN public.users.email IS 'login';", "    INCREMENT BY 5",
        "ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id;", "PARTITION BY RANGE (at)",
        "CREATE INDEX orders_user_idx ON public.orders USING btree (user_id) WHERE (total > "
        "(0)::numeric);"}) {
    EXPECT_NE(sql.find(line), std::string::npos) << line << "\nnot in:\n" << sql;
  }
  // The identity column's sequence is part of the column; the extension's functions are the
  // extension's.
  EXPECT_EQ(sql.find("users_id_seq"), std::string::npos);
  EXPECT_EQ(sql.find("gbt_"), std::string::npos);
  // By kind, then name: the type before the tables, the trigger last.
  EXPECT_LT(sql.find("-- type public.mood"), sql.find("-- table public.events"));
  EXPECT_LT(sql.find("-- table public.events"), sql.find("-- table public.users"));
  EXPECT_LT(sql.find("-- index public.orders_user_idx"),
            sql.find("-- trigger public.orders.orders_touch"));
  EXPECT_EQ(dump_sql(db), sql);  // twice: the same bytes
}

TEST(SchemaDumpPostgres, CreationOrderAndSearchPathDoNotChangeTheText) {
  TestDb a(Kind::kPostgres), b(Kind::kPostgres);
  a.exec(
      "CREATE TABLE t1 (id int PRIMARY KEY); CREATE TABLE t2 (id int REFERENCES t1);"
      "CREATE INDEX t2_id ON t2 (id); CREATE FUNCTION f() RETURNS int LANGUAGE sql AS "
      "'SELECT 1'; CREATE VIEW v AS SELECT * FROM t2");
  b.exec(
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';"
      "CREATE TABLE t1 (id int PRIMARY KEY); CREATE TABLE t2 (id int);"
      "CREATE VIEW v AS SELECT * FROM t2; CREATE INDEX t2_id ON t2 (id);"
      "ALTER TABLE t2 ADD FOREIGN KEY (id) REFERENCES t1");
  b.exec("ALTER DATABASE " + b.value("SELECT current_database()") +
         " SET search_path = pg_catalog, public");
  EXPECT_EQ(dump_sql(a), dump_sql(b));
  b.exec("ALTER TABLE t2 ADD COLUMN extra text");
  EXPECT_NE(dump_sql(a), dump_sql(b));
}

TEST(SchemaDumpPostgres, LeavesOutTandemStateVersionSchemasAndOtherSchemas) {
  TestDb db(Kind::kPostgres);
  TempDir dir;
  dir.write("0001_users.sql",
            "-- tandem:up\nCREATE TABLE users (id int PRIMARY KEY);\n-- tandem:down\nDROP TABLE "
            "users;\n");
  ASSERT_TRUE(up(testing::options_for(db, dir), {}).ok());
  db.exec(
      "CREATE SCHEMA public_7; CREATE VIEW public_7.users AS SELECT * FROM public.users;"
      "CREATE SCHEMA other; CREATE TABLE other.t (id int)");
  SchemaDump d = dump_of(db);
  std::string sql = d.sql();
  EXPECT_EQ(names_of(d, "table"), (std::set<std::string>{"public.users"}));
  EXPECT_EQ(sql.find("tandem."), std::string::npos) << sql;
  EXPECT_EQ(sql.find("public_7"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("other."), std::string::npos) << sql;
  // --schema other dumps that one instead.
  EXPECT_NE(dump_sql(db, "other").find("CREATE TABLE other.t ("), std::string::npos);
}

TEST(SchemaDumpPostgres, ASchemaThatDoesNotExistIsBadInput) {
  TestDb db(Kind::kPostgres);
  EngineOptions o;
  o.db_url = db.url();
  o.schema = "nope";
  auto d = dump_schema(o);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kInvalidInput);
  EXPECT_NE(d.status().message().find("schema \"nope\" does not exist"), std::string::npos);
}

// A name with a newline must not end its `-- kind name` comment: the dump is loaded with psql
// (a trial planted `DROP TABLE important; --` in a table's name and the load ran it).
TEST(SchemaDumpPostgres, ANameCannotBreakOutOfItsComment) {
  TestDb db(Kind::kPostgres);
  db.exec(
      "CREATE TABLE important (id int); CREATE TABLE \"evil\nDROP TABLE important; --\" (id int);"
      "CREATE FUNCTION \"f\nx\"() RETURNS int LANGUAGE sql AS 'SELECT 1'");
  std::string sql = dump_sql(db);
  EXPECT_NE(sql.find("-- table public.\"evil\\x0aDROP TABLE important; --\"\nCREATE TABLE"),
            std::string::npos)
      << sql;
  // Loaded into another database as psql would (the simple query protocol), it drops nothing.
  TestDb other(Kind::kPostgres);
  other.exec("CREATE TABLE important (id int)");
  auto conn = other.connect();
  std::string without_important;
  for (size_t at = 0; at < sql.size();) {
    size_t next = sql.find("\n-- ", at + 1);
    std::string part = sql.substr(at, next == std::string::npos ? std::string::npos : next - at);
    if (part.find("CREATE TABLE public.important") == std::string::npos) without_important += part;
    at = next == std::string::npos ? sql.size() : next;
  }
  Status st = conn->execute_script(without_important);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(other.value("SELECT count(*) FROM pg_tables WHERE tablename = 'important'"), "1");
}

TEST(SchemaDumpPostgres, AnInvalidIndexIsMarked) {
  TestDb db(Kind::kPostgres);
  db.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1), (1)");
  // A unique index that cannot be built concurrently stays behind, invalid.
  auto conn = db.connect();
  EXPECT_FALSE(conn->execute("CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id)").ok());
  EXPECT_NE(dump_sql(db).find("-- INVALID"), std::string::npos);
}

// Every object pg_dump writes for the schema is in tandem's dump, and the other way round.
TEST(SchemaDumpPostgres, SameObjectsAsPgDump) {
  std::string pg_dump = pg_dump_program();
  ASSERT_TRUE(std::filesystem::exists(pg_dump)) << pg_dump << " is not installed";
  TestDb db(Kind::kPostgres);
  for (const char* sql : kAllKinds) db.exec(sql);
  auto r = testing::run_program(pg_dump, {"--schema-only", "--schema=public", db.url()});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string& theirs = r.out;
  SchemaDump d = dump_of(db);
  std::string ours = d.sql();

  // Relations and types by their qualified name.
  for (const auto& [kind, pattern] : std::vector<std::pair<std::string, std::string>>{
           {"table", R"(^CREATE (?:UNLOGGED )?TABLE (public\.\S+) \()"},
           {"view", R"(^CREATE (?:MATERIALIZED )?VIEW (public\.\S+) AS)"},
           {"type", R"(^CREATE TYPE (public\.\S+) AS ENUM)"},
           {"sequence", R"(^CREATE SEQUENCE (public\.\S+)$)"}}) {
    std::set<std::string> expected = matches(theirs, pattern);
    EXPECT_FALSE(expected.empty()) << kind;
    EXPECT_EQ(names_of(d, kind), expected) << kind;
  }
  // Functions by name (pg_dump writes the full signature, tandem its identity arguments).
  std::set<std::string> functions;
  for (const std::string& f : names_of(d, "function")) functions.insert(f.substr(0, f.find('(')));
  EXPECT_EQ(functions, matches(theirs, R"(^CREATE (?:FUNCTION|PROCEDURE) (public\.[^(]+)\()"));
  // Indexes, constraints (pg_dump writes CHECKs inside CREATE TABLE) and triggers by name.
  std::set<std::string> indexes;
  for (const std::string& i : names_of(d, "index")) indexes.insert(i.substr(i.find('.') + 1));
  EXPECT_EQ(indexes, matches(theirs, R"(^CREATE (?:UNIQUE )?INDEX (\S+) ON)"));
  std::set<std::string> constraints;
  for (const std::string& c : names_of(d, "constraint")) {
    constraints.insert(c.substr(c.rfind('.') + 1));
  }
  EXPECT_EQ(constraints, matches(theirs, R"(CONSTRAINT (\S+) )"));
  std::set<std::string> triggers;
  for (const std::string& t : names_of(d, "trigger")) triggers.insert(t.substr(t.rfind('.') + 1));
  EXPECT_EQ(triggers, matches(theirs, R"(^CREATE TRIGGER (\S+) )"));
  // The definitions PostgreSQL writes itself are the same text in both.
  for (const char* same :
       {"CREATE UNIQUE INDEX orders_number_idx ON public.orders USING btree (number);",
        "FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;",
        "CREATE TRIGGER orders_touch BEFORE INSERT OR UPDATE ON public.orders FOR EACH ROW "
        "EXECUTE FUNCTION public.touch();"}) {
    EXPECT_NE(theirs.find(same), std::string::npos) << same;
    EXPECT_NE(ours.find(same), std::string::npos) << same;
  }
}

TEST(SchemaDumpSqlite, EveryKindStableAndWithoutTandemTables) {
  TestDb a(Kind::kSqlite), b(Kind::kSqlite);
  TempDir dir;
  dir.write("0001_t.sql", "-- tandem:up\nCREATE TABLE t (id integer PRIMARY KEY);\n");
  ASSERT_TRUE(up(testing::options_for(a, dir), {}).ok());
  a.exec(
      "CREATE TABLE users (id integer PRIMARY KEY,  -- the key\n  email text NOT NULL UNIQUE);"
      "CREATE INDEX users_email ON users (email); CREATE VIEW v AS SELECT id FROM users;"
      "CREATE TRIGGER users_ai AFTER INSERT ON users BEGIN SELECT 1; END;");
  // The same objects, made in another order, written with other whitespace and no comments.
  b.exec(
      "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL UNIQUE);"
      "CREATE TRIGGER users_ai AFTER INSERT ON users BEGIN SELECT 1; END;"
      "CREATE VIEW v AS SELECT id FROM users; CREATE INDEX users_email ON users (email);"
      "CREATE TABLE t (id integer PRIMARY KEY)");
  SchemaDump d = dump_of(a);
  EXPECT_EQ(d.backend, "sqlite");
  EXPECT_EQ(names_of(d, "table"), (std::set<std::string>{"t", "users"}));
  EXPECT_EQ(names_of(d, "index"), (std::set<std::string>{"users_email"}));
  EXPECT_EQ(names_of(d, "view"), (std::set<std::string>{"v"}));
  EXPECT_EQ(names_of(d, "trigger"), (std::set<std::string>{"users_ai"}));
  std::string sql = d.sql();
  EXPECT_EQ(sql.find("tandem_"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("sqlite_"), std::string::npos) << sql;
  EXPECT_NE(sql.find("CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL UNIQUE);"),
            std::string::npos)
      << sql;
  EXPECT_EQ(sql, dump_of(b).sql());
  EXPECT_EQ(sql, dump_of(a).sql());
  b.exec("ALTER TABLE users ADD COLUMN nickname text");
  EXPECT_NE(sql, dump_of(b).sql());
}

TEST(SchemaDumpSqlite, AFileThatDoesNotExistIsNotCreated) {
  TempDir dir;
  EngineOptions o;
  o.db_url = "sqlite:" + dir.path() + "/absent.db";
  EXPECT_FALSE(dump_schema(o).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/absent.db"));
}

TEST(SchemaDumpSqlite, NormalizedTextKeepsQuotesAsWritten) {
  EXPECT_EQ(engine::normalize_sqlite_sql("CREATE  TABLE \"a  b\" (\n  x text DEFAULT 'two  "
                                         "spaces', -- note\n  y /* c */ int\n)  ;  "),
            "CREATE TABLE \"a  b\" ( x text DEFAULT 'two  spaces', y int );");
  EXPECT_EQ(engine::normalize_sqlite_sql("CREATE VIEW v AS SELECT 'it''s  -- x' AS [a  b]"),
            "CREATE VIEW v AS SELECT 'it''s  -- x' AS [a  b];");
}

TEST(SchemaDiff, NamesAddedMissingAndChangedLines) {
  SchemaDump expected, live;
  expected.objects = {{"table", "t", "CREATE TABLE t (\n    id int,\n    a text\n);"},
                      {"index", "gone", "CREATE INDEX gone ON t (a);"},
                      {"view", "same", "CREATE VIEW same AS SELECT 1;"}};
  live.objects = {{"table", "t", "CREATE TABLE t (\n    id int,\n    a text,\n    b int\n);"},
                  {"view", "same", "CREATE VIEW same AS SELECT 1;"},
                  {"function", "f()", "CREATE FUNCTION f() …;"}};
  auto diffs = diff_schemas(expected, live);
  ASSERT_EQ(diffs.size(), 3u);
  EXPECT_EQ(diffs[0].kind, "function");
  EXPECT_EQ(diffs[0].change, "added");
  EXPECT_EQ(diffs[1].kind, "table");
  EXPECT_EQ(diffs[1].change, "changed");
  EXPECT_EQ(diffs[1].only_live, (std::vector<std::string>{"    b int"}));
  EXPECT_TRUE(diffs[1].only_expected.empty());
  EXPECT_EQ(diffs[2].kind, "index");
  EXPECT_EQ(diffs[2].change, "missing");
  EXPECT_EQ(diffs[2].expected, "CREATE INDEX gone ON t (a);");
  EXPECT_TRUE(diff_schemas(live, live).empty());
}

}  // namespace
}  // namespace tandem
