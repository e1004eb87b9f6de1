// `tandem import` and the other-tool checks of status/up/plan, on SQLite and PostgreSQL. The
// other tools' history tables are created with exactly the DDL each tool runs and filled with
// the rows it writes (golang-migrate's postgres and sqlite3 drivers, Flyway's
// createMetaDataTable.sql); dbmate itself runs in tests/engine/import_dbmate_test.sh.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class ImportTest : public ::testing::TestWithParam<Kind> {
 protected:
  ImportTest() : db_(GetParam()), opts_(testing::options_for(db_, dir_)) {}

  // Migration files 1..n, each creating table t<i>.
  void write_files(int n) {
    for (int i = 1; i <= n; ++i) {
      dir_.write(fmt::format("{:04d}_create_t{}.sql", i, i),
                 fmt::format("-- migrate:up\nCREATE TABLE t{0} (id integer);\n\n-- "
                             "migrate:down\nDROP TABLE t{0};\n",
                             i));
    }
  }
  // What the other tool did: tables t1..t<n> exist.
  void tool_ran(int n) {
    for (int i = 1; i <= n; ++i) db_.exec(fmt::format("CREATE TABLE t{} (id integer)", i));
  }
  // dbmate's table (its sqlite and postgres drivers: `version varchar(128) primary key`).
  void dbmate_table(const std::vector<std::string>& versions, const std::string& name = "") {
    std::string t =
        name.empty() ? (db_.pg() ? "public.schema_migrations" : "schema_migrations") : name;
    db_.exec("CREATE TABLE IF NOT EXISTS " + t + " (version varchar(128) PRIMARY KEY)");
    for (const std::string& v : versions)
      db_.exec("INSERT INTO " + t + " (version) VALUES ('" + v + "')");
  }
  // golang-migrate's table as its driver creates it, and SetVersion's rows (delete, insert one).
  void golang_migrate_table(long long version, bool dirty) {
    if (db_.pg()) {
      db_.exec(
          "CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations\" (version bigint not null "
          "primary key, dirty boolean not null)");
      db_.exec("TRUNCATE \"public\".\"schema_migrations\"");
      db_.exec(
          fmt::format("INSERT INTO \"public\".\"schema_migrations\" (version, dirty) VALUES "
                      "({}, {})",
                      version, dirty ? "true" : "false"));
    } else {
      db_.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);\n"
          "  CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);");
      db_.exec("DELETE FROM schema_migrations");
      db_.exec(fmt::format("INSERT INTO schema_migrations (version, dirty) VALUES ({}, {})",
                           version, dirty ? 1 : 0));
    }
  }
  // Flyway's createMetaDataTable.sql for the backend (schema "public" / "main").
  void flyway_table() {
    if (db_.pg()) {
      db_.exec(R"(CREATE TABLE "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");)");
    } else {
      db_.exec(R"(CREATE TABLE "main"."flyway_schema_history" (
    "installed_rank" INT NOT NULL PRIMARY KEY,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INT,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
    "execution_time" INT NOT NULL,
    "success" BOOLEAN NOT NULL
);
CREATE INDEX "main"."flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");)");
    }
  }
  // One row as Flyway inserts it (installed_on from the default). `version` "" = NULL.
  void flyway_row(int rank, const std::string& version, const std::string& description,
                  const std::string& type, const std::string& script, bool success) {
    std::string v = version.empty() ? "NULL" : "'" + version + "'";
    std::string ok = db_.pg() ? (success ? "true" : "false") : (success ? "1" : "0");
    std::string sum = type == "BASELINE" ? "NULL" : std::to_string(1000 + rank);
    db_.exec(fmt::format(
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, "
        "checksum, installed_by, execution_time, success) VALUES ({}, {}, '{}', '{}', '{}', {}, "
        "'deploy', 12, {})",
        rank, v, description, type, script, sum, ok));
  }
  Result<ImportReport> run_import(const std::string& tool, bool dry_run = false,
                                  bool allow_missing = false, const std::string& table = "") {
    ImportOptions how;
    how.from = tool;
    how.dry_run = dry_run;
    how.allow_missing_files = allow_missing;
    how.table = table;
    return import_history(opts_, how);
  }
  std::vector<std::string> states() {
    auto st = status(opts_);
    EXPECT_TRUE(st.ok()) << st.status().message();
    std::vector<std::string> out;
    if (!st.ok()) return out;
    for (const MigrationState& m : st->migrations) out.push_back(m.version + ":" + m.state);
    return out;
  }
  std::string history() const { return db_.pg() ? "tandem.migrations" : "tandem_migrations"; }
  std::string events() const { return db_.pg() ? "tandem.events" : "tandem_events"; }

  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

