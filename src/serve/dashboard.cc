// The dashboard's reader thread (serve/dashboard.h).

#include "serve/dashboard.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cmath>
#include <future>
#include <set>

#include "db/json_depth.h"
#include "serve/dashboard_json.h"
#include "tandem/db.h"
#include "tandem/tandem.h"

namespace tandem::serve {

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// The migrations are read again when the event log changed, the folder changed, or after
// this long (a file edited in place changes neither).
constexpr auto kStatusMaxAge = std::chrono::seconds(30);
constexpr int kVerifyHistory = 500;
constexpr int kFlagChanges = 20;
constexpr auto kSeriesWindow = std::chrono::minutes(10);

double epoch_ms(std::chrono::system_clock::time_point t) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

std::string iso_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", std::chrono::floor<std::chrono::seconds>(now),
                     ms.count());
}

// The folder's modification time (ns), -1 when it does not exist: a file added or removed
// changes it.
long long folder_mtime(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return -1;
  return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

template <typename Point>
void append_point(std::deque<Point>& points, const Point& p) {
  points.push_back(p);
  while (points.size() > Series::kPoints) points.pop_front();
}

}  // namespace

Dashboard::Dashboard(DashboardOptions options) : options_(std::move(options)) {
  data_.database = db::redact_url(options_.migrations.engine.db_url);
  for (const AdminUrl& g : options_.gateways) {
    GatewayState state;
    state.url = g.text;
    state.error = "not read yet";
    data_.gateways.push_back(std::move(state));
  }
}

Dashboard::~Dashboard() { stop(); }

Status Dashboard::connect() {
  conn_.reset();
  db::ConnectOptions how;
  how.application_name = "tandem serve (dashboard)";
  how.connect_timeout_s = 5;
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<db::Connection> c,
                          db::connect(options_.migrations.engine.db_url, how));
  data_.backend = c->backend() == db::Backend::kPostgres ? "postgres" : "sqlite";
  conn_ = std::move(c);
  return Status::Ok();
}

Status Dashboard::load_first() {
  TANDEM_RETURN_IF_ERROR(connect());
  round();
  return Status::Ok();
}

void Dashboard::start() {
  thread_ = std::thread([this] { loop(); });
}

void Dashboard::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dashboard::poke() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

std::shared_ptr<const DashboardSnapshot> Dashboard::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

void Dashboard::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.refresh, [this] { return stopping_ || poked_; });
    if (stopping_) break;
    poked_ = false;
    lock.unlock();
    round();
    lock.lock();
  }
}

void Dashboard::round() {
  auto t0 = Clock::now();
  data_.errors.clear();
  auto now = std::chrono::system_clock::now();
  if (!conn_) {
    Status st = connect();
    if (!st.ok()) data_.errors.push_back("cannot connect to the database: " + st.message());
  }
  if (conn_) {
    read_migrations(data_, false);
    read_backfills(data_, now);
    read_flags(data_);
    // A connection that failed is opened again next round; the parts keep their last values.
    if (!data_.errors.empty() && conn_->backend() == db::Backend::kPostgres) {
      auto r = conn_->query("SELECT 1");
      if (!r.ok()) conn_.reset();
    }
  }
  read_gateways(data_, now);
  publish(data_);
  last_round_seconds_ = std::chrono::duration<double>(Clock::now() - t0).count();
}

void Dashboard::read_migrations(DashboardData& d, bool force) {
  EngineOptions engine = options_.migrations.engine;
  engine.connection = conn_;
  engine.log = nullptr;
  // Cheap checks first: the event log's size and the folder's time.
  auto generation = history_generation(engine);
  if (!generation.ok()) {
    d.errors.push_back("cannot read the migrations: " + generation.status().message());
    return;
  }
  long long mtime = folder_mtime(engine.dir);
  bool stale = Clock::now() - status_read_ > kStatusMaxAge;
  if (!force && d.status && *generation == events_generation_ && mtime == folder_mtime_ && !stale)
    return;
  auto status = tandem::status(engine);
  if (!status.ok()) {
    d.errors.push_back("cannot read the migrations: " + status.status().message());
    return;
  }
  auto verifies = backfill::verify_history(engine, kVerifyHistory);
  if (!verifies.ok()) {
    d.errors.push_back("cannot read the verify results: " + verifies.status().message());
    return;
  }
  d.folder_missing = mtime < 0;
  d.status = std::make_shared<const StatusReport>(std::move(*status));
  d.verifies = std::move(*verifies);
  events_generation_ = *generation;
  folder_mtime_ = mtime;
  status_read_ = Clock::now();
}

