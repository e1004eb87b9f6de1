// Upstreams, targets, retries and the concurrency limit (gateway/upstream_set.h).

#include "gateway/upstream_set.h"

#include <fmt/format.h>

#include <ctime>

#include "gateway/metrics.h"
#include "http/deadline.h"
#include "http/wire.h"

namespace tandem::gateway {

namespace {

using Clock = std::chrono::steady_clock;

bool idempotent(http::bhttp::verb v) {
  using http::bhttp::verb;
  return v == verb::get || v == verb::head || v == verb::options || v == verb::put ||
         v == verb::delete_;
}

int status_of(const http::UpstreamResult& r) {
  return r.error == http::UpstreamError::kNone ? static_cast<int>(r.response.result_int()) : 0;
}

}  // namespace

bool failed_exchange(const http::UpstreamResult& r) {
  if (r.error != http::UpstreamError::kNone) return true;
  int s = status_of(r);
  return s == 502 || s == 503 || s == 504;
}

bool server_error(const http::UpstreamResult& r) {
  return r.error != http::UpstreamError::kNone || status_of(r) >= 500;
}

UpstreamShared::UpstreamShared(const Upstream& c)
    : config(c), budget(c.retry), limiter(c.concurrency) {
  for (size_t i = 0; i < c.targets.size(); ++i) {
    targets.push_back(std::make_unique<TargetHealth>(c.breaker, c.health));
  }
}

// The active probes: one thread with its own io_context, a loop per probed target.
struct UpstreamSet::Prober {
  http::asio::io_context io;
  http::Reaper reaper{io};
  std::vector<std::unique_ptr<http::UpstreamPool>> pools;
  std::thread thread;
};

UpstreamSet::UpstreamSet(const Config& config) : config_(config) {
  for (const Upstream& u : config.upstreams)
    upstreams_.push_back(std::make_unique<UpstreamShared>(u));
}

UpstreamSet::~UpstreamSet() { stop_probes(); }

namespace {

http::Task<void> probe_loop(const Upstream& u, const Target& t, TargetHealth& health,
                            http::UpstreamPool& pool) {
  auto executor = co_await http::asio::this_coro::executor;
  http::Timer timer(executor);
  http::OutRequest req;
  req.method = http::bhttp::verb::get;
  req.head = fmt::format("GET {}{} HTTP/1.1\r\n", t.base, u.health.path);
  http::append_field(req.head, "Host", t.authority);
  http::append_field(req.head, "User-Agent", "tandem-gateway-health");
  req.head += "\r\n";
  for (;;) {
    http::UpstreamResult r = co_await pool.exchange(req);
    int s = status_of(r);
    health.probed(r.error == http::UpstreamError::kNone && s >= 200 && s < 400);
    timer.expires_after(u.health.interval);
    auto [ec] = co_await timer.async_wait(http::use_tuple);
    if (ec) co_return;
  }
}

}  // namespace

void UpstreamSet::start_probes() {
  if (prober_) return;
  auto p = std::make_unique<Prober>();
  bool any = false;
  for (auto& shared : upstreams_) {
    const Upstream& u = shared->config;
    if (u.health.path.empty()) continue;
    for (size_t i = 0; i < u.targets.size(); ++i) {
      const Target& t = u.targets[i];
      p->pools.push_back(std::make_unique<http::UpstreamPool>(
          p->io, p->reaper,
          http::UpstreamOptions{t.host, t.port, u.health.timeout, u.health.timeout,
                                std::chrono::milliseconds(60000), 64 * 1024, 1}));
      http::asio::co_spawn(p->io, probe_loop(u, t, *shared->targets[i], *p->pools.back()),
                           http::asio::detached);
      any = true;
    }
  }
  if (!any) return;
  p->reaper.start();
  Prober* raw = p.get();
  p->thread = std::thread([raw] { raw->io.run(); });
  prober_ = std::move(p);
}

void UpstreamSet::stop_probes() {
  if (!prober_) return;
  prober_->io.stop();
  if (prober_->thread.joinable()) prober_->thread.join();
  prober_.reset();
}

void UpstreamSet::render(std::vector<prometheus::MetricFamily>& out) const {
  using prometheus::MetricType;
  auto now = Clock::now();
  auto state =
      metric_family("tandem_gateway_target_state",
                    "A target's circuit breaker: 0 closed, 1 open (ejected), 2 half-open (probing)",
                    MetricType::Gauge);
  auto healthy =
      metric_family("tandem_gateway_target_healthy",
                    "1 while a target passes its active health check", MetricType::Gauge);
  auto ejections = metric_family("tandem_gateway_target_ejections_total",
                                 "Times a target's breaker opened", MetricType::Counter);
  auto retries =
      metric_family("tandem_gateway_retries_total",
                    "Requests retried on another target, by upstream", MetricType::Counter);
  auto exhausted =
      metric_family("tandem_gateway_retry_budget_exhausted_total",
                    "Retries refused because the retry budget was used up", MetricType::Counter);
  auto no_target = metric_family("tandem_gateway_no_target_total",
                                 "Requests with no target to go to (all ejected or unhealthy)",
                                 MetricType::Counter);
  auto limit =
      metric_family("tandem_gateway_concurrency_limit",
                    "The upstream's current concurrency limit (0: none)", MetricType::Gauge);
  auto in_flight =
      metric_family("tandem_gateway_upstream_in_flight",
                    "Requests in flight to the upstream (counted when it has a concurrency limit)",
                    MetricType::Gauge);
  auto shed = metric_family(
      "tandem_gateway_shed_total",
      "Requests refused with 503 over the concurrency limit, by upstream and priority",
      MetricType::Counter);
  for (const auto& u : upstreams_) {
    const std::string& name = u->config.name;
    for (size_t i = 0; i < u->targets.size(); ++i) {
      std::vector<prometheus::ClientMetric::Label> l = {{"upstream", name},
                                                        {"target", u->config.targets[i].authority}};
      const TargetHealth& t = *u->targets[i];
      add_sample(state, l, static_cast<double>(t.state(now)));
      add_sample(healthy, l, t.healthy() ? 1 : 0);
      add_sample(ejections, l, static_cast<double>(t.ejections()));
    }
    add_sample(retries, {{"upstream", name}}, static_cast<double>(u->retries.load()));
    add_sample(exhausted, {{"upstream", name}}, static_cast<double>(u->budget.exhausted()));
    add_sample(no_target, {{"upstream", name}}, static_cast<double>(u->no_target.load()));
    add_sample(limit, {{"upstream", name}}, u->limiter.enabled() ? u->limiter.limit() : 0);
    add_sample(in_flight, {{"upstream", name}}, u->limiter.in_flight());
    for (int p = 0; p < 3; ++p) {
      add_sample(shed, {{"upstream", name}, {"priority", priority_name(static_cast<Priority>(p))}},
                 static_cast<double>(u->shed[p].load()));
    }
  }
  for (auto* f : {&state, &healthy, &ejections, &retries, &exhausted, &no_target, &limit,
                  &in_flight, &shed}) {
    out.push_back(std::move(*f));
  }
}

UpstreamClient::UpstreamClient(const Upstream& config, UpstreamShared& shared,
                               http::asio::io_context& io, http::Reaper& reaper,
                               size_t max_response_body)
    : config_(config), shared_(shared) {
  for (const Target& t : config.targets) {
    pools_.push_back(std::make_unique<http::UpstreamPool>(
        io, reaper,
        http::UpstreamOptions{t.host, t.port, config.connect_timeout, config.timeout,
                              config.idle_timeout, max_response_body, 256}));
  }
  next_ = static_cast<size_t>(reinterpret_cast<uintptr_t>(this) >> 6) % pools_.size();
}

http::Task<Exchange> UpstreamClient::exchange(
    http::OutRequest& req, const std::function<void(const Target&, http::OutRequest&)>& head_for) {
  Exchange out;
  long long second = static_cast<long long>(std::time(nullptr));
  // Only an upstream that can retry counts requests for its budget.
  if (pools_.size() > 1 && config_.retry.attempts > 0) shared_.budget.request(second);
  size_t n = pools_.size();
  int tried = -1;
  for (;;) {
    auto now = Clock::now();
    // Round robin over the targets that admit a request, another one than a retry's last.
    int chosen = -1;
    bool probe = false;
    for (size_t k = 0; k < n; ++k) {
      size_t i = (next_ + k) % n;
      if (static_cast<int>(i) == tried) continue;
      if (shared_.targets[i]->admit(now, probe)) {
        chosen = static_cast<int>(i);
        next_ = i + 1;
        break;
      }
    }
    if (chosen < 0) {
      if (out.attempts > 0) co_return out;  // the last attempt's failure stands
      shared_.no_target.fetch_add(1, std::memory_order_relaxed);
      out.no_target = true;
      out.result.error = http::UpstreamError::kConnect;
      out.result.detail =
          n == 1 ? "its target is ejected (breaker open) or failing its health check"
                 : fmt::format(
                       "all {} targets are ejected (breaker open) or failing their health "
                       "check",
                       n);
      co_return out;
    }
    head_for(config_.targets[chosen], req);
    ++out.attempts;
    out.target = chosen;
    out.result = co_await pools_[chosen]->exchange(req);
    TargetHealth& health = *shared_.targets[chosen];
    if (!failed_exchange(out.result)) {
      health.success(probe);
      co_return out;
    }
    health.failure(Clock::now(), probe);
    // A connect failure sent nothing: any method may go elsewhere. Otherwise only a request
    // that cannot act twice.
    bool unsent = out.result.error == http::UpstreamError::kConnect;
    int s = status_of(out.result);
    // A timeout is not retried: it used the client's whole wait already. Only another target
    // is tried: the same one again is what just failed.
    bool retryable =
        unsent || (idempotent(req.method) && (out.result.error == http::UpstreamError::kReset ||
                                              s == 502 || s == 503 || s == 504));
    if (n < 2 || out.attempts > config_.retry.attempts || !retryable) co_return out;
    if (!shared_.budget.try_retry(second)) co_return out;
    shared_.retries.fetch_add(1, std::memory_order_relaxed);
    tried = chosen;
  }
}

}  // namespace tandem::gateway