using V = std::vector<std::string>;

TEST_P(ImportTest, GolangMigrateEveryFileUpToItsVersionIsApplied) {
  write_files(4);
  tool_ran(3);
  golang_migrate_table(3, false);
  // status names the tool; up and plan refuse to run 1..3 again, naming the tool and the fix.
  auto st = status(opts_);
  ASSERT_TRUE(st.ok()) << st.status().message();
  ASSERT_EQ(st->other_tools.size(), 1u);
  EXPECT_EQ(st->other_tools[0].tool, "golang-migrate");
  EXPECT_EQ(st->other_tools[0].applied, 3);
  EXPECT_EQ(st->other_tools[0].not_in_history, 3);
  EXPECT_EQ(st->other_tools[0].version, "3");
  std::string before = db_.snapshot();
  auto refused = up(opts_, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidInput);
  EXPECT_NE(refused.status().message().find("golang-migrate already applied 3"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("tandem import --from golang-migrate"),
            std::string::npos);
  auto planned = plan_up(opts_, {});
  ASSERT_FALSE(planned.ok());
  EXPECT_NE(planned.status().message().find("golang-migrate"), std::string::npos);
  EXPECT_EQ(before, db_.snapshot());

  auto dry = run_import("golang-migrate", /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().message();
  EXPECT_EQ(dry->imported.size(), 3u);
  EXPECT_EQ(before, db_.snapshot());  // nothing written

  auto r = run_import("golang-migrate");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->imported.size(), 3u);
  EXPECT_EQ(r->imported[2].file, "0003_create_t3.sql");
  EXPECT_EQ(r->imported[2].state, "applied");
  EXPECT_EQ(states(), (V{"1:applied", "2:applied", "3:applied", "4:pending"}));
  EXPECT_EQ(db_.value("SELECT checksum FROM " + history() + " WHERE version = '2'"),
            checksum(testing::read_file(dir_.path() + "/0002_create_t2.sql")));
  EXPECT_EQ(db_.value("SELECT count(*) FROM " + events() + " WHERE action = 'import'"), "3");
  // golang-migrate's table is left as it was.
  EXPECT_EQ(db_.value("SELECT CAST(version AS text) FROM schema_migrations"), "3");
  EXPECT_EQ(db_.value("SELECT count(*) FROM schema_migrations"), "1");

  auto applied = up(opts_, {});
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  ASSERT_EQ(applied->steps.size(), 1u);
  EXPECT_EQ(applied->steps[0].version, "4");

  // The imported rows are tandem's history like any other: `down` reverts them, and `up`
  // applies them again although golang-migrate's table still says 3.
  DownOptions to2;
  to2.to = "2";
  auto reverted = down(opts_, to2);
  ASSERT_TRUE(reverted.ok()) << reverted.status().message();
  EXPECT_EQ(reverted->steps.size(), 2u);
  auto reimport = run_import("golang-migrate");
  ASSERT_TRUE(reimport.ok()) << reimport.status().message();
  EXPECT_TRUE(reimport->imported.empty());
  EXPECT_EQ(reimport->reverted, (V{"3"}));
  auto reapplied = up(opts_, {});
  ASSERT_TRUE(reapplied.ok()) << reapplied.status().message();
  EXPECT_EQ(reapplied->steps.size(), 2u);

  // Importing again converges: nothing new, no new rows or events.
  auto again = run_import("golang-migrate");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(again->imported.empty());
  EXPECT_EQ(again->already.size(), 3u);
  EXPECT_EQ(db_.value("SELECT count(*) FROM " + events() + " WHERE action = 'import'"), "3");
  EXPECT_EQ(db_.value("SELECT count(*) FROM " + history()), "4");
}

TEST_P(ImportTest, GolangMigrateDirtyIsRefusedWithTheForceHint) {
  write_files(3);
  tool_ran(2);
  golang_migrate_table(2, true);
  std::string before = db_.snapshot();
  auto r = run_import("golang-migrate");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("dirty at version 2"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("migrate -path DIR -database URL force 2"),
            std::string::npos);
  EXPECT_FALSE(run_import("golang-migrate", /*dry_run=*/true).ok());
  EXPECT_EQ(before, db_.snapshot());
  auto st = status(opts_);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->other_tools.size(), 1u);
  ASSERT_EQ(st->other_tools[0].blocking.size(), 1u);
  // tandem's history is empty and golang-migrate was here: up refuses too.
  EXPECT_FALSE(up(opts_, {}).ok());

  // Settled (`migrate force 2`) and imported; then golang-migrate is run again and fails
  // half-way through 3: tandem runs nothing on top of that.
  golang_migrate_table(2, false);
  ASSERT_TRUE(run_import("golang-migrate").ok());
  db_.exec("CREATE TABLE t3 (id integer)");
  golang_migrate_table(3, true);
  auto refused = up(opts_, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("dirty at version 3"), std::string::npos)
      << refused.status().message();
}

