// The admin listener's JSON API (gateway/admin_api.h).

#include "gateway/admin_api.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "gateway/rollout_control.h"
#include "http/problem.h"

namespace tandem::gateway {

namespace {

namespace bhttp = http::bhttp;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxQueue = 16;
constexpr size_t kMaxReason = 1000;
constexpr size_t kMaxActor = 64;

long long unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::Response json_response(int status, std::string body) {
  http::Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http::Response not_allowed(const char* allow, std::string_view detail) {
  http::Response r = http::problem(405, "method-not-allowed", "Method not allowed", detail);
  r.set(bhttp::field::allow, allow);
  return r;
}

http::Response unavailable(std::string_view detail) {
  http::Response r =
      http::problem(503, "state-unavailable", "The state database is unavailable", detail);
  r.set(bhttp::field::retry_after, "1");
  return r;
}

// A name from the URL, shown in a detail: at most 64 bytes (the problem escapes the rest).
std::string shown(std::string_view name) {
  return name.size() > 64 ? std::string(name.substr(0, 64)) + "…" : std::string(name);
}

bool printable(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool authorized(const http::Request& req, const std::string& token) {
  std::string_view auth = req[bhttp::field::authorization];
  if (auth.size() <= 7 || !http::beast::iequals(auth.substr(0, 7), "Bearer ")) return false;
  std::string_view given = auth.substr(7);
  // Constant time for a token of the right length: no byte-by-byte timing to learn it from.
  return given.size() == token.size() &&
         CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

}  // namespace

bool admin_token_ok(std::string_view token) {
  if (token.size() < 16 || token.size() > 4096) return false;
  for (unsigned char c : token) {
    if (c <= ' ' || c >= 0x7f) return false;
  }
  return true;
}

Result<std::string> load_admin_token(const Config& config, std::string& source) {
  const char* env = std::getenv("TANDEM_GATEWAY_ADMIN_TOKEN");
  std::string token;
  if (env && *env) {
    token = env;
    source = "$TANDEM_GATEWAY_ADMIN_TOKEN";
  } else if (!config.admin_token_file.empty()) {
    const std::string& path = config.admin_token_file;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return Status::InvalidInput(
          fmt::format("admin_token_file: cannot read {}: {}", path, std::strerror(errno)),
          "create it, e.g. `openssl rand -hex 32 > admin.token && chmod 600 admin.token`, or "
          "remove admin_token_file from the config to disable the admin actions");
    }
    std::string first;
    char c;
    while (first.size() <= 4097 && in.get(c) && c != '\n') first += c;
    if (!first.empty() && first.back() == '\r') first.pop_back();
    token = std::move(first);
    source = path;
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      std::fprintf(stderr,
                   "tandem gateway: warning: %s can be read by other users (chmod 600 it)\n",
                   path.c_str());
    }
  } else {
    source = "";
    return std::string();
  }
  if (!admin_token_ok(token)) {
    return Status::InvalidInput(
        fmt::format("the admin token of {} is not 16 to 4096 visible ASCII characters", source),
        "use a random token, e.g. `openssl rand -hex 32` (spaces and control characters cannot "
        "be sent in an Authorization header)");
  }
  return token;
}

AdminApi::AdminApi(const Config& config, const ShadowTally& shadows, AdminApiOptions options)
    : config_(config), shadows_(shadows), options_(std::move(options)) {}

AdminApi::~AdminApi() { stop(); }

void AdminApi::start() {
  thread_ = std::thread([this] { loop(); });
}

void AdminApi::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AdminApi::loop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job->work();
    job->done.store(true, std::memory_order_release);
  }
}

bool AdminApi::submit(const std::shared_ptr<Job>& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= kMaxQueue) return false;
    queue_.push_back(job);
  }
  cv_.notify_one();
  return true;
}

