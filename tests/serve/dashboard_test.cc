// The dashboard of `tandem serve` as a process on loopback against a real PostgreSQL: an
// active expand/contract migration whose backfill runs in another `tandem start` process, its
// progress moving in /api/overview and in the event stream, pause/resume from the API, a
// planted mismatch turning the verify state red, history pages, and what is refused.
// The page itself is driven in a real browser by tests/serve/dashboard_browser_test.sh.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "gateway/http_test_client.h"
#include "test_util.h"

namespace tandem::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kToken = "dashboard-test-token";

// A spawned process, killed when the test ends — also when an ASSERT ends it early.
struct Killed {
  pid_t pid;
  ~Killed() {
    if (pid > 0 && kill(pid, 0) == 0) {
      kill(pid, SIGKILL);
      wait_exit(pid);
    }
  }
};

class Dashboard : public ::testing::Test {
 protected:
  Dashboard() : db_(Kind::kPostgres) {}
  void SetUp() override {
    std::string from = std::string(TANDEM_SOURCE_DIR) + "/examples/expand-contract/orders/";
    dir_.write("0001_create_orders.sql", read_file(from + "0001_create_orders.sql"));
    ASSERT_EQ(run({"up"}).code, 0);
    db_.exec(
        "INSERT INTO orders (customer, total_amount) SELECT 'c' || g, g % 1000 FROM "
        "generate_series(1, 30000) g");
    dir_.write("0002_orders_minor_units.yaml", read_file(from + "0002_orders_minor_units.yaml"));
    dir_.write("token", std::string(kToken) + "\n");
  }
  void TearDown() override {
    stop(serve_);
    stop(start_);
  }
  CmdResult run(const std::vector<std::string>& args) { return run_tandem_on(db_, dir_, args); }
  static void stop(pid_t& pid) {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    wait_exit(pid);
    pid = -1;
  }
  // `tandem start` in the background, its backfill held to `rate` rows/s.
  void start_backfill(int rate) {
    start_ = spawn_tandem({"--db", db_.url(), "--dir", dir_.path(), "start",
                           "--max-rows-per-second", std::to_string(rate)},
                          dir_.path() + "/start.log");
  }
  void serve(const std::vector<std::string>& extra = {}) {
    port_ = free_port();
    std::vector<std::string> args = {"--db",
                                     db_.url(),
                                     "--dir",
                                     dir_.path(),
                                     "serve",
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(port_),
                                     "--refresh",
                                     "200ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = spawn_tandem(args, dir_.path() + "/serve.log");
    ASSERT_TRUE(wait_for_port(port_)) << read_file(dir_.path() + "/serve.log");
  }
  HeaderList auth() const { return {{"Authorization", std::string("Bearer ") + kToken}}; }
  json overview(const HeaderList& headers = {}) {
    HttpResponse r = request(port_, "GET", "/api/overview", headers);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  // Polls the overview until `ok` holds (5 s at most); the last overview read.
  json until(const std::function<bool(const json&)>& ok, const HeaderList& headers = {},
             int seconds = 10) {
    auto t0 = Clock::now();
    json o;
    while (Clock::now() - t0 < std::chrono::seconds(seconds)) {
      o = overview(headers);
      if (ok(o)) return o;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "never held; last overview: " << o.dump(2).substr(0, 3000)
                  << "\nserve log: " << read_file(dir_.path() + "/serve.log")
                  << "\nstart log: " << read_file(dir_.path() + "/start.log");
    return o;
  }
  static const json* job(const json& o, const std::string& id) {
    if (!o.is_object() || !o["backfills"].is_array()) return nullptr;
    for (const json& j : o["backfills"])
      if (j["id"] == id) return &j;
    return nullptr;
  }

  TempDir dir_;
  TestDb db_;
  int port_ = 0;
  pid_t serve_ = -1, start_ = -1;
};

TEST_F(Dashboard, ShowsTheActiveMigrationAndItsBackfillMoving) {
  start_backfill(3000);
  serve();
  json o = until([](const json& o) {
    const json* j = job(o, "2/orders");
    return j && (*j)["state"] == "running" && (*j)["rows_done"].get<long long>() > 0;
  });
  EXPECT_EQ(o["backend"], "postgres");
  EXPECT_EQ(o["actions"], false);
  EXPECT_EQ(o["migrations"]["active"]["version"], "2");
  EXPECT_EQ(o["migrations"]["active"]["name"], "orders_minor_units");
  EXPECT_EQ(o["migrations"]["active"]["old_schema"], "public_1");
  EXPECT_EQ(o["migrations"]["active"]["new_schema"], "public_2");
  EXPECT_FALSE(o["migrations"]["active"]["next_step"].get<std::string>().empty());
  EXPECT_EQ(o["migrations"]["applied"], 1);
  long long first = (*job(o, "2/orders"))["rows_done"].get<long long>();
  const json& j = *job(o, "2/orders");
  EXPECT_EQ(j["rows_total"], 30000);
  EXPECT_GT(j["batch_size"].get<long long>(), 0);
  // Progress moves.
  o = until([&](const json& o) {
    const json* j = job(o, "2/orders");
    return j && (*j)["rows_done"].get<long long>() > first;
  });
  EXPECT_GT((*job(o, "2/orders"))["rows_per_second"].get<double>(), 0);
  EXPECT_GT((*job(o, "2/orders"))["progress"].get<double>(), 0);

  // The event stream sends the overview at once, then every change.
  RawResponse raw = send_raw(
      port_, "GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n", 1500);
  EXPECT_NE(raw.data.find("Content-Type: text/event-stream"), std::string::npos) << raw.data;
  std::vector<long long> seen;
  for (size_t at = raw.data.find("data: "); at != std::string::npos;
       at = raw.data.find("data: ", at + 1)) {
    json e = json::parse(raw.data.substr(at + 6, raw.data.find('\n', at) - at - 6), nullptr, false);
    ASSERT_TRUE(e.is_object());
    if (const json* j = job(e, "2/orders")) seen.push_back((*j)["rows_done"].get<long long>());
  }
  ASSERT_GE(seen.size(), 2u) << raw.data.substr(0, 500);
  EXPECT_GT(seen.back(), seen.front());

  // The charts' samples.
  HttpResponse series = request(port_, "GET", "/api/series");
  ASSERT_EQ(series.status, 200);
  json s = json::parse(series.body);
  ASSERT_TRUE(s["backfills"]["2/orders"].is_array()) << series.body;
  EXPECT_GE(s["backfills"]["2/orders"].size(), 2u);

  // Read-only by default.
  HttpResponse act = request(port_, "POST", "/api/backfills/2%2Forders/pause");
  EXPECT_EQ(act.status, 403) << act.body;
  EXPECT_NE(act.body.find("actions-disabled"), std::string::npos);
  EXPECT_EQ(job(overview(), "2/orders")->at("state"), "running");
}

TEST_F(Dashboard, PausesAndResumesABackfillWithTheToken) {
  start_backfill(2000);
  serve({"--allow-actions", "--token-file", dir_.path() + "/token"});
  EXPECT_EQ(request(port_, "GET", "/api/overview").status, 401);
  // The page needs no token; its data does.
  HttpResponse page = request(port_, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.header("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  json o = until(
      [](const json& o) {
        const json* j = job(o, "2/orders");
        return j && (*j)["state"] == "running";
      },
      auth());
  EXPECT_EQ(o["actions"], true);
  EXPECT_EQ(request(port_, "POST", "/api/backfills/2%2Forders/pause").status, 401);
  HttpResponse paused = request(port_, "POST", "/api/backfills/2%2Forders/pause", auth());
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(json::parse(paused.body)["job"]["state"], "paused");
  EXPECT_EQ(json::parse(paused.body)["previous_state"], "running");
  o = until([](const json& o) { return job(o, "2/orders")->at("state") == "paused"; }, auth());
  // Paused: no more rows (after the batch in flight).
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  long long held = job(overview(auth()), "2/orders")->at("rows_done").get<long long>();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(job(overview(auth()), "2/orders")->at("rows_done").get<long long>(), held);
  // Pausing again changes nothing.
  EXPECT_EQ(request(port_, "POST", "/api/backfills/2%2Forders/pause", auth()).status, 200);
  EXPECT_EQ(job(overview(auth()), "2/orders")->at("state"), "paused");
  HttpResponse resumed = request(port_, "POST", "/api/backfills/2%2Forders/resume", auth());
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  until([&](const json& o) { return job(o, "2/orders")->at("rows_done").get<long long>() > held; },
        auth());
  // A job no process runs is not continued inside the server.
  kill(start_, SIGKILL);
  wait_exit(start_);
  start_ = -1;
  o = until([](const json& o) { return job(o, "2/orders")->at("state") == "interrupted"; }, auth());
  HttpResponse here = request(port_, "POST", "/api/backfills/2%2Forders/resume", auth());
  EXPECT_EQ(here.status, 409) << here.body;
  EXPECT_NE(here.body.find("no process runs"), std::string::npos) << here.body;
  EXPECT_EQ(db_.value("SELECT state FROM tandem.backfill_jobs WHERE id = '2/orders'"), "running")
      << "the state a killed runner left is unchanged";
  // Hostile paths and methods.
  EXPECT_EQ(request(port_, "POST", "/api/backfills/%ZZ/pause", auth()).status, 400);
  EXPECT_EQ(request(port_, "POST", "/api/backfills/2%2Forders/explode", auth()).status, 404);
  EXPECT_EQ(request(port_, "GET", "/api/backfills/2%2Forders/pause", auth()).status, 405);
  EXPECT_EQ(request(port_, "POST", "/api/rollouts/0/x/promote", auth()).status, 404)
      << "no gateway is configured";
}

TEST_F(Dashboard, AMismatchTurnsTheVerifyStateRed) {
  ASSERT_EQ(run({"start"}).code, 0);
  serve();
  ASSERT_EQ(run({"verify"}).code, 0);
  json o = until([](const json& o) { return o["verify"].size() == 1; });
  EXPECT_EQ(o["verify"][0]["status"], "clean");
  EXPECT_EQ(o["verify"][0]["mismatches"], 0);
  EXPECT_EQ(o["verify"][0]["rows"], 30000);
  // A value behind the dual-write trigger's back.
  auto c = db_.connect();
  ASSERT_TRUE(c->execute_script("SET session_replication_role = replica").ok());
  ASSERT_TRUE(
      c->execute_script("UPDATE orders SET _tandem_new_total_amount = 999999 WHERE id IN (7, 9)")
          .ok());
  EXPECT_EQ(run({"verify"}).code, 1);
  o = until([](const json& o) { return o["verify"][0]["status"] == "mismatches"; });
  const json& v = o["verify"][0];
  EXPECT_EQ(v["version"], "2");
  // Both directions see each planted row (new ≠ up(old), old ≠ down(new)).
  long long mismatches = v["mismatches"].get<long long>();
  EXPECT_GE(mismatches, 2);
  EXPECT_LE(mismatches, 4);
  EXPECT_NEAR(v["mismatch_rate"].get<double>(), static_cast<double>(mismatches) / 30000, 1e-9);
  std::string keys = v["checks"].dump();
  EXPECT_NE(keys.find("(7)"), std::string::npos) << keys;
  EXPECT_NE(keys.find("(9)"), std::string::npos) << keys;
  // Its history, oldest first, for the chart.
  json s = json::parse(request(port_, "GET", "/api/series").body);
  ASSERT_EQ(s["verify"]["2"].size(), 2u) << s.dump();
  EXPECT_EQ(s["verify"]["2"][0][2], 0);
  EXPECT_EQ(s["verify"]["2"][1][2], mismatches);
  EXPECT_GT(s["verify"]["2"][1][0].get<double>(), 1.7e12);
}

TEST_F(Dashboard, PagesThroughTheHistory) {
  for (int v = 3; v <= 130; ++v)
    dir_.write(fmt::format("{:04d}_t{}.sql", v, v),
               fmt::format("-- tandem:up\nCREATE TABLE t{} (id int);\n-- tandem:down\nDROP TABLE "
                           "t{};\n",
                           v, v));
  std::filesystem::remove(dir_.path() + "/0002_orders_minor_units.yaml");
  ASSERT_EQ(run({"up"}).code, 0);
  serve();
  json o = overview();
  EXPECT_EQ(o["migrations"]["applied"], 129);
  EXPECT_EQ(o["migrations"]["recent"].size(), 20u) << "the newest 20";
  EXPECT_EQ(o["migrations"]["recent"][0]["version"], "130");
  json page = json::parse(request(port_, "GET", "/api/migrations?limit=100").body);
  ASSERT_EQ(page["migrations"].size(), 100u);
  EXPECT_EQ(page["migrations"][0]["version"], "130");
  std::string next = page["next"];
  json rest = json::parse(request(port_, "GET", "/api/migrations?limit=100&before=" + next).body);
  EXPECT_EQ(rest["migrations"].size(), 29u);
  EXPECT_TRUE(rest["next"].is_null());
  EXPECT_EQ(rest["migrations"].back()["version"], "1");
  EXPECT_EQ(request(port_, "GET", "/api/migrations?limit=0").status, 400);
  EXPECT_EQ(request(port_, "GET", "/api/migrations?limit=5000").status, 400);
  EXPECT_EQ(request(port_, "GET", "/api/migrations?before=x'").status, 400);
  // A pending file appears without a restart (the folder changed).
  dir_.write("0131_t131.sql", "-- tandem:up\nCREATE TABLE t131 (id int);\n");
  until([](const json& o) { return o["migrations"]["pending"] == 1; });
}

TEST(DashboardStart, RefusesWhatCannotWork) {
  TestDb db(Kind::kPostgres);
  // Neither history nor flags: a mistyped --db.
  CmdResult r = run_tandem({"--db", db.url(), "serve", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("neither tandem's history nor flags"), std::string::npos) << r.err;
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "k", "true"}).code, 0);
  // Actions without a token.
  r = run_tandem({"--db", db.url(), "serve", "--listen", "127.0.0.1:0", "--allow-actions"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--allow-actions needs a token"), std::string::npos) << r.err;
  // A token too short to guard them.
  TempDir dir;
  dir.write("short", "short\n");
  r = run_tandem({"--db", db.url(), "serve", "--listen", "127.0.0.1:0", "--allow-actions",
                  "--token-file", dir.path() + "/short"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("at least 16 characters"), std::string::npos) << r.err;
  for (const char* bad : {"https://127.0.0.1:9090", "127.0.0.1:9090", "http://127.0.0.1",
                          "http://u:p@127.0.0.1:9090", "http://127.0.0.1:99999"}) {
    r = run_tandem({"--db", db.url(), "serve", "--listen", "127.0.0.1:0", "--gateway-admin", bad});
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--gateway-admin"), std::string::npos) << r.err;
  }
}

TEST(DashboardStart, AFlagRowNestedTooDeepIsLeftOutNotFatal) {
  TestDb db(Kind::kSqlite);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "ok", "true"}).code, 0);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "deep", "{\"a\":1}"}).code, 0);
  // Edited by hand into 200,000 levels (400 KB): parsed, it would overflow the stack.
  db.exec("UPDATE tandem_flags SET value = '" + std::string(200000, '[') +
          std::string(200000, ']') + "' WHERE key = 'deep'");
  TempDir dir;
  int port = free_port();
  pid_t pid = spawn_tandem({"--db", db.url(), "--dir", dir.path(), "serve", "--listen",
                            "127.0.0.1:" + std::to_string(port), "--refresh", "200ms"},
                           dir.path() + "/serve.log");
  Killed guard{pid};
  ASSERT_TRUE(wait_for_port(port)) << read_file(dir.path() + "/serve.log");
  HttpResponse r = request(port, "GET", "/api/overview");
  ASSERT_EQ(r.status, 200) << read_file(dir.path() + "/serve.log");
  json o = json::parse(r.body);
  ASSERT_EQ(o["flags"].size(), 1u) << "the deep one is left out";
  EXPECT_EQ(o["flags"][0]["key"], "ok");
  EXPECT_EQ(request(port, "POST", "/ofrep/v1/evaluate/flags/ok", {}, "{}").status, 200);
  EXPECT_EQ(request(port, "POST", "/ofrep/v1/evaluate/flags/deep", {}, "{}").status, 404);
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid), 0);
}

