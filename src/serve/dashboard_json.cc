// The dashboard's JSON documents (serve/dashboard_json.h).

#include "serve/dashboard_json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "db/json_depth.h"
#include "tandem/migration.h"

namespace tandem::serve {

namespace {

using json = nlohmann::json;

constexpr size_t kRecent = 20;

// "2026-12-01T05:01:47.392Z" (or without milliseconds) as Unix milliseconds; null when it is
// not such a time.
json epoch_ms(const std::string& iso) {
  std::tm tm{};
  int ms = 0;
  char frac[8] = {0};
  int n = std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%7[.0-9]", &tm.tm_year, &tm.tm_mon,
                      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, frac);
  if (n < 6) return nullptr;
  if (n == 7 && frac[0] == '.') ms = static_cast<int>(std::strtod(frac, nullptr) * 1000 + 0.5);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) * 1000.0 + ms;
}

// A definition from the audit log: parsed when it is JSON of a sane depth, else as text (a row
// edited by hand must not take the dashboard down).
json stored_json(const std::string& text) {
  if (text.empty()) return nullptr;
  if (!json_depth::within_limit(text)) return "(not shown: nested too deep)";
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json(text) : j;
}

json null_if_empty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// Text from the database or a gateway may not be UTF-8: dump() replaces such bytes.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json migration_json(const MigrationState& m, bool folder_missing) {
  // Without a folder every applied migration's file is "missing": history is all there is.
  std::string state = folder_missing && m.state == "missing" ? "applied" : m.state;
  return {{"version", m.version},
          {"name", m.name},
          {"state", state},
          {"applied_at", null_if_empty(m.applied_at)},
          {"duration_ms", m.duration_ms},
          {"applied_by", null_if_empty(m.applied_by)},
          {"error", null_if_empty(m.error)}};
}

bool settled(const std::string& state) {
  return state == "applied" || state == "baseline" || state == "missing";
}

json migrations_json(const DashboardData& d) {
  if (!d.status) return nullptr;
  const StatusReport& s = *d.status;
  json recent = json::array();
  // Newest first: every migration that is not settled (pending, failed, changed, …), and the
  // newest applied ones.
  size_t settled_shown = 0;
  for (auto it = s.migrations.rbegin(); it != s.migrations.rend(); ++it) {
    bool done = settled(it->state) || d.folder_missing;
    if (done && settled_shown >= kRecent) continue;
    if (done) ++settled_shown;
    recent.push_back(migration_json(*it, d.folder_missing));
  }
  json active = nullptr;
  if (!s.active_migration.empty()) {
    size_t colon = s.active_migration.find(':');
    std::string version = s.active_migration.substr(0, colon);
    std::string phase = colon == std::string::npos ? "" : s.active_migration.substr(colon + 1);
    std::string next = s.active_next_step;
    // The newest verify of the active migration found mismatches: complete would refuse.
    for (const backfill::VerifyRecord& v : d.verifies) {
      if (v.version != version) continue;
      if (v.status == "mismatches" && phase == "started")
        next = "fix the rows `tandem verify` names and run `tandem verify` again (complete "
               "refuses until it is clean), or undo it with `tandem rollback`";
      break;
    }
    std::string name;
    for (const MigrationState& m : s.migrations)
      if (m.version == version) name = m.name;
    active = {{"version", version},
              {"name", name},
              {"phase", phase},
              {"old_schema", s.active_old_schema},
              {"new_schema", s.active_new_schema},
              {"next_step", next}};
  }
  json problems = json::array();
  for (const Problem& p : s.problems) {
    if (d.folder_missing && p.kind == "missing_dir") continue;
    problems.push_back({{"kind", p.kind},
                        {"file", null_if_empty(p.file)},
                        {"line", p.line},
                        {"message", p.message},
                        {"hint", null_if_empty(p.hint)}});
  }
  return {{"current_version", null_if_empty(s.current_version)},
          {"applied", s.applied},
          {"pending", d.folder_missing ? json(nullptr) : json(s.pending)},
          {"failed", s.failed},
          {"total", s.migrations.size()},
          {"folder", d.folder_missing ? json(nullptr) : json(s.dir)},
          {"lock_holder", s.lock_holder},
          {"active", std::move(active)},
          {"recent", std::move(recent)},
          {"problems", std::move(problems)}};
}