http::Task<bool> AdminApi::wait(const std::shared_ptr<Job>& job) {
  auto deadline = Clock::now() + options_.timeout;
  http::Timer timer(co_await http::asio::this_coro::executor);
  // 1 ms at first (a read takes a few), then longer: many waiting requests stay cheap.
  std::chrono::milliseconds delay{1};
  while (!job->done.load(std::memory_order_acquire)) {
    if (Clock::now() >= deadline) co_return false;
    timer.expires_after(delay);
    co_await timer.async_wait(http::use_tuple);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
  co_return true;
}

std::shared_ptr<AdminApi::Job> AdminApi::refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  if (refreshing_ && !refreshing_->done.load(std::memory_order_acquire)) return refreshing_;
  if (stopping_ || queue_.size() >= kMaxQueue) return nullptr;
  auto job = std::make_shared<Job>();
  job->work = [this] { read_state(); };
  queue_.push_back(job);
  refreshing_ = job;
  cv_.notify_one();
  return job;
}

void AdminApi::read_state() {
  auto snap = std::make_shared<Snapshot>();
  snap->taken = Clock::now();
  snap->taken_ms = unix_ms();
  snap->status = [&]() -> Status {
    // The thread's own session, opened at the first read and again after a failure (the
    // database restarted): the gateway's flusher keeps its own.
    if (!store_) {
      TANDEM_ASSIGN_OR_RETURN(store_, StateStore::open(config_.state));
    }
    // gateway::usage() and rollout_status() read exactly these.
    TANDEM_ASSIGN_OR_RETURN(snap->usage, store_->list_usage());
    if (!config_.rollouts.empty()) {
      TANDEM_ASSIGN_OR_RETURN(snap->rollouts, rollout_reports(*store_, config_));
    }
    return Status::Ok();
  }();
  if (!snap->status.ok()) store_.reset();
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(snap);
}

std::shared_ptr<const AdminApi::Snapshot> AdminApi::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

http::Task<http::Response> AdminApi::handle(http::Request& req) {
  std::string_view target = req.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/api/status") {
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head)
      co_return not_allowed("GET, HEAD", "/api/status answers GET and HEAD");
    co_return co_await status();
  }
  constexpr std::string_view kRollouts = "/api/rollouts/";
  if (path.starts_with(kRollouts)) {
    std::string_view rest = path.substr(kRollouts.size());
    size_t slash = rest.find('/');
    std::string_view name = rest.substr(0, slash);
    std::string_view act = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (!name.empty() && (act == "promote" || act == "abort")) {
      if (req.method() != bhttp::verb::post)
        co_return not_allowed("POST", "a rollout action is a POST request");
      co_return co_await action(req, name, act);
    }
  }
  co_return http::problem(404, "not-found", "Not found",
                          "the admin API serves GET /api/status and POST "
                          "/api/rollouts/{name}/promote|abort");
}

http::Task<http::Response> AdminApi::status() {
  auto snap = snapshot();
  if (!snap || Clock::now() - snap->taken > options_.max_age) {
    auto job = refresh();
    if (!job) co_return unavailable("too many reads of the state database are waiting");
    if (!co_await wait(job)) {
      co_return unavailable(
          fmt::format("the state database did not answer within {} ms", options_.timeout.count()));
    }
    snap = snapshot();
  }
  if (!snap) co_return unavailable("the gateway is stopping");
  if (!snap->status.ok()) {
    co_return unavailable(
        fmt::format("cannot read the state database: {}", snap->status.message()));
  }
  StatusInputs in;
  in.config = &config_;
  in.now_ms = unix_ms();
  in.state_read_at_ms = snap->taken_ms;
  in.usage = &snap->usage;
  in.rollouts = &snap->rollouts;
  for (size_t i = 0; i < config_.shadows.size(); ++i) {
    ShadowTally::Counts c = shadows_.counts(static_cast<int>(i));
    in.shadows.push_back(
        {config_.shadows[i].name, c.match + c.mismatch, c.mismatch, c.error, c.skipped});
  }
  co_return json_response(200, status_json(in, options_.limits));
}