void Dashboard::read_backfills(DashboardData& d, std::chrono::system_clock::time_point now) {
  // SQLite runs an update inside its migration: no jobs.
  if (conn_->backend() != db::Backend::kPostgres) return;
  EngineOptions engine = options_.migrations.engine;
  engine.connection = conn_;
  engine.log = nullptr;
  auto jobs = backfill::status(engine, std::nullopt, options_.finished_backfills);
  if (!jobs.ok()) {
    d.errors.push_back("cannot read the backfills: " + jobs.status().message());
    return;
  }
  d.backfills = std::move(*jobs);
  // Replication lag beside the rate: what the lag throttle watches on a primary.
  double lag = std::nan("");
  bool running = false;
  for (const backfill::BackfillJob& j : d.backfills) running = running || j.state == "running";
  if (running) {
    auto r = conn_->query(
        "SELECT max(extract(epoch FROM greatest(write_lag, flush_lag, replay_lag)))::float8 "
        "FROM pg_catalog.pg_stat_replication");
    if (r.ok() && !r->empty() && r->rows[0][0]) {
      auto v = r->number(0, 0);
      if (v.ok()) lag = *v;
    }
  }
  double t = epoch_ms(now);
  for (const backfill::BackfillJob& j : d.backfills) {
    if (j.state != "running" && j.state != "paused") continue;
    append_point(series_.backfills[j.id],
                 std::array<double, 3>{t, j.state == "running" ? j.rows_per_second : 0.0, lag});
  }
  // Series of jobs that ended keep showing until they are older than the window.
  for (auto it = series_.backfills.begin(); it != series_.backfills.end();) {
    bool old = it->second.empty() ||
               it->second.back()[0] <
                   t - static_cast<double>(std::chrono::milliseconds(kSeriesWindow).count());
    it = old ? series_.backfills.erase(it) : std::next(it);
  }
}

void Dashboard::read_flags(DashboardData& d) {
  auto store = flags::FlagStore::on(*conn_, /*create=*/false);
  if (!store.ok()) {
    d.errors.push_back("cannot read the flags: " + store.status().message());
    return;
  }
  if (!(*store)->exists()) {
    d.flags.clear();
    d.flag_changes.clear();
    return;
  }
  auto generation = (*store)->generation();
  if (!generation.ok()) {
    d.errors.push_back("cannot read the flags: " + generation.status().message());
    return;
  }
  if (*generation == flags_generation_) return;
  auto list = (*store)->list(nullptr);
  std::vector<Status> invalid;
  if (!list.ok()) list = (*store)->list(&invalid);  // a hand-edited row: the others
  auto history = (*store)->history("", kFlagChanges);
  if (!list.ok() || !history.ok()) {
    d.errors.push_back("cannot read the flags: " +
                       (list.ok() ? history.status() : list.status()).message());
    return;
  }
  for (const Status& st : invalid) d.errors.push_back(st.message());
  d.flags = std::move(*list);
  d.flag_changes = std::move(*history);
  if (invalid.empty()) flags_generation_ = *generation;
}

namespace {

constexpr size_t kMaxVersions = 50, kMaxClients = 20, kMaxRollouts = 50, kMaxShadows = 50;

// A gateway's document cut to what the dashboard shows, whatever it sent: at most kMaxVersions
// versions with kMaxClients clients each (the rest counted in more_clients), kMaxRollouts
// rollouts, kMaxShadows shadows, only objects — so 32 gateways cannot grow the overview (and
// every event stream's copy of it) without bound.
json bounded(json doc) {
  json out = json::object();
  if (auto head = doc.find("head"); head != doc.end() && head->is_string()) out["head"] = *head;
  auto take = [&](const char* part, size_t limit) {
    json list = json::array();
    auto it = doc.find(part);
    if (it == doc.end() || !it->is_array()) return list;
    for (json& item : *it) {
      if (list.size() == limit) break;
      if (item.is_object()) list.push_back(std::move(item));
    }
    return list;
  };
  out["versions"] = take("versions", kMaxVersions);
  for (json& v : out["versions"]) {
    auto clients = v.find("clients");
    if (clients == v.end() || !clients->is_array() || clients->size() <= kMaxClients) continue;
    size_t cut = clients->size() - kMaxClients;
    clients->erase(clients->begin() + kMaxClients, clients->end());
    size_t more = v.contains("more_clients") && v["more_clients"].is_number_unsigned()
                      ? v["more_clients"].get<size_t>()
                      : 0;
    v["more_clients"] = more + cut;
  }
  out["rollouts"] = take("rollouts", kMaxRollouts);
  out["shadows"] = take("shadows", kMaxShadows);
  return out;
}

}  // namespace

