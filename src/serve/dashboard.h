#pragma once
// The dashboard's data: one thread reads every part (migrations, backfills, verify results,
// flags, the gateways' admin status) every refresh and publishes an immutable snapshot with the
// JSON documents already rendered, so /api/ answers and the event stream never wait on the
// database — 10,000 migrations or a gateway that hangs cost the reader, not a request. A part
// that cannot be read keeps its last value and is named in `errors`.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "serve/admin_client.h"
#include "tandem/backfill.h"
#include "tandem/engine.h"
#include "tandem/flags.h"
#include "tandem/options.h"

namespace tandem::serve {

// What a gateway's admin listener said last (GET /api/status).
struct GatewayState {
  std::string url;
  bool ok = false;
  std::string error;
  nlohmann::json status;  // its document; null before the first answer
};

// Samples for the charts, newest last, at most kPoints each (10 minutes at a 1 s refresh).
struct Series {
  static constexpr size_t kPoints = 600;
  // job id → [t_ms, rows/s, replication lag s (NaN: unknown)]
  std::map<std::string, std::deque<std::array<double, 3>>> backfills;
  // gateway → version → [t_ms, requests/s]
  std::map<std::string, std::map<std::string, std::deque<std::array<double, 2>>>> apis;
};

// Everything read in one round.
struct DashboardData {
  std::string database, backend;
  std::shared_ptr<const StatusReport> status;  // shared with the snapshots: read rarely
  bool folder_missing = false;                 // history only: pending migrations unknown
  std::vector<backfill::BackfillJob> backfills;
  std::vector<backfill::VerifyRecord> verifies;  // newest first
  std::vector<flags::Flag> flags;
  std::vector<flags::FlagEvent> flag_changes;  // newest first
  std::vector<GatewayState> gateways;
  std::vector<std::string> errors;
};

struct DashboardSnapshot {
  std::string overview;  // GET /api/overview
  std::string series;    // GET /api/series
  // Grows by one whenever the overview's content changed (the event stream sends it then).
  uint64_t generation = 0;
  // The migrations as `status` reported them last, for /api/migrations pages.
  std::shared_ptr<const StatusReport> status;
  bool folder_missing = false;
};

struct DashboardOptions {
  Options migrations;  // migrations.engine.db_url: the database shown
  std::vector<AdminUrl> gateways;
  std::chrono::milliseconds refresh{1000};
  bool actions = false;  // said in the overview: the page shows its buttons
  int finished_backfills = 50;
  std::function<void(const std::string&)> log;
};

class Dashboard {
 public:
  explicit Dashboard(DashboardOptions options);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // The first round, on the caller's thread: an error when the database cannot be opened.
  Status load_first();
  void start();
  void stop();
  std::shared_ptr<const DashboardSnapshot> current() const;
  // Reads again at once (after an action), instead of at the next refresh.
  void poke();
  // How long the last round of reading took, in seconds.
  double last_round_seconds() const { return last_round_seconds_.load(); }

 private:
  void loop();
  void round();
  Status connect();
  void read_migrations(DashboardData& d, bool force);
  void read_backfills(DashboardData& d, std::chrono::system_clock::time_point now);
  void read_flags(DashboardData& d);
  void read_gateways(DashboardData& d, std::chrono::system_clock::time_point now);
  void publish(DashboardData& d);

  DashboardOptions options_;
  // The reader thread's own.
  std::shared_ptr<db::Connection> conn_;
  DashboardData data_;  // the last values of each part
  Series series_;
  std::string events_generation_, flags_generation_;
  long long folder_mtime_ = -1;
  std::chrono::steady_clock::time_point status_read_{};
  std::map<std::string, std::map<std::string, std::pair<double, double>>> api_last_;  // t, count
  std::map<std::string, std::string> gateway_read_at_;  // its state_read_at, last answer
  std::string last_overview_body_;
  uint64_t generation_ = 0;
  std::atomic<double> last_round_seconds_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, poked_ = false;
  std::shared_ptr<const DashboardSnapshot> snapshot_;
  std::thread thread_;
};

}  // namespace tandem::serve
