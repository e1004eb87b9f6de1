// Prometheus metrics (gateway/metrics.h).

#include "gateway/metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <sstream>
#include <unordered_map>

namespace tandem::gateway {

void Histogram::observe(double seconds) {
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++buckets[i];
      break;
    }
  }
  ++count;
  sum += seconds;
}

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
  count += other.count;
  sum += other.sum;
}

namespace {

std::string_view status_class(int status) {
  static constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  if (status < 100 || status > 599) return "other";
  return kClasses[status / 100 - 1];
}

prometheus::ClientMetric histogram_metric(const Histogram& h,
                                          std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.histogram.sample_count = h.count;
  m.histogram.sample_sum = h.sum;
  unsigned long long cumulative = 0;
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += h.buckets[i];
    m.histogram.bucket.push_back({cumulative, kLatencyBuckets[i]});
  }
  m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
  return m;
}

}  // namespace

void WorkerMetrics::request(const std::string& version, const std::string& client,
                            const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_tuple(std::string_view(version), std::string_view(client),
                             std::string_view(route), status_class(status));
  auto it = requests_.find(key);
  if (it == requests_.end()) {
    it = requests_
             .try_emplace(std::make_tuple(version, client, route, std::string(std::get<3>(key))), 0)
             .first;
  }
  ++it->second;
  auto lt = latency_.find(std::string_view(version));
  if (lt == latency_.end()) lt = latency_.try_emplace(version).first;
  lt->second.observe(seconds);
}

void WorkerMetrics::transform(const char* direction, double seconds, bool failed) {
  std::lock_guard<std::mutex> lock(mu_);
  transform_time_[direction].observe(seconds);
  if (failed) ++transform_failures_[direction];
}

void WorkerMetrics::upstream_error(const char* kind) {
  std::lock_guard<std::mutex> lock(mu_);
  ++upstream_errors_[kind];
}

void WorkerMetrics::refused(std::string_view type) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = refused_.find(type);
  if (it == refused_.end()) it = refused_.try_emplace(std::string(type), 0).first;
  ++it->second;
}

prometheus::MetricFamily metric_family(std::string name, std::string help,
                                       prometheus::MetricType type) {
  return prometheus::MetricFamily{std::move(name), std::move(help), type, {}};
}

void add_sample(prometheus::MetricFamily& family,
                std::vector<prometheus::ClientMetric::Label> labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (family.type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  family.metric.push_back(std::move(m));
}

void WorkerMetrics::cache(const char* result) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(std::string_view(result));
  if (it == cache_.end()) it = cache_.try_emplace(result, 0).first;
  ++it->second;
}

void WorkerMetrics::degraded(const char* kind, const std::string& route) {
  std::lock_guard<std::mutex> lock(mu_);
  ++degraded_[{kind, route}];
}

MetricsRegistry::MetricsRegistry(int workers, int max_clients) : max_clients_(max_clients) {
  for (int i = 0; i < workers; ++i) workers_.push_back(std::make_unique<WorkerMetrics>());
}

