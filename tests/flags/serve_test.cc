// `tandem serve` as a process on loopback: OFREP answers, changes seen after a refresh, the
// token, limits and hostile requests, and a database outage that keeps the last flags served.
// OpenFeature's own SDKs are tested against it in ofrep_openfeature_test.sh.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "gateway/http_test_client.h"
#include "test_util.h"

namespace tandem::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

class Serve {
 public:
  Serve(const std::string& db_url, const std::map<std::string, std::string>& env = {},
        const std::string& refresh = "100ms")
      : log_(dir_.path() + "/serve.log") {
    port_ = free_port();
    pid_ = spawn_tandem({"--db", db_url, "serve", "--listen", "127.0.0.1:" + std::to_string(port_),
                         "--refresh", refresh},
                        log_, env);
    started_ = wait_for_port(port_);
  }
  ~Serve() { stop(); }
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int code = wait_exit(pid_);
    pid_ = -1;
    return code;
  }
  bool started() const { return started_; }
  int port() const { return port_; }
  std::string log() const { return read_file(log_); }
  pid_t pid() const { return pid_; }

 private:
  TempDir dir_;
  std::string log_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool started_ = false;
};

HttpResponse evaluate(int port, const std::string& key, const std::string& targeting_key = "t1",
                      const HeaderList& headers = {}) {
  HeaderList h = headers;
  h.push_back({"Content-Type", "application/json"});
  return request(port, "POST", "/ofrep/v1/evaluate/flags/" + key, h,
                 json{{"context", {{"targetingKey", targeting_key}}}}.dump());
}

json value_of(int port, const std::string& key) {
  HttpResponse r = evaluate(port, key);
  if (r.status != 200) return json("status " + std::to_string(r.status));
  return json::parse(r.body)["value"];
}

// Waits until `key` evaluates to `want`; the time it took, or -1 after 5 s.
long long until_value(int port, const std::string& key, const json& want) {
  auto t0 = Clock::now();
  while (Clock::now() - t0 < std::chrono::seconds(5)) {
    if (value_of(port, key) == want)
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

class ServeTest : public ::testing::TestWithParam<Kind> {};

TEST_P(ServeTest, ServesFlagsAndSeesChanges) {
  TestDb db(GetParam());
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "orders.read_new", "false"}).code, 0);
  Serve serve(db.url());
  ASSERT_TRUE(serve.started()) << serve.log();
  EXPECT_EQ(serve.log().find("password"), std::string::npos);
  HttpResponse r = evaluate(serve.port(), "orders.read_new");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r.body)["value"], false);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "orders.read_new", "true"}).code, 0);
  EXPECT_GE(until_value(serve.port(), "orders.read_new", true), 0) << serve.log();
  // A new flag appears; a deleted one is FLAG_NOT_FOUND.
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "n", "3"}).code, 0);
  EXPECT_GE(until_value(serve.port(), "n", 3), 0);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "delete", "n"}).code, 0);
  EXPECT_GE(until_value(serve.port(), "n", "status 404"), 0);
  // Bulk, with its ETag.
  HttpResponse bulk = request(serve.port(), "POST", "/ofrep/v1/evaluate/flags", {}, "{}");
  ASSERT_EQ(bulk.status, 200);
  std::string etag = bulk.header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(
      request(serve.port(), "POST", "/ofrep/v1/evaluate/flags", {{"If-None-Match", etag}}, "{}")
          .status,
      304);
  HttpResponse list = request(serve.port(), "GET", "/api/flags");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body)["flags"][0]["key"], "orders.read_new");
  HttpResponse metrics = request(serve.port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("tandem_serve_flag_evaluations_total{flag=\"orders.read_new\""),
            std::string::npos)
      << metrics.body;
  EXPECT_EQ(request(serve.port(), "GET", "/readyz").status, 200);
  EXPECT_EQ(serve.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeTest, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         kind_name);