http::Task<http::Response> AdminApi::action(http::Request& req, std::string_view name_view,
                                            std::string_view act) {
  if (options_.token.empty()) {
    co_return http::problem(403, "actions-disabled", "Admin actions are disabled",
                            "this gateway has no admin token: set admin_token_file in its "
                            "config or $TANDEM_GATEWAY_ADMIN_TOKEN, and restart it");
  }
  if (!authorized(req, options_.token)) {
    http::Response r =
        http::problem(401, "unauthorized", "Unauthorized",
                      "send Authorization: Bearer TOKEN (the gateway's admin token)");
    r.set(bhttp::field::www_authenticate, "Bearer");
    co_return r;
  }
  const Rollout* rollout = nullptr;
  for (const Rollout& r : config_.rollouts) {
    if (r.name == name_view) rollout = &r;
  }
  if (!rollout) {
    std::string known;
    for (const Rollout& r : config_.rollouts) known += (known.empty() ? "" : ", ") + r.name;
    co_return http::problem(404, "unknown-rollout", "Unknown rollout",
                            fmt::format("`{}` is not a rollout of this gateway's config ({})",
                                        shown(name_view), known.empty() ? "it has none" : known));
  }
  // The body: nothing, or {"reason": "…", "actor": "…"}.
  std::string reason, who = "dashboard";
  const std::string& body = req.body();
  if (body.size() > options_.max_body) {
    co_return http::problem(413, "body-too-large", "Body too large",
                            fmt::format("an action's body is at most {} bytes", options_.max_body));
  }
  if (!body.empty()) {
    auto bad = [](std::string detail) {
      return http::problem(400, "bad-action-body", "Bad action body", detail);
    };
    nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      co_return bad("the body is not a JSON object; send {\"reason\": \"…\"} or nothing");
    for (const auto& [key, value] : j.items()) {
      if (key != "reason" && key != "actor")
        co_return bad(
            fmt::format("unknown member `{}`: the body takes reason and actor", shown(key)));
      if (!value.is_string()) co_return bad(fmt::format("`{}` must be a string", key));
      const std::string& text = value.get_ref<const std::string&>();
      size_t max = key == "reason" ? kMaxReason : kMaxActor;
      if (text.size() > max || !printable(text))
        co_return bad(
            fmt::format("`{}` must be at most {} bytes without control characters", key, max));
      if (key == "reason") {
        reason = text;
      } else if (!text.empty()) {
        who = fmt::format("dashboard ({})", text);
      }
    }
  }
  struct Outcome {
    std::optional<Result<RolloutReport>> report;
  };
  auto outcome = std::make_shared<Outcome>();
  auto job = std::make_shared<Job>();
  job->work = [this, outcome, name = rollout->name, act = std::string(act), reason, who] {
    outcome->report.emplace(rollout_action(config_, name, act, reason, who));
    std::lock_guard<std::mutex> lock(mu_);
    snapshot_.reset();  // the next status reads the change
  };
  if (!submit(job)) co_return unavailable("too many reads of the state database are waiting");
  if (!co_await wait(job)) {
    co_return unavailable(fmt::format(
        "the state database did not answer within {} ms; the {} may still take effect: GET "
        "/api/status shows the rollout",
        options_.timeout.count(), act));
  }
  if (!outcome->report) co_return unavailable("the gateway is stopping");
  const Result<RolloutReport>& done = *outcome->report;
  if (done.ok()) co_return json_response(200, rollout_json(*done));
  const Status& st = done.status();
  if (st.code() == Code::kInvalidInput) {
    std::string detail = st.hint().empty() ? st.message() : st.message() + "; " + st.hint();
    co_return http::problem(409, "rollout-conflict", "The rollout cannot do that now", detail);
  }
  co_return unavailable(fmt::format("cannot change the rollout: {}", st.message()));
}

}  // namespace tandem::gateway