TEST_P(ImportTest, FlywayVersionedRowsImportedRepeatableReported) {
  write_files(3);
  tool_ran(2);
  flyway_table();
  flyway_row(1, "1", "create t1", "SQL", "V1__create_t1.sql", true);
  // Flyway compares versions part by part: "2.0" is version 2.
  flyway_row(2, "2.0", "create t2", "SQL", "V2.0__create_t2.sql", true);
  flyway_row(3, "", "views", "SQL", "R__views.sql", true);
  auto st = status(opts_);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->other_tools.size(), 1u);
  EXPECT_EQ(st->other_tools[0].tool, "flyway");
  EXPECT_EQ(st->other_tools[0].applied, 2);
  auto r = run_import("flyway");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->imported.size(), 2u);
  EXPECT_NE(r->imported[0].detail.find("V1__create_t1.sql"), std::string::npos);
  EXPECT_NE(r->imported[0].detail.find("deploy"), std::string::npos);
  ASSERT_EQ(r->not_imported.size(), 1u);
  EXPECT_NE(r->not_imported[0].find("R__views.sql"), std::string::npos);
  EXPECT_EQ(states(), (V{"1:applied", "2:applied", "3:pending"}));
  auto applied = up(opts_, {});
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  ASSERT_EQ(applied->steps.size(), 1u);
  EXPECT_EQ(db_.value("SELECT count(*) FROM flyway_schema_history"), "3");
}

TEST_P(ImportTest, FlywayBaselineMarksFilesBelowItAndUndoneVersionsStayPending) {
  write_files(5);
  tool_ran(3);
  flyway_table();
  flyway_row(1, "2", "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>", true);
  flyway_row(2, "3", "create t3", "SQL", "V3__create_t3.sql", true);
  flyway_row(3, "4", "create t4", "SQL", "V4__create_t4.sql", true);
  flyway_row(4, "4", "create t4", "UNDO_SQL", "U4__create_t4.sql", true);
  auto r = run_import("flyway");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->imported.size(), 3u);
  EXPECT_EQ(states(), (V{"1:baseline", "2:baseline", "3:applied", "4:pending", "5:pending"}));
  auto applied = up(opts_, {});
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  EXPECT_EQ(applied->steps.size(), 2u);
}

TEST_P(ImportTest, FlywayFailedMigrationIsRefused) {
  write_files(2);
  tool_ran(1);
  flyway_table();
  flyway_row(1, "1", "create t1", "SQL", "V1__create_t1.sql", true);
  flyway_row(2, "2", "create t2", "SQL", "V2__create_t2.sql", false);
  std::string before = db_.snapshot();
  auto r = run_import("flyway");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("failed migration: version 2"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("flyway repair"), std::string::npos);
  EXPECT_EQ(before, db_.snapshot());
}

TEST_P(ImportTest, VersionsWithoutFilesAreRefusedUnlessAllowed) {
  write_files(3);
  tool_ran(2);
  flyway_table();
  flyway_row(1, "1", "create t1", "SQL", "V1__create_t1.sql", true);
  flyway_row(2, "1.1", "tweak t1", "SQL", "V1_1__tweak_t1.sql", true);
  flyway_row(3, "2", "create t2", "SQL", "V2__create_t2.sql", true);
  flyway_row(4, "99", "gone", "SQL", "V99__gone.sql", true);
  std::string before = db_.snapshot();
  auto r = run_import("flyway");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("no migration file has: 99"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("1.1 — not a tandem version"), std::string::npos);
  EXPECT_NE(r.status().message().find("--allow-missing-files"), std::string::npos);
  EXPECT_EQ(before, db_.snapshot());

  auto allowed = run_import("flyway", false, /*allow_missing=*/true);
  ASSERT_TRUE(allowed.ok()) << allowed.status().message();
  EXPECT_EQ(allowed->imported.size(), 2u);
  EXPECT_EQ(allowed->missing_files, (V{"1.1", "99"}));
  EXPECT_EQ(states(), (V{"1:applied", "2:applied", "3:pending"}));
  std::string events_before = db_.value("SELECT count(*) FROM " + events());
  auto again = run_import("flyway", false, true);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(again->imported.empty());
  EXPECT_EQ(events_before, db_.value("SELECT count(*) FROM " + events()));
  ASSERT_TRUE(up(opts_, {}).ok());
}