TEST(Serve, TokenRequiredWhenGiven) {
  TestDb db(Kind::kSqlite);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "k", "true"}).code, 0);
  Serve serve(db.url(), {{"TANDEM_SERVE_TOKEN", "s3cret-token"}});
  ASSERT_TRUE(serve.started()) << serve.log();
  EXPECT_EQ(serve.log().find("s3cret"), std::string::npos);
  EXPECT_EQ(evaluate(serve.port(), "k").status, 401);
  EXPECT_EQ(evaluate(serve.port(), "k", "t", {{"Authorization", "Bearer wrong-token!"}}).status,
            401);
  EXPECT_EQ(evaluate(serve.port(), "k", "t", {{"Authorization", "Bearer s3cret-token"}}).status,
            200);
  EXPECT_EQ(evaluate(serve.port(), "k", "t", {{"X-API-Key", "s3cret-token"}}).status, 200);
  EXPECT_EQ(evaluate(serve.port(), "k", "t", {{"Authorization", "BEARER s3cret-token"}}).status,
            200);
  EXPECT_EQ(request(serve.port(), "GET", "/api/flags").status, 401);
  EXPECT_EQ(request(serve.port(), "GET", "/healthz").status, 200);  // probes need no token
  // A token no header could carry is refused at start.
  CmdResult r = run_tandem({"--db", db.url(), "serve", "--listen", "127.0.0.1:0"},
                           {{"TANDEM_SERVE_TOKEN", "two words"}});
  EXPECT_EQ(r.code, 2) << r.err;
}

// A row edited by hand into something that is not a flag is left out (and said); a kill switch
// on another flag still reaches applications (a trial froze every reload with one bad row).
TEST(Serve, ABrokenRowDoesNotStopTheOthers) {
  TestDb db(Kind::kSqlite);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "kill", "true"}).code, 0);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "broken", "true"}).code, 0);
  Serve serve(db.url());
  ASSERT_TRUE(serve.started()) << serve.log();
  db.exec("UPDATE tandem_flags SET value = 'not json' WHERE key = 'broken'");
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "kill", "false"}).code, 0);
  EXPECT_GE(until_value(serve.port(), "kill", false), 0) << serve.log();
  EXPECT_EQ(value_of(serve.port(), "broken"), "status 404");
  HttpResponse bulk = request(serve.port(), "POST", "/ofrep/v1/evaluate/flags", {}, "{}");
  EXPECT_FALSE(json::parse(bulk.body, nullptr, false).is_discarded()) << bulk.body;
  EXPECT_NE(serve.log().find("flag broken in the database is not valid"), std::string::npos)
      << serve.log();
  CmdResult list = run_tandem({"--db", db.url(), "flag", "list"});
  EXPECT_EQ(list.code, 3);
  EXPECT_NE(list.out.find("kill"), std::string::npos);
}

TEST(Serve, LimitsAndHostileRequests) {
  TestDb db(Kind::kSqlite);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "k", "true", "--percent", "50"}).code, 0);
  Serve serve(db.url());
  ASSERT_TRUE(serve.started()) << serve.log();
  int port = serve.port();
  EXPECT_EQ(request(port, "GET", "/ofrep/v1/evaluate/flags/k").status, 405);
  EXPECT_EQ(request(port, "GET", "/nothing").status, 404);
  EXPECT_EQ(request(port, "POST", "/api/flags").status, 405);
  // Refused on its Content-Length, before the body is read (a client still writing it may see
  // the connection close instead of the answer: the header alone is sent here).
  RawResponse big = send_raw(port,
                             "POST /ofrep/v1/evaluate/flags/k HTTP/1.1\r\nHost: x\r\n"
                             "Content-Length: 70000\r\n\r\n");
  EXPECT_NE(big.data.find(" 413 "), std::string::npos) << big.data;
  std::mt19937 rng(11);
  const char* methods[] = {"POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"};
  const char* paths[] = {"/ofrep/v1/evaluate/flags/k",
                         "/ofrep/v1/evaluate/flags",
                         "/ofrep/v1/evaluate/flags/",
                         "/ofrep/v1/evaluate/flags/%",
                         "/api/flags",
                         "/ofrep/v1/evaluate/flags/k/extra",
                         "/ofrep/v1/evaluate/flags/%ff%00"};
  int answered = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string body = R"({"context":{"targetingKey":"t)" + std::to_string(i) + "\"}}";
    for (int e = static_cast<int>(rng() % 5); e > 0 && !body.empty(); --e)
      body[rng() % body.size()] = static_cast<char>(rng() % 256);
    HeaderList headers;
    if (rng() % 4 == 0) headers.push_back({"If-None-Match", std::string(rng() % 300, '"')});
    if (rng() % 5 == 0) headers.push_back({"Authorization", "Bearer \x01\x7f"});
    HttpResponse r = request(port, methods[rng() % 7], paths[rng() % 7], headers, body, 3000);
    if (r.status > 0) ++answered;
    if (r.status == 200 && r.header("Content-Type") == "application/json") {
      ASSERT_FALSE(json::parse(r.body, nullptr, false).is_discarded()) << r.body;
    }
    ASSERT_LT(r.status, 500) << r.body;
  }
  EXPECT_EQ(answered, 1500);
  RawResponse raw = send_raw(port,
                             "POST /ofrep/v1/evaluate/flags/k HTTP/1.1\r\nHost: x\r\n"
                             "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_NE(raw.data.find(" 400 "), std::string::npos);
  EXPECT_EQ(request(port, "GET", "/healthz").status, 200);
  EXPECT_EQ(serve.stop(), 0);
}

