// `tandem serve` on the shared HTTP layer (tandem/serve.h): the flags live in memory as one
// immutable snapshot that a reloader thread replaces when the database says they changed, so
// an evaluation never waits on the database and a database outage serves the last values.

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "http/problem.h"
#include "http/server.h"
#include "http/stop_signals.h"
#include "serve/dashboard.h"
#include "serve/dashboard_routes.h"
#include "serve/ofrep.h"
#include "tandem/db.h"
#include "tandem/flags.h"
#include "tandem/serve.h"

namespace tandem::serve {

namespace {

namespace bhttp = http::bhttp;
namespace beast = http::beast;
using Clock = std::chrono::steady_clock;

http::Response respond(int status, std::string_view content_type, std::string body) {
  http::Response res{static_cast<bhttp::status>(status), 11};
  if (!content_type.empty()) res.set(bhttp::field::content_type, content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

class Metrics {
 public:
  Metrics()
      : requests_(prometheus::BuildCounter()
                      .Name("tandem_serve_requests_total")
                      .Help("Requests answered, by route and status")
                      .Register(registry_)),
        evaluations_(prometheus::BuildCounter()
                         .Name("tandem_serve_flag_evaluations_total")
                         .Help("OFREP evaluations of one flag, by flag and reason")
                         .Register(registry_)),
        errors_(prometheus::BuildCounter()
                    .Name("tandem_serve_evaluation_errors_total")
                    .Help("OFREP evaluations refused, by error code")
                    .Register(registry_)),
        flags_(prometheus::BuildGauge()
                   .Name("tandem_serve_flags")
                   .Help("Flags in the snapshot being served")
                   .Register(registry_)
                   .Add({})),
        age_(prometheus::BuildGauge()
                 .Name("tandem_serve_snapshot_age_seconds")
                 .Help("Seconds since the flags were last read from the database")
                 .Register(registry_)
                 .Add({})),
        reload_failures_(prometheus::BuildCounter()
                             .Name("tandem_serve_reload_failures_total")
                             .Help("Failed reads of the flags (the last snapshot is served)")
                             .Register(registry_)
                             .Add({})),
        dashboard_read_(prometheus::BuildGauge()
                            .Name("tandem_serve_dashboard_read_seconds")
                            .Help("How long the dashboard's last round of reading took")
                            .Register(registry_)
                            .Add({})),
        streams_(prometheus::BuildGauge()
                     .Name("tandem_serve_event_streams")
                     .Help("Dashboard event streams (/api/events) open")
                     .Register(registry_)
                     .Add({})) {}

  void request(std::string_view route, int status) {
    requests_.Add({{"route", std::string(route)}, {"status", std::to_string(status)}}).Increment();
  }
  // Only flags that exist get a label: keys from the network never make new series.
  void evaluated(const OfrepAnswer& a) {
    if (!a.flag.empty())
      evaluations_.Add({{"flag", a.flag}, {"reason", a.outcome}}).Increment();
    else if (a.status >= 400)
      errors_.Add({{"code", a.outcome}}).Increment();
  }
  void snapshot(size_t flags) { flags_.Set(static_cast<double>(flags)); }
  void age(double seconds) { age_.Set(seconds); }
  void reload_failed() { reload_failures_.Increment(); }
  void dashboard(double read_seconds, int streams) {
    dashboard_read_.Set(read_seconds);
    streams_.Set(streams);
  }
  std::string render() const { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

 private:
  prometheus::Registry registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& evaluations_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Gauge& flags_;
  prometheus::Gauge& age_;
  prometheus::Counter& reload_failures_;
  prometheus::Gauge& dashboard_read_;
  prometheus::Gauge& streams_;
};

// The snapshot being served and the thread that renews it.
class Flags {
 public:
  Flags(const ServeOptions& options, Metrics& metrics) : options_(options), metrics_(metrics) {}
  ~Flags() { stop(); }

  // The first read: an error here (wrong URL, unreachable database) stops `serve` at once.
  // A database without flag tables serves none (FLAG_NOT_FOUND) until they appear; `run`
  // refuses a database that has neither flags nor history (a mistyped --db).
  Status load_first() {
    // A reader: a mistyped --db must not become an empty flag store.
    TANDEM_ASSIGN_OR_RETURN(store_, flags::FlagStore::open(options_.db_url, false, "tandem serve"));
    return reload();
  }
  bool exists() const { return store_ && store_->exists(); }
  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  std::shared_ptr<const FlagSnapshot> current() {
    std::lock_guard<std::mutex> lock(mu_);
    return snapshot_;
  }
  // Seconds since the database last answered.
  double age() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::chrono::duration<double>(Clock::now() - checked_).count();
  }

 private:
  void log(const std::string& line) {
    if (options_.log)
      options_.log(line);
    else
      std::fprintf(stderr, "tandem serve: %s\n", line.c_str());
  }

  Status reload() {
    TANDEM_ASSIGN_OR_RETURN(std::string generation, store_->generation());
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (snapshot_ && snapshot_->generation == generation) {
        checked_ = Clock::now();
        return Status::Ok();
      }
    }
    // A row that is not a valid flag (edited by hand) is left out — its applications get their
    // code default — and said; it never stops the other flags' changes (a kill switch) from
    // being served.
    std::vector<Status> invalid;
    TANDEM_ASSIGN_OR_RETURN(std::vector<flags::Flag> list, store_->list(&invalid));
    for (const Status& st : invalid) log(st.message() + " (not served)");
    auto next = std::make_shared<FlagSnapshot>();
    next->generation = generation;
    for (flags::Flag& f : list) next->flags.emplace(f.key, std::move(f));
    next->index();
    metrics_.snapshot(next->flags.size());
    bool first;
    {
      std::lock_guard<std::mutex> lock(mu_);
      first = !snapshot_;
      snapshot_ = std::move(next);
      checked_ = Clock::now();
    }
    if (!first) log(fmt::format("flags reloaded: {} flags", list.size()));
    return Status::Ok();
  }

  void loop() {
    bool failing = false;
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, options_.refresh, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      Status st = store_ ? reload() : Status::Database("no connection");
      if (!st.ok()) {
        metrics_.reload_failed();
        if (!failing)
          log(fmt::format("cannot read the flags ({}); serving the last ones read", st.message()));
        failing = true;
        // A connection that failed is opened again on the next round.
        auto reopened = flags::FlagStore::open(options_.db_url, false, "tandem serve");
        store_ = reopened.ok() ? std::move(*reopened) : nullptr;
      } else if (failing) {
        log("the flags are read again");
        failing = false;
      }
      lock.lock();
    }
  }

  const ServeOptions& options_;
  Metrics& metrics_;
  std::unique_ptr<flags::FlagStore> store_;  // the reloader thread's (and load_first's)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::shared_ptr<const FlagSnapshot> snapshot_;
  Clock::time_point checked_ = Clock::now();
  std::thread thread_;
};

http::Response method_not_allowed(const char* allow, std::string_view detail) {
  http::Response r = http::problem(405, "method-not-allowed", "Method Not Allowed", detail);
  r.set(bhttp::field::allow, allow);
  return r;
}

bool authorized(const http::Request& req, const std::string& token) {
  if (token.empty()) return true;
  auto same = [&](std::string_view given) {
    return given.size() == token.size() &&
           CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
  };
  std::string_view auth = req[bhttp::field::authorization];
  // The scheme is case-insensitive (RFC 9110 11.1).
  if (auth.size() > 7 && beast::iequals(auth.substr(0, 7), "Bearer ") && same(auth.substr(7)))
    return true;
  return same(req["X-API-Key"]);
}

std::string flags_json(const FlagSnapshot& snapshot) {
  const std::vector<const flags::Flag*>& ordered = snapshot.ordered;
  std::string out = "{\"flags\":[";
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (i) out += ',';
    out += flags::to_json(*ordered[i]);
  }
  return out + "]}";
}

constexpr std::string_view kOfrepPrefix = "/ofrep/v1/evaluate/flags";

}  // namespace