TEST(DashboardStart, AGatewayThatIsDownIsShownNotFatal) {
  TestDb db(Kind::kSqlite);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "k", "true"}).code, 0);
  TempDir dir;
  int port = free_port(), dead = free_port();
  pid_t pid = spawn_tandem({"--db", db.url(), "--dir", dir.path() + "/none", "serve", "--listen",
                            "127.0.0.1:" + std::to_string(port), "--gateway-admin",
                            "http://127.0.0.1:" + std::to_string(dead), "--refresh", "200ms"},
                           dir.path() + "/serve.log");
  Killed guard{pid};
  ASSERT_TRUE(wait_for_port(port)) << read_file(dir.path() + "/serve.log");
  HttpResponse r = request(port, "GET", "/api/overview");
  ASSERT_EQ(r.status, 200);
  json o = json::parse(r.body);
  ASSERT_EQ(o["apis"].size(), 1u);
  EXPECT_EQ(o["apis"][0]["ok"], false);
  EXPECT_FALSE(o["apis"][0]["error"].get<std::string>().empty());
  EXPECT_EQ(o["backend"], "sqlite");
  EXPECT_TRUE(o["backfills"].empty());
  EXPECT_EQ(o["flags"][0]["key"], "k");
  EXPECT_TRUE(o["migrations"]["pending"].is_null()) << "no folder: pending is unknown";
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid), 0);
}