TEST_P(ImportTest, UpRefusesOnADbmateDatabaseNamingTheToolAndTheFix) {
  write_files(3);
  tool_ran(2);
  dbmate_table({"0001", "0002"});
  std::string before = db_.snapshot();
  auto r = up(opts_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("dbmate already applied 2 of the migrations this would "
                                      "run (1, 2)"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("tandem import --from dbmate"), std::string::npos);
  EXPECT_EQ(before, db_.snapshot());
  auto problems = validate(opts_);
  ASSERT_TRUE(problems.ok()) << problems.status().message();
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_EQ((*problems)[0].kind, "applied_by_other_tool");
  // `up --to 1` would run only migrations dbmate applied: refused the same way.
  UpOptions to1;
  to1.to = "1";
  EXPECT_FALSE(up(opts_, to1).ok());
  auto st = status(opts_);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->other_tools.size(), 1u);
  EXPECT_EQ(st->other_tools[0].tool, "dbmate");
  EXPECT_EQ(st->other_tools[0].applied, 2);
  EXPECT_EQ(st->other_tools[0].not_in_history, 2);
}

TEST_P(ImportTest, UpRefusesWhileTandemHasNothingAndTheToolAppliedOtherVersions) {
  // dbmate applied versions this folder has no file for: the folder does not match the
  // database, so nothing runs until the user imports (and so acknowledges what is left out).
  write_files(2);
  dbmate_table({"20240101000000", "20240102000000"});
  auto r = up(opts_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("this database was migrated by dbmate"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(run_import("dbmate").ok());
  auto allowed = run_import("dbmate", false, /*allow_missing=*/true);
  ASSERT_TRUE(allowed.ok()) << allowed.status().message();
  EXPECT_TRUE(allowed->imported.empty());
  EXPECT_EQ(allowed->missing_files.size(), 2u);
  // status does not send the user back to an import that can never record them.
  auto st = status(opts_);
  ASSERT_TRUE(st.ok()) << st.status().message();
  ASSERT_EQ(st->other_tools.size(), 1u);
  EXPECT_EQ(st->other_tools[0].not_in_history, 2);
  EXPECT_EQ(st->other_tools[0].without_file, 2);
  auto applied = up(opts_, {});
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  EXPECT_EQ(applied->steps.size(), 2u);
}

TEST_P(ImportTest, ImportsOnlyWhatTandemLacksAndRefusesConflicts) {
  write_files(4);
  UpOptions to1;
  to1.to = "1";
  ASSERT_TRUE(up(opts_, to1).ok());  // tandem applied 1
  // dbmate then applied 2 and 3 on the same database (a team that used both for a while).
  db_.exec("CREATE TABLE t2 (id integer)");
  db_.exec("CREATE TABLE t3 (id integer)");
  dbmate_table({"0001", "0002", "0003"});
  auto refused = up(opts_, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("(2, 3)"), std::string::npos)
      << refused.status().message();

  // A version tandem has with another checksum, or as failed, is a conflict.
  db_.exec("UPDATE " + history() + " SET checksum = 'edited' WHERE version = '1'");
  std::string before = db_.snapshot();
  auto conflict = run_import("dbmate");
  ASSERT_FALSE(conflict.ok());
  EXPECT_NE(conflict.status().message().find("with another checksum"), std::string::npos)
      << conflict.status().message();
  db_.exec("UPDATE " + history() + " SET status = 'failed' WHERE version = '1'");
  auto failed = run_import("dbmate");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("has as failed"), std::string::npos)
      << failed.status().message();
  EXPECT_EQ(db_.value("SELECT count(*) FROM " + history()), "1");

  db_.exec("UPDATE " + history() + " SET status = 'applied', checksum = '" +
           checksum(testing::read_file(dir_.path() + "/0001_create_t1.sql")) +
           "' WHERE version = '1'");
  auto r = run_import("dbmate");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->imported.size(), 2u);
  EXPECT_EQ(r->already, (V{"1"}));
  EXPECT_EQ(states(), (V{"1:applied", "2:applied", "3:applied", "4:pending"}));
  auto applied = up(opts_, {});
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  ASSERT_EQ(applied->steps.size(), 1u);
  EXPECT_EQ(applied->steps[0].version, "4");
}

