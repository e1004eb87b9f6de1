#pragma once
// Between the workers and the state database: one background thread reloads the pins every
// `refresh` (a pin set by `tandem api pin` or another gateway is seen within a second) and
// flushes what the workers recorded — usage counts and clients pinned at their first request.
// Workers never touch the database: they read an immutable pin snapshot and write into their
// own outbox, whose lock only the flusher ever contends for, once per flush.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gateway/rollout.h"
#include "gateway/state_store.h"

namespace tandem::gateway {

using PinMap = std::unordered_map<std::string, std::string>;

// What one worker hands to the flusher.
class Outbox {
 public:
  // Counts a request; `now` in Unix seconds. Distinct (client, version) keys per flush are
  // capped: beyond `max_keys` the requests count under client "(other)".
  void count(const std::string& client, const std::string& version, long long now);
  void pin(const std::string& client, const std::string& version);
  // Takes everything recorded since the last take.
  void take(UsageDeltas& usage, std::vector<std::pair<std::string, std::string>>& pins);

  size_t max_keys = 100000;

 private:
  std::mutex mu_;
  UsageDeltas usage_;
  std::vector<std::pair<std::string, std::string>> pins_;
};

class StateSync {
 public:
  // `url` reopens the store after the database went away (a restart, a failover).
  StateSync(std::unique_ptr<StateStore> store, std::string url, int workers,
            std::chrono::milliseconds refresh = std::chrono::milliseconds(500));
  ~StateSync();

  // Loads the pins once (an error here stops the gateway from starting), then starts the thread.
  Status start();
  // Flushes one last time and ends the thread.
  void stop();

  Outbox& outbox(int worker) { return *outboxes_[worker]; }
  // Incremented whenever a new pin snapshot is published.
  const std::atomic<unsigned long long>& generation() const { return generation_; }
  std::shared_ptr<const PinMap> pins() const;
  // False while the database cannot be reached (the gateway keeps serving from the last snapshot).
  bool healthy() const { return healthy_; }
  // Rollouts to move on and publish, and switches to read, on every sync (set before start()).
  void attach(const Config* config, RolloutBook* rollouts) {
    config_ = config;
    rollouts_ = rollouts;
  }
  // True while the switch `name` is on (`tandem api degrade NAME on`).
  bool switch_on(const std::string& name) const;
  const std::string& last_error() const { return last_error_; }

 private:
  void loop();
  void sync_once();

  std::unique_ptr<StateStore> store_;
  std::string url_;
  std::vector<std::unique_ptr<Outbox>> outboxes_;
  std::chrono::milliseconds refresh_;
  mutable std::mutex pins_mu_;
  std::shared_ptr<const PinMap> pins_;
  std::atomic<unsigned long long> generation_{0};
  std::atomic<bool> healthy_{true};
  std::string last_error_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
  // The pins' change counter when they were last loaded (-1: never): an unchanged counter
  // means nothing to reload. A full reload still happens every minute (rows edited by hand).
  long long loaded_generation_ = -1;
  std::chrono::steady_clock::time_point loaded_at_;
  const Config* config_ = nullptr;
  RolloutBook* rollouts_ = nullptr;
  bool rollouts_ensured_ = false;
  mutable std::mutex switches_mu_;
  std::shared_ptr<const std::set<std::string>> switches_ =
      std::make_shared<std::set<std::string>>();
  UsageDeltas pending_usage_;  // kept across a failed flush
  std::vector<std::pair<std::string, std::string>> pending_pins_;
};

}  // namespace tandem::gateway
