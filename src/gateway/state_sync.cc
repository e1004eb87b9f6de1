// The state flusher (gateway/state_sync.h).

#include "gateway/state_sync.h"

#include "gateway/rollout_control.h"

#include <fmt/format.h>

#include <cstdio>

namespace tandem::gateway {

void Outbox::count(const std::string& client, const std::string& version, long long now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = usage_.find(UsageKey{client, version});
  if (it == usage_.end()) {
    UsageKey key{usage_.size() < max_keys ? client : "(other)", version};
    it = usage_.try_emplace(std::move(key), UsageDelta{0, now, now}).first;
  }
  ++it->second.requests;
  it->second.last_seen = now;
}

void Outbox::pin(const std::string& client, const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pins_.size() < max_keys) pins_.emplace_back(client, version);
}

void Outbox::take(UsageDeltas& usage, std::vector<std::pair<std::string, std::string>>& pins) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, d] : usage_) {
    auto [it, fresh] = usage.try_emplace(key, d);
    if (!fresh) {
      it->second.requests += d.requests;
      it->second.first_seen = std::min(it->second.first_seen, d.first_seen);
      it->second.last_seen = std::max(it->second.last_seen, d.last_seen);
    }
  }
  usage_.clear();
  pins.insert(pins.end(), pins_.begin(), pins_.end());
  pins_.clear();
}

StateSync::StateSync(std::unique_ptr<StateStore> store, std::string url, int workers,
                     std::chrono::milliseconds refresh)
    : store_(std::move(store)),
      url_(std::move(url)),
      refresh_(refresh),
      pins_(std::make_shared<PinMap>()) {
  for (int i = 0; i < workers; ++i) outboxes_.push_back(std::make_unique<Outbox>());
}

StateSync::~StateSync() { stop(); }

bool StateSync::switch_on(const std::string& name) const {
  std::shared_ptr<const std::set<std::string>> on;
  {
    std::lock_guard<std::mutex> lock(switches_mu_);
    on = switches_;
  }
  return on->count(name) > 0;
}

std::shared_ptr<const PinMap> StateSync::pins() const {
  std::lock_guard<std::mutex> lock(pins_mu_);
  return pins_;
}

Status StateSync::start() {
  auto counter = store_->pins_generation();
  if (!counter.ok()) return counter.status();
  auto pins = store_->load_pins();
  if (!pins.ok()) return pins.status();
  loaded_generation_ = *counter;
  loaded_at_ = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(pins_mu_);
    pins_ = std::make_shared<PinMap>(std::move(*pins));
  }
  ++generation_;
  // The rollouts' states before the first request: a restarted gateway keeps every client on
  // the side it was on.
  if (config_ && rollouts_ && !config_->rollouts.empty()) {
    TANDEM_RETURN_IF_ERROR(sync_rollouts(*store_, *config_, *rollouts_, rollouts_ensured_));
  }
  thread_ = std::thread([this] { loop(); });
  return Status::Ok();
}

void StateSync::stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stop_) return;
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StateSync::loop() {
  for (;;) {
    bool last;
    {
      std::unique_lock<std::mutex> lock(stop_mu_);
      stop_cv_.wait_for(lock, refresh_, [this] { return stop_; });
      last = stop_;
    }
    sync_once();
    if (last) return;
  }
}

void StateSync::sync_once() {
  for (auto& box : outboxes_) box->take(pending_usage_, pending_pins_);
  if (!healthy_) {
    // The session may be gone for good (a server restart): a new one, when the server answers.
    auto reopened = StateStore::open(url_);
    if (reopened.ok()) store_ = std::move(*reopened);
  }
  Status st = store_->pin_if_absent(pending_pins_);
  if (st.ok()) {
    pending_pins_.clear();
    st = store_->add_usage(pending_usage_);
  }
  if (st.ok()) pending_usage_.clear();
  // Bounded: while the database is away, counts beyond this are dropped (and said so).
  if (pending_usage_.size() > 1000000) pending_usage_.clear();
  if (pending_pins_.size() > 1000000) pending_pins_.clear();
  Result<long long> counter = st.ok() ? store_->pins_generation() : Result<long long>(st);
  if (!counter.ok()) st = counter.status();
  auto now = std::chrono::steady_clock::now();
  bool stale =
      st.ok() && (*counter != loaded_generation_ || now - loaded_at_ > std::chrono::minutes(1));
  if (stale) {
    auto pins = store_->load_pins();
    if (pins.ok()) {
      loaded_generation_ = *counter;
      loaded_at_ = now;
      std::shared_ptr<const PinMap> fresh = std::make_shared<PinMap>(std::move(*pins));
      bool changed;
      {
        std::lock_guard<std::mutex> lock(pins_mu_);
        changed = *fresh != *pins_;
        if (changed) pins_ = fresh;
      }
      if (changed) ++generation_;
    } else {
      st = pins.status();
    }
  }
  if (st.ok() && config_) {
    bool switches = false;
    for (const RoutePolicy& r : config_->routes)
      switches = switches || !r.partial.switch_name.empty();
    if (switches) {
      auto on = store_->switches_on();
      if (on.ok()) {
        auto fresh = std::make_shared<const std::set<std::string>>(std::move(*on));
        std::lock_guard<std::mutex> lock(switches_mu_);
        switches_ = std::move(fresh);
      } else {
        st = on.status();
      }
    }
  }
  if (st.ok() && config_ && rollouts_ && !config_->rollouts.empty()) {
    st = sync_rollouts(*store_, *config_, *rollouts_, rollouts_ensured_);
  }
  if (!st.ok() && healthy_) {
    std::fprintf(stderr,
                 "tandem gateway: the state database failed: %s (serving from the last pins)\n",
                 st.message().c_str());
  } else if (st.ok() && !healthy_) {
    std::fprintf(stderr, "tandem gateway: the state database is back\n");
  }
  healthy_ = st.ok();
}

}  // namespace tandem::gateway