void Dashboard::read_gateways(DashboardData& d, std::chrono::system_clock::time_point now) {
  double t = epoch_ms(now);
  // All at once: a gateway that hangs costs one timeout per round, not one per gateway.
  AdminCall call;
  call.path = "/api/status";
  call.timeout =
      std::min<std::chrono::milliseconds>(options_.refresh, std::chrono::milliseconds(2000));
  std::vector<std::future<Result<AdminAnswer>>> answers;
  for (const AdminUrl& url : options_.gateways)
    answers.push_back(
        std::async(std::launch::async, [&url, &call] { return call_admin(url, call); }));
  for (size_t i = 0; i < options_.gateways.size(); ++i) {
    const AdminUrl& url = options_.gateways[i];
    GatewayState& g = d.gateways[i];
    Result<AdminAnswer> answer = answers[i].get();
    if (!answer.ok()) {
      g.ok = false;
      g.error = answer.status().message();
      continue;
    }
    // Nested past any document a gateway writes: not parsed (a deep one would overflow the
    // stack of whatever copies or prints it).
    bool shallow = json_depth::within_limit(answer->body);
    json doc = shallow ? json::parse(answer->body, nullptr, /*allow_exceptions=*/false) : json();
    if (answer->status != 200 || !doc.is_object()) {
      g.ok = false;
      g.error = fmt::format("gateway admin {}: /api/status answered {}{}", url.text, answer->status,
                            !shallow          ? " with JSON nested too deep"
                            : doc.is_object() ? ""
                                              : " without a JSON object");
      continue;
    }
    g.ok = true;
    g.error.clear();
    // A gateway answers from a read it reuses for a second: the same read twice is no new
    // sample (it would chart a rate of 0).
    std::string read_at = doc.contains("state_read_at") && doc["state_read_at"].is_string()
                              ? doc["state_read_at"].get<std::string>()
                              : std::string();
    bool fresh = read_at.empty() || read_at != gateway_read_at_[url.text];
    gateway_read_at_[url.text] = read_at;
    g.status = bounded(std::move(doc));
    if (!fresh) continue;
    // Requests per second per version, from the growth of its count.
    auto& last = api_last_[url.text];
    auto& series = series_.apis[url.text];
    std::set<std::string> seen;
    for (const json& v : g.status["versions"]) {
      if (!v.contains("version") || !v["version"].is_string()) continue;
      std::string name = v["version"].get<std::string>();
      seen.insert(name);
      double count =
          v.contains("requests") && v["requests"].is_number() ? v["requests"].get<double>() : 0.0;
      auto before = last.find(name);
      if (before != last.end() && t > before->second.first) {
        double rate =
            std::max(0.0, count - before->second.second) * 1000.0 / (t - before->second.first);
        append_point(series[name], std::array<double, 2>{t, rate});
      }
      last[name] = {t, count};
    }
    // Versions the gateway no longer names are forgotten (names that change every answer
    // must not pile up).
    for (auto it = last.begin(); it != last.end();)
      it = seen.count(it->first) ? std::next(it) : last.erase(it);
    for (auto it = series.begin(); it != series.end();)
      it = seen.count(it->first) ? std::next(it) : series.erase(it);
  }
}

void Dashboard::publish(DashboardData& d) {
  std::string body = overview_json(d, options_);
  bool changed = body != last_overview_body_;
  if (changed) {
    ++generation_;
    last_overview_body_ = body;
  }
  auto snapshot = std::make_shared<DashboardSnapshot>();
  std::shared_ptr<const DashboardSnapshot> previous = current();
  // An unchanged overview keeps its time: the event stream sends only changes.
  snapshot->overview = changed || !previous ? with_time(body, iso_now()) : previous->overview;
  snapshot->series = series_json(series_, d.verifies);
  snapshot->generation = generation_;
  snapshot->status = d.status;
  snapshot->folder_missing = d.folder_missing;
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(snapshot);
}

}  // namespace tandem::serve
