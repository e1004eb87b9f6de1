// Every operation through the whole two-version protocol on the real PostgreSQL: start → the
// old and the new version read and write at the same time, each write visible to the other →
// rollback → catalog identical to before start, rows written meanwhile kept → start again →
// complete → the new version works and the old schema is gone.

#include <gtest/gtest.h>

#include "tandem/expand.h"
#include "tandem/lint.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

// One statement through one version ("1" = old, "2" = new, "" = the table itself) and what it
// must return ("ERROR" = must fail).
struct Probe {
  const char* version;
  const char* sql;
  const char* expect;
};

struct OpCase {
  const char* name;
  const char* operations;    // YAML
  std::vector<Probe> live;   // after start
  std::vector<Probe> after;  // after complete
};

const char* kBase =
    "-- tandem:up\n"
    "CREATE TYPE mood AS ENUM ('ok');\n"
    "CREATE TABLE orgs (id int PRIMARY KEY);\n"
    "INSERT INTO orgs VALUES (1);\n"
    "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, bio text, age int "
    "CONSTRAINT users_age_lt CHECK (age < 200), org_id int);\n"
    "CREATE INDEX users_email_idx ON users (email);\n"
    "INSERT INTO users VALUES (1, 'a@x', NULL, 30, 1), (2, 'b@x', 'hi', NULL, NULL);\n"
    "-- tandem:down\nDROP TABLE users;\nDROP TABLE orgs;\nDROP TYPE mood;\n";

