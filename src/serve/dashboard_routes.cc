// The dashboard's routes (serve/dashboard_routes.h).

#include "serve/dashboard_routes.h"

#include <fmt/format.h>

#include <boost/asio/this_coro.hpp>
#include <charconv>
#include <future>
#include <nlohmann/json.hpp>

#include "db/utf8.h"
#include "http/problem.h"
#include "serve/assets.h"
#include "serve/dashboard_json.h"
#include "tandem/tandem.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tandem::serve {

namespace {

namespace bhttp = http::bhttp;
namespace asio = http::asio;
using json = nlohmann::json;

// The page may load only itself: no inline script, nothing from another origin.
constexpr const char* kPagePolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

std::string asset_etag(std::string_view bytes) {
  return fmt::format("\"{:016x}\"", XXH3_64bits(bytes.data(), bytes.size()));
}

// "%2F" → "/"; nullopt for a broken escape or a byte that cannot be in an id.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int v = 0;
      auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, v, 16);
      if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
      c = static_cast<char>(v);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    out += c;
  }
  return out;
}

// `name=value` of a query string, percent-decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

http::Response problem(int status, std::string_view type, std::string_view title,
                       std::string_view detail) {
  http::Response r = http::problem(status, type, title, detail);
  r.set(bhttp::field::cache_control, "no-store");
  return r;
}

// Runs `work` on a thread of its own and waits for it without blocking the worker's loop:
// an action reads and writes the database (or a gateway) and must not stall other requests.
template <typename Work>
http::Task<std::invoke_result_t<Work>> off_thread(Work work) {
  auto done = std::async(std::launch::async, std::move(work));
  http::Timer timer(co_await asio::this_coro::executor);
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(http::use_tuple);
  }
  co_return done.get();
}

// Counts an action while it runs.
struct InFlight {
  explicit InFlight(std::atomic<int>& n) : n_(n) { ++n_; }
  ~InFlight() { --n_; }
  std::atomic<int>& n_;
};

int status_for(const Status& st) {
  switch (st.code()) {
    case Code::kInvalidInput:  // no such job, or nothing to do in its state
      return 409;
    case Code::kLockNotAcquired:
      return 409;
    default:
      return 502;
  }
}

}  // namespace

