// `tandem registry` on the shared HTTP layer (tandem/registry.h): each worker thread has its
// own database connection (a Connection is not thread-safe); requests are answered by
// compat/registry/api.h. Plus /healthz and Prometheus /metrics.

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "compat/registry/api.h"
#include "http/server.h"
#include "tandem/compat.h"
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
  std::string_view media = type.substr(0, type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return media.empty() || media == "application/vnd.schemaregistry.v1+json" ||
         media == "application/vnd.schemaregistry+json" || media == "application/json" ||
         media == "application/octet-stream";
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

  // Opening one store first creates the tables and proves the database answers: a wrong URL
  // is an error now, not on the first request.
  TANDEM_ASSIGN_OR_RETURN(auto first, Store::open(options.db_url));

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  http::ServerLimits limits;
  limits.max_body_bytes = options.max_body_bytes;
  http::Server server(limits, options.workers);
  TANDEM_RETURN_IF_ERROR(server.bind(options.listen));

  Metrics metrics;
  std::vector<std::unique_ptr<Store>> stores(options.workers);
  stores[0] = std::move(first);
  const std::string url = options.db_url;

  std::thread serve_thread([&] {
    server.run([&](int worker) -> http::Handler {
      return [&, worker](http::Request& req, const http::Peer&) -> http::Task<http::Response> {
        auto started = std::chrono::steady_clock::now();
        std::string method(req.method_string());
        std::string_view target = req.target();
        std::string_view path = target.substr(0, target.find('?'));
        if (path == "/healthz") co_return respond(200, "text/plain", "ok\n");
        if (path == "/metrics" && method == "GET")
          co_return respond(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
        ApiResponse answer;
        if ((method == "POST" || method == "PUT") &&
            !accepted_content_type(req[bhttp::field::content_type])) {
          answer.status = 415;
          answer.body = nlohmann::json{{"error_code", 415},
                                       {"message",
                                        "HTTP 415 Unsupported Media Type: send "
                                        "application/vnd.schemaregistry.v1+json"}}
                            .dump();
          answer.route = "unsupported";
        } else {
          std::unique_ptr<Store>& store = stores[worker];
          if (!store) {
            auto opened = Store::open(url);
            if (opened.ok()) store = std::move(*opened);
          }
          if (!store) {
            answer.status = 500;
            answer.body = nlohmann::json{{"error_code", 50001},
                                         {"message",
                                          "Error in the backend data store: the "
                                          "database does not answer"}}
                              .dump();
            answer.route = "store";
          } else {
            answer = handle(*store, ApiRequest{method, std::string(target), req.body()}, settings);
            // A failed connection is opened again for the next request.
            if (answer.status == 500) store.reset();
          }
        }
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        metrics.observe(method, answer.route, answer.status, seconds);
        co_return respond(answer.status, answer.content_type, std::move(answer.body));
      };
    });
  });
  if (options.on_ready) options.on_ready(server.bound());

  int sig = 0;
  for (;;) {
    sigwait(&signals, &sig);
    if (sig != SIGHUP) break;
    std::fprintf(stderr, "tandem registry: SIGHUP ignored: there is nothing to reload\n");
  }
  server.stop(std::chrono::milliseconds(5000));
  serve_thread.join();
  return Status::Ok();
}

}  // namespace tandem::registry
