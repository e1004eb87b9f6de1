// `tandem plan --runbook`: the phases of pending SQL and declarative migrations with their
// locks, estimates from the tables' real sizes and the measured backfill rate, gates,
// rollbacks and irreversible steps — as Markdown and as JSON, on PostgreSQL and SQLite.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "commands/runbook_parts.h"
#include "tandem/expand.h"
#include "tandem/runbook.h"
#include "test_util.h"

namespace tandem {
namespace {

using nlohmann::json;
using testing::Kind;
using testing::TempDir;
using testing::TestDb;

constexpr const char* kUsers =
    "-- tandem:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
    "-- tandem:down\nDROP TABLE users;\n";
constexpr const char* kUsersName =
    "-- tandem:up\nALTER TABLE users ADD COLUMN name text;\n"
    "CREATE INDEX users_email_idx ON users (email);\n"
    "-- tandem:down\nDROP INDEX users_email_idx;\nALTER TABLE users DROP COLUMN name;\n";
constexpr const char* kAudit =
    "-- tandem:up\nCREATE TABLE audit (id bigint PRIMARY KEY, what text);\n"
    "-- tandem:down\nDROP TABLE audit;\n";
constexpr const char* kNoDown = "-- tandem:up\nCREATE INDEX users_id_email ON users (id, email);\n";

json runbook_json(const TestDb& db, const TempDir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"plan", "--runbook", "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = testing::run_tandem_on(db, dir, args);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  return json::parse(r.out);
}

const json* lock_on(const json& phase, const std::string& mode, const std::string& relation) {
  for (const json& l : phase["locks"])
    if (l["mode"] == mode && l["relation"] == relation) return &l;
  return nullptr;
}

class RunbookSql : public ::testing::TestWithParam<Kind> {};

// SQL migrations: one `up` phase each, every statement's lock on its table, the rows a
// statement reads under its lock counted, `down` named as the rollback and marked when it
// drops data.
TEST_P(RunbookSql, LocksEstimatesAndDataDroppingDowns) {
  TempDir dir;
  TestDb db(GetParam());
  dir.write("0001_users.sql", kUsers);
  Options opts = testing::options_for(db, dir);
  ASSERT_TRUE(up(opts, {}).ok());
  db.exec(db.pg() ? "INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 3000) g"
                  : "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < "
                    "3000) INSERT INTO users SELECT n, 'u' || n FROM g");
  dir.write("0002_users_name.sql", kUsersName);
  dir.write("0003_audit.sql", kAudit);
  dir.write("0004_no_down.sql", kNoDown);
  std::string before = db.snapshot();

  json book = runbook_json(db, dir);
  EXPECT_EQ(db.snapshot(), before) << "the runbook changes nothing";
  EXPECT_EQ(book["backend"], db.pg() ? "postgres" : "sqlite");
  ASSERT_EQ(book["migrations"].size(), 3u) << book.dump(2);
  const json& name = book["migrations"][0];
  EXPECT_EQ(name["version"], "2");
  EXPECT_EQ(name["kind"], "sql");
  ASSERT_EQ(name["phases"].size(), 1u);
  const json& phase = name["phases"][0];
  EXPECT_EQ(phase["name"], "up");
  EXPECT_EQ(phase["command"], "tandem up --to 2");
  if (db.pg()) {
    const json* add = lock_on(phase, "ACCESS EXCLUSIVE", "users");
    ASSERT_NE(add, nullptr) << phase.dump(2);
    EXPECT_TRUE((*add)["blocks_reads"].get<bool>());
    EXPECT_NE((*add)["statement"].get<std::string>().find("ADD COLUMN name"), std::string::npos);
    const json* index = lock_on(phase, "SHARE", "users");
    ASSERT_NE(index, nullptr) << phase.dump(2);
    EXPECT_TRUE((*index)["scans"].get<bool>());
    EXPECT_FALSE((*index)["blocks_reads"].get<bool>());
    EXPECT_TRUE((*index)["blocks_writes"].get<bool>());
  } else {
    ASSERT_EQ(phase["locks"].size(), 2u) << phase.dump(2);
    for (const json& l : phase["locks"]) EXPECT_EQ(l["mode"], "database write lock");
  }
  // CREATE INDEX reads every row of users under its lock: 3000 rows (counted: never analyzed).
  EXPECT_EQ(phase["rows"], 3000) << phase.dump(2);
  EXPECT_GT(phase["estimate_ms"].get<long long>(), 0);
  EXPECT_NE(phase["estimate_basis"].get<std::string>().find("estimated from default rate"),
            std::string::npos);
  EXPECT_EQ(phase["rollback"], "tandem down --to 1");
  EXPECT_TRUE(phase["rollback_drops_data"].get<bool>());
  EXPECT_NE(phase["rollback_note"].get<std::string>().find("drops column users.name"),
            std::string::npos)
      << phase["rollback_note"];
  EXPECT_FALSE(phase["irreversible"].get<bool>());

  const json& audit = book["migrations"][1]["phases"][0];
  EXPECT_EQ(audit["rollback"], "tandem down --to 2");
  EXPECT_TRUE(audit["rollback_drops_data"].get<bool>());
  EXPECT_NE(audit["rollback_note"].get<std::string>().find("drops table audit"), std::string::npos);
  // A table created by the migration itself has no rows to estimate.
  EXPECT_EQ(audit["rows"], 0);
  EXPECT_EQ(audit["estimate_ms"], 0);

  const json& no_down = book["migrations"][2]["phases"][0];
  EXPECT_EQ(no_down["rollback"], "");
  EXPECT_NE(no_down["rollback_note"].get<std::string>().find("no down section"), std::string::npos);

  // Markdown: a checklist with the same facts.
  auto md = testing::run_tandem_on(db, dir, {"plan", "--runbook"});
  ASSERT_EQ(md.code, 0) << md.err;
  EXPECT_NE(md.out.find("# Runbook: 3 pending migration(s)"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("### 1. up — `tandem up --to 2`"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("- [ ] **Run** `tandem up --to 2`"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("- [ ] **Gate** before the next phase"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("- Rollback: `tandem down --to 2` **⚠ IRREVERSIBLE: drops data**"),
            std::string::npos)
      << md.out;
  EXPECT_NE(md.out.find(db.pg() ? "SHARE on `users`" : "database write lock for `users`"),
            std::string::npos)
      << md.out;
  // --to limits the runbook as it limits `up`.
  EXPECT_EQ(runbook_json(db, dir, {"--to", "2"})["migrations"].size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, RunbookSql, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         testing::kind_name);

// What counts as dropping data: tables, columns, schemas with CASCADE, TRUNCATE and DELETE —
// not constraints, defaults, indexes or NOT NULL; comments and case do not matter.
TEST(RunbookDropsData, StatementsThatLoseRows) {
  using runbook_parts::drops_data;
  EXPECT_EQ(drops_data("DROP TABLE users"), "drops table users");
  EXPECT_EQ(drops_data("-- gone\ndrop table if exists \"Users\";"), "drops table users");
  EXPECT_EQ(drops_data("ALTER TABLE users DROP COLUMN email"), "drops column users.email");
  EXPECT_EQ(drops_data("alter table only users drop email, add x int"), "drops column users.email");
  EXPECT_EQ(drops_data("ALTER TABLE users DROP CONSTRAINT users_email_key"), "");
  EXPECT_EQ(drops_data("ALTER TABLE users ALTER COLUMN email DROP DEFAULT"), "");
  EXPECT_EQ(drops_data("ALTER TABLE users ALTER COLUMN email DROP NOT NULL"), "");
  EXPECT_EQ(drops_data("DROP INDEX users_email_idx"), "");
  EXPECT_EQ(drops_data("DROP SCHEMA app"), "");
  EXPECT_EQ(drops_data("DROP SCHEMA app CASCADE"), "drops schema app with everything in it");
  EXPECT_EQ(drops_data("TRUNCATE TABLE audit"), "empties table audit");
  EXPECT_EQ(drops_data("TRUNCATE audit"), "empties table audit");
  EXPECT_EQ(drops_data("DELETE FROM audit WHERE id < 10"), "deletes rows of audit");
  EXPECT_EQ(drops_data("/* DROP TABLE x */ CREATE TABLE x (id int)"), "");
}

// An up that drops a table is itself irreversible; --format without --runbook and --runbook
// with --down are usage errors.
TEST(RunbookCli, DroppingUpAndUsageErrors) {
  TempDir dir;
  TestDb db(Kind::kSqlite);
  dir.write("0001_users.sql", kUsers);
  ASSERT_TRUE(up(testing::options_for(db, dir), {}).ok());
  dir.write("0002_drop.sql",
            "-- tandem:up\nDROP TABLE users;\n-- tandem:down\nCREATE TABLE "
            "users (id bigint PRIMARY KEY, email text);\n");
  json book = runbook_json(db, dir);
  const json& phase = book["migrations"][0]["phases"][0];
  EXPECT_TRUE(phase["irreversible"].get<bool>());
  EXPECT_NE(phase["irreversible_reason"].get<std::string>().find("drops table users"),
            std::string::npos);
  EXPECT_FALSE(phase["rollback_drops_data"].get<bool>());
  // --json is the same as --format json.
  auto j = testing::run_tandem_on(db, dir, {"plan", "--runbook", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out), book);

  auto format_alone = testing::run_tandem_on(db, dir, {"plan", "--format", "md"});
  EXPECT_EQ(format_alone.code, 2);
  EXPECT_NE(format_alone.err.find("--format needs --runbook"), std::string::npos);
  auto down = testing::run_tandem_on(db, dir, {"plan", "--runbook", "--down"});
  EXPECT_EQ(down.code, 2);
  EXPECT_NE(down.err.find("leave out --down"), std::string::npos);
  auto bad = testing::run_tandem_on(db, dir, {"plan", "--runbook", "--format", "html"});
  EXPECT_EQ(bad.code, 2);
}

// A declarative migration on PostgreSQL: expand, backfill, validate, read switch, contract,
// estimated from the table's rows; once started, the phases done are marked and the backfill
// rate is the one measured.
TEST(RunbookDeclarative, PhasesEstimatesAndProgress) {
  TempDir dir;
  TestDb db(Kind::kPostgres);
  std::string from = std::string(TANDEM_SOURCE_DIR) + "/examples/expand-contract/orders/";
  dir.write("0001_create_orders.sql", testing::read_file(from + "0001_create_orders.sql"));
  Options opts = testing::options_for(db, dir);
  ASSERT_TRUE(up(opts, {}).ok());
  db.exec(
      "INSERT INTO orders (customer, total_amount) SELECT 'c', g FROM "
      "generate_series(1, 20000) g");
  dir.write("0002_orders_minor_units.yaml",
            testing::read_file(from + "0002_orders_minor_units.yaml"));

  json book = runbook_json(db, dir);
  EXPECT_EQ(book["backfill_jobs_measured"], 0);
  EXPECT_NE(book["backfill_rate_basis"].get<std::string>().find("estimated from default rate"),
            std::string::npos);
  ASSERT_EQ(book["migrations"].size(), 1u);
  const json& m = book["migrations"][0];
  EXPECT_EQ(m["kind"], "declarative");
  std::vector<std::string> names;
  for (const json& p : m["phases"]) names.push_back(p["name"]);
  ASSERT_EQ(names, (std::vector<std::string>{"expand", "backfill", "validate", "read_switch",
                                             "contract"}));
  const json& expand_phase = m["phases"][0];
  EXPECT_EQ(expand_phase["command"], "tandem start 2");
  EXPECT_EQ(expand_phase["rollback"], "tandem rollback");
  EXPECT_FALSE(expand_phase["irreversible"].get<bool>());
  // start adds columns and the dual-write trigger: table locks on orders, short ones.
  ASSERT_FALSE(expand_phase["locks"].empty()) << expand_phase.dump(2);
  EXPECT_NE(lock_on(expand_phase, "ACCESS EXCLUSIVE", "orders"), nullptr) << expand_phase.dump(2);
  const json& backfill = m["phases"][1];
  EXPECT_EQ(backfill["rows"], 20000);
  EXPECT_EQ(backfill["estimate_ms"], 2000) << "20,000 rows at the default 10,000 rows/s";
  EXPECT_NE(lock_on(backfill, "ROW EXCLUSIVE", "orders"), nullptr) << backfill.dump(2);
  const json& validate = m["phases"][2];
  EXPECT_EQ(validate["command"], "tandem verify");
  EXPECT_EQ(validate["rows"], 20000);
  EXPECT_GT(validate["estimate_ms"].get<long long>(), 0);
  EXPECT_NE(validate["gate"].get<std::string>().find("0 mismatches"), std::string::npos);
  const json& read_switch = m["phases"][3];
  EXPECT_NE(read_switch["what"].get<std::string>().find("search_path=public_2"), std::string::npos);
  const json& contract = m["phases"][4];
  EXPECT_EQ(contract["command"], "tandem complete");
  EXPECT_TRUE(contract["irreversible"].get<bool>());
  EXPECT_NE(contract["irreversible_reason"].get<std::string>().find("drops schema public_1"),
            std::string::npos);
  EXPECT_NE(contract["irreversible_reason"].get<std::string>().find("drops column"),
            std::string::npos)
      << contract["irreversible_reason"];
  EXPECT_EQ(contract["rollback"], "");
  EXPECT_NE(contract["rollback_note"].get<std::string>().find("new migration"), std::string::npos);
  for (const json& p : m["phases"]) EXPECT_EQ(p["state"], "pending");

  auto md = testing::run_tandem_on(db, dir, {"plan", "--runbook", "--format", "md"});
  ASSERT_EQ(md.code, 0) << md.err;
  EXPECT_NE(md.out.find("### 5. contract — `tandem complete` — ⚠ IRREVERSIBLE"), std::string::npos)
      << md.out;
  EXPECT_NE(md.out.find("- **⚠ Irreversible:** drops the old representation"), std::string::npos);
  EXPECT_NE(md.out.find("ROW EXCLUSIVE on `orders`"), std::string::npos) << md.out;

  // Started: expand and backfill are done, validate is next; the backfill just run is the
  // measured rate now.
  ASSERT_TRUE(expand::start(opts, std::nullopt).ok());
  json started = runbook_json(db, dir);
  EXPECT_GE(started["backfill_jobs_measured"].get<int>(), 1) << started.dump(2);
  EXPECT_NE(started["backfill_rate_basis"].get<std::string>().find("measured over"),
            std::string::npos);
  ASSERT_EQ(started["migrations"].size(), 1u);
  const json& phases = started["migrations"][0]["phases"];
  EXPECT_EQ(phases[0]["state"], "done");
  EXPECT_EQ(phases[1]["state"], "done");
  EXPECT_EQ(phases[2]["state"], "active");
  EXPECT_EQ(phases[4]["state"], "pending");
  auto started_md = testing::run_tandem_on(db, dir, {"plan", "--runbook"});
  EXPECT_NE(started_md.out.find("- [x] **Run** `tandem start 2`"), std::string::npos)
      << started_md.out;
}

// A migration's phase flags appear where they act: start sets, the read switch's gate requires,
// complete sets, rollback sets first.
TEST(RunbookDeclarative, PhaseFlagsAreNamedInTheirPhases) {
  TempDir dir;
  TestDb db(Kind::kPostgres);
  std::string from = std::string(TANDEM_SOURCE_DIR) + "/examples/expand-contract/orders/";
  dir.write("0001_create_orders.sql", testing::read_file(from + "0001_create_orders.sql"));
  Options opts = testing::options_for(db, dir);
  ASSERT_TRUE(up(opts, {}).ok());
  std::string yaml = testing::read_file(from + "0002_orders_minor_units.yaml");
  dir.write("0002_orders_minor_units.yaml",
            "flags:\n  on_start: { orders.dual_write: true }\n  require_to_complete: { "
            "orders.read_new: true }\n  on_complete: { orders.dual_write: false }\n  "
            "on_rollback: { orders.read_new: false }\n" +
                yaml);
  json book = runbook_json(db, dir);
  const json& phases = book["migrations"][0]["phases"];
  EXPECT_NE(phases[0]["what"].get<std::string>().find("sets the flags orders.dual_write = true"),
            std::string::npos)
      << phases[0].dump(2);
  EXPECT_NE(phases[0]["rollback_note"].get<std::string>().find("orders.read_new = false"),
            std::string::npos);
  EXPECT_NE(phases[3]["gate"].get<std::string>().find("orders.read_new = true"), std::string::npos)
      << phases[3].dump(2);
  EXPECT_NE(phases[4]["what"].get<std::string>().find("orders.dual_write = false"),
            std::string::npos);
}

}  // namespace
}  // namespace tandem