std::vector<OpCase> cases() {
  return {
      {"create_table",
       "  - create_table:\n      name: audit\n      columns:\n        - {name: id, type: bigint, "
       "pk: true}\n        - {name: note, type: text, nullable: true}\n",
       {{"2", "INSERT INTO audit (id, note) VALUES (1, 'n') RETURNING note", "n"},
        {"1", "SELECT count(*) FROM audit", "ERROR"}},
       {{"2", "SELECT note FROM audit", "n"}}},
      {"drop_table",
       "  - drop_table: {name: orgs}\n",
       {{"2", "SELECT count(*) FROM orgs", "ERROR"},
        {"1", "INSERT INTO orgs VALUES (5) RETURNING id", "5"}},
       {{"", "SELECT to_regclass('public.orgs') IS NULL", "t"}}},
      {"rename_table",
       "  - rename_table: {from: users, to: people}\n",
       {{"2", "INSERT INTO people (id, email) VALUES (20, 'n@x') RETURNING id", "20"},
        {"1", "SELECT email FROM users WHERE id = 20", "n@x"},
        {"1", "UPDATE users SET email = 'o@x' WHERE id = 20 RETURNING id", "20"},
        {"2", "SELECT email FROM people WHERE id = 20", "o@x"}},
       {{"", "SELECT count(*) FROM public.people", "3"},
        {"2", "SELECT email FROM people WHERE id = 20", "o@x"}}},
      {"add_column",
       "  - add_column:\n      table: users\n      up: upper(email)\n      column: {name: "
       "email_upper, type: text, unique: true}\n",
       {{"2", "SELECT email_upper FROM users WHERE id = 1", "A@X"},
        {"1", "INSERT INTO users (id, email) VALUES (21, 'o@x') RETURNING id", "21"},
        {"2", "SELECT email_upper FROM users WHERE id = 21", "O@X"},
        {"1", "UPDATE users SET email = 'p@x' WHERE id = 21 RETURNING id", "21"},
        {"2", "SELECT email_upper FROM users WHERE id = 21", "P@X"},
        {"2", "INSERT INTO users (id, email, email_upper) VALUES (22, 'q', 'A@X')", "ERROR"}},
       {{"", "SELECT attnotnull FROM pg_attribute WHERE attname = 'email_upper'", "t"},
        {"", "SELECT count(*) FROM pg_constraint WHERE conname = 'users_email_upper_key'", "1"}}},
      // A volatile default: no table rewrite — set for new rows, existing rows filled in
      // batches, each with its own value.
      {"add_column_volatile_default",
       "  - add_column:\n      table: users\n      column: {name: token, type: float8, default: "
       "\"random()\"}\n",
       {{"2", "SELECT count(*) FROM users WHERE token IS NULL", "0"},
        {"2", "SELECT count(DISTINCT token) FROM users", "2"},
        {"1", "INSERT INTO users (id, email) VALUES (41, 'x') RETURNING id", "41"},
        {"2", "SELECT token IS NOT NULL FROM users WHERE id = 41", "t"},
        {"2", "INSERT INTO users (id, email, token) VALUES (42, 'y', NULL)", "ERROR"}},
       {{"", "SELECT attnotnull FROM pg_attribute WHERE attname = 'token'", "t"},
        {"", "SELECT count(DISTINCT token) = count(*) FROM users", "t"}}},
      {"add_column_with_subquery",
       "  - add_column:\n      table: users\n      up: \"(SELECT count(*) FROM orgs WHERE orgs.id "
       "<= coalesce(org_id, 0)) + age\"\n      column: {name: score, type: bigint, nullable: "
       "true}\n",
       {{"2", "SELECT score FROM users WHERE id = 1", "31"},
        {"1", "INSERT INTO users (id, email, age, org_id) VALUES (40, 'x', 5, 1) RETURNING id",
         "40"},
        {"2", "SELECT score FROM users WHERE id = 40", "6"}},
       {{"", "SELECT count(*) FROM public.users WHERE score IS NOT NULL", "2"}}},
      {"drop_column",
       "  - drop_column: {table: users, column: age, down: \"7\"}\n",
       {{"2", "SELECT age FROM users", "ERROR"},
        {"2", "INSERT INTO users (id, email) VALUES (22, 'n') RETURNING id", "22"},
        {"1", "SELECT age FROM users WHERE id = 22", "7"},
        {"1", "UPDATE users SET age = 9 WHERE id = 1 RETURNING age", "9"}},
       {{"",
         "SELECT count(*) FROM pg_attribute WHERE attname = 'age' AND NOT attisdropped AND "
         "attrelid = 'public.users'::regclass",
         "0"}}},
      {"rename_column",
       "  - rename_column: {table: users, from: email, to: mail}\n",
       {{"2", "INSERT INTO users (id, mail) VALUES (23, 'm@x') RETURNING mail", "m@x"},
        {"1", "SELECT email FROM users WHERE id = 23", "m@x"},
        {"1", "UPDATE users SET email = 'e@x' WHERE id = 23 RETURNING id", "23"},
        {"2", "SELECT mail FROM users WHERE id = 23", "e@x"}},
       {{"", "SELECT mail FROM public.users WHERE id = 23", "e@x"}}},
      {"alter_column_rename_and_type",
       "  - alter_column:\n      table: users\n      column: age\n      name: age_years\n      "
       "type: bigint\n      up: age::bigint\n      down: age_years::integer\n",
       {{"1", "INSERT INTO users (id, email, age) VALUES (24, 'a', 41) RETURNING id", "24"},
        {"2", "SELECT age_years + 1 FROM users WHERE id = 24", "42"},
        {"2", "UPDATE users SET age_years = 50 WHERE id = 24 RETURNING id", "24"},
        {"1", "SELECT age FROM users WHERE id = 24", "50"},
        {"2", "INSERT INTO users (id, email, age_years) VALUES (25, 'b', 300)", "ERROR"}},
       {{"",
         "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attname = "
         "'age_years'",
         "bigint"},
        {"", "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'users_age_lt'",
         "CHECK ((age_years < 200))"}}},
      {"alter_column_not_null",
       "  - alter_column:\n      table: users\n      column: bio\n      nullable: false\n      "
       "up: coalesce(bio, 'none')\n      down: bio\n",
       {{"2", "SELECT bio FROM users WHERE id = 1", "none"},
        {"1", "INSERT INTO users (id, email) VALUES (25, 'x') RETURNING id", "25"},
        {"2", "SELECT bio FROM users WHERE id = 25", "none"},
        {"1", "SELECT bio IS NULL FROM users WHERE id = 25", "t"},
        {"2", "INSERT INTO users (id, email) VALUES (26, 'y')", "ERROR"}},
       {{"",
         "SELECT attnotnull FROM pg_attribute WHERE attname = 'bio' AND attrelid = "
         "'public.users'::regclass",
         "t"}}},
      {"alter_column_check",
       "  - alter_column:\n      table: users\n      column: age\n      check: {name: "
       "users_age_positive, constraint: age >= 0}\n      up: greatest(age, 0)\n      down: age\n",
       {{"1", "INSERT INTO users (id, email, age) VALUES (27, 'x', -5) RETURNING id", "27"},
        {"2", "SELECT age FROM users WHERE id = 27", "0"},
        {"2", "INSERT INTO users (id, email, age) VALUES (28, 'y', -1)", "ERROR"}},
       {{"", "SELECT convalidated FROM pg_constraint WHERE conname = 'users_age_positive'", "t"}}},
      {"alter_column_unique",
       "  - alter_column:\n      table: users\n      column: email\n      unique: {name: "
       "users_email_key}\n",
       {{"2", "INSERT INTO users (id, email) VALUES (29, 'a@x')", "ERROR"},
        {"2", "INSERT INTO users (id, email) VALUES (29, 'z@x') RETURNING id", "29"},
        {"1", "SELECT email FROM users WHERE id = 29", "z@x"}},
       {{"", "SELECT contype::text FROM pg_constraint WHERE conname = 'users_email_key'", "u"},
        {"", "SELECT indexdef FROM pg_indexes WHERE indexname = 'users_email_idx'",
         "CREATE INDEX users_email_idx ON public.users USING btree (email)"}}},
      {"alter_column_references",
       "  - alter_column:\n      table: users\n      column: org_id\n      references: {name: "
       "users_org_fk, table: orgs, column: id}\n",
       {{"2", "INSERT INTO users (id, email, org_id) VALUES (30, 'x', 999)", "ERROR"},
        {"2", "INSERT INTO users (id, email, org_id) VALUES (30, 'x', 1) RETURNING org_id", "1"},
        {"1", "SELECT org_id FROM users WHERE id = 30", "1"}},
       {{"", "SELECT contype::text FROM pg_constraint WHERE conname = 'users_org_fk'", "f"}}},
      {"alter_column_default",
       "  - alter_column: {table: users, column: age, default: \"7\"}\n",
       {{"2", "INSERT INTO users (id, email) VALUES (31, 'x') RETURNING age", "7"},
        {"1", "INSERT INTO users (id, email) VALUES (32, 'y') RETURNING age IS NULL", "t"}},
       {{"", "INSERT INTO users (id, email) VALUES (33, 'z') RETURNING age", "7"}}},
      {"alter_column_comment",
       "  - alter_column: {table: users, column: bio, comment: about me}\n",
       {{"2", "SELECT count(*) FROM users", "2"}},
       {{"", "SELECT col_description('public.users'::regclass, 3)", "about me"}}},
      {"create_index",
       "  - create_index: {name: users_age_idx, table: users, columns: [age], predicate: age > "
       "0}\n",
       {{"", "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_age_idx'::regclass", "t"}},
       {{"", "SELECT indexdef FROM pg_indexes WHERE indexname = 'users_age_idx'",
         "CREATE INDEX users_age_idx ON public.users USING btree (age) WHERE (age > 0)"}}},
      {"drop_index",
       "  - drop_index: {name: users_email_idx}\n",
       {{"", "SELECT to_regclass('users_email_idx') IS NOT NULL", "t"}},
       {{"", "SELECT to_regclass('users_email_idx') IS NULL", "t"}}},
      {"create_constraint_check",
       "  - create_constraint: {table: users, name: users_email_at, type: check, columns: "
       "[email], check: \"email LIKE '%@%'\"}\n",
       {{"2", "INSERT INTO users (id, email) VALUES (34, 'nope')", "ERROR"},
        {"1", "INSERT INTO users (id, email) VALUES (34, 'o@k') RETURNING id", "34"}},
       {{"", "SELECT convalidated FROM pg_constraint WHERE conname = 'users_email_at'", "t"}}},
      {"create_constraint_unique_with_up_down",
       "  - create_constraint:\n      table: users\n      name: users_bio_key\n      type: "
       "unique\n      columns: [bio]\n      up: {bio: \"bio || '#' || id\"}\n      down: {bio: "
       "bio}\n",
       {{"2", "SELECT bio FROM users WHERE id = 2", "hi#2"},
        {"1", "SELECT bio FROM users WHERE id = 2", "hi"},
        {"1", "UPDATE users SET bio = 'hi' WHERE id = 1 RETURNING id", "1"},
        {"2", "SELECT bio FROM users WHERE id = 1", "hi#1"},
        {"2", "INSERT INTO users (id, email, bio) VALUES (35, 'x', 'hi#1')", "ERROR"}},
       {{"", "SELECT contype::text FROM pg_constraint WHERE conname = 'users_bio_key'", "u"}}},
      {"create_constraint_foreign_key",
       "  - create_constraint: {table: users, name: users_org_ref, type: foreign_key, columns: "
       "[org_id], references: {table: orgs, columns: [id]}}\n",
       {{"1", "INSERT INTO users (id, email, org_id) VALUES (36, 'x', 77)", "ERROR"},
        {"2", "INSERT INTO users (id, email, org_id) VALUES (36, 'x', 1) RETURNING id", "36"}},
       {{"", "SELECT convalidated FROM pg_constraint WHERE conname = 'users_org_ref'", "t"}}},
      {"drop_constraint",
       "  - drop_constraint: {table: users, name: users_age_lt}\n",
       {{"2", "INSERT INTO users (id, email, age) VALUES (37, 'x', 500)", "ERROR"}},
       {{"", "INSERT INTO users (id, email, age) VALUES (37, 'x', 500) RETURNING age", "500"}}},
      {"rename_constraint",
       "  - rename_constraint: {table: users, from: users_age_lt, to: users_age_max}\n",
       {{"1", "SELECT count(*) FROM users", "2"}},
       {{"", "SELECT count(*) FROM pg_constraint WHERE conname = 'users_age_max'", "1"}}},
      {"alter_enum",
       "  - alter_enum: {name: mood, add_value: great}\n",
       {{"2", "SELECT 'great'::public.mood", "great"}},
       {{"", "SELECT enum_range(NULL::mood)::text", "{ok,great}"}}},
      {"sql",
       "  - sql: {up: \"CREATE TABLE extra (id int)\", down: \"DROP TABLE extra\"}\n",
       {{"", "SELECT to_regclass('public.extra') IS NOT NULL", "t"}},
       {{"", "SELECT to_regclass('public.extra') IS NOT NULL", "t"}}},
  };
}