TEST_P(ImportTest, WrongToolMissingTableAndCustomTable) {
  write_files(1);
  if (!db_.pg()) {
    // A SQLite file that does not exist is a mistyped --db, never created by import.
    auto missing = run_import("dbmate");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
    EXPECT_EQ(db_.snapshot(), "<no file>");
  }
  db_.exec("CREATE TABLE unrelated (id integer)");
  auto none = run_import("dbmate");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no table schema_migrations"), std::string::npos)
      << none.status().message();
  EXPECT_NE(none.status().hint().find("--table"), std::string::npos);
  EXPECT_FALSE(run_import("liquibase").ok());

  golang_migrate_table(1, false);
  auto wrong = run_import("dbmate");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().hint().find("--from golang-migrate"), std::string::npos)
      << wrong.status().hint();

  // dbmate's --migrations-table: any name, passed with --table.
  db_.exec("DROP TABLE schema_migrations");
  tool_ran(1);
  dbmate_table({"1"}, "app_migrations");
  auto st = status(opts_);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->other_tools.empty());  // only default names are looked for
  auto r = run_import("dbmate", false, false, "app_migrations");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->imported.size(), 1u);
  EXPECT_EQ(r->table, db_.pg() ? "public.app_migrations" : "app_migrations");
}

TEST_P(ImportTest, CommandLinePrintsTheToolAndExitsTwoOnRefusal) {
  write_files(2);
  tool_ran(1);
  dbmate_table({"1"});
  auto st = testing::run_tandem_on(db_, dir_, {"status"});
  EXPECT_EQ(st.code, 0) << st.err;
  EXPECT_NE(st.out.find("other     dbmate's history"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("1 not in tandem's history"), std::string::npos) << st.out;
  auto js = testing::run_tandem_on(db_, dir_, {"status", "--json"});
  ASSERT_EQ(js.code, 0) << js.err;
  auto j = nlohmann::json::parse(js.out);
  ASSERT_EQ(j["other_tools"].size(), 1u);
  EXPECT_EQ(j["other_tools"][0]["tool"], "dbmate");
  EXPECT_EQ(j["other_tools"][0]["applied"], 1);

  auto refused = testing::run_tandem_on(db_, dir_, {"up"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("tandem import --from dbmate"), std::string::npos) << refused.err;

  auto dry = testing::run_tandem_on(db_, dir_, {"import", "--from", "dbmate", "--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would import 1 version"), std::string::npos) << dry.out;
  auto imp = testing::run_tandem_on(db_, dir_, {"import", "--from", "dbmate", "--json"});
  ASSERT_EQ(imp.code, 0) << imp.err;
  auto ij = nlohmann::json::parse(imp.out);
  EXPECT_EQ(ij["tool"], "dbmate");
  ASSERT_EQ(ij["imported"].size(), 1u);
  EXPECT_EQ(ij["imported"][0]["file"], "0001_create_t1.sql");
  auto bad = testing::run_tandem_on(db_, dir_, {"import", "--from", "liquibase"});
  EXPECT_EQ(bad.code, 2);
  auto help = testing::run_tandem({"import", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("import --from dbmate --dry-run"), std::string::npos) << help.out;
}

// `start` (two live versions) is PostgreSQL's.
class ImportStartTest : public ImportTest {};

TEST_P(ImportStartTest, StartRefusesADeclarativeMigrationTheToolApplied) {
  dir_.write("0001_audit.yaml",
             "operations:\n  - create_table:\n      name: audit\n      columns:\n        - "
             "{name: id, type: bigint, pk: true}\n");
  db_.exec("CREATE TABLE audit (id bigint PRIMARY KEY)");
  dbmate_table({"1"});
  std::string before = db_.snapshot();
  auto r = expand::start(opts_, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tandem import --from dbmate"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(before, db_.snapshot());
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportTest, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         testing::kind_name);
INSTANTIATE_TEST_SUITE_P(Postgres, ImportStartTest, ::testing::Values(Kind::kPostgres),
                         testing::kind_name);

}  // namespace
}  // namespace tandem