std::string MetricsRegistry::render(
    const std::vector<std::tuple<std::string, std::string, double>>& gauges,
    const std::function<void(std::vector<prometheus::MetricFamily>&)>& extra) const {
  std::map<std::tuple<std::string, std::string, std::string, std::string>, unsigned long long>
      requests;
  std::map<std::string, Histogram> latency, transform_time;
  std::map<std::string, unsigned long long> transform_failures, upstream_errors, refused, cache;
  std::map<std::pair<std::string, std::string>, unsigned long long> degraded;
  for (const auto& w : workers_) {
    std::lock_guard<std::mutex> lock(w->mu_);
    for (const auto& [k, v] : w->requests_) requests[k] += v;
    for (const auto& [k, h] : w->latency_) latency[k].merge(h);
    for (const auto& [k, h] : w->transform_time_) transform_time[k].merge(h);
    for (const auto& [k, v] : w->transform_failures_) transform_failures[k] += v;
    for (const auto& [k, v] : w->upstream_errors_) upstream_errors[k] += v;
    for (const auto& [k, v] : w->refused_) refused[k] += v;
    for (const auto& [k, v] : w->cache_) cache[k] += v;
    for (const auto& [k, v] : w->degraded_) degraded[k] += v;
  }
  // The top clients by requests keep their label.
  std::unordered_map<std::string, unsigned long long> per_client;
  for (const auto& [k, v] : requests) per_client[std::get<1>(k)] += v;
  std::vector<std::pair<std::string, unsigned long long>> ranked(per_client.begin(),
                                                                 per_client.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::unordered_map<std::string, bool> kept;
  for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(max_clients_); ++i)
    kept[ranked[i].first] = true;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, unsigned long long>
      capped;
  for (const auto& [k, v] : requests) {
    auto key = k;
    if (!kept.count(std::get<1>(k))) std::get<1>(key) = "other";
    capped[key] += v;
  }

  std::vector<prometheus::MetricFamily> families;
  {
    prometheus::MetricFamily f{
        "tandem_gateway_requests_total",
        "Requests answered, by API version, client, route template and status class",
        prometheus::MetricType::Counter,
        {}};
    for (const auto& [k, v] : capped) {
      prometheus::ClientMetric m;
      m.label = {{"version", std::get<0>(k)},
                 {"client", std::get<1>(k)},
                 {"route", std::get<2>(k)},
                 {"status", std::get<3>(k)}};
      m.counter.value = static_cast<double>(v);
      f.metric.push_back(std::move(m));
    }
    families.push_back(std::move(f));
  }
  {
    prometheus::MetricFamily f{"tandem_gateway_request_duration_seconds",
                               "Time from a request's last byte to its answer, by API version",
                               prometheus::MetricType::Histogram,
                               {}};
    for (const auto& [k, h] : latency) f.metric.push_back(histogram_metric(h, {{"version", k}}));
    families.push_back(std::move(f));
  }
  {
    prometheus::MetricFamily f{"tandem_gateway_transform_duration_seconds",
                               "Time spent translating bodies between versions, by direction",
                               prometheus::MetricType::Histogram,
                               {}};
    for (const auto& [k, h] : transform_time)
      f.metric.push_back(histogram_metric(h, {{"direction", k}}));
    families.push_back(std::move(f));
  }
  auto counter_family = [&](const char* name, const char* help, const char* label,
                            const std::map<std::string, unsigned long long>& values) {
    prometheus::MetricFamily f{name, help, prometheus::MetricType::Counter, {}};
    for (const auto& [k, v] : values) {
      prometheus::ClientMetric m;
      m.label = {{label, k}};
      m.counter.value = static_cast<double>(v);
      f.metric.push_back(std::move(m));
    }
    families.push_back(std::move(f));
  };
  counter_family(
      "tandem_gateway_transform_failures_total",
      "Bodies a transform could not translate (request: 400 to the client; response: 502)",
      "direction", transform_failures);
  counter_family(
      "tandem_gateway_upstream_errors_total",
      "Upstream exchanges that failed, by kind (connect, timeout, reset, bad_response, too_large)",
      "kind", upstream_errors);
  counter_family("tandem_gateway_refused_total",
                 "Requests refused before translation, as malformed or too large (400, 413, "
                 "417, 431, 505), by problem type",
                 "type", refused);
  counter_family("tandem_gateway_cache_total",
                 "Response cache outcomes: hit, miss, expired, stale_while_revalidate, "
                 "stale_if_error, stored, revalidated",
                 "result", cache);
  {
    prometheus::MetricFamily f{"tandem_gateway_degraded_total",
                               "Answers degraded on purpose, by kind (fallback, partial) and route",
                               prometheus::MetricType::Counter,
                               {}};
    for (const auto& [k, v] : degraded) {
      prometheus::ClientMetric m;
      m.label = {{"kind", k.first}, {"route", k.second}};
      m.counter.value = static_cast<double>(v);
      f.metric.push_back(std::move(m));
    }
    families.push_back(std::move(f));
  }
  if (extra) extra(families);
  for (const auto& [name, help, value] : gauges) {
    prometheus::MetricFamily f{name, help, prometheus::MetricType::Gauge, {}};
    prometheus::ClientMetric m;
    m.gauge.value = value;
    f.metric.push_back(std::move(m));
    families.push_back(std::move(f));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace tandem::gateway