// The database goes away: the last flags read keep being served, /readyz says so, and once the
// database is back a change is seen again.
TEST(Serve, DatabaseOutageServesTheLastFlags) {
  TestDb db(Kind::kPostgres);
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "k", "blue", "--type", "string"}).code, 0);
  Serve serve(db.url());
  ASSERT_TRUE(serve.started()) << serve.log();
  std::string name = db.value("SELECT current_database()");
  TestDb admin(Kind::kPostgres);
  admin.exec("ALTER DATABASE \"" + name + "\" ALLOW_CONNECTIONS false");
  admin.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name +
             "' AND pid <> pg_backend_pid()");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(value_of(serve.port(), "k"), "blue");
  // Not ready once three refreshes (+5 s) have failed.
  auto t0 = Clock::now();
  int ready = 200;
  while (ready == 200 && Clock::now() - t0 < std::chrono::seconds(15)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ready = request(serve.port(), "GET", "/readyz").status;
  }
  EXPECT_EQ(ready, 503);
  EXPECT_EQ(value_of(serve.port(), "k"), "blue");
  EXPECT_NE(serve.log().find("serving the last ones read"), std::string::npos) << serve.log();
  admin.exec("ALTER DATABASE \"" + name + "\" ALLOW_CONNECTIONS true");
  ASSERT_EQ(run_tandem({"--db", db.url(), "flag", "set", "k", "green"}).code, 0);
  EXPECT_GE(until_value(serve.port(), "k", "green"), 0) << serve.log();
  EXPECT_EQ(request(serve.port(), "GET", "/readyz").status, 200);
}

TEST(Serve, StartupErrorsAreClear) {
  CmdResult r = run_tandem({"--db", "postgresql://u:hunter2@127.0.0.1:1/x?connect_timeout=2",
                            "serve", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
  TestDb db(Kind::kSqlite);
  r = run_tandem({"--db", db.url(), "serve", "--listen", "not-an-address"});
  EXPECT_EQ(r.code, 2) << r.err;
  r = run_tandem({"--db", db.url(), "serve", "--refresh", "10"});
  EXPECT_EQ(r.code, 2) << r.err;
  // A database without flags (a mistyped --db) is refused, and nothing is created.
  TempDir dir;
  r = run_tandem({"--db", "sqlite:" + dir.path() + "/typo.db", "serve", "--listen", "127.0.0.1:0"});
  EXPECT_NE(r.code, 0);
  EXPECT_FALSE(std::ifstream(dir.path() + "/typo.db").good());
  TestDb empty(Kind::kPostgres);
  r = run_tandem({"--db", empty.url(), "serve", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("neither tandem's history nor flags"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tandem::testing
