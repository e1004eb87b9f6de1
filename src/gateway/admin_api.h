#pragma once
// The admin listener's JSON API, for dashboards (`tandem serve --gateway-admin URL`):
//   GET  /api/status                      versions with their clients, rollouts, shadows
//   POST /api/rollouts/{name}/promote     as `tandem api rollout promote NAME`
//   POST /api/rollouts/{name}/abort       as `tandem api rollout abort NAME`
// The admin listener has one thread that also answers /healthz and /metrics: the state
// database is never read on it. One thread of the API's own reads it (usage, the rollouts'
// reports) and runs the actions; a request waits for it at most `timeout` and then answers
// 503 `state-unavailable`. Reads are shared: a status read less than `max_age` ago is reused.
// GET is open, as /metrics is; the actions need the admin token (403 `actions-disabled`
// without one configured, 401 without `Authorization: Bearer TOKEN`).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "gateway/admin_status.h"
#include "gateway/shadow.h"
#include "gateway/state_store.h"
#include "http/http.h"

namespace tandem::gateway {

struct AdminApiOptions {
  std::string token;                        // "" = actions disabled
  std::chrono::milliseconds timeout{3000};  // how long a request waits for the state database
  std::chrono::milliseconds max_age{1000};  // a status read this recent is reused
  StatusLimits limits;
  size_t max_body = 4096;  // an action's body
};

// True when `token` may be an admin token: 16 to 4096 visible ASCII characters (a header
// value cannot carry spaces or control characters at its ends).
bool admin_token_ok(std::string_view token);

// The admin token of a gateway: $TANDEM_GATEWAY_ADMIN_TOKEN when set and not empty (it wins),
// else the first line of `config.admin_token_file`, else "". InvalidInput when the file cannot
// be read or the token is not admin_token_ok (the message never shows the token). `source` says
// where it came from, for the start-up line.
Result<std::string> load_admin_token(const Config& config, std::string& source);

class AdminApi {
 public:
  AdminApi(const Config& config, const ShadowTally& shadows, AdminApiOptions options);
  ~AdminApi();
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  // Starts the thread that reads the state database; stop() ends it after the read it is
  // doing (the destructor calls it).
  void start();
  void stop();

  // True for the paths this API answers (everything under /api/).
  static bool owns(std::string_view path) { return path.substr(0, 5) == "/api/"; }
  // Answers a request whose path owns() accepted. Runs on the admin listener's thread; never
  // blocks it.
  http::Task<http::Response> handle(http::Request& req);

 private:
  struct Job {
    std::function<void()> work;
    std::atomic<bool> done{false};
  };
  struct Snapshot {
    std::chrono::steady_clock::time_point taken;
    long long taken_ms = 0;  // Unix milliseconds
    Status status;
    std::vector<UsageRow> usage;
    std::vector<RolloutReport> rollouts;
  };

  http::Task<http::Response> status();
  http::Task<http::Response> action(http::Request& req, std::string_view name,
                                    std::string_view action);
  // Queues `job`; false when the queue is full (a stuck database).
  bool submit(const std::shared_ptr<Job>& job);
  // Waits until the job is done or the timeout passed (true: done), polling on a timer.
  http::Task<bool> wait(const std::shared_ptr<Job>& job);
  // The status read in flight, or a new one.
  std::shared_ptr<Job> refresh();
  void read_state();  // on the thread
  void loop();
  std::shared_ptr<const Snapshot> snapshot() const;

  const Config& config_;
  const ShadowTally& shadows_;
  AdminApiOptions options_;
  std::unique_ptr<StateStore> store_;  // the thread's
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  std::shared_ptr<Job> refreshing_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::thread thread_;
};

}  // namespace tandem::gateway
