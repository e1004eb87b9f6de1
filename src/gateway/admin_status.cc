// The admin API's JSON documents (gateway/admin_status.h).

#include "gateway/admin_status.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace tandem::gateway {

namespace {

// Members in the order written (the documented order), not sorted.
using json = nlohmann::ordered_json;

std::string dump(const json& j) {
  // Client ids come from request headers: bytes that are not UTF-8 must not throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json optional_time(const std::optional<long long>& t) {
  return t ? json(iso8601(*t)) : json(nullptr);
}

struct VersionUsage {
  long long requests = 0;
  std::vector<const UsageRow*> clients;
};

json rollout_object(const RolloutReport& r) {
  json steps = json::array();
  for (double s : r.steps) steps.push_back(s * 100);
  return json{{"name", r.name},
              {"state", r.status},
              {"step", r.step},
              {"steps", steps},
              {"share", r.share},
              {"baseline", r.baseline},
              {"canary", r.canary},
              {"why", r.reason},
              {"automatic", r.automatic},
              {"step_started", r.step_started.empty() ? json(nullptr) : json(r.step_started)},
              {"updated", r.updated.empty() ? json(nullptr) : json(r.updated)},
              {"bake_left_seconds", r.bake_left_seconds},
              {"baseline_requests", r.baseline_requests},
              {"canary_requests", r.canary_requests},
              {"baseline_errors", r.baseline_errors},
              {"canary_errors", r.canary_errors}};
}

// The document with at most `clients` clients per version and `removed` usage-only versions.
json build(const StatusInputs& in, const std::map<std::string, VersionUsage>& by_version,
           const std::vector<std::string>& extra, size_t clients, size_t removed) {
  const Config& c = *in.config;
  auto version_object = [&](const std::string& name, bool is_head, bool is_removed,
                            const ApiVersion* v) {
    json o{{"version", name},
           {"head", is_head},
           {"removed", is_removed},
           {"deprecated", v ? optional_time(v->deprecated) : json(nullptr)},
           {"sunset", v ? optional_time(v->sunset) : json(nullptr)}};
    if (v && !v->link.empty()) o["link"] = v->link;
    json list = json::array();
    long long requests = 0;
    size_t more = 0;
    auto it = by_version.find(name);
    if (it != by_version.end()) {
      requests = it->second.requests;
      const auto& all = it->second.clients;
      for (size_t i = 0; i < all.size(); ++i) {
        if (i >= clients) {
          more = all.size() - i;
          break;
        }
        const UsageRow& u = *all[i];
        list.push_back({{"client", u.client},
                        {"requests", u.requests},
                        {"first_seen", u.first_seen},
                        {"last_seen", u.last_seen}});
      }
    }
    o["requests"] = requests;
    o["clients"] = std::move(list);
    o["more_clients"] = more;
    return o;
  };
  json versions = json::array();
  for (size_t i = c.versions.size(); i-- > 0;) {
    const ApiVersion& v = c.versions[i];
    versions.push_back(version_object(v.name, i + 1 == c.versions.size(), false, &v));
  }
  for (size_t i = 0; i < extra.size() && i < removed; ++i) {
    versions.push_back(version_object(extra[i], false, true, nullptr));
  }
  json rollouts = json::array();
  if (in.rollouts) {
    for (const RolloutReport& r : *in.rollouts) rollouts.push_back(rollout_object(r));
  }
  json shadows = json::array();
  for (const ShadowLine& s : in.shadows) {
    shadows.push_back(
        {{"name", s.name},
         {"compared", s.compared},
         {"mismatches", s.mismatches},
         {"mismatch_ratio",
          s.compared ? static_cast<double>(s.mismatches) / static_cast<double>(s.compared) : 0.0},
         {"errors", s.errors},
         {"skipped", s.skipped}});
  }
  return json{{"generated_at", iso8601_ms(in.now_ms)},
              {"state_read_at", iso8601_ms(in.state_read_at_ms)},
              {"head", c.versions.empty() ? json(nullptr) : json(c.head())},
              {"versions", std::move(versions)},
              {"rollouts", std::move(rollouts)},
              {"shadows", std::move(shadows)}};
}

}  // namespace

std::string iso8601_ms(long long unix_ms) {
  long long s = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  std::string t = iso8601(s);  // "…:SSZ"
  if (t.empty() || t.back() != 'Z') return t;
  t.pop_back();
  return fmt::format("{}.{:03d}Z", t, static_cast<int>(unix_ms - s * 1000));
}

std::string rollout_json(const RolloutReport& r) { return dump(rollout_object(r)); }

std::string status_json(const StatusInputs& in, const StatusLimits& limits) {
  const Config& c = *in.config;
  std::map<std::string, VersionUsage> by_version;
  static const std::vector<UsageRow> kNone;
  for (const UsageRow& u : in.usage ? *in.usage : kNone) {
    VersionUsage& v = by_version[u.version];
    v.requests += u.requests;
    v.clients.push_back(&u);
  }
  for (auto& [name, v] : by_version) {
    std::sort(v.clients.begin(), v.clients.end(), [](const UsageRow* a, const UsageRow* b) {
      return a->requests != b->requests ? a->requests > b->requests : a->client < b->client;
    });
  }
  // Versions usage has that the config does not list: `versions.removed` first (in their
  // order), then the busiest.
  std::set<std::string> listed;
  for (const ApiVersion& v : c.versions) listed.insert(v.name);
  std::vector<std::string> extra;
  for (const std::string& r : c.removed_versions) {
    if (!listed.count(r) && by_version.count(r)) extra.push_back(r);
  }
  std::vector<std::string> rest;
  for (const auto& [name, v] : by_version) {
    if (!listed.count(name) && std::find(extra.begin(), extra.end(), name) == extra.end())
      rest.push_back(name);
  }
  std::sort(rest.begin(), rest.end(), [&](const std::string& a, const std::string& b) {
    long long ra = by_version[a].requests, rb = by_version[b].requests;
    return ra != rb ? ra > rb : a < b;
  });
  extra.insert(extra.end(), rest.begin(), rest.end());

  size_t removed = std::min(limits.removed_versions, extra.size());
  bool cut = removed < extra.size();
  std::string out;
  for (size_t clients :
       {limits.clients_per_version, std::min<size_t>(10, limits.clients_per_version), size_t{0}}) {
    json doc = build(in, by_version, extra, clients, removed);
    doc["truncated"] = cut || clients < limits.clients_per_version;
    out = dump(doc);
    if (out.size() <= limits.max_bytes) return out;
  }
  // Still too large without clients: fewer removed versions, halved until it fits.
  while (removed > 0) {
    removed /= 2;
    json doc = build(in, by_version, extra, 0, removed);
    doc["truncated"] = true;
    out = dump(doc);
    if (out.size() <= limits.max_bytes) return out;
  }
  return out;  // the config alone: as large as it is
}

}  // namespace tandem::gateway