TEST(DashboardStart, HostileRequestsAreAnsweredAndNothingBreaks) {
  TestDb db(Kind::kSqlite);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "k", "true"}).code, 0);
  TempDir dir;
  dir.write("token", "hostile-token-123456\n");
  int port = free_port(), dead = free_port();
  pid_t pid = spawn_tandem({"--db", db.url(), "--dir", dir.path(), "serve", "--listen",
                            "127.0.0.1:" + std::to_string(port), "--allow-actions", "--token-file",
                            dir.path() + "/token", "--gateway-admin",
                            "http://127.0.0.1:" + std::to_string(dead), "--refresh", "100ms"},
                           dir.path() + "/serve.log");
  Killed guard{pid};
  ASSERT_TRUE(wait_for_port(port)) << read_file(dir.path() + "/serve.log");
  std::mt19937 rng(20261201);
  const std::vector<std::string> prefixes = {"/api/backfills/",
                                             "/api/rollouts/",
                                             "/api/rollouts/0/",
                                             "/api/migrations?",
                                             "/api/overview",
                                             "/assets/",
                                             "/api/series?",
                                             "/api/events",
                                             "/",
                                             "/api/migrations?limit=",
                                             "/api/migrations?before="};
  const std::string alphabet = "%/?&=.-_azAZ09%2F%00%ff\\'\"<>:;~ ";
  const std::vector<std::string> methods = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"};
  int answered = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string target = prefixes[rng() % prefixes.size()];
    int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) target += alphabet[rng() % alphabet.size()];
    std::string safe;
    for (char c : target) safe += (c == ' ' || c == '"' || c == '<' || c == '>') ? '_' : c;
    std::string body(rng() % 3 == 0 ? rng() % 300 : 0, '{');
    for (char& c : body) c = static_cast<char>(rng() % 256);
    HeaderList headers;
    if (rng() % 2) headers.push_back({"Authorization", "Bearer hostile-token-123456"});
    const std::string& method = methods[rng() % methods.size()];
    // A stream: read below.
    if (safe.substr(0, safe.find('?')) == "/api/events" && method == "GET") continue;
    HttpResponse r = request(port, method, safe, headers, body, 3000);
    ASSERT_TRUE(r.ok()) << method << " " << safe << ": " << r.error;
    // 502: a rollout action forwarded to the gateway, which is down.
    if (!(r.status == 502 && safe.starts_with("/api/rollouts/"))) {
      EXPECT_LT(r.status, 500) << method << " " << safe << ": " << r.body;
    }
    if (r.status == 401) {
      EXPECT_TRUE(headers.empty());
    }
    ++answered;
  }
  EXPECT_GT(answered, 1000);
  // Still serving, and the stream still opens.
  EXPECT_EQ(request(port, "GET", "/healthz").status, 200);
  RawResponse raw = send_raw(port,
                             "GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                             "hostile-token-123456\r\n\r\n",
                             700);
  EXPECT_NE(raw.data.find("event: overview"), std::string::npos) << raw.data.substr(0, 300);
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid), 0) << read_file(dir.path() + "/serve.log");
}

}  // namespace
}  // namespace tandem::testing
