// Rollout assignment, measures and analysis (gateway/rollout.h).

#include "gateway/rollout.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>

#include "gateway/route_pattern.h"

namespace tandem::gateway {

int sticky_bucket(std::string_view rollout, std::string_view key) {
  std::string joined;
  joined.reserve(rollout.size() + key.size() + 1);
  joined.append(rollout);
  joined += '\0';
  joined.append(key);
  return static_cast<int>(XXH3_64bits(joined.data(), joined.size()) % 10000);
}

void ArmSample::add(const ArmSample& o) {
  requests += o.requests;
  errors += o.errors;
  for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += o.buckets[i];
}

RolloutBook::RolloutBook(const Config& config)
    : config_(config), samples_(config.rollouts.size()), totals_(config.rollouts.size()) {
  auto initial = std::make_shared<std::vector<RolloutState>>();
  for (const Rollout& r : config.rollouts) {
    RolloutState s;
    s.name = r.name;
    s.share = r.steps.empty() ? 0 : r.steps.front();
    initial->push_back(s);
  }
  states_ = std::move(initial);
}

void RolloutBook::publish(std::vector<RolloutState> states) {
  auto next = std::make_shared<const std::vector<RolloutState>>(std::move(states));
  std::lock_guard<std::mutex> lock(mu_);
  states_ = std::move(next);
}

std::shared_ptr<const std::vector<RolloutState>> RolloutBook::states() const {
  std::lock_guard<std::mutex> lock(mu_);
  return states_;
}

namespace {

// The value of cookie `name` in the request's Cookie fields, or nullopt.
std::optional<std::string_view> cookie(const http::Request& req, std::string_view name) {
  auto range = req.equal_range(http::bhttp::field::cookie);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view all = it->value();
    while (!all.empty()) {
      size_t semi = all.find(';');
      std::string_view pair = all.substr(0, semi);
      all = semi == std::string_view::npos ? std::string_view() : all.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (pair.substr(0, eq) == name) return pair.substr(eq + 1);
    }
  }
  return std::nullopt;
}

bool cohort_matches(const Cohort& c, const http::Request& req, const std::string& client) {
  if (!c.header.empty()) {
    auto range = req.equal_range(c.header);
    for (auto it = range.first; it != range.second; ++it) {
      if (c.header_value.empty() || it->value() == c.header_value) return true;
    }
    return false;
  }
  if (!c.cookie.empty()) {
    auto v = cookie(req, c.cookie);
    return v && (c.cookie_value.empty() || *v == c.cookie_value);
  }
  return !client.empty() &&
         std::find(c.clients.begin(), c.clients.end(), client) != c.clients.end();
}

}  // namespace

RolloutBook::Assignment RolloutBook::assign(std::string_view method, std::string_view path,
                                            const http::Request& req, const std::string& client,
                                            std::string_view peer) const {
  Assignment a;
  for (size_t i = 0; i < config_.rollouts.size(); ++i) {
    const Rollout& r = config_.rollouts[i];
    bool applies = r.routes.empty();
    for (const auto& p : r.routes) {
      if (route_matches(p, method, path)) {
        applies = true;
        break;
      }
    }
    if (!applies) continue;
    a.rollout = static_cast<int>(i);
    auto states = this->states();
    RolloutState first;  // not published (yet): the first step, running
    first.share = r.steps.empty() ? 0 : r.steps.front();
    const RolloutState& s = i < states->size() ? (*states)[i] : first;
    // An abort sends every client back to the baseline, cohorts too: the canary was found
    // failing, and testers hitting it would keep failing.
    if (s.status == "aborted") {
      a.upstream = r.baseline;
      return a;
    }
    for (const Cohort& c : r.cohorts) {
      if (cohort_matches(c, req, client)) {
        a.canary = c.canary;
        a.upstream = a.canary ? r.canary : r.baseline;
        return a;
      }
    }
    double share = s.share;
    // Anonymous callers are kept apart by address: without an id nothing else is stable.
    int bucket = sticky_bucket(r.name, client.empty() ? peer : std::string_view(client));
    a.canary = bucket < static_cast<int>(share * 10000 + 0.5);
    a.upstream = a.canary ? r.canary : r.baseline;
    return a;
  }
  return a;
}

void RolloutBook::record(int rollout, bool canary, bool failed, double seconds) {
  size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  std::lock_guard<std::mutex> lock(samples_mu_);
  for (ArmSample* s : {&samples_[rollout][canary ? 1 : 0], &totals_[rollout][canary ? 1 : 0]}) {
    ++s->requests;
    if (failed) ++s->errors;
    ++s->buckets[b];
  }
}

std::vector<std::array<ArmSample, 2>> RolloutBook::take() {
  std::vector<std::array<ArmSample, 2>> out(samples_.size());
  std::lock_guard<std::mutex> lock(samples_mu_);
  out.swap(samples_);
  return out;
}

