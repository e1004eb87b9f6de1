// The linter never crashes: thousands of malformed and unusual statements, generated from a
// seed corpus by truncation, deletion, duplication and noise (deterministic seed), must each
// come back as findings or as a parse error — under ASan/UBSan in CI.

#include <gtest/gtest.h>

#include <random>

#include "tandem/lint.h"

namespace tandem::lint {
namespace {

const char* kSeeds[] = {
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t USING gin (a jsonb_path_ops) WHERE b > 0",
    "ALTER TABLE ONLY t ADD CONSTRAINT f FOREIGN KEY (a, b) REFERENCES u (x, y) ON DELETE CASCADE "
    "NOT VALID",
    "ALTER TABLE t ALTER COLUMN a TYPE numeric(12,2) USING a::numeric, ALTER COLUMN b SET NOT NULL",
    "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY (START WITH 10), ADD COLUMN d "
    "uuid DEFAULT gen_random_uuid() NOT NULL",
    "ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i, VALIDATE CONSTRAINT c, DROP CONSTRAINT "
    "IF EXISTS x CASCADE",
    "CREATE TABLE t (id serial PRIMARY KEY, j json, ts timestamp(3), c char(4), CHECK (id > 0), "
    "FOREIGN KEY (id) REFERENCES u)",
    "BEGIN; SET LOCAL lock_timeout = '1s'; ALTER TABLE t RENAME COLUMN a TO b; COMMIT",
    "REINDEX (CONCURRENTLY, VERBOSE) TABLE t",
    "DROP INDEX CONCURRENTLY IF EXISTS a, b",
    "ALTER TABLE p ATTACH PARTITION p1 FOR VALUES IN (1, 2)",
    "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
    "UPDATE t SET (a, b) = (SELECT 1, 2) WHERE id IN (SELECT id FROM u) RETURNING *",
    "LOCK TABLE a, b IN ACCESS EXCLUSIVE MODE NOWAIT",
    "CREATE TRIGGER x AFTER INSERT ON t REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE "
    "FUNCTION f()",
    "ALTER TABLE t ALTER COLUMN a DROP NOT NULL, ALTER COLUMN a SET DEFAULT now(), SET UNLOGGED",
    "DO $$ BEGIN PERFORM 1; END $$",
    "VACUUM (FULL, ANALYZE) t",
    "ALTER TYPE e ADD VALUE 'x' BEFORE 'y'",
    "ALTER TABLE t RENAME TO u",
    "DROP TABLE IF EXISTS a, b CASCADE",
};

TEST(LintFuzz, NeverCrashes) {
  std::mt19937 rng(42);
  const std::string noise = "();,'\"$-*/ \n\t0aZ_.:[]{}=<>!|&%^~`\\";
  int parsed = 0, refused = 0;
  for (int i = 0; i < 6000; ++i) {
    std::string sql = kSeeds[rng() % std::size(kSeeds)];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !sql.empty(); ++e) {
      size_t at = rng() % sql.size();
      switch (rng() % 5) {
        case 0:
          sql.resize(at);
          break;  // truncate
        case 1:
          sql.erase(at, 1 + rng() % 8);
          break;  // delete
        case 2:
          sql.insert(at, 1, noise[rng() % noise.size()]);
          break;  // noise
        case 3:
          sql.insert(at, sql.substr(at, 1 + rng() % 12));
          break;  // duplicate
        case 4:
          sql += std::string(";") + kSeeds[rng() % std::size(kSeeds)];
          break;
      }
    }
    auto r = lint({{"fuzz.sql", sql, 1, (i % 2) == 0}});
    if (r.ok()) {
      ++parsed;
      (void)render(*r, Format::kSarif, true);
      (void)render(*r, Format::kText, true);
    } else {
      ++refused;
      EXPECT_EQ(r.status().code(), Code::kInvalidInput) << sql;
      EXPECT_NE(r.status().message().find("fuzz.sql:"), std::string::npos) << sql;
    }
  }
  // Both paths were exercised.
  EXPECT_GT(parsed, 500);
  EXPECT_GT(refused, 500);
}

}  // namespace
}  // namespace tandem::lint