json verify_json(const backfill::VerifyRecord& v) {
  json checks = json::array();
  for (const backfill::VerifyCheck& c : v.checks)
    checks.push_back({{"table", c.table},
                      {"column", c.column},
                      {"direction", c.direction},
                      {"rows", c.rows},
                      {"mismatches", c.mismatches},
                      {"sample_keys", c.sample_keys}});
  json rate = v.rows > 0 ? json(static_cast<double>(v.mismatches) / static_cast<double>(v.rows))
                         : json(nullptr);
  return {{"version", v.version},
          {"at", v.at},
          {"status", v.status},
          {"summary", v.summary},
          {"rows", v.rows},
          {"mismatches", v.status == "mismatches" && v.mismatches == 0
                             ? json(nullptr)  // an old record: unknown
                             : json(v.mismatches)},
          {"mismatch_rate", rate},
          {"elapsed_ms", v.elapsed_ms},
          {"checks", std::move(checks)}};
}

json flag_json(const flags::Flag& f) {
  return {{"key", f.key},
          {"type", flags::type_name(f.type)},
          {"value", stored_json(f.value)},
          {"default", stored_json(f.fallback)},
          {"allow", f.allow},
          {"deny", f.deny},
          {"percent", f.percent},
          {"summary", f.summary()},
          {"description", f.description},
          {"version", f.version},
          {"updated_at", f.updated_at},
          {"updated_by", f.updated_by}};
}

json gateway_json(const GatewayState& g) {
  json out = {{"gateway", g.url}, {"ok", g.ok}, {"error", g.error}};
  for (const char* part : {"versions", "rollouts", "shadows"}) {
    const json* from = nullptr;
    if (g.status.is_object()) {
      auto it = g.status.find(part);
      if (it != g.status.end() && it->is_array()) from = &*it;
    }
    out[part] = from ? *from : json::array();
  }
  if (g.status.is_object() && g.status.contains("head")) out["head"] = g.status["head"];
  return out;
}

}  // namespace

json backfill_json(const backfill::BackfillJob& j) {
  json progress = nullptr;
  if (j.state == "done")
    progress = 1.0;
  else if (j.rows_total > 0)
    progress = std::min(1.0, static_cast<double>(j.rows_done) / static_cast<double>(j.rows_total));
  return {{"id", j.id},
          {"version", j.version},
          {"table", j.table},
          {"command", j.command},
          {"state", j.state},
          {"waiting", j.throttled},
          {"rows_done", j.rows_done},
          {"rows_updated", j.rows_updated},
          {"rows_total", j.rows_total},
          {"progress", progress},
          {"batch_size", j.batch_size},
          {"rows_per_second", j.rows_per_second},
          {"eta_ms", j.eta_ms >= 0 ? json(j.eta_ms) : json(nullptr)},
          {"checkpoint", j.checkpoint},
          {"error", j.error},
          {"runner", j.runner},
          {"started_at", null_if_empty(j.started_at)},
          {"updated_at", null_if_empty(j.updated_at)},
          {"finished_at", null_if_empty(j.finished_at)}};
}

std::string overview_json(const DashboardData& d, const DashboardOptions& o) {
  json backfills = json::array();
  for (const backfill::BackfillJob& j : d.backfills) backfills.push_back(backfill_json(j));
  // The newest verify of each migration, newest first.
  json verify = json::array();
  std::vector<std::string> seen;
  for (const backfill::VerifyRecord& v : d.verifies) {
    if (std::find(seen.begin(), seen.end(), v.version) != seen.end()) continue;
    seen.push_back(v.version);
    verify.push_back(verify_json(v));
  }
  json flags = json::array();
  for (const flags::Flag& f : d.flags) flags.push_back(flag_json(f));
  json changes = json::array();
  for (const flags::FlagEvent& e : d.flag_changes)
    changes.push_back({{"key", e.key},
                       {"at", e.at},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"reason", e.reason},
                       {"before", stored_json(e.before)},
                       {"after", stored_json(e.after)}});
  json apis = json::array();
  for (const GatewayState& g : d.gateways) apis.push_back(gateway_json(g));
  json out = {{"database", d.database},
              {"backend", d.backend},
              {"actions", o.actions},
              {"refresh_ms", o.refresh.count()},
              {"errors", d.errors},
              {"migrations", migrations_json(d)},
              {"backfills", std::move(backfills)},
              {"verify", std::move(verify)},
              {"flags", std::move(flags)},
              {"flag_changes", std::move(changes)},
              {"apis", std::move(apis)}};
  return dump(out);
}