void RolloutBook::give_back(std::vector<std::array<ArmSample, 2>> samples) {
  std::lock_guard<std::mutex> lock(samples_mu_);
  for (size_t i = 0; i < samples.size() && i < samples_.size(); ++i) {
    samples_[i][0].add(samples[i][0]);
    samples_[i][1].add(samples[i][1]);
  }
}

void RolloutBook::render(std::vector<prometheus::MetricFamily>& out) const {
  using prometheus::MetricType;
  auto share = metric_family("tandem_gateway_rollout_share",
                             "The canary's share of clients (0..1) as this gateway routes now",
                             MetricType::Gauge);
  auto step = metric_family("tandem_gateway_rollout_step",
                            "The rollout's current step (0 is the first)", MetricType::Gauge);
  auto state = metric_family(
      "tandem_gateway_rollout_state",
      "1 for the rollout's current state (running, paused, aborted, complete)", MetricType::Gauge);
  auto requests =
      metric_family("tandem_gateway_rollout_requests_total",
                    "Requests sent to each side of a rollout by this gateway", MetricType::Counter);
  auto errors =
      metric_family("tandem_gateway_rollout_errors_total",
                    "Of those, the ones that failed (5xx or no answer)", MetricType::Counter);
  auto states = this->states();
  std::vector<std::array<ArmSample, 2>> totals;
  {
    std::lock_guard<std::mutex> lock(samples_mu_);
    totals = totals_;
  }
  for (size_t i = 0; i < config_.rollouts.size() && i < states->size(); ++i) {
    const RolloutState& s = (*states)[i];
    const std::string& name = config_.rollouts[i].name;
    add_sample(share, {{"rollout", name}}, s.status == "aborted" ? 0 : s.share);
    add_sample(step, {{"rollout", name}}, s.step);
    for (const char* st : {"running", "paused", "aborted", "complete"}) {
      add_sample(state, {{"rollout", name}, {"state", st}}, s.status == st ? 1 : 0);
    }
    for (int arm = 0; arm < 2; ++arm) {
      std::vector<prometheus::ClientMetric::Label> l = {{"rollout", name},
                                                        {"side", arm ? "canary" : "baseline"}};
      add_sample(requests, l, static_cast<double>(totals[i][arm].requests));
      add_sample(errors, l, static_cast<double>(totals[i][arm].errors));
    }
  }
  for (auto* f : {&share, &step, &state, &requests, &errors}) out.push_back(std::move(*f));
}

double p99(const ArmSample& s) {
  long long total = 0;
  for (long long c : s.buckets) total += c;
  if (total == 0) return 0;
  double rank = 0.99 * static_cast<double>(total);
  long long seen = 0;
  for (size_t i = 0; i < s.buckets.size(); ++i) {
    if (s.buckets[i] == 0) continue;
    if (static_cast<double>(seen + s.buckets[i]) >= rank) {
      double lo = i == 0 ? 0 : kLatencyBuckets[i - 1];
      // Beyond the last bound: reported as twice it (a lower bound of what it was).
      double hi = i < kLatencyBuckets.size() ? kLatencyBuckets[i] : kLatencyBuckets.back() * 2;
      double within = (rank - static_cast<double>(seen)) / static_cast<double>(s.buckets[i]);
      return lo + (hi - lo) * std::clamp(within, 0.0, 1.0);
    }
    seen += s.buckets[i];
  }
  return kLatencyBuckets.back() * 2;
}

Verdict judge(const Analysis& a, const ArmSample& baseline, const ArmSample& canary) {
  Verdict v;
  v.enough = canary.requests >= a.min_requests;
  v.canary_error_rate =
      canary.requests ? static_cast<double>(canary.errors) / static_cast<double>(canary.requests)
                      : 0;
  v.baseline_error_rate = baseline.requests ? static_cast<double>(baseline.errors) /
                                                  static_cast<double>(baseline.requests)
                                            : 0;
  v.canary_p99 = p99(canary);
  v.baseline_p99 = p99(baseline);
  if (!v.enough) return v;
  // A small absolute tolerance keeps one unlucky error in a few dozen requests from failing a
  // window, as the configured increase allows.
  if (v.canary_error_rate > v.baseline_error_rate + a.max_error_increase + 1e-12) {
    v.breach = true;
    v.reason = fmt::format(
        "canary error rate {:.2f}% > baseline {:.2f}% + {:.2f}% ({} of {} canary requests failed)",
        v.canary_error_rate * 100, v.baseline_error_rate * 100, a.max_error_increase * 100,
        canary.errors, canary.requests);
    return v;
  }
  double floor = std::chrono::duration<double>(a.p99_floor).count();
  if (baseline.requests > 0 && v.canary_p99 > floor &&
      v.canary_p99 > v.baseline_p99 * a.max_p99_ratio) {
    v.breach = true;
    v.reason = fmt::format("canary p99 {:.1f} ms > {:.2f} × baseline p99 {:.1f} ms",
                           v.canary_p99 * 1000, a.max_p99_ratio, v.baseline_p99 * 1000);
  }
  return v;
}

}  // namespace tandem::gateway
