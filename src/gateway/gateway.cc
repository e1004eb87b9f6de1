// Running the gateway, and the state commands (tandem/gateway.h).

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <set>
#include <thread>

#include "gateway/access_log.h"
#include "gateway/admin_api.h"
#include "gateway/metrics.h"
#include "gateway/proxy.h"
#include "gateway/state_store.h"
#include "gateway/state_sync.h"
#include "http/problem.h"
#include "http/server.h"
#include "http/stop_signals.h"
#include "tandem/gateway.h"

namespace tandem::gateway {

namespace {

namespace bhttp = http::bhttp;

http::Response text_response(int status, std::string content_type, std::string body) {
  http::Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// The admin endpoint: /metrics, /healthz, /readyz, and the JSON API under /api/.
http::Handler admin_handler(MetricsRegistry& metrics, StateSync& state, http::Server& server,
                            std::atomic<bool>& ready, const Proxy::Shared& shared, AdminApi& api) {
  return [&metrics, &state, &server, &ready, &shared, &api](
             http::Request& req, const http::Peer&) -> http::Task<http::Response> {
    std::string_view target = req.target();
    std::string_view path = target.substr(0, target.find('?'));
    if (AdminApi::owns(path)) co_return co_await api.handle(req);
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
      http::Response r = http::problem(405, "method-not-allowed", "Method not allowed",
                                       "the admin endpoint only answers GET");
      r.set(bhttp::field::allow, "GET, HEAD");
      co_return r;
    }
    if (path == "/metrics") {
      auto pins = state.pins();
      co_return text_response(
          200, "text/plain; version=0.0.4; charset=utf-8",
          metrics.render(
              {{"tandem_gateway_pinned_clients", "Clients with a pin in the current snapshot",
                static_cast<double>(pins->size())},
               {"tandem_gateway_state_healthy", "1 while the state database answers",
                state.healthy() ? 1.0 : 0.0},
               {"tandem_gateway_workers", "Worker threads", static_cast<double>(server.workers())},
               {"tandem_gateway_cache_bytes", "Bytes held by the response cache",
                static_cast<double>(shared.cache.bytes())},
               {"tandem_gateway_cache_entries", "Answers held by the response cache",
                static_cast<double>(shared.cache.entries())}},
              [&shared, &state](std::vector<prometheus::MetricFamily>& out) {
                shared.upstreams.render(out);
                shared.rollouts.render(out);
                shared.shadows.render(out);
                auto switches = metric_family(
                    "tandem_gateway_switch_on",
                    "1 while a partial-response switch is on (tandem api degrade NAME on)",
                    prometheus::MetricType::Gauge);
                std::set<std::string> names;
                for (const RoutePolicy& r : shared.config.routes) {
                  if (!r.partial.switch_name.empty()) names.insert(r.partial.switch_name);
                }
                for (const std::string& n : names) {
                  add_sample(switches, {{"switch", n}}, state.switch_on(n) ? 1 : 0);
                }
                out.push_back(std::move(switches));
              }));
    }
    if (path == "/healthz") co_return text_response(200, "text/plain", "ok\n");
    if (path == "/readyz") {
      if (ready && state.healthy()) co_return text_response(200, "text/plain", "ready\n");
      co_return text_response(
          503, "text/plain",
          ready ? "not ready: the state database does not answer\n" : "not ready: starting\n");
    }
    co_return http::problem(404, "not-found", "Not found",
                            "the admin endpoint serves /metrics, /healthz, /readyz and "
                            "/api/status");
  };
}

int default_workers() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace

Status run(const Config& config, const RunOptions& options) {
  int workers = options.workers > 0  ? options.workers
                : config.workers > 0 ? config.workers
                                     : default_workers();
  std::string listen = options.listen.empty() ? config.listen : options.listen;
  std::string admin = options.admin.empty() ? config.admin : options.admin;

  // Signals go to the thread that waits for them, never to a worker.
  http::StopSignals signals;

  AccessLog log;
  TANDEM_RETURN_IF_ERROR(log.open(config.access_log));
  TANDEM_ASSIGN_OR_RETURN(auto store, StateStore::open(config.state));
  StateSync state(std::move(store), config.state, workers);
  UpstreamSet upstreams(config);
  ResponseCache cache(config.cache_max_bytes, config.cache_max_entry);
  RolloutBook rollouts(config);
  ShadowTally shadows(config);
  Proxy::Shared shared{config, upstreams, cache, rollouts, shadows};
  state.attach(&config, &rollouts);
  TANDEM_RETURN_IF_ERROR(state.start());
  upstreams.start_probes();
  MetricsRegistry metrics(workers, config.limits.metrics_clients);

  http::ServerLimits limits;
  limits.max_header_bytes = config.limits.max_header_bytes;
  limits.max_body_bytes = config.limits.max_request_body;
  limits.header_timeout = config.timeouts.header;
  limits.body_timeout = config.timeouts.body;
  limits.idle_timeout = config.timeouts.idle;
  limits.max_connections = config.limits.max_connections;
  http::Server server(limits, workers);
  TANDEM_RETURN_IF_ERROR(server.bind(listen));

  // Every worker compiles its own transforms before it accepts; a failure stops them all.
  std::vector<std::unique_ptr<Proxy>> proxies(workers);
  for (int i = 0; i < workers; ++i) {
    proxies[i] = std::make_unique<Proxy>(config, server.context(i), server.reaper(i), state,
                                         state.outbox(i), metrics.worker(i), log, shared);
    TANDEM_RETURN_IF_ERROR(proxies[i]->init());
  }

  std::atomic<bool> ready{false};
  // Declared before the admin server: its connections' coroutines end before it does.
  std::unique_ptr<AdminApi> admin_api;
  std::unique_ptr<http::Server> admin_server;
  if (!admin.empty()) {
    std::string token_source;
    TANDEM_ASSIGN_OR_RETURN(std::string token, load_admin_token(config, token_source));
    if (!token.empty()) {
      std::fprintf(stderr, "tandem gateway: admin actions enabled (token from %s)\n",
                   token_source.c_str());
    }
    AdminApiOptions api_options;
    api_options.token = std::move(token);
    admin_api = std::make_unique<AdminApi>(config, shadows, std::move(api_options));
    admin_api->start();
    http::ServerLimits admin_limits;
    // The actions' bodies ({"reason": "…"}); larger ones are refused with 413.
    admin_limits.max_body_bytes = 4096;
    // Probes and scrapers open short connections: many may be open, none may sit idle long
    // (64 idle connections once locked /healthz out for a minute).
    admin_limits.max_connections = 1024;
    admin_limits.idle_timeout = std::chrono::seconds(5);
    admin_limits.header_timeout = std::chrono::seconds(5);
    admin_server = std::make_unique<http::Server>(admin_limits, 1);
    TANDEM_RETURN_IF_ERROR(admin_server->bind(admin));
  }
  std::thread admin_thread;
  if (admin_server) {
    admin_thread = std::thread([&] {
      admin_server->run(
          [&](int) { return admin_handler(metrics, state, server, ready, shared, *admin_api); });
    });
  }
  // Refused requests never reach a Proxy: counted and logged here.
  server.on_refusal([&metrics, &log](int worker, const http::Refusal& r) {
    metrics.worker(worker).refused(r.type);
    if (log.enabled()) {
      log.write(fmt::format("{{\"time\":\"{}\",\"peer\":{},\"status\":{},\"refused\":{}}}",
                            iso8601(static_cast<long long>(std::time(nullptr))),
                            http::json_string(r.peer ? r.peer->address : ""), r.status,
                            http::json_string(r.type)));
    }
  });
  std::thread serve_thread([&] {
    server.run_wire([&](int i) -> http::WireHandler {
      Proxy* proxy = proxies[i].get();
      return [proxy](http::Request& req, const http::Peer& peer, http::Wire& out) {
        return proxy->handle(req, peer, out);
      };
    });
  });
  ready = true;
  if (options.on_ready) options.on_ready(server.bound(), admin_server ? admin_server->bound() : "");

  // SIGHUP is not a reload (nginx users send it out of habit, `systemctl reload` too): said,
  // and ignored, so that it never cuts live traffic. A new config needs a restart.
  signals.wait(
      "tandem gateway: SIGHUP ignored: there is no reload; restart the gateway to apply a "
      "changed config (SIGTERM drains it first)");
  server.stop(config.timeouts.upstream + std::chrono::milliseconds(500));
  serve_thread.join();
  if (admin_server) {
    admin_server->stop(std::chrono::milliseconds(0));
    admin_thread.join();
    admin_api->stop();
  }
  upstreams.stop_probes();
  state.stop();  // the last usage counts reach the database
  return Status::Ok();
}

Result<std::string> pin(const Config& config, const std::string& client,
                        const std::string& version) {
  if (client.empty() || client.size() > 256) {
    return Status::InvalidInput("a client id is 1 to 256 characters",
                                "e.g. tandem api pin acme-mobile 2025-01-01");
  }
  if (!version.empty() && config.version_index(version) < 0) {
    std::string known;
    for (const auto& v : config.versions) known += (known.empty() ? "" : ", ") + v.name;
    return Status::InvalidInput(fmt::format("`{}` is not a version in {}", version, config.path),
                                fmt::format("one of: {}", known));
  }
  TANDEM_ASSIGN_OR_RETURN(auto store, StateStore::open(config.state));
  return store->set_pin(client, version);
}

Result<std::vector<PinRow>> pins(const Config& config) {
  TANDEM_ASSIGN_OR_RETURN(auto store, StateStore::open(config.state, /*create=*/false));
  return store->list_pins();
}

Result<std::vector<UsageRow>> usage(const Config& config) {
  TANDEM_ASSIGN_OR_RETURN(auto store, StateStore::open(config.state, /*create=*/false));
  return store->list_usage();
}

}  // namespace tandem::gateway
