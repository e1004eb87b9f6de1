// load_config: the example loads; every mistake is InvalidInput naming file:line with a hint,
// and one load lists every problem of the file (`tandem api check` shows them all at once).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gateway/config_fixture.h"
#include "tandem/gateway.h"
#include "tandem/status.h"

namespace tandem::gateway {
namespace {

using testing::ConfigFixture;
using testing::line_of;

// A valid config with two versions and one change; tests replace parts of it.
const char* kHeader =
    "upstream: { url: \"http://127.0.0.1:7001\", timeout: 5s }\n"
    "versions:\n"
    "  header: Api-Version\n"
    "  list:\n"
    "    - { name: \"2024-01-01\" }\n"
    "    - { name: \"2025-01-01\" }\n";

const char* kChange =
    "changes:\n"
    "  - version: \"2025-01-01\"\n"
    "    routes: { \"GET /orders\": \"data[]\" }\n"
    "    fields:\n"
    "      - rename: { from: total, to: total_amount }\n";

class LoadConfig : public ConfigFixture {};

TEST_F(LoadConfig, ExampleLoads) {
  std::ifstream in(std::string(TANDEM_SOURCE_DIR) + "/examples/gateway/api.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_FALSE(ss.str().empty()) << "examples/gateway/api.yaml not found";
  auto r = load(ss.str());
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Config& c = *r;
  EXPECT_EQ(c.path, path_);
  ASSERT_EQ(c.versions.size(), 3u);
  EXPECT_EQ(c.head(), "2026-01-01");
  EXPECT_EQ(c.versions[0].name, "2024-01-01");
  EXPECT_EQ(c.versions[0].deprecated, 1748736000);  // 2025-06-01T00:00:00Z
  EXPECT_EQ(c.versions[0].sunset, 1798761600);      // 2027-01-01T00:00:00Z
  EXPECT_EQ(c.versions[0].link, "https://example.com/changelog#2024-01-01");
  EXPECT_FALSE(c.versions[1].deprecated.has_value());
  EXPECT_EQ(c.version_index("2025-01-01"), 1);
  EXPECT_EQ(c.version_index("1999-01-01"), -1);
  ASSERT_EQ(c.changes.size(), 2u);
  EXPECT_EQ(c.changes[0].version, "2025-01-01");
  EXPECT_EQ(c.changes[1].version, "2026-01-01");
  EXPECT_EQ(c.changes[0].routes.size(), 3u);
  EXPECT_EQ(c.changes[0].fields.size(), 5u);
  EXPECT_EQ(c.changes[0].fields[1].kind, FieldOp::Kind::kConvert);
  EXPECT_EQ(c.changes[0].fields[4].enum_map.size(), 1u);
  EXPECT_EQ(c.upstream_host, "127.0.0.1");
  EXPECT_EQ(c.upstream_port, "7001");
  EXPECT_EQ(c.timeouts.upstream, std::chrono::milliseconds(5000));
  EXPECT_TRUE(c.default_pin);
  EXPECT_EQ(c.version_header, "Api-Version");
  EXPECT_EQ(c.client_header, "X-Client-Id");
}

TEST_F(LoadConfig, ChangesAreSortedIntoVersionOrder) {
  auto r =
      load(std::string("upstream: http://127.0.0.1:7001\n"
                       "versions:\n"
                       "  list: [\"a\", \"b\", \"c\"]\n"
                       "changes:\n"
                       "  - version: c\n"
                       "    description: c1\n"
                       "    status: { 201: 200 }\n"
                       "  - version: b\n"
                       "    description: b1\n"
                       "    status: { 201: 200 }\n"
                       "  - version: c\n"
                       "    description: c2\n"
                       "    added_routes: [\"POST /refunds\"]\n"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->changes.size(), 3u);
  EXPECT_EQ(r->changes[0].description, "b1");
  EXPECT_EQ(r->changes[1].description, "c1");  // stable within a version
  EXPECT_EQ(r->changes[2].description, "c2");
  EXPECT_EQ(r->changes[0].status_map.at(201), 200);
  EXPECT_EQ(r->upstream_port, "7001");
}

TEST_F(LoadConfig, UnknownTopLevelKey) {
  std::string cfg = std::string(kHeader) + "colour: red\n" + kChange;
  Status st = expect_refused(cfg, "colour", "unknown key `colour`");
  EXPECT_NE(st.hint().find("upstream"), std::string::npos) << st.hint();  // lists known keys
}

// What the gateway would refuse at start, `api check` refuses with the line.
TEST_F(LoadConfig, ListenAdminAndStateThatCannotWork) {
  expect_refused(std::string("listen: 8080\n") + kHeader + kChange, "listen",
                 "`listen: 8080` is not HOST:PORT");
  expect_refused(std::string("admin: localhost\n") + kHeader + kChange, "admin",
                 "`admin: localhost` is not HOST:PORT");
  expect_refused(std::string("state: sqlit:gw.db\n") + kHeader + kChange, "state",
                 "neither an SQLite nor a PostgreSQL URL");
  auto ok =
      load(std::string("listen: localhost:8080\nstate: postgres://u@h/db\n") + kHeader + kChange);
  EXPECT_TRUE(ok.ok()) << ok.status().message();
}

// Every bad operation of a change is reported, each at its line, without repeating it.
TEST_F(LoadConfig, EveryBadOperationOfAChangeIsReported) {
  std::string cfg = std::string(kHeader) +
                    "changes:\n"
                    "  - version: \"2025-01-01\"\n"
                    "    routes: { \"GET /orders\": \"data[]\" }\n"
                    "    fields:\n"
                    "      - rename: { from: note, to: meta.notes }\n"
                    "      - rename: { from: a, to: b }\n"
                    "      - move: { from: \"x[].y\", to: z }\n"
                    "      - enum: { field: s, map: { p: q, r: q } }\n";
  Status st = expect_refused(cfg, "rename: { from: note", "different parents", 3);
  ASSERT_EQ(st.problems().size(), 3u);
  EXPECT_EQ(st.problems()[1].line, line_of(cfg, "move:"));
  EXPECT_EQ(st.problems()[2].line, line_of(cfg, "enum:"));
  for (const Problem& p : st.problems()) {
    EXPECT_EQ(p.message.find("line "), std::string::npos) << p.message;
  }
  EXPECT_NE(st.problems()[0].hint.find("use move"), std::string::npos);
}

TEST_F(LoadConfig, UnknownKeyInAVersion) {
  std::string cfg =
      "upstream: http://127.0.0.1:7001\n"
      "versions:\n"
      "  list:\n"
      "    - name: \"2024-01-01\"\n"
      "      sunsett: \"2027-01-01\"\n"
      "    - name: \"2025-01-01\"\n";
  expect_refused(cfg, "sunsett", "unknown key `sunsett` in a version");
}

TEST_F(LoadConfig, DuplicateKey) {
  std::string cfg = std::string(kHeader) + "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n" + kChange;
  expect_refused(cfg, "listen: 127.0.0.1:2", "`listen` appears twice");
}

TEST_F(LoadConfig, DuplicateRoute) {
  std::string cfg = std::string(kHeader) +
                    "changes:\n"
                    "  - version: \"2025-01-01\"\n"
                    "    routes:\n"
                    "      \"GET /orders\": \"data[]\"\n"
                    "      \"GET /orders\": \".\"\n"
                    "    fields:\n"
                    "      - rename: { from: total, to: total_amount }\n";
  expect_refused(cfg, "      \"GET /orders\": \".\"", "appears twice in routes");
}

TEST_F(LoadConfig, SunsetEarlierThanDeprecation) {
  std::string cfg =
      "upstream: http://127.0.0.1:7001\n"
      "versions:\n"
      "  list:\n"
      "    - name: \"2024-01-01\"\n"
      "      deprecated: \"2026-06-01T00:00:00Z\"\n"
      "      sunset: \"2026-01-01T00:00:00Z\"\n"
      "    - name: \"2025-01-01\"\n";
  expect_refused(cfg, "      sunset:", "sunset is earlier than its deprecation");
}

TEST_F(LoadConfig, BadTime) {
  std::string cfg =
      "upstream: http://127.0.0.1:7001\n"
      "versions:\n"
      "  list:\n"
      "    - name: \"2024-01-01\"\n"
      "      deprecated: \"next tuesday\"\n"
      "    - name: \"2025-01-01\"\n";
  expect_refused(cfg, "next tuesday", "is not a time");
}

TEST_F(LoadConfig, TimeWithOffsetAndDate) {
  auto r = load(
      "upstream: http://127.0.0.1:7001\n"
      "versions:\n"
      "  list:\n"
      "    - { name: a, deprecated: \"2025-06-01T02:00:00+02:00\", sunset: \"2025-06-02\" }\n"
      "    - { name: b }\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->versions[0].deprecated, 1748736000);
  EXPECT_EQ(r->versions[0].sunset, 1748736000 + 86400);
}

TEST_F(LoadConfig, HeadWithASunset) {
  std::string cfg =
      "upstream: http://127.0.0.1:7001\n"
      "versions:\n"
      "  list:\n"
      "    - name: \"2024-01-01\"\n"
      "    - name: \"2025-01-01\"\n"
      "      sunset: \"2030-01-01\"\n";
  expect_refused(cfg, "    - name: \"2025-01-01\"", "head version `2025-01-01` has a sunset");
}

TEST_F(LoadConfig, ChangeForUnknownVersion) {
  std::string cfg = std::string(kHeader) +
                    "changes:\n"
                    "  - version: \"2099-01-01\"\n"
                    "    status: { 201: 200 }\n";
  expect_refused(cfg, "\"2099-01-01\"",
                 "change for `2099-01-01`, which versions.list does not have");
}

TEST_F(LoadConfig, ChangeForTheOldestVersion) {
  std::string cfg = std::string(kHeader) +
                    "changes:\n"
                    "  - version: \"2024-01-01\"\n"
                    "    status: { 201: 200 }\n";
  expect_refused(cfg, "  - version: \"2024-01-01\"", "the oldest version");
}

TEST_F(LoadConfig, BadRoutePattern) {
  for (const char* route : {"get /orders", "GET orders", "/orders/{id", "GET /a?b"}) {
    SCOPED_TRACE(route);
    std::string cfg = std::string(kHeader) +
                      "changes:\n"
                      "  - version: \"2025-01-01\"\n"
                      "    routes:\n"
                      "      \"" +
                      route +
                      "\": \".\"\n"
                      "    fields:\n"
                      "      - rename: { from: total, to: total_amount }\n";
    // The bad route only: what is left of the change (fields without routes) is not a second
    // problem to fix.
    expect_refused(cfg, std::string("\"") + route, "route `", 1);
  }
}

TEST_F(LoadConfig, BadAddedRoute) {
  std::string cfg = std::string(kHeader) +
                    "changes:\n"
                    "  - version: \"2025-01-01\"\n"
                    "    added_routes: [\"POST refunds\"]\n"
                    "    status: { 201: 200 }\n";
  expect_refused(cfg, "added_routes", "route `POST refunds`");
}

TEST_F(LoadConfig, BadJqProgramInConvert) {
  std::string cfg = std::string(kHeader) +
                    "changes:\n"
                    "  - version: \"2025-01-01\"\n"
                    "    routes: { \"GET /orders\": \"data[]\" }\n"
                    "    fields:\n"
                    "      - rename: { from: total, to: total_amount }\n"
                    "      - convert: { field: total_amount, up: \". * \", down: \". / 100\" }\n";
  // The offending line is the convert operation, not the change it belongs to.
  expect_refused(cfg, "      - convert:", "jq program `. * `");
}

TEST_F(LoadConfig, BadFieldPath) {
  std::string cfg = std::string(kHeader) +
                    "changes:\n"
                    "  - version: \"2025-01-01\"\n"
                    "    routes: { \"GET /orders\": \"data[]\" }\n"
                    "    fields:\n"
                    "      - rename: { from: \"items[.price\", to: \"items[].unit_price\" }\n";
  expect_refused(cfg, "      - rename:", "bad path `items[.price`");
}

TEST_F(LoadConfig, BadLocation) {
  std::string cfg = std::string(kHeader) +
                    "changes:\n"
                    "  - version: \"2025-01-01\"\n"
                    "    routes:\n"
                    "      \"GET /orders\": \"data[\"\n"
                    "    fields:\n"
                    "      - rename: { from: total, to: total_amount }\n";
  expect_refused(cfg, "      \"GET /orders\"", "location");
}

TEST_F(LoadConfig, EnumMapRepeatingAValue) {
  std::string cfg = std::string(kHeader) +
                    "changes:\n"
                    "  - version: \"2025-01-01\"\n"
                    "    routes: { \"GET /orders\": \"data[]\" }\n"
                    "    fields:\n"
                    "      - enum:\n"
                    "          field: status\n"
                    "          map:\n"
                    "            paid: settled\n"
                    "            done: settled\n";
  // The repeated value only: the change left without an operation is not a second problem.
  Status st = expect_refused(cfg, "            done:", "repeats a value", 1);
  ASSERT_EQ(st.problems().size(), 1u);
}

TEST_F(LoadConfig, UpstreamUrls) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (Case c :
       {Case{"https://api.example.com:443", "TLS to the upstream is not supported"},
        Case{"ftp://127.0.0.1:7001", "is not an http:// URL"},
        Case{"127.0.0.1:7001", "is not an http:// URL"},
        Case{"http://127.0.0.1:", "no valid host:port"}, Case{"http://:7001", "no valid host:port"},
        Case{"http://127.0.0.1:99999", "no valid host:port"},
        Case{"http://127.0.0.1:70x1", "no valid host:port"},
        Case{"http://user@127.0.0.1:7001", "no host:port"}, Case{"http://", "no host:port"}}) {
    SCOPED_TRACE(c.url);
    std::string cfg = std::string("upstream:\n  url: \"") + c.url +
                      "\"\n"
                      "versions: { list: [a] }\n";
    expect_refused(cfg, "  url:", c.says);
  }
}

TEST_F(LoadConfig, UpstreamWithoutPortIsPort80AndBaseIsKept) {
  auto r = load("upstream: \"http://backend.internal/api/v1/\"\nversions: { list: [a] }\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->upstream_host, "backend.internal");
  EXPECT_EQ(r->upstream_port, "80");
  EXPECT_EQ(r->upstream_base, "/api/v1");
  auto v6 = load("upstream: \"http://[::1]:7001\"\nversions: { list: [a] }\n");
  ASSERT_TRUE(v6.ok()) << v6.status().message();
  EXPECT_EQ(v6->upstream_host, "::1");
  EXPECT_EQ(v6->upstream_port, "7001");
}

TEST_F(LoadConfig, NoUpstream) {
  auto r = load("versions: { list: [a] }\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no `upstream`"), std::string::npos) << r.status().message();
  EXPECT_FALSE(r.status().hint().empty());
}

TEST_F(LoadConfig, DurationWithoutUnit) {
  std::string cfg =
      "upstream:\n"
      "  url: http://127.0.0.1:7001\n"
      "  timeout: 5\n"
      "versions: { list: [a] }\n";
  Status st = expect_refused(cfg, "  timeout: 5", "`timeout: 5` is not a duration");
  EXPECT_NE(st.hint().find("5s"), std::string::npos) << st.hint();
}

TEST_F(LoadConfig, ZeroTimeoutAndBadSizeAndCount) {
  std::string cfg =
      "upstream: http://127.0.0.1:7001\n"
      "versions: { list: [a] }\n"
      "timeouts: { header: 0 }\n"
      "limits:\n"
      "  max_request_body: lots\n"
      "workers: 1000\n";
  auto r = load(cfg);
  ASSERT_FALSE(r.ok());
  const auto& ps = r.status().problems();
  ASSERT_EQ(ps.size(), 3u) << r.status().message();
  // In file order, whatever order they were found in.
  EXPECT_EQ(ps[0].line, line_of(cfg, "timeouts"));
  EXPECT_EQ(ps[1].line, line_of(cfg, "max_request_body"));
  EXPECT_EQ(ps[2].line, line_of(cfg, "workers"));
}

TEST_F(LoadConfig, DefaultNeitherPinNorAVersion) {
  std::string cfg =
      "upstream: http://127.0.0.1:7001\n"
      "versions:\n"
      "  default: latest\n"
      "  list: [a, b]\n";
  expect_refused(cfg, "  default: latest",
                 "`default: latest` is neither `pin` nor a listed version");
}

TEST_F(LoadConfig, DefaultAVersion) {
  auto r = load(
      "upstream: http://127.0.0.1:7001\n"
      "versions:\n"
      "  default: a\n"
      "  list: [a, b]\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->default_pin);
  EXPECT_EQ(r->default_version, "a");
}

TEST_F(LoadConfig, VersionListedTwiceAndBadName) {
  std::string cfg =
      "upstream: http://127.0.0.1:7001\n"
      "versions:\n"
      "  list:\n"
      "    - a\n"
      "    - \"b c\"\n"
      "    - a\n";
  auto r = load(cfg);
  ASSERT_FALSE(r.ok());
  const auto& ps = r.status().problems();
  ASSERT_EQ(ps.size(), 2u) << r.status().message();
  EXPECT_EQ(ps[0].line, 5);
  EXPECT_NE(ps[0].message.find("must be letters"), std::string::npos) << ps[0].message;
  EXPECT_EQ(ps[1].line, 6);
  EXPECT_NE(ps[1].message.find("listed twice"), std::string::npos) << ps[1].message;
}

TEST_F(LoadConfig, BadVersionPath) {
  std::string cfg =
      "upstream: http://127.0.0.1:7001\n"
      "versions:\n"
      "  path: \"/{version}\"\n"
      "  list: [a]\n";
  expect_refused(cfg, "  path:", "must start with / and end with {version}/");
}

TEST_F(LoadConfig, ThreeMistakesThreeProblems) {
  std::string cfg =
      "upstream: http://127.0.0.1:7001\n"
      "colour: red\n"
      "versions:\n"
      "  default: latest\n"
      "  list: [a, b]\n"
      "changes:\n"
      "  - version: zzz\n"
      "    status: { 201: 200 }\n";
  auto r = load(cfg);
  ASSERT_FALSE(r.ok());
  const Status& st = r.status();
  EXPECT_EQ(st.code(), Code::kInvalidInput);
  ASSERT_EQ(st.problems().size(), 3u) << st.message();
  EXPECT_EQ(st.problems()[0].line, 2);
  EXPECT_EQ(st.problems()[1].line, 4);
  EXPECT_EQ(st.problems()[2].line, 7);
  for (const Problem& p : st.problems()) {
    EXPECT_EQ(p.file, path_);
    EXPECT_FALSE(p.hint.empty()) << p.message;
  }
  EXPECT_NE(st.message().find("3 problems found in " + path_), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(path_ + ":2: unknown key `colour`"), std::string::npos)
      << st.message();
}

TEST_F(LoadConfig, NotYaml) {
  std::string cfg = "upstream: http://127.0.0.1:7001\nversions: [a, b\nlisten: x\n";
  auto r = load(cfg);
  ASSERT_FALSE(r.ok());
  const Status& st = r.status();
  EXPECT_EQ(st.code(), Code::kInvalidInput);
  // path:line:col: — a line and a column, both 1-based.
  std::string prefix = path_ + ":";
  ASSERT_EQ(st.message().rfind(prefix, 0), 0u) << st.message();
  int line = 0, col = 0;
  ASSERT_EQ(std::sscanf(st.message().c_str() + prefix.size(), "%d:%d:", &line, &col), 2)
      << st.message();
  EXPECT_GE(line, 2);
  EXPECT_LE(line, 4);
  EXPECT_GE(col, 1);
  EXPECT_NE(st.message().find("not valid YAML"), std::string::npos);
  EXPECT_FALSE(st.hint().empty());
  // Like every other refusal, the syntax error is listed as a problem too.
  ASSERT_EQ(st.problems().size(), 1u) << "a YAML syntax error carries no Problem";
  EXPECT_EQ(st.problems()[0].line, line);
  EXPECT_EQ(st.problems()[0].column, col);
}

TEST_F(LoadConfig, NotAMap) {
  auto r = load("- just\n- a list\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidInput);
  EXPECT_NE(r.status().message().find(path_ + ":1: a gateway config is a map"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().problems().size(), 1u);
}

TEST_F(LoadConfig, LargerThanOneMiB) {
  std::string cfg = std::string(kHeader) + "# " + std::string(1 << 20, 'x') + "\n";
  auto r = load(cfg);
  ASSERT_FALSE(r.ok());
  const Status& st = r.status();
  EXPECT_EQ(st.code(), Code::kInvalidInput);
  EXPECT_NE(st.message().find(path_), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("larger than 1 MiB"), std::string::npos) << st.message();
  EXPECT_FALSE(st.hint().empty()) << "no hint: " << st.message();
  EXPECT_EQ(st.problems().size(), 1u) << "the refusal carries no Problem";
}

TEST_F(LoadConfig, ExactlyOneMiBIsRead) {
  std::string cfg = std::string(kHeader) + kChange + "# ";
  cfg += std::string((1 << 20) - cfg.size() - 1, 'x') + "\n";
  ASSERT_EQ(cfg.size(), 1u << 20);
  auto r = load(cfg);
  EXPECT_TRUE(r.ok()) << r.status().message();
}

TEST_F(LoadConfig, MissingFile) {
  std::string path = dir_.path() + "/nope.yaml";
  auto r = load_config(path);
  ASSERT_FALSE(r.ok());
  const Status& st = r.status();
  EXPECT_EQ(st.code(), Code::kInvalidInput);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("cannot read"), std::string::npos) << st.message();
  EXPECT_NE(st.hint().find("--config"), std::string::npos) << st.hint();
  EXPECT_EQ(st.problems().size(), 1u) << "the refusal carries no Problem";
}

TEST_F(LoadConfig, ADirectoryIsNotAConfig) {
  auto r = load_config(dir_.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidInput);
  EXPECT_NE(r.status().message().find(dir_.path()), std::string::npos) << r.status().message();
}

TEST_F(LoadConfig, StateSqlitePathIsRelativeToTheConfigFolder) {
  namespace fs = std::filesystem;
  auto state_of = [&](const std::string& state) {
    std::string cfg = std::string(kHeader) + "state: \"" + state + "\"\n";
    path_ = dir_.write("conf/api.yaml", cfg);
    auto r = load_config(path_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r->state : std::string();
  };
  std::string conf = (fs::path(dir_.path()) / "conf").string();
  EXPECT_EQ(state_of("sqlite:gateway.db"), "sqlite:" + conf + "/gateway.db");
  EXPECT_EQ(state_of("sqlite:data/../gw.db"), "sqlite:" + conf + "/gw.db");
  EXPECT_EQ(state_of("sqlite://rel.db"), "sqlite:" + conf + "/rel.db");
  EXPECT_EQ(state_of("sqlite:/var/lib/gw.db"), "sqlite:/var/lib/gw.db");
  EXPECT_EQ(state_of("sqlite::memory:"), "sqlite::memory:");
  EXPECT_EQ(state_of("postgres://u@h/db"), "postgres://u@h/db");
  // Not written: the default `sqlite:gateway.db` is the same file as when it is written, not
  // one that depends on the working directory.
  auto r = load(kHeader);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, "sqlite:" + dir_.path() + "/gateway.db");
}

}  // namespace
}  // namespace tandem::gateway