Status run(const ServeOptions& options) {
  if (options.workers < 1 || options.workers > 256)
    return Status::InvalidInput("--workers is 1 to 256");
  // A header value cannot carry what HTTP trims or forbids: such a token could never match.
  for (const std::string* t : {&options.token, &options.gateway_token})
    for (char c : *t)
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
        return Status::InvalidInput(
            "a token holds a space or a control character",
            "use a token of visible characters, e.g. `openssl rand -hex 32`");
  if (options.refresh < std::chrono::milliseconds(50) || options.refresh > std::chrono::hours(1))
    return Status::InvalidInput("--refresh is 50ms to 1h");
  // Buttons that change production need to know who pressed them.
  if (options.allow_actions && options.token.size() < 16)
    return Status::InvalidInput(
        "--allow-actions needs a token of at least 16 characters: without one anybody who "
        "reaches the port could pause a backfill or abort a rollout",
        "give --token-file FILE (or $TANDEM_SERVE_TOKEN), e.g. from `openssl rand -hex 32`; the "
        "page asks for it");
  DashboardOptions dash;
  dash.migrations = options.migrations;
  dash.migrations.engine.db_url = options.db_url;
  dash.refresh = std::max(options.refresh, std::chrono::milliseconds(250));
  dash.actions = options.allow_actions;
  dash.log = options.log;
  for (const std::string& g : options.gateway_admins) {
    TANDEM_ASSIGN_OR_RETURN(AdminUrl url, parse_admin_url(g));
    dash.gateways.push_back(std::move(url));
  }
  if (dash.gateways.size() > 32) return Status::InvalidInput("at most 32 --gateway-admin");

  Metrics metrics;
  Flags state(options, metrics);
  TANDEM_RETURN_IF_ERROR(state.load_first());
  Dashboard dashboard(dash);
  TANDEM_RETURN_IF_ERROR(dashboard.load_first());
  {
    std::shared_ptr<const DashboardSnapshot> first = dashboard.current();
    bool history = first && first->status && first->status->history_exists;
    if (!history && !state.exists())
      return Status::InvalidInput(
          fmt::format("{} has neither tandem's history nor flags: the dashboard would be empty "
                      "and every OFREP evaluation FLAG_NOT_FOUND",
                      db::redact_url(options.db_url)),
          "check --db; on the right database, `tandem up` (or `tandem flag set KEY VALUE`) "
          "creates tandem's tables");
  }
  DashboardRoutes routes(dashboard, dash, options.gateway_token);

  http::StopSignals signals;
  http::ServerLimits limits;
  limits.max_body_bytes = options.max_body_bytes;
  limits.max_connections = 4096;
  http::Server server(limits, options.workers);
  TANDEM_RETURN_IF_ERROR(server.bind(options.listen));
  state.start();
  dashboard.start();

  std::string token = options.token;
  auto handler = [&](http::Request& req, const http::Peer&) -> http::Task<http::Response> {
    std::string_view target = req.target();
    size_t question = target.find('?');
    std::string_view path = target.substr(0, question);
    std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    bool post = req.method() == bhttp::verb::post;
    bool get = req.method() == bhttp::verb::get || req.method() == bhttp::verb::head;
    if (path == "/healthz") co_return respond(200, "text/plain", "ok\n");
    if (path == "/readyz") {
      // Ready while the flags served are recent: three refreshes missed is an outage.
      double age = state.age();
      double limit = 3 * std::chrono::duration<double>(options.refresh).count() + 5;
      co_return age <= limit
          ? respond(200, "text/plain", "ready\n")
          : respond(503, "text/plain",
                    fmt::format("not ready: the flags were last read {:.0f} s ago\n", age));
    }
    if (path == "/metrics" && get) {
      metrics.age(state.age());
      metrics.dashboard(dashboard.last_round_seconds(), routes.streams());
      co_return respond(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
    }
    // The bulk route, or one flag under it (no allocation on the request path).
    bool ofrep = path.starts_with(kOfrepPrefix) &&
                 (path.size() == kOfrepPrefix.size() || path[kOfrepPrefix.size()] == '/');
    bool api = path.substr(0, 5) == "/api/";
    if ((ofrep || api) && !authorized(req, token)) {
      metrics.request(ofrep ? "ofrep" : "api", 401);
      http::Response r = http::problem(401, "unauthorized", "Unauthorized",
                                       "send Authorization: Bearer TOKEN or X-API-Key: TOKEN "
                                       "(the token `tandem serve` was started with)");
      r.set(bhttp::field::www_authenticate, "Bearer");
      co_return r;
    }
    if (ofrep) {
      if (!post) {
        metrics.request("ofrep", 405);
        co_return method_not_allowed("POST", "OFREP evaluations are POST requests");
      }
      std::shared_ptr<const FlagSnapshot> snapshot = state.current();
      OfrepAnswer a;
      if (path == kOfrepPrefix) {
        a = evaluate_all(*snapshot, req.body(), req[bhttp::field::if_none_match]);
      } else {
        a = evaluate_one(*snapshot, path.substr(kOfrepPrefix.size() + 1), req.body());
      }
      metrics.request(path == kOfrepPrefix ? "ofrep_bulk" : "ofrep", a.status);
      metrics.evaluated(a);
      http::Response r =
          respond(a.status, a.status == 304 ? "" : "application/json", std::move(a.body));
      if (!a.etag.empty()) r.set(bhttp::field::etag, a.etag);
      co_return r;
    }
    std::string route;
    if (api) {
      if (auto act = routes.act(req, path, route)) {
        http::Response r = co_await std::move(*act);
        metrics.request(route, r.result_int());
        co_return r;
      }
      if (!get) {
        metrics.request("api", 405);
        co_return method_not_allowed("GET, HEAD", "the dashboard's JSON is read with GET");
      }
      if (path == "/api/flags") {
        metrics.request("api_flags", 200);
        co_return respond(200, "application/json", flags_json(*state.current()));
      }
      if (auto r = routes.read(req, path, query, route)) {
        metrics.request(route, r->result_int());
        co_return std::move(*r);
      }
    } else if (get) {
      if (auto r = routes.page(req, path)) {
        metrics.request("page", r->result_int());
        co_return std::move(*r);
      }
    }
    metrics.request("unknown", 404);
    co_return http::problem(404, "not-found", "Not Found",
                            "tandem serve answers / (the dashboard), /api/…, "
                            "/ofrep/v1/evaluate/flags[/{key}], /healthz, /readyz and /metrics "
                            "(docs/serve.md)");
  };
  std::thread serve_thread([&] {
    server.run_wire([&](int) -> http::WireHandler {
      return [&](http::Request& req, const http::Peer& peer, http::Wire& out) -> http::Task<void> {
        std::string_view target = req.target();
        if (target.substr(0, target.find('?')) == "/api/events" &&
            req.method() == bhttp::verb::get && authorized(req, token)) {
          metrics.request("api_events", 200);
          routes.events(out);
          co_return;
        }
        bool head_request = req.method() == bhttp::verb::head;
        http::Response res = co_await handler(req, peer);
        out.close = !res.keep_alive();
        http::to_wire(std::move(res), head_request, out);
      };
    });
  });
  if (options.on_ready) options.on_ready(server.bound());
  signals.wait("tandem serve: SIGHUP ignored: the flags are reloaded by themselves");
  server.stop(std::chrono::milliseconds(5000));
  serve_thread.join();
  dashboard.stop();
  state.stop();
  return Status::Ok();
}

}  // namespace tandem::serve