class OperationLifecycle : public ::testing::TestWithParam<OpCase> {
 protected:
  OperationLifecycle() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {
    dir_.write("0001_base.sql", kBase);
  }
  std::string run(const Probe& p) {
    auto c = db_.connect();
    if (*p.version) {
      EXPECT_TRUE(c->execute_script(std::string("SET search_path = public_") + p.version).ok());
    }
    auto r = c->query(p.sql);
    if (!r.ok()) return "ERROR";
    return r->empty() || r->columns.empty() ? "" : r->text(0, 0);
  }
  void probe(const std::vector<Probe>& probes) {
    for (const Probe& p : probes)
      EXPECT_EQ(run(p), p.expect) << "version " << p.version << ": " << p.sql;
  }
  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

TEST_P(OperationLifecycle, StartBothVersionsRollbackStartComplete) {
  const OpCase& c = GetParam();
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_op.yaml", std::string("operations:\n") + c.operations);
  std::string before = db_.catalog();

  // Safe by construction: the linter finds nothing in what start and complete will run.
  std::vector<std::string> notes;
  auto planned = expand::with_planned_sql(opts_, {}, notes);
  ASSERT_TRUE(planned.ok()) << planned.status().message();
  EXPECT_TRUE(notes.empty()) << notes.front();
  EXPECT_FALSE(planned->empty());
  auto report = lint::lint(*planned, {});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->findings.empty()) << lint::render(*report, lint::Format::kText);

