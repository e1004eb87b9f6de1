// The dashboard's JSON documents, from data made by hand: which migrations the overview lists,
// progress and ETA, the newest verify per migration, history pages, the series, and the
// verify results as the event log keeps them (old text details too).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "commands/verify_record.h"
#include "db/json_depth.h"
#include "serve/dashboard_json.h"
#include "tandem/duration.h"

namespace tandem::serve {
namespace {

using json = nlohmann::json;

MigrationState migration(int version, const std::string& state) {
  MigrationState m;
  m.version = std::to_string(version);
  m.name = "m" + m.version;
  m.state = state;
  return m;
}

// The report of `d`, to change it (the dashboard shares it read-only).
StatusReport& report(DashboardData& d) { return const_cast<StatusReport&>(*d.status); }

DashboardData data_with(int applied, int pending) {
  DashboardData d;
  d.database = "postgres://app:****@db/app";
  d.backend = "postgres";
  StatusReport s;
  for (int v = 1; v <= applied; ++v) s.migrations.push_back(migration(v, "applied"));
  for (int v = applied + 1; v <= applied + pending; ++v)
    s.migrations.push_back(migration(v, "pending"));
  s.applied = applied;
  s.pending = pending;
  d.status = std::make_shared<StatusReport>(s);
  return d;
}

TEST(DashboardJson, RecentIsEveryUnsettledMigrationAndTheNewest20Applied) {
  DashboardData d = data_with(100, 3);
  report(d).migrations[49].state = "failed";
  json o = json::parse(overview_json(d, {}));
  const json& recent = o["migrations"]["recent"];
  ASSERT_EQ(recent.size(), 24u);
  EXPECT_EQ(recent[0]["version"], "103");
  EXPECT_EQ(recent[0]["state"], "pending");
  EXPECT_EQ(recent[3]["version"], "100");
  EXPECT_EQ(recent.back()["version"], "50") << "a failed migration is listed however old";
  EXPECT_EQ(recent.back()["state"], "failed");
  EXPECT_EQ(o["migrations"]["pending"], 3);
  EXPECT_TRUE(o["migrations"]["active"].is_null());
}

TEST(DashboardJson, WithoutAFolderHistoryIsAllThereIs) {
  DashboardData d = data_with(3, 0);
  for (MigrationState& m : report(d).migrations) m.state = "missing";
  report(d).problems.push_back({"missing_dir", "migrations", 0, 0, "does not exist", ""});
  d.folder_missing = true;
  json o = json::parse(overview_json(d, {}));
  EXPECT_TRUE(o["migrations"]["pending"].is_null());
  EXPECT_EQ(o["migrations"]["recent"][0]["state"], "applied");
  EXPECT_TRUE(o["migrations"]["problems"].empty());
}

TEST(DashboardJson, ActiveMigrationAndBackfillProgress) {
  DashboardData d = data_with(2, 1);
  report(d).active_migration = "3:started";
  report(d).active_old_schema = "public_2";
  report(d).active_new_schema = "public_3";
  report(d).active_next_step = "tandem complete";
  backfill::BackfillJob j;
  j.id = "3/orders";
  j.state = "running";
  j.rows_done = 250;
  j.rows_total = 1000;
  j.rows_per_second = 50;
  j.eta_ms = 15000;
  j.throttled = "replication lag 3.0 s > 1 s";
  d.backfills.push_back(j);
  j.id = "2/users";
  j.state = "done";
  j.rows_total = 0;
  j.eta_ms = -1;
  d.backfills.push_back(j);
  DashboardOptions options;
  options.actions = true;
  json o = json::parse(overview_json(d, options));
  EXPECT_EQ(o["actions"], true);
  EXPECT_EQ(o["migrations"]["active"]["phase"], "started");
  EXPECT_EQ(o["migrations"]["active"]["name"], "m3");
  EXPECT_DOUBLE_EQ(o["backfills"][0]["progress"].get<double>(), 0.25);
  EXPECT_EQ(o["backfills"][0]["eta_ms"], 15000);
  EXPECT_EQ(o["backfills"][0]["waiting"], "replication lag 3.0 s > 1 s");
  EXPECT_DOUBLE_EQ(o["backfills"][1]["progress"].get<double>(), 1.0);
  EXPECT_TRUE(o["backfills"][1]["eta_ms"].is_null());
}

TEST(DashboardJson, NewestVerifyPerMigrationWithRate) {
  DashboardData d = data_with(1, 0);
  backfill::VerifyRecord a;
  a.version = "3";
  a.status = "mismatches";
  a.rows = 4000;
  a.mismatches = 2;
  a.at = "2026-12-01T05:01:47.392Z";
  backfill::VerifyRecord b = a;  // older, clean
  b.status = "clean";
  b.mismatches = 0;
  b.at = "2026-12-01T05:00:00Z";
  backfill::VerifyRecord c = b;
  c.version = "2";
  d.verifies = {a, b, c};
  json o = json::parse(overview_json(d, {}));
  ASSERT_EQ(o["verify"].size(), 2u);
  EXPECT_EQ(o["verify"][0]["status"], "mismatches");
  EXPECT_DOUBLE_EQ(o["verify"][0]["mismatch_rate"].get<double>(), 0.0005);
  EXPECT_EQ(o["verify"][1]["version"], "2");
  json s = json::parse(series_json(Series{}, d.verifies));
  ASSERT_EQ(s["verify"]["3"].size(), 2u);
  EXPECT_DOUBLE_EQ(s["verify"]["3"][0][0].get<double>(), 1796101200000.0) << "oldest first";
  EXPECT_DOUBLE_EQ(s["verify"]["3"][1][0].get<double>(), 1796101307392.0);
  EXPECT_EQ(s["verify"]["3"][1][2], 2);
}

TEST(DashboardJson, HistoryPages) {
  DashboardData d = data_with(250, 0);
  json p = json::parse(migrations_page_json(&*d.status, false, 100, std::nullopt));
  ASSERT_EQ(p["migrations"].size(), 100u);
  EXPECT_EQ(p["migrations"][0]["version"], "250");
  EXPECT_EQ(p["next"], "151");
  p = json::parse(migrations_page_json(&*d.status, false, 100, std::string("151")));
  EXPECT_EQ(p["migrations"][0]["version"], "150");
  p = json::parse(migrations_page_json(&*d.status, false, 100, std::string("51")));
  EXPECT_EQ(p["migrations"].size(), 50u);
  EXPECT_TRUE(p["next"].is_null());
  p = json::parse(migrations_page_json(nullptr, false, 10, std::nullopt));
  EXPECT_TRUE(p["migrations"].empty());
}

TEST(DashboardJson, TextFromTheDatabaseThatIsNotUtf8StaysJson) {
  DashboardData d = data_with(1, 0);
  report(d).migrations[0].name = "bad\xff\xfe name";
  d.errors.push_back("error \xc3");
  json o = json::parse(overview_json(d, {}), nullptr, false);
  EXPECT_FALSE(o.is_discarded());
  EXPECT_EQ(with_time("{\"a\":1}", "T").substr(0, 20), "{\"generated_at\":\"T\",");
}

TEST(VerifyRecord, KeepsTheChecksAndReadsOldEvents) {
  backfill::VerifyReport report;
  report.version = "3";
  report.checks.push_back({"orders", "total_amount_minor", "up", "x", 1000, 2, {"(7)", "(9)"}});
  report.checks.push_back({"orders", "total_amount", "down", "y", 1000, 0, {}});
  std::string detail = commands::verify_detail(report);
  backfill::VerifyRecord r = commands::verify_record("3", "t", "mismatches", 12, detail);
  EXPECT_EQ(r.summary, "2 mismatch(es) in 2 check(s) over 1000 row(s)");
  EXPECT_EQ(r.rows, 1000);
  EXPECT_EQ(r.mismatches, 2);
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_EQ(r.checks[0].sample_keys, (std::vector<std::string>{"(7)", "(9)"}));
  EXPECT_EQ(commands::verify_summary(detail), r.summary);
  // Recorded before the checks were kept: the text is the summary.
  std::string old = "3 mismatch(es) in 2 check(s) over 10 row(s)";
  EXPECT_EQ(commands::verify_summary(old), old);
  EXPECT_EQ(commands::verify_record("3", "t", "mismatches", 0, old).checks.size(), 0u);
  // Hand-edited into something else: no crash, the text stands.
  EXPECT_EQ(commands::verify_summary("{not json"), "{not json");
  EXPECT_EQ(commands::verify_record("3", "t", "clean", 0, "{\"rows\":\"x\",\"checks\":[1]}").rows,
            0);
}

TEST(DashboardJson, NextStepAfterAVerifyThatFoundMismatches) {
  DashboardData d = data_with(1, 1);
  report(d).active_migration = "2:started";
  report(d).active_next_step = "finish it with `tandem complete`";
  backfill::VerifyRecord bad;
  bad.version = "2";
  bad.status = "mismatches";
  bad.mismatches = 3;
  bad.rows = 10;
  d.verifies = {bad};
  json o = json::parse(overview_json(d, {}));
  std::string next = o["migrations"]["active"]["next_step"];
  EXPECT_EQ(next.find("tandem complete`"), std::string::npos) << next;
  EXPECT_NE(next.find("tandem verify"), std::string::npos) << next;
  d.verifies[0].status = "clean";
  o = json::parse(overview_json(d, {}));
  EXPECT_EQ(o["migrations"]["active"]["next_step"], "finish it with `tandem complete`");
}

TEST(JsonDepth, CountsBracketsOutsideStrings) {
  EXPECT_EQ(json_depth::measure("1"), 0u);
  EXPECT_EQ(json_depth::measure(R"({"a":[1,{"b":2}]})"), 3u);
  EXPECT_EQ(json_depth::measure(R"(["[[[[", "\"[[["])"), 1u) << "brackets in strings";
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  EXPECT_EQ(json_depth::measure(deep, 65), 65u) << "stops early";
  EXPECT_FALSE(json_depth::within_limit(deep));
  EXPECT_TRUE(json_depth::within_limit(std::string(64, '[') + std::string(64, ']')));
  EXPECT_FALSE(json_depth::within_limit(std::string(65, '[') + std::string(65, ']')));
}

TEST(DashboardJson, AFlagOrAuditRowNestedTooDeepIsShownAsText) {
  DashboardData d = data_with(1, 0);
  flags::FlagEvent e;
  e.key = "k";
  e.after = std::string(100000, '[') + std::string(100000, ']');
  d.flag_changes.push_back(e);
  json o = json::parse(overview_json(d, {}));
  EXPECT_TRUE(o["flag_changes"][0]["after"].is_string());
  EXPECT_EQ(parse_duration_ms("1h"), 3600000);
}

}  // namespace
}  // namespace tandem::serve
