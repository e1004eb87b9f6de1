#pragma once
// The gateway's Prometheus metrics. Each worker counts into its own WorkerMetrics (a lock
// only the scrape contends for); a scrape merges them and writes the text exposition with
// prometheus-cpp's serializer. The client label is capped: the `metrics_clients` clients
// with the most requests keep their name, the rest are summed as "other".

#include <prometheus/metric_family.h>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace tandem::gateway {

// Latency buckets in seconds (request duration and transform time).
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

struct Histogram {
  std::array<unsigned long long, kLatencyBuckets.size()> buckets{};  // not cumulative
  unsigned long long count = 0;
  double sum = 0;
  void observe(double seconds);
  void merge(const Histogram& other);
};

class WorkerMetrics {
 public:
  // One answered request.
  void request(const std::string& version, const std::string& client, const std::string& route,
               int status, double seconds);
  // A body transform: `direction` "request" or "response".
  void transform(const char* direction, double seconds, bool failed);
  void upstream_error(const char* kind);
  // A request the HTTP server refused before the gateway saw it (`type`: the problem slug).
  void refused(std::string_view type);
  // A cache lookup or store: hit, miss, expired, stale_while_revalidate, stale_if_error,
  // stored, revalidated.
  void cache(const char* result);
  // An answer made worse on purpose: `kind` fallback or partial, on `route`.
  void degraded(const char* kind, const std::string& route);

 private:
  friend class MetricsRegistry;
  std::mutex mu_;
  // (version, client, route, status class "2xx") → requests
  // Looked up by views (std::less<>): no strings are built for a key already counted.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, unsigned long long,
           std::less<>>
      requests_;
  std::map<std::string, Histogram, std::less<>> latency_;  // by version
  std::map<std::string, Histogram> transform_time_;        // by direction
  std::map<std::string, unsigned long long> transform_failures_;
  std::map<std::string, unsigned long long> upstream_errors_;
  std::map<std::string, unsigned long long, std::less<>> refused_;
  std::map<std::string, unsigned long long, std::less<>> cache_;
  std::map<std::pair<std::string, std::string>, unsigned long long> degraded_;
};

// A family for render()'s `extra`, and one sample in it (a counter's or a gauge's value, as the
// family's type says).
prometheus::MetricFamily metric_family(std::string name, std::string help,
                                       prometheus::MetricType type);
void add_sample(prometheus::MetricFamily& family,
                std::vector<prometheus::ClientMetric::Label> labels, double value);

class MetricsRegistry {
 public:
  MetricsRegistry(int workers, int max_clients);
  WorkerMetrics& worker(int i) { return *workers_[i]; }
  // The text exposition (Content-Type: text/plain; version=0.0.4). `gauges` are extra
  // (name, help, value) lines, e.g. connections and pin counts.
  // `extra` adds the families of parts that keep their own counts (upstreams, shadows,
  // rollouts).
  std::string render(
      const std::vector<std::tuple<std::string, std::string, double>>& gauges,
      const std::function<void(std::vector<prometheus::MetricFamily>&)>& extra = {}) const;

 private:
  std::vector<std::unique_ptr<WorkerMetrics>> workers_;
  int max_clients_;
};

}  // namespace tandem::gateway