http::Response dashboard_answer(int status, std::string_view content_type, std::string body) {
  http::Response res{static_cast<bhttp::status>(status), 11};
  if (!content_type.empty()) res.set(bhttp::field::content_type, content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

DashboardRoutes::DashboardRoutes(Dashboard& dashboard, const DashboardOptions& options,
                                 std::string gateway_token)
    : dashboard_(dashboard), options_(options), gateway_token_(std::move(gateway_token)) {}

std::optional<http::Response> DashboardRoutes::page(const http::Request& req,
                                                    std::string_view path) const {
  std::string_view name;
  if (path == "/favicon.ico") {
    // Browsers ask for it whatever the page links (the page's icon is /assets/favicon.svg).
    http::Response res{bhttp::status::no_content, 11};
    res.set(bhttp::field::cache_control, "max-age=86400");
    return res;
  }
  if (path == "/" || path == "/index.html")
    name = "index.html";
  else if (path.starts_with("/assets/"))
    name = path.substr(8);
  else
    return std::nullopt;
  for (const Asset& a : assets()) {
    if (a.name != name) continue;
    std::string etag = asset_etag(a.bytes);
    bool same = req[bhttp::field::if_none_match] == etag;
    http::Response res{same ? bhttp::status::not_modified : bhttp::status::ok, 11};
    res.set(bhttp::field::etag, etag);
    // Revalidated on every load: a new tandem's page replaces the old one at once.
    res.set(bhttp::field::cache_control, "no-cache");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    if (name == "index.html") {
      res.set("Content-Security-Policy", kPagePolicy);
      res.set("X-Frame-Options", "DENY");
    }
    if (!same) {
      res.set(bhttp::field::content_type, a.content_type);
      res.body() = std::string(a.bytes);
    }
    res.prepare_payload();
    return res;
  }
  return problem(404, "not-found", "Not Found", "the dashboard has no such file");
}

std::optional<http::Response> DashboardRoutes::read(const http::Request& req, std::string_view path,
                                                    std::string_view query,
                                                    std::string& route) const {
  (void)req;
  std::shared_ptr<const DashboardSnapshot> snap = dashboard_.current();
  if (path == "/api/overview") {
    route = "api_overview";
    return dashboard_answer(200, "application/json", snap ? snap->overview : "{}");
  }
  if (path == "/api/series") {
    route = "api_series";
    return dashboard_answer(200, "application/json", snap ? snap->series : "{}");
  }
  if (path == "/api/migrations") {
    route = "api_migrations";
    int limit = 100;
    if (auto given = query_param(query, "limit")) {
      auto [end, ec] = std::from_chars(given->data(), given->data() + given->size(), limit);
      if (ec != std::errc() || end != given->data() + given->size() || limit < 1 || limit > 1000)
        return problem(400, "bad-request", "Bad Request", "limit is a number from 1 to 1000");
    }
    std::optional<std::string> before = query_param(query, "before");
    bool given = query.find("before=") != std::string_view::npos;
    if (given && !before)
      return problem(400, "bad-request", "Bad Request", "before is a migration version (digits)");
    if (before && (before->empty() || before->size() > 64 ||
                   before->find_first_not_of("0123456789") != std::string::npos))
      return problem(400, "bad-request", "Bad Request", "before is a migration version (digits)");
    return dashboard_answer(200, "application/json",
                            migrations_page_json(snap ? snap->status.get() : nullptr,
                                                 snap && snap->folder_missing, limit, before));
  }
  return std::nullopt;
}

void DashboardRoutes::events(http::Wire& out) {
  // The place is taken here, before the head goes out (a burst of connections cannot pass the
  // limit), and given back when the stream — or the answer that never became one — is gone.
  if (++streams_ > kMaxStreams) {
    --streams_;
    http::to_wire(problem(503, "too-many-streams", "Service Unavailable",
                          fmt::format("at most {} event streams are served at once; read "
                                      "/api/overview instead",
                                      kMaxStreams)),
                  false, out);
    return;
  }
  auto place = std::shared_ptr<void>(nullptr, [this](void*) { --streams_; });
  out.status = 200;
  out.head.clear();
  http::append_status_line(out.head, 200);
  http::append_field(out.head, "Content-Type", "text/event-stream; charset=utf-8");
  http::append_field(out.head, "Cache-Control", "no-store");
  http::append_field(out.head, "X-Content-Type-Options", "nosniff");
  // Proxies in front (nginx) must pass each event on at once.
  http::append_field(out.head, "X-Accel-Buffering", "no");
  out.stream = [this, place](http::StreamWriter& w) -> http::Task<void> {
    http::Timer timer(co_await asio::this_coro::executor);
    uint64_t sent = 0;
    bool first = true;
    auto last_write = std::chrono::steady_clock::now();
    if (!co_await w.write("retry: 2000\n\n")) co_return;
    for (;;) {
      std::shared_ptr<const DashboardSnapshot> snap = dashboard_.current();
      auto now = std::chrono::steady_clock::now();
      if (snap && (first || snap->generation != sent)) {
        // Written from the shared snapshot: a reader that is slow holds no copy of its own.
        if (!co_await w.write("event: overview\ndata: ")) co_return;
        if (!co_await w.write(snap->overview)) co_return;
        if (!co_await w.write("\n\n")) co_return;
        sent = snap->generation;
        first = false;
        last_write = now;
      } else if (now - last_write > std::chrono::seconds(15)) {
        if (!co_await w.write(": ping\n\n")) co_return;
        last_write = now;
      }
      snap.reset();
      timer.expires_after(std::chrono::milliseconds(200));
      co_await timer.async_wait(http::use_tuple);
      if (w.stopping()) co_return;
    }
  };
}

std::optional<http::Task<http::Response>> DashboardRoutes::act(http::Request& req,
                                                               std::string_view path,
                                                               std::string& route) {
  bool backfill = path.starts_with("/api/backfills/");
  bool rollout = path.starts_with("/api/rollouts/");
  if (!backfill && !rollout) return std::nullopt;
  route = backfill ? "api_backfill_action" : "api_rollout_action";
  auto now = [](http::Response r) -> http::Task<http::Response> { co_return r; };
  if (req.method() != bhttp::verb::post) {
    http::Response r =
        problem(405, "method-not-allowed", "Method Not Allowed", "actions are POST requests");
    r.set(bhttp::field::allow, "POST");
    return now(std::move(r));
  }
  if (!options_.actions)
    return now(problem(403, "actions-disabled", "Forbidden",
                       "this dashboard is read-only: start `tandem serve` with --allow-actions "
                       "(and a token) to pause, resume or cancel backfills and promote or abort "
                       "rollouts from it"));
  // The last segment is the action; what is between is the id (percent-encoded: a job id
  // holds a '/').
  std::string_view rest = path.substr(backfill ? 15 : 14);
  size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos || slash == 0)
    return now(problem(404, "not-found", "Not Found",
                       backfill ? "POST /api/backfills/{id}/pause|resume|cancel"
                                : "POST /api/rollouts/{gateway}/{name}/promote|abort"));
  std::string action(rest.substr(slash + 1));
  std::optional<std::string> id = percent_decode(rest.substr(0, slash));
  if (!id || id->empty() || id->size() > 512 || !utf8::valid(*id))
    return now(problem(400, "bad-request", "Bad Request", "the id in the path is not valid"));
  // Each action holds a thread while it waits on the database or a gateway.
  if (actions_in_flight_.load() >= kMaxActions)
    return now(problem(503, "busy", "Service Unavailable",
                       fmt::format("{} actions are running already; try again", kMaxActions)));

  if (backfill) {
    std::optional<backfill::Action> what;
    if (action == "pause") what = backfill::Action::kPause;
    if (action == "resume") what = backfill::Action::kResume;
    if (action == "cancel") what = backfill::Action::kCancel;
    if (!what)
      return now(problem(404, "not-found", "Not Found",
                         "a backfill's actions are pause, resume and cancel"));
    Options migrations = options_.migrations;
    migrations.engine.log = nullptr;
    return [](DashboardRoutes* self, Options migrations, std::string id,
              backfill::Action what) -> http::Task<http::Response> {
      InFlight counted(self->actions_in_flight_);
      auto report = co_await off_thread([&migrations, &id, what] {
        return backfill::control(migrations, id, what, /*continue_here=*/false);
      });
      self->dashboard_.poke();
      if (!report.ok()) {
        const Status& st = report.status();
        co_return problem(status_for(st), "action-refused", "Action refused",
                          st.hint().empty() ? st.message() : st.message() + ": " + st.hint());
      }
      json body = {{"job", backfill_json(report->job)}, {"previous_state", report->previous_state}};
      co_return dashboard_answer(200, "application/json", body.dump());
    }(this, std::move(migrations), std::move(*id), *what);
  }

  // /api/rollouts/{gateway}/{name}/{action}: {gateway} is the index of --gateway-admin.
  size_t cut = id->find('/');
  size_t gateway = options_.gateways.size();
  if (cut != std::string::npos) {
    auto [end, ec] = std::from_chars(id->data(), id->data() + cut, gateway);
    if (ec != std::errc() || end != id->data() + cut) gateway = options_.gateways.size();
  }
  if (gateway >= options_.gateways.size())
    return now(problem(404, "not-found", "Not Found",
                       "POST /api/rollouts/{gateway}/{name}/promote|abort: {gateway} is the "
                       "position (from 0) of a --gateway-admin"));
  // A rollout's name is letters, digits, '-', '_' and '.' (docs/gateway.md): anything else
  // is not forwarded.
  std::string_view name = std::string_view(*id).substr(cut == std::string::npos ? 0 : cut + 1);
  if (name.empty() || name.size() > 200 || name == "." || name == ".." ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
          std::string_view::npos)
    return now(problem(404, "not-found", "Not Found", "no rollout has that name"));
  if (action != "promote" && action != "abort")
    return now(problem(404, "not-found", "Not Found", "a rollout's actions are promote and abort"));
  std::string reason;
  if (!req.body().empty()) {
    json given = json::parse(req.body(), nullptr, false);
    if (!given.is_object() || (given.contains("reason") && !given["reason"].is_string()))
      return now(
          problem(400, "bad-request", "Bad Request", "the body is {\"reason\": \"…\"} (optional)"));
    if (given.contains("reason")) reason = given["reason"].get<std::string>();
  }
  AdminCall call;
  call.method = "POST";
  // The name goes on percent-encoded as it came.
  call.path = fmt::format("/api/rollouts/{}/{}", name, action);
  call.body = json{{"reason", reason}}.dump(-1, ' ', false, json::error_handler_t::replace);
  call.token = gateway_token_;
  call.timeout = std::chrono::milliseconds(5000);
  AdminUrl url = options_.gateways[gateway];
  return [](DashboardRoutes* self, AdminUrl url, AdminCall call) -> http::Task<http::Response> {
    InFlight counted(self->actions_in_flight_);
    auto answer = co_await off_thread([&url, &call] { return call_admin(url, call); });
    self->dashboard_.poke();
    if (!answer.ok())
      co_return problem(502, "gateway-unavailable", "Bad Gateway", answer.status().message());
    // The gateway's own answer (its problem+json when it refused), passed on — except a
    // refusal of the dashboard's own token, which is not the page's to fix.
    if (answer->status == 401 || answer->status == 403)
      co_return problem(502, "gateway-refused", "Bad Gateway",
                        fmt::format("the gateway {} refused the action ({}): give tandem serve "
                                    "its admin token (--gateway-token-file)",
                                    url.text, answer->status));
    bool problem_json = answer->content_type.starts_with("application/problem+json");
    co_return dashboard_answer(answer->status,
                               problem_json ? "application/problem+json" : "application/json",
                               std::move(answer->body));
  }(this, std::move(url), std::move(call));
}

}  // namespace tandem::serve
