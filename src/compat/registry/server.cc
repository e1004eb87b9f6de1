// `tandem registry` on the shared HTTP layer (tandem/registry.h): each worker thread has its
// own database connection (a Connection is not thread-safe); requests are answered by
// compat/registry/api.h. Plus /healthz and Prometheus /metrics.

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "compat/registry/api.h"
#include "http/server.h"
#include "http/stop_signals.h"
#include "tandem/compat.h"
#include "tandem/db.h"
#include "tandem/registry.h"

namespace tandem::registry {

namespace {

namespace bhttp = http::bhttp;

http::Response respond(int status, const std::string& content_type, std::string body) {
  http::Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

bool accepted_content_type(std::string_view type) {
  std::string media(type.substr(0, type.find(';')));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media.empty() || media == "application/vnd.schemaregistry.v1+json" ||
         media == "application/vnd.schemaregistry+json" || media == "application/json" ||
         media == "application/octet-stream";
}

std::string error_body(int code, std::string_view message) {
  return nlohmann::json{{"error_code", code}, {"message", message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class Metrics {
 public:
  Metrics()
      : requests_(prometheus::BuildCounter()
                      .Name("tandem_registry_requests_total")
                      .Help("Requests answered, by route and status")
                      .Register(registry_)),
        duration_(prometheus::BuildHistogram()
                      .Name("tandem_registry_request_duration_seconds")
                      .Help("Time to answer a request, by route")
                      .Register(registry_)) {}

  void observe(const std::string& method, const std::string& route, int status, double seconds) {
    requests_.Add({{"method", method}, {"route", route}, {"status", std::to_string(status)}})
        .Increment();
    duration_
        .Add({{"route", route}},
             prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05, 0.1, 0.25, 0.5, 1, 5})
        .Observe(seconds);
  }
  std::string render() const { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

 private:
  prometheus::Registry registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
};

}  // namespace

// The database of one worker: opened on first use, opened again after a failure. An in-memory
// SQLite database exists once, in its one connection, which is never dropped.
class WorkerStore {
 public:
  WorkerStore(std::string url, bool memory) : url_(std::move(url)), memory_(memory) {}
  Store* get() {
    if (!store_) {
      auto opened = Store::open(url_);
      if (opened.ok()) store_ = std::move(*opened);
    }
    return store_.get();
  }
  void failed() {
    if (!memory_) store_.reset();
  }
  void adopt(std::unique_ptr<Store> store) { store_ = std::move(store); }

 private:
  std::string url_;
  bool memory_;
  std::unique_ptr<Store> store_;
};

// Answers one API request; a database failure on a request that is safe to repeat (a read; a
// registration, which is idempotent) is retried once on a new connection, so that a failover
// or a terminated connection costs no client an error.
ApiResponse answer(WorkerStore& slot, const ApiRequest& request, const ApiSettings& settings) {
  bool repeatable = request.method == "GET" || request.method == "POST";
  for (int attempt = 0;; ++attempt) {
    Store* store = slot.get();
    if (store == nullptr) {
      ApiResponse r;
      r.status = 500;
      r.body = error_body(50001, "Error in the backend data store: the database does not answer");
      r.route = "store";
      return r;
    }
    ApiResponse r = handle(*store, request, settings);
    if (r.status != 500) return r;
    slot.failed();
    if (!repeatable || attempt == 1) return r;
  }
}

Status run(const RunOptions& options) {
  compat::Mode mode;
  if (!compat::parse_mode(options.default_compatibility, mode)) {
    return Status::InvalidInput(
        fmt::format("`{}` is not a compatibility level", options.default_compatibility),
        "one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, "
        "FULL_TRANSITIVE, NONE");
  }
  if (options.workers < 1 || options.workers > 256)
    return Status::InvalidInput("--workers is 1 to 256");
  ApiSettings settings;
  settings.default_compatibility = compat::mode_name(mode);

  auto parsed_url = db::parse_url(options.db_url);
  if (!parsed_url.ok()) return parsed_url.status();
  bool memory = parsed_url->backend == db::Backend::kSqlite && parsed_url->target == ":memory:";
  int workers = options.workers;
  if (memory && workers > 1) {
    // Each connection to sqlite::memory: is a database of its own.
    std::fprintf(stderr,
                 "tandem registry: sqlite::memory: lives in one connection: serving with 1 "
                 "worker (use a file or PostgreSQL for more)\n");
    workers = 1;
  }
  // Opening one store first creates the tables and proves the database answers: a wrong URL
  // is an error now, not on the first request.
  TANDEM_ASSIGN_OR_RETURN(auto first, Store::open(options.db_url));

  http::StopSignals signals;

  http::ServerLimits limits;
  limits.max_body_bytes = options.max_body_bytes;
  // Connections are capped below the process's file limit (with room for the database
  // connections and the admin port): idle clients can fill the cap, never the descriptors.
  rlimit files{};
  size_t budget = 4096;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY)
    budget = static_cast<size_t>(files.rlim_cur);
  size_t reserve = 64 + 2 * static_cast<size_t>(workers) + 1024;
  limits.max_connections = static_cast<int>(std::clamp<size_t>(
      budget > reserve ? (budget - reserve) / static_cast<size_t>(workers) : 8, 8, 10000));
  http::Server server(limits, workers);
  TANDEM_RETURN_IF_ERROR(server.bind(options.listen));
  // Kafka clients read {"error_code", "message"}: refusals by the HTTP layer (413, 431, a
  // malformed request) are written that way too.
  size_t max_body = options.max_body_bytes;
  server.refusal_writer([max_body](int status, std::string_view type, std::string_view detail) {
    std::string message(detail);
    if (type == "body-too-large")
      message = fmt::format(
          "the request body is larger than {} bytes (tandem registry "
          "--max-body-bytes)",
          max_body);
    return respond(status, kContentType, error_body(status, message));
  });

  std::unique_ptr<http::Server> admin_server;
  std::unique_ptr<Store> admin_store;
  std::mutex admin_mu;
  if (!options.admin.empty()) {
    http::ServerLimits admin_limits;
    admin_limits.max_body_bytes = 0;
    admin_limits.max_connections = 1024;
    admin_limits.idle_timeout = std::chrono::seconds(5);
    admin_limits.header_timeout = std::chrono::seconds(5);
    admin_server = std::make_unique<http::Server>(admin_limits, 1);
    TANDEM_RETURN_IF_ERROR(admin_server->bind(options.admin));
  }

  Metrics metrics;
  std::vector<std::unique_ptr<WorkerStore>> stores;
  for (int i = 0; i < workers; ++i)
    stores.push_back(std::make_unique<WorkerStore>(options.db_url, memory));
  if (memory) {
    stores[0]->adopt(std::move(first));
  } else {
    admin_store = std::move(first);
  }

  std::thread admin_thread;
  if (admin_server) {
    admin_thread = std::thread([&] {
      admin_server->run([&](int) -> http::Handler {
        return [&](http::Request& req, const http::Peer&) -> http::Task<http::Response> {
          std::string_view target = req.target();
          std::string_view path = target.substr(0, target.find('?'));
          if (path == "/healthz") co_return respond(200, "text/plain", "ok\n");
          if (path == "/metrics")
            co_return respond(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
          if (path == "/readyz") {
            // Ready when the database answers, on the admin thread's own connection.
            bool ok = memory;
            if (!memory) {
              std::lock_guard<std::mutex> lock(admin_mu);
              if (!admin_store) {
                auto opened = Store::open(options.db_url);
                if (opened.ok()) admin_store = std::move(*opened);
              }
              ok = admin_store && admin_store->setting("mode", "").ok();
              if (!ok) admin_store.reset();
            }
            co_return ok ? respond(200, "text/plain", "ready\n")
                         : respond(503, "text/plain", "not ready: the database does not answer\n");
          }
          co_return respond(404, "text/plain",
                            "the admin port serves /healthz, /readyz, /metrics\n");
        };
      });
    });
  }

  std::thread serve_thread([&] {
    server.run([&](int worker) -> http::Handler {
      return [&, worker](http::Request& req, const http::Peer&) -> http::Task<http::Response> {
        auto started = std::chrono::steady_clock::now();
        // Beast keeps an unknown method's name as sent: a metrics label takes only known ones.
        std::string method = req.method() == bhttp::verb::unknown
                                 ? std::string("OTHER")
                                 : std::string(bhttp::to_string(req.method()));
        std::string_view target = req.target();
        std::string_view path = target.substr(0, target.find('?'));
        if (path == "/healthz") co_return respond(200, "text/plain", "ok\n");
        if (path == "/metrics" && method == "GET")
          co_return respond(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
        ApiResponse out;
        if ((method == "POST" || method == "PUT") &&
            !accepted_content_type(req[bhttp::field::content_type])) {
          out.status = 415;
          out.body = error_body(415,
                                "HTTP 415 Unsupported Media Type: send "
                                "application/vnd.schemaregistry.v1+json");
          out.route = "unsupported";
        } else {
          out = answer(*stores[worker], ApiRequest{method, std::string(target), req.body()},
                       settings);
        }
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        metrics.observe(method, out.route, out.status, seconds);
        co_return respond(out.status, out.content_type, std::move(out.body));
      };
    });
  });
  if (options.on_ready) options.on_ready(server.bound(), admin_server ? admin_server->bound() : "");

  signals.wait("tandem registry: SIGHUP ignored: there is nothing to reload");
  server.stop(std::chrono::milliseconds(5000));
  serve_thread.join();
  if (admin_server) {
    admin_server->stop(std::chrono::milliseconds(0));
    admin_thread.join();
  }
  return Status::Ok();
}

}  // namespace tandem::registry
