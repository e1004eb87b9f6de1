// The admin API's JSON documents (src/gateway/admin_status.h) and its token rules
// (src/gateway/admin_api.h), without a process: shape, order, bounds, hostile client ids.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "gateway/admin_api.h"
#include "gateway/admin_status.h"
#include "test_util.h"

namespace tandem::gateway {
namespace {

using nlohmann::json;

Config three_versions() {
  Config c;
  ApiVersion old;
  old.name = "2024-01-01";
  old.deprecated = 1748736000;  // 2025-06-01T00:00:00Z
  old.sunset = 1780272000;      // 2026-06-01T00:00:00Z
  old.link = "https://example.com/changelog#2024-01-01";
  ApiVersion mid;
  mid.name = "2025-01-01";
  ApiVersion head;
  head.name = "2026-01-01";
  c.versions = {old, mid, head};
  c.removed_versions = {"2023-01-01"};
  return c;
}

UsageRow row(std::string client, std::string version, long long requests) {
  return UsageRow{std::move(client), std::move(version), requests, "2026-11-30T10:00:00Z",
                  "2026-12-01T04:00:00Z"};
}

json status(const StatusInputs& in, const StatusLimits& limits = {}) {
  std::string text = status_json(in, limits);
  json j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

TEST(AdminStatus, VersionsNewestFirstWithDatesClientsAndRemovedOnes) {
  Config c = three_versions();
  std::vector<UsageRow> usage = {row("beta", "2024-01-01", 2),   row("acme", "2024-01-01", 3),
                                 row("zeta", "2024-01-01", 3),   row("gamma", "2026-01-01", 1),
                                 row("old", "2023-01-01", 7),    row("ghost", "1999-01-01", 9),
                                 row("ghost2", "1998-01-01", 10)};
  StatusInputs in;
  in.config = &c;
  in.now_ms = 1764561600123;  // 2025-12-01T04:00:00.123Z
  in.state_read_at_ms = 1764561600000;
  in.usage = &usage;
  json j = status(in);
  EXPECT_EQ(j["generated_at"], "2025-12-01T04:00:00.123Z");
  EXPECT_EQ(j["state_read_at"], "2025-12-01T04:00:00.000Z");
  EXPECT_EQ(j["head"], "2026-01-01");
  EXPECT_EQ(j["truncated"], false);
  const json& v = j["versions"];
  ASSERT_EQ(v.size(), 6u) << j.dump(1);
  EXPECT_EQ(v[0]["version"], "2026-01-01");
  EXPECT_EQ(v[0]["head"], true);
  EXPECT_TRUE(v[0]["deprecated"].is_null());
  EXPECT_EQ(v[0]["requests"], 1);
  EXPECT_EQ(v[1]["version"], "2025-01-01");
  EXPECT_EQ(v[1]["requests"], 0);
  EXPECT_EQ(v[1]["clients"], json::array());
  EXPECT_EQ(v[2]["version"], "2024-01-01");
  EXPECT_EQ(v[2]["head"], false);
  EXPECT_EQ(v[2]["removed"], false);
  EXPECT_EQ(v[2]["deprecated"], "2025-06-01T00:00:00Z");
  EXPECT_EQ(v[2]["sunset"], "2026-06-01T00:00:00Z");
  EXPECT_EQ(v[2]["link"], "https://example.com/changelog#2024-01-01");
  EXPECT_EQ(v[2]["requests"], 8);
  // Busiest first; ties by name.
  ASSERT_EQ(v[2]["clients"].size(), 3u);
  EXPECT_EQ(v[2]["clients"][0]["client"], "acme");
  EXPECT_EQ(v[2]["clients"][1]["client"], "zeta");
  EXPECT_EQ(v[2]["clients"][2]["client"], "beta");
  EXPECT_EQ(v[2]["clients"][2]["requests"], 2);
  EXPECT_EQ(v[2]["clients"][2]["first_seen"], "2026-11-30T10:00:00Z");
  EXPECT_EQ(v[2]["clients"][2]["last_seen"], "2026-12-01T04:00:00Z");
  EXPECT_EQ(v[2]["more_clients"], 0);
  // Usage only: versions.removed first, then by requests.
  EXPECT_EQ(v[3]["version"], "2023-01-01");
  EXPECT_EQ(v[3]["removed"], true);
  EXPECT_TRUE(v[3]["sunset"].is_null());
  EXPECT_EQ(v[4]["version"], "1998-01-01");
  EXPECT_EQ(v[5]["version"], "1999-01-01");
  EXPECT_EQ(v[5]["requests"], 9);
  EXPECT_EQ(j["rollouts"], json::array());
  EXPECT_EQ(j["shadows"], json::array());
}

TEST(AdminStatus, ClientListsAreBoundedAndSayHowManyMore) {
  Config c = three_versions();
  std::vector<UsageRow> usage;
  for (int i = 0; i < 250; ++i) usage.push_back(row(fmt::format("c{:03}", i), "2026-01-01", i));
  StatusInputs in;
  in.config = &c;
  in.usage = &usage;
  json j = status(in);
  const json& head = j["versions"][0];
  ASSERT_EQ(head["clients"].size(), 100u);
  EXPECT_EQ(head["clients"][0]["client"], "c249");
  EXPECT_EQ(head["more_clients"], 150);
  EXPECT_EQ(head["requests"], 249 * 250 / 2);  // every client, listed or not
  EXPECT_EQ(j["truncated"], false);

  StatusLimits few;
  few.clients_per_version = 5;
  EXPECT_EQ(status(in, few)["versions"][0]["more_clients"], 245);
}

TEST(AdminStatus, NeverLongerThanItsLimit) {
  Config c = three_versions();
  std::vector<UsageRow> usage;
  for (int i = 0; i < 3000; ++i) {
    usage.push_back(row(std::string(200, 'a') + std::to_string(i), "2024-01-01", 1));
    usage.push_back(row("x", fmt::format("9{:04}-01-01", i), 1));  // versions no config has
  }
  StatusInputs in;
  in.config = &c;
  in.usage = &usage;
  StatusLimits limits;
  limits.max_bytes = 20000;
  std::string text = status_json(in, limits);
  EXPECT_LE(text.size(), limits.max_bytes);
  json j = json::parse(text);
  EXPECT_EQ(j["truncated"], true);
  EXPECT_EQ(j["versions"][0]["version"], "2026-01-01");  // the config's versions stay
  EXPECT_EQ(j["versions"][2]["requests"], 3000);
  EXPECT_EQ(j["versions"][2]["clients"].size() + j["versions"][2]["more_clients"].get<size_t>(),
            3000u);
  EXPECT_LT(j["versions"].size(), 3003u);
}

TEST(AdminStatus, ClientIdsThatAreNotUtf8DoNotBreakTheDocument) {
  Config c = three_versions();
  std::vector<UsageRow> usage = {row(std::string("bad\xff\xfe\"\n\x01", 8), "2026-01-01", 1)};
  StatusInputs in;
  in.config = &c;
  in.usage = &usage;
  json j = status(in);
  std::string client = j["versions"][0]["clients"][0]["client"];
  EXPECT_EQ(client.substr(0, 3), "bad");
  EXPECT_NE(client.find("\"\n\x01"), std::string::npos);
  EXPECT_NE(client.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
}

TEST(AdminStatus, RolloutsAndShadows) {
  Config c = three_versions();
  RolloutReport r;
  r.name = "orders-v2";
  r.baseline = "default";
  r.canary = "v2";
  r.steps = {0.05, 0.25, 1};
  r.step = 1;
  r.share = 0.25;
  r.status = "running";
  r.reason = "step 5% passed its analysis (40 canary requests)";
  r.step_started = "2026-12-01T04:00:00Z";
  r.updated = "2026-12-01T04:00:00Z";
  r.baseline_requests = 300;
  r.canary_requests = 100;
  r.baseline_errors = 3;
  r.canary_errors = 1;
  std::vector<RolloutReport> rollouts = {r};
  StatusInputs in;
  in.config = &c;
  in.rollouts = &rollouts;
  in.shadows = {{"orders-dark", 40, 10, 1, 2}, {"idle", 0, 0, 0, 0}};
  json j = status(in);
  ASSERT_EQ(j["rollouts"].size(), 1u);
  const json& o = j["rollouts"][0];
  EXPECT_EQ(o, json::parse(rollout_json(r)));
  EXPECT_EQ(o["name"], "orders-v2");
  EXPECT_EQ(o["state"], "running");
  EXPECT_EQ(o["step"], 1);
  EXPECT_EQ(o["steps"], json::parse("[5.0, 25.0, 100.0]"));
  EXPECT_DOUBLE_EQ(o["share"].get<double>(), 0.25);
  EXPECT_EQ(o["baseline"], "default");
  EXPECT_EQ(o["canary"], "v2");
  EXPECT_EQ(o["why"], r.reason);
  EXPECT_EQ(o["baseline_requests"], 300);
  EXPECT_EQ(o["canary_requests"], 100);
  EXPECT_EQ(o["baseline_errors"], 3);
  EXPECT_EQ(o["canary_errors"], 1);
  ASSERT_EQ(j["shadows"].size(), 2u);
  EXPECT_EQ(j["shadows"][0]["name"], "orders-dark");
  EXPECT_EQ(j["shadows"][0]["compared"], 40);
  EXPECT_EQ(j["shadows"][0]["mismatches"], 10);
  EXPECT_DOUBLE_EQ(j["shadows"][0]["mismatch_ratio"].get<double>(), 0.25);
  EXPECT_EQ(j["shadows"][0]["errors"], 1);
  EXPECT_EQ(j["shadows"][0]["skipped"], 2);
  EXPECT_EQ(j["shadows"][1]["mismatch_ratio"], 0.0);  // nothing compared: 0, never NaN
}

TEST(AdminStatus, MillisecondTimes) {
  EXPECT_EQ(iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_ms(1764561600999), "2025-12-01T04:00:00.999Z");
}

TEST(AdminToken, WhatIsAcceptedAndWhereItComesFrom) {
  EXPECT_TRUE(admin_token_ok("0123456789abcdef"));
  EXPECT_FALSE(admin_token_ok("short"));
  EXPECT_FALSE(admin_token_ok("0123456789abcdef with space"));
  EXPECT_FALSE(admin_token_ok(std::string("0123456789abcdef\x01", 17)));
  EXPECT_FALSE(admin_token_ok(std::string(5000, 'a')));

  testing::TempDir dir;
  unsetenv("TANDEM_GATEWAY_ADMIN_TOKEN");
  Config c;
  std::string source = "x";
  auto none = load_admin_token(c, source);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");

  c.admin_token_file = dir.write("admin.token", "secret-0123456789abcdef\nsecond line\n");
  auto from_file = load_admin_token(c, source);
  ASSERT_TRUE(from_file.ok()) << from_file.status().message();
  EXPECT_EQ(*from_file, "secret-0123456789abcdef");
  EXPECT_EQ(source, c.admin_token_file);

  setenv("TANDEM_GATEWAY_ADMIN_TOKEN", "env-token-0123456789", 1);
  auto from_env = load_admin_token(c, source);
  unsetenv("TANDEM_GATEWAY_ADMIN_TOKEN");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(*from_env, "env-token-0123456789");
  EXPECT_EQ(source, "$TANDEM_GATEWAY_ADMIN_TOKEN");

  // A weak token is refused, and the message does not show it.
  c.admin_token_file = dir.write("weak.token", "hunter2\n");
  auto weak = load_admin_token(c, source);
  ASSERT_FALSE(weak.ok());
  EXPECT_EQ(weak.status().code(), Code::kInvalidInput);
  EXPECT_EQ(weak.status().message().find("hunter2"), std::string::npos);
  EXPECT_EQ(weak.status().hint().find("hunter2"), std::string::npos);

  c.admin_token_file = dir.path() + "/missing.token";
  auto missing = load_admin_token(c, source);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.token"), std::string::npos);
}

TEST(AdminToken, TheConfigsTokenFileIsBesideTheConfig) {
  testing::TempDir dir;
  std::string base =
      "upstream: http://127.0.0.1:7001\nversions:\n  list: [ { name: \"2026-01-01\" } ]\n";
  auto c = load_config(dir.write("api.yaml", base + "admin_token_file: secrets/admin.token\n"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->admin_token_file, dir.path() + "/secrets/admin.token");
  auto absolute = load_config(dir.write("abs.yaml", base + "admin_token_file: /run/admin.token\n"));
  ASSERT_TRUE(absolute.ok()) << absolute.status().message();
  EXPECT_EQ(absolute->admin_token_file, "/run/admin.token");
  auto empty = load_config(dir.write("empty.yaml", base + "admin_token_file: \"\"\n"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty.yaml:4"), std::string::npos)
      << empty.status().message();
  auto none = load_config(dir.write("none.yaml", base));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->admin_token_file, "");
}

}  // namespace
}  // namespace tandem::gateway