std::string with_time(const std::string& body, const std::string& iso_time) {
  // body is an object "{…}": the time goes first.
  return "{\"generated_at\":\"" + iso_time + "\"," + body.substr(1);
}

std::string series_json(const Series& series, const std::vector<backfill::VerifyRecord>& verifies) {
  json backfills = json::object();
  for (const auto& [id, points] : series.backfills) {
    json list = json::array();
    for (const auto& p : points)
      list.push_back({p[0], p[1], std::isnan(p[2]) ? json(nullptr) : json(p[2])});
    backfills[id] = std::move(list);
  }
  json apis = json::object();
  for (const auto& [gateway, versions] : series.apis) {
    json per = json::object();
    for (const auto& [version, points] : versions) {
      json list = json::array();
      for (const auto& p : points) list.push_back({p[0], p[1]});
      per[version] = std::move(list);
    }
    apis[gateway] = std::move(per);
  }
  // Oldest first per migration, from the recorded results.
  json verify = json::object();
  for (auto it = verifies.rbegin(); it != verifies.rend(); ++it) {
    json rate = it->rows > 0
                    ? json(static_cast<double>(it->mismatches) / static_cast<double>(it->rows))
                    : json(nullptr);
    verify[it->version].push_back({epoch_ms(it->at), std::move(rate), it->mismatches});
  }
  return dump({{"backfills", std::move(backfills)},
               {"apis", std::move(apis)},
               {"verify", std::move(verify)}});
}

namespace {

// `text` as a JSON string (invalid UTF-8 replaced), appended to `out`.
void append_string(std::string& out, const std::string& text) {
  out += json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}
void append_string_or_null(std::string& out, const std::string& text) {
  if (text.empty())
    out += "null";
  else
    append_string(out, text);
}

}  // namespace

std::string migrations_page_json(const StatusReport* status, bool folder_missing, int limit,
                                 const std::optional<std::string>& before) {
  // Written directly (a page is up to 1,000 rows): building a json object per row costs
  // several times more than the bytes.
  std::string out = "{\"migrations\":[";
  std::string next;
  if (status) {
    const std::vector<MigrationState>& all = status->migrations;  // by version, oldest first
    // The first one older than `before`, walking back.
    auto end = all.end();
    if (before) {
      end = std::lower_bound(all.begin(), all.end(), *before,
                             [](const MigrationState& m, const std::string& v) {
                               return compare_versions(m.version, v) < 0;
                             });
    }
    out.reserve(static_cast<size_t>(limit) * 160);
    int n = 0;
    for (auto it = std::make_reverse_iterator(end); it != all.rend(); ++it) {
      if (n == limit) {
        next = std::prev(it)->version;
        break;
      }
      const MigrationState& m = *it;
      std::string state = folder_missing && m.state == "missing" ? "applied" : m.state;
      if (n++) out += ',';
      out += "{\"version\":";
      append_string(out, m.version);
      out += ",\"name\":";
      append_string(out, m.name);
      out += ",\"state\":";
      append_string(out, state);
      out += ",\"applied_at\":";
      append_string_or_null(out, m.applied_at);
      out += ",\"duration_ms\":" + std::to_string(m.duration_ms) + ",\"applied_by\":";
      append_string_or_null(out, m.applied_by);
      out += ",\"error\":";
      append_string_or_null(out, m.error);
      out += '}';
    }
  }
  out += "],\"next\":";
  append_string_or_null(out, next);
  out += '}';
  return out;
}

}  // namespace tandem::serve