  auto s = expand::start(opts_, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  probe(c.live);
  std::string rows_live = db_.value("SELECT count(*) FROM public.users");

  auto rb = expand::rollback(opts_);
  ASSERT_TRUE(rb.ok()) << rb.status().message();
  EXPECT_EQ(db_.catalog(), before);
  // Rows written through either version during the migration stay, in the old representation.
  EXPECT_EQ(db_.value("SELECT count(*) FROM public.users"), rows_live);
  ASSERT_TRUE(db_.connect()
                  ->execute_script("DELETE FROM users WHERE id > 2; DELETE FROM orgs WHERE id > 1")
                  .ok());

  s = expand::start(opts_, std::nullopt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  probe(c.live);
  auto done = expand::complete(opts_);
  ASSERT_TRUE(done.ok()) << done.status().message();
  probe(c.after);
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_namespace WHERE nspname = 'public_1'"), "0");
  EXPECT_EQ(
      db_.value("SELECT count(*) FROM pg_attribute WHERE attname LIKE '\\_tandem\\_%' AND "
                "NOT attisdropped AND attrelid IN (SELECT oid FROM pg_class WHERE relkind = 'r')"),
      "0");
  EXPECT_EQ(db_.value("SELECT count(*) FROM pg_trigger WHERE tgname = '_tandem_dual_write'"), "0");
}

INSTANTIATE_TEST_SUITE_P(Operations, OperationLifecycle, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace tandem
