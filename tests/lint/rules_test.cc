// Every lint rule: statements it must flag and statements it must leave alone.

#include <gtest/gtest.h>

#include <algorithm>

#include "tandem/lint.h"

namespace tandem::lint {
namespace {

struct Case {
  const char* rule;
  const char* sql;
  bool fires;
  bool transaction = true;  // the file runs as one transaction (tandem's default)
};

std::vector<Finding> findings_of(const Case& c, bool runner_sets_timeout = true) {
  LintOptions o;
  o.runner_sets_lock_timeout = runner_sets_timeout;
  auto r = lint({{"m.sql", c.sql, 1, c.transaction}}, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->findings : std::vector<Finding>{};
}

bool fires(const Case& c) {
  auto f = findings_of(c, std::string(c.rule) != "missing-lock-timeout");
  return std::any_of(f.begin(), f.end(), [&](const Finding& x) { return x.rule == c.rule; });
}

class RuleTest : public ::testing::TestWithParam<Case> {};

TEST_P(RuleTest, FiresExactlyWhenItShould) {
  const Case& c = GetParam();
  EXPECT_EQ(fires(c), c.fires) << c.rule << (c.fires ? " should fire on: " : " must not fire on: ")
                               << c.sql;
}

const Case kCases[] = {
    // index-not-concurrent
    {"index-not-concurrent", "CREATE INDEX i ON t (a);", true},
    {"index-not-concurrent", "CREATE UNIQUE INDEX i ON t (a) WHERE a > 0;", true},
    {"index-not-concurrent", "DROP INDEX i;", true},
    {"index-not-concurrent", "REINDEX INDEX i;", true},
    {"index-not-concurrent", "REINDEX TABLE t;", true},
    {"index-not-concurrent", "CREATE INDEX CONCURRENTLY i ON t (a);", false},
    {"index-not-concurrent", "DROP INDEX CONCURRENTLY i;", false},
    {"index-not-concurrent", "REINDEX INDEX CONCURRENTLY i;", false},
    {"index-not-concurrent", "REINDEX (CONCURRENTLY false) INDEX i;", true},
    {"index-not-concurrent", "CREATE TABLE t (a int); CREATE INDEX i ON t (a);", false},
    {"index-not-concurrent", "CREATE TABLE t (a int); CREATE INDEX i ON t (a); DROP INDEX i;",
     false},
    // concurrently-in-transaction
    {"concurrently-in-transaction", "BEGIN; CREATE INDEX CONCURRENTLY i ON t (a); COMMIT;", true},
    {"concurrently-in-transaction", "BEGIN; DROP INDEX CONCURRENTLY i; COMMIT;", true},
    {"concurrently-in-transaction", "BEGIN; REINDEX (CONCURRENTLY false) INDEX i; COMMIT;", false},
    {"concurrently-in-transaction", "CREATE INDEX CONCURRENTLY i ON t (a);", false},
    {"concurrently-in-transaction",
     "SET lock_timeout = '1s'; CREATE INDEX CONCURRENTLY i ON t (a); CREATE INDEX CONCURRENTLY j "
     "ON t (b);",
     false},
    {"concurrently-in-transaction",
     "BEGIN; SELECT 1; COMMIT; CREATE INDEX CONCURRENTLY i ON t (a);", false},
    // constraint-not-valid
    {"constraint-not-valid", "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u_id) REFERENCES u (id);",
     true},
    {"constraint-not-valid", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);", true},
    {"constraint-not-valid", "ALTER TABLE t ADD FOREIGN KEY (u_id) REFERENCES u;", true},
    {"constraint-not-valid",
     "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u_id) REFERENCES u (id) NOT VALID;", false},
    {"constraint-not-valid", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;", false},
    {"constraint-not-valid",
     "CREATE TABLE t (a int); ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);", false},
    {"constraint-not-valid", "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);", false},
    // validate-same-transaction
    {"validate-same-transaction",
     "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT "
     "c;",
     true},
    {"validate-same-transaction",
     "BEGIN; ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES u NOT VALID; ALTER TABLE "
     "t VALIDATE CONSTRAINT f; COMMIT;",
     true},
    {"validate-same-transaction", "ALTER TABLE t VALIDATE CONSTRAINT c;", false},
    {"validate-same-transaction",
     "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT "
     "c;",
     false, /*transaction=*/false},
    {"validate-same-transaction",
     "BEGIN; ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID; COMMIT; BEGIN; ALTER TABLE "
     "t VALIDATE CONSTRAINT c; COMMIT;",
     false},
    // set-not-null
    {"set-not-null", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;", true},
    {"set-not-null",
     "ALTER TABLE t ADD CONSTRAINT c CHECK (b IS NOT NULL) NOT VALID; ALTER TABLE t VALIDATE "
     "CONSTRAINT c; ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
     true},
    {"set-not-null",
     "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID; ALTER TABLE t ALTER COLUMN a "
     "SET NOT NULL;",
     true},
    {"set-not-null",
     "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID; ALTER TABLE t VALIDATE "
     "CONSTRAINT c; ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
     false},
    {"set-not-null", "CREATE TABLE t (a int); ALTER TABLE t ALTER COLUMN a SET NOT NULL;", false},
    {"set-not-null", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;", false},
    // unique-without-index
    {"unique-without-index", "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);", true},
    {"unique-without-index", "ALTER TABLE t ADD PRIMARY KEY (id);", true},
    {"unique-without-index", "ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX u_idx;", false},
    {"unique-without-index", "ALTER TABLE t ADD CONSTRAINT p PRIMARY KEY USING INDEX p_idx;",
     false},
    {"unique-without-index", "CREATE TABLE t (a int); ALTER TABLE t ADD UNIQUE (a);", false},
    // type-change-rewrite
    {"type-change-rewrite", "CREATE TABLE t (a int); ALTER TABLE t ALTER COLUMN a TYPE bigint;",
     false},
    {"type-change-rewrite", "ALTER TABLE t ALTER COLUMN a TYPE bigint;", true},
    {"type-change-rewrite", "ALTER TABLE t ALTER COLUMN a TYPE text USING a::text;", true},
    {"type-change-rewrite", "ALTER TABLE t ALTER COLUMN a TYPE varchar(10);", true},
    {"type-change-rewrite", "ALTER TABLE t ALTER COLUMN a TYPE text;", true},
    {"type-change-rewrite", "ALTER TABLE t ALTER COLUMN a TYPE timestamptz;", true},
    // (a table from an earlier source: its column types are known)
    // binary-coercible changes are checked in LintTest.KnownTypesFromEarlierFiles
    // add-column-rewrite
    {"add-column-rewrite", "ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();", true},
    {"add-column-rewrite", "ALTER TABLE t ADD COLUMN r float8 DEFAULT random();", true},
    {"add-column-rewrite", "ALTER TABLE t ADD COLUMN n bigserial;", true},
    {"add-column-rewrite", "ALTER TABLE t ADD COLUMN n int GENERATED ALWAYS AS IDENTITY;", true},
    {"add-column-rewrite", "ALTER TABLE t ADD COLUMN d int GENERATED ALWAYS AS (a * 2) STORED;",
     true},
    {"add-column-rewrite", "ALTER TABLE t ADD COLUMN d int DEFAULT 0;", false},
    {"add-column-rewrite", "ALTER TABLE t ADD COLUMN d timestamptz DEFAULT now();", false},
    {"add-column-rewrite", "ALTER TABLE t ADD COLUMN d text;", false},
    {"add-column-rewrite",
     "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();", false},
    // add-column-not-null
    {"add-column-not-null", "ALTER TABLE t ADD COLUMN d int NOT NULL;", true},
    {"add-column-not-null", "ALTER TABLE t ADD COLUMN d int NOT NULL DEFAULT 0;", false},
    {"add-column-not-null", "ALTER TABLE t ADD COLUMN d int;", false},
    {"add-column-not-null", "ALTER TABLE t ADD COLUMN d bigserial NOT NULL;", false},
    {"add-column-not-null", "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN d int NOT NULL;",
     false},
    // missing-lock-timeout
    {"missing-lock-timeout", "ALTER TABLE t ADD COLUMN d int;", true},
    {"missing-lock-timeout",
     "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES u NOT VALID;", true},
    {"missing-lock-timeout",
     "CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();", true},
    {"missing-lock-timeout", "SET lock_timeout = '2s'; ALTER TABLE t ADD COLUMN d int;", false},
    {"missing-lock-timeout", "SET LOCAL lock_timeout TO 5000; ALTER TABLE t ADD COLUMN d int;",
     false},
    {"missing-lock-timeout", "SET lock_timeout = 0; ALTER TABLE t ADD COLUMN d int;", true},
    {"missing-lock-timeout", "CREATE INDEX CONCURRENTLY i ON t (a);", false},
    {"missing-lock-timeout", "UPDATE t SET a = 1 WHERE id = 2;", false},
    {"missing-lock-timeout", "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN d int;", false},
    // statements-after-lock
    {"statements-after-lock", "ALTER TABLE t ADD COLUMN d int; CREATE INDEX i ON u (a);", true},
    {"statements-after-lock", "ALTER TABLE t RENAME COLUMN a TO b; UPDATE u SET x = 1;", true},
    {"statements-after-lock", "ALTER TABLE t ADD COLUMN d int;", false},
    {"statements-after-lock", "ALTER TABLE t ADD COLUMN d int; CREATE INDEX i ON u (a);", false,
     /*transaction=*/false},
    {"statements-after-lock", "CREATE INDEX i ON u (a); ALTER TABLE t ADD COLUMN d int;", false},
    // Same table, catalog only: waits on nothing new. A rewrite of it, or a scan, still fires.
    {"statements-after-lock", "ALTER TABLE t DROP COLUMN a; ALTER TABLE t RENAME COLUMN b TO a;",
     false},
    {"statements-after-lock", "ALTER TABLE t DROP COLUMN a; ALTER TABLE t ALTER b TYPE bigint;",
     true},
    {"statements-after-lock",
     "CREATE INDEX i2 ON t (b); ALTER TABLE t DROP COLUMN a; ALTER INDEX i2 RENAME TO i;", false},
    {"statements-after-lock", "ALTER TABLE t DROP COLUMN a; ALTER INDEX i2 RENAME TO i;", true},
    {"statements-after-lock", "ALTER TABLE t DROP COLUMN a; ALTER TABLE t ALTER b SET NOT NULL;",
     true},
    // DROP TRIGGER takes ACCESS EXCLUSIVE on its table (tandem's complete drops its dual-write
    // trigger on "public"."t", then changes "t": the same table).
    {"statements-after-lock", "DROP TRIGGER trg ON t; ALTER TABLE u DROP COLUMN a;", true},
    {"statements-after-lock", "DROP TRIGGER trg ON public.t; ALTER TABLE t DROP COLUMN a;", false},
    {"statements-after-lock", "DROP TRIGGER trg ON app.t; ALTER TABLE app.u DROP COLUMN a;", true},
    // data-change-in-ddl
    {"data-change-in-ddl", "ALTER TABLE t ADD COLUMN d int; UPDATE t SET d = 1;", true},
    {"data-change-in-ddl", "CREATE INDEX i ON u (a); DELETE FROM t WHERE a IS NULL;", true},
    {"data-change-in-ddl", "UPDATE t SET d = 1; ALTER TABLE t ADD COLUMN e int;", false},
    {"data-change-in-ddl", "ALTER TABLE t ADD COLUMN d int; UPDATE t SET d = 1;", false,
     /*transaction=*/false},
    {"data-change-in-ddl", "CREATE TABLE n (a int); INSERT INTO n VALUES (1); UPDATE n SET a = 2;",
     false},
    // breaking-change
    {"breaking-change", "ALTER TABLE t DROP COLUMN a;", true},
    {"breaking-change", "ALTER TABLE t RENAME COLUMN a TO b;", true},
    {"breaking-change", "ALTER TABLE t RENAME TO u;", true},
    {"breaking-change", "DROP TABLE t;", true},
    {"breaking-change", "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;", true},
    {"breaking-change", "ALTER TABLE t ADD COLUMN a int;", false},
    {"breaking-change", "CREATE TABLE t (a int); ALTER TABLE t DROP COLUMN a; DROP TABLE t;",
     false},
    {"breaking-change", "-- tandem:ignore breaking-change\nALTER TABLE t DROP COLUMN a;", false},
    {"breaking-change", "-- tandem:ignore all\nDROP TABLE t;", false},
    // type hygiene
    {"prefer-bigint-pk", "CREATE TABLE t (id serial PRIMARY KEY);", true},
    {"prefer-bigint-pk", "CREATE TABLE t (id integer PRIMARY KEY);", true},
    {"prefer-bigint-pk", "CREATE TABLE t (id int, b int, PRIMARY KEY (id));", true},
    {"prefer-bigint-pk", "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
     false},
    {"prefer-bigint-pk", "CREATE TABLE t (id bigserial PRIMARY KEY, n int);", false},
    {"prefer-bigint-pk", "CREATE TABLE t (id uuid PRIMARY KEY);", false},
    {"prefer-jsonb", "CREATE TABLE t (d json);", true},
    {"prefer-jsonb", "ALTER TABLE t ADD COLUMN d json;", true},
    {"prefer-jsonb", "CREATE TABLE t (d jsonb);", false},
    {"prefer-timestamptz", "CREATE TABLE t (at timestamp);", true},
    {"prefer-timestamptz", "ALTER TABLE t ADD COLUMN at timestamp(3) without time zone;", true},
    {"prefer-timestamptz", "CREATE TABLE t (at timestamptz, b timestamp with time zone);", false},
    {"prefer-text", "CREATE TABLE t (c char(2));", true},
    {"prefer-text", "CREATE TABLE t (c character(10));", true},
    {"prefer-text", "CREATE TABLE t (c varchar(10), d text);", false},
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string n = std::string(info.param.rule) + (info.param.fires ? "_fires_" : "_quiet_") +
                  std::to_string(info.index);
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

INSTANTIATE_TEST_SUITE_P(Rules, RuleTest, ::testing::ValuesIn(kCases), case_name);

// Every rule has cases that fire and cases that must not.
TEST(LintRules, EveryRuleIsCoveredBothWays) {
  for (const RuleInfo& r : rules()) {
    bool on = false, off = false;
    for (const Case& c : kCases) {
      if (r.id != c.rule) continue;
      on |= c.fires;
      off |= !c.fires;
    }
    EXPECT_TRUE(on && off) << r.id;
    EXPECT_FALSE(r.reason.empty()) << r.id;
  }
}

}  // namespace
}  // namespace tandem::lint
