#include "cli/api_commands.h"

#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/output.h"
#include "tandem/gateway.h"

namespace tandem::cli {
namespace {

using nlohmann::json;

// "deprecated 2025-06-01T00:00:00Z, sunset 2027-01-01T00:00:00Z" or "".
std::string lifecycle(const gateway::ApiVersion& v) {
  std::string out;
  if (v.deprecated) out += "deprecated " + gateway::iso8601(*v.deprecated);
  if (v.sunset)
    out += (out.empty() ? "" : ", ") + std::string("sunset ") + gateway::iso8601(*v.sunset);
  return out;
}

}  // namespace

void ApiCommands::add(CLI::App& app) {
  gateway = app.add_subcommand(
      "gateway",
      "run the API-versions gateway: old clients keep working while the backend serves only head");
  gateway->add_option("-c,--config", config, "the gateway config (YAML)")->capture_default_str();
  gateway->add_option("--listen", listen,
                      "HOST:PORT to serve on (overrides `listen:`; port 0 = any)");
  gateway->add_option("--admin", admin,
                      "HOST:PORT for /metrics, /healthz, /readyz (overrides `admin:`)");
  gateway->add_option("--workers", workers,
                      "worker threads (default: `workers:`, else one per core)");
  gateway->footer(
      "Runs until SIGINT/SIGTERM, then finishes the requests in flight and flushes usage counts.\n"
      "The config format is in docs/gateway.md; examples/gateway/api.yaml is a complete one.\n"
      "Examples:\n"
      "  tandem gateway --config api.yaml\n"
      "  tandem gateway --config api.yaml --listen 0.0.0.0:8080 --workers 4");

  api = app.add_subcommand(
      "api",
      "check a gateway config, pin clients, read usage, write the changelog, steer rollouts");
  api->require_subcommand(1);
  api->footer(
      "Examples:\n"
      "  tandem api check --config api.yaml\n"
      "  tandem api pin acme-mobile 2025-01-01 --config api.yaml\n"
      "  tandem api usage --config api.yaml --json\n"
      "  tandem api changelog --config api.yaml --format md > CHANGELOG-API.md\n"
      "  tandem api rollout status --config api.yaml\n"
      "  tandem api degrade order-items on --config api.yaml");
  auto config_opt = [&](CLI::App* cmd) {
    cmd->add_option("-c,--config", config, "the gateway config (YAML)")->capture_default_str();
  };
  check =
      api->add_subcommand("check", "validate a gateway config: exit 2 with file:line on an error");
  config_opt(check);
  check->footer(
      "Examples:\n  tandem api check --config api.yaml\n  tandem api check --config api.yaml "
      "--json");

  pin = api->add_subcommand(
      "pin", "pin a client to a version (seen by every gateway on the state within a second)");
  config_opt(pin);
  pin->add_option("CLIENT", client, "the client id (the value of `client_header`)");
  pin->add_option("VERSION", version, "a version from versions.list");
  pin->add_flag("--remove", remove,
                "remove the client's pin (its next request pins it again by `default`)");
  pin->add_flag("--list", list, "list every pin");
  pin->footer(
      "Examples:\n"
      "  tandem api pin acme-mobile 2025-01-01 --config api.yaml\n"
      "  tandem api pin acme-mobile --remove --config api.yaml\n"
      "  tandem api pin --list --config api.yaml --json");

  usage = api->add_subcommand(
      "usage",
      "requests per client and version, with last-seen times: who still calls an old version");
  config_opt(usage);
  usage->add_option("--version", only_version, "only this version");
  usage->footer(
      "Every gateway flushes its counts to the state every half second.\n"
      "Examples:\n"
      "  tandem api usage --config api.yaml\n"
      "  tandem api usage --config api.yaml --version 2024-01-01 --json");

  changelog = api->add_subcommand("changelog", "the changelog generated from the change list");
  config_opt(changelog);
  changelog->add_option("--format", format, "md or json")
      ->check(CLI::IsMember({"md", "json"}))
      ->capture_default_str();
  changelog->footer(
      "Examples:\n  tandem api changelog --config api.yaml\n  tandem api changelog --config "
      "api.yaml --format json");
  add_traffic(*api, config_opt);
}

std::optional<int> ApiCommands::run(bool json_out,
                                    const std::function<int(const Status&)>& fail) const {
  if (!gateway->parsed() && !api->parsed()) return std::nullopt;
  auto loaded = gateway::load_config(config);
  if (!loaded.ok()) return fail(loaded.status());
  const gateway::Config& c = *loaded;

  if (gateway->parsed()) {
    gateway::RunOptions how;
    how.listen = listen;
    how.admin = admin;
    how.workers = workers;
    how.on_ready = [&](const std::string& at, const std::string& admin_at) {
      const auto& targets = c.upstreams.front().targets;
      std::string upstream =
          targets.size() > 1
              ? fmt::format("{} and {} more target(s)", targets.front().url, targets.size() - 1)
              : c.upstream_url;
      if (c.upstreams.size() > 1) {
        upstream += fmt::format(" (+{} named upstream(s))", c.upstreams.size() - 1);
      }
      std::cerr << fmt::format("tandem gateway: listening on {}{}, upstream {}, head {}\n", at,
                               admin_at.empty() ? "" : ", admin on " + admin_at, upstream, c.head())
                << std::flush;
    };
    Status st = gateway::run(c, how);
    if (!st.ok()) return fail(st);
    std::cerr << "tandem gateway: stopped\n";
    return 0;
  }
  if (check->parsed()) {
    // Distinct route patterns (a route several changes touch counts once).
    std::set<std::string> distinct;
    for (const auto& ch : c.changes) {
      for (const auto& [pattern, location] : ch.routes) distinct.insert(pattern.text);
    }
    size_t routes = distinct.size();
    if (json_out) {
      std::cout << dump(json{{"ok", true},
                             {"config", c.path},
                             {"versions", c.versions.size()},
                             {"head", c.head()},
                             {"changes", c.changes.size()},
                             {"routes", routes},
                             {"upstreams", c.upstreams.size()},
                             {"targets",
                              [&] {
                                size_t n = 0;
                                for (const auto& u : c.upstreams) n += u.targets.size();
                                return n;
                              }()},
                             {"route_policies", c.routes.size()},
                             {"rollouts", c.rollouts.size()},
                             {"shadows", c.shadows.size()}},
                        2)
                << "\n";
    } else {
      std::cout << fmt::format("ok: {}: {} version(s), head {}; {} change(s) over {} route(s)\n",
                               c.path, c.versions.size(), c.head(), c.changes.size(), routes);
      for (const auto& v : c.versions) {
        std::string l = lifecycle(v);
        if (!l.empty()) std::cout << fmt::format("  {}: {}\n", v.name, l);
      }
      for (const auto& u : c.upstreams) {
        if (c.upstreams.size() == 1 && u.targets.size() == 1) break;
        std::cout << fmt::format("  upstream {}: {} target(s){}\n", u.name, u.targets.size(),
                                 u.concurrency.adaptive ? ", adaptive concurrency limit"
                                 : u.concurrency.limit > 0
                                     ? fmt::format(", concurrency limit {}", u.concurrency.limit)
                                     : std::string());
      }
      if (!c.routes.empty()) std::cout << fmt::format("  {} route policies\n", c.routes.size());
      for (const auto& r : c.rollouts) {
        std::string steps;
        for (double st : r.steps)
          steps += fmt::format("{}{:g}%", steps.empty() ? "" : " → ", st * 100);
        std::cout << fmt::format("  rollout {}: {} → {}, steps {}\n", r.name,
                                 c.upstreams[r.baseline].name, c.upstreams[r.canary].name, steps);
      }
      for (const auto& sh : c.shadows) {
        std::cout << fmt::format("  shadow {}: {:g}% to {}\n", sh.name, sh.share * 100,
                                 c.upstreams[sh.upstream].name);
      }
    }
    return 0;
  }
  if (pin->parsed()) {
    if (list) {
      auto rows = gateway::pins(c);
      if (!rows.ok()) return fail(rows.status());
      if (json_out) {
        json out = json::array();
        for (const auto& r : *rows)
          out.push_back({{"client", r.client}, {"version", r.version}, {"pinned_at", r.pinned_at}});
        std::cout << dump(json{{"pins", out}}, 2) << "\n";
      } else {
        for (const auto& r : *rows)
          std::cout << fmt::format("{}\t{}\t{}\n", r.client, r.version, r.pinned_at);
        if (rows->empty()) std::cout << "no pins yet\n";
      }
      return 0;
    }
    if (client.empty() || (version.empty() && !remove) || (!version.empty() && remove)) {
      return fail(
          Status::InvalidInput("give CLIENT and VERSION, CLIENT --remove, or --list",
                               "e.g. tandem api pin acme-mobile 2025-01-01 --config api.yaml"));
    }
    auto previous = gateway::pin(c, client, remove ? "" : version);
    if (!previous.ok()) return fail(previous.status());
    // Removing a pin that is not there is most often a mistyped client id: said, exit 1.
    bool nothing_removed = remove && previous->empty();
    if (json_out) {
      std::cout << dump(json{{"client", client},
                             {"version", remove ? json(nullptr) : json(version)},
                             {"previous", previous->empty() ? json(nullptr) : json(*previous)}},
                        2)
                << "\n";
    } else if (nothing_removed) {
      std::cout << fmt::format(
          "{} has no pin: nothing removed (`tandem api pin --list` shows the pinned clients)\n",
          client);
    } else if (remove) {
      std::cout << fmt::format("removed the pin of {} (it was pinned to {})\n", client, *previous);
    } else if (!previous->empty() && *previous != version) {
      std::cout << fmt::format("pinned {} to {} (was {})\n", client, version, *previous);
    } else {
      std::cout << fmt::format("pinned {} to {}\n", client, version);
    }
    return nothing_removed ? 1 : 0;
  }
  if (usage->parsed()) {
    if (!only_version.empty() && c.version_index(only_version) < 0) {
      std::string known;
      for (const auto& v : c.versions) known += (known.empty() ? "" : ", ") + v.name;
      return fail(Status::InvalidInput(
          fmt::format("`{}` is not a version in {}", only_version, c.path),
          fmt::format("one of: {} (a version removed from the config shows in `tandem api usage` "
                      "without --version)",
                      known)));
    }
    auto rows = gateway::usage(c);
    if (!rows.ok()) return fail(rows.status());
    // Oldest version first: what a sunset would break comes first.
    std::vector<gateway::UsageRow> sorted;
    for (const auto& r : *rows) {
      if (only_version.empty() || r.version == only_version) sorted.push_back(r);
    }
    std::stable_sort(sorted.begin(), sorted.end(), [&](const auto& a, const auto& b) {
      int ia = c.version_index(a.version), ib = c.version_index(b.version);
      if (ia != ib) return ia < ib;
      return a.requests > b.requests;
    });
    if (json_out) {
      json out = json::array();
      for (const auto& r : sorted) {
        int idx = c.version_index(r.version);
        json row = {{"client", r.client},
                    {"version", r.version},
                    {"requests", r.requests},
                    {"first_seen", r.first_seen},
                    {"last_seen", r.last_seen}};
        if (idx >= 0) {
          const auto& v = c.versions[idx];
          if (v.deprecated) row["deprecated"] = gateway::iso8601(*v.deprecated);
          if (v.sunset) row["sunset"] = gateway::iso8601(*v.sunset);
        } else {
          row["removed"] = true;  // a version the config no longer lists
        }
        out.push_back(std::move(row));
      }
      std::cout << dump(json{{"usage", out}}, 2) << "\n";
      return 0;
    }
    if (sorted.empty()) {
      std::cout << "no requests recorded yet\n";
      return 0;
    }
    std::string current;
    for (const auto& r : sorted) {
      if (r.version != current) {
        current = r.version;
        int idx = c.version_index(r.version);
        std::string l = idx >= 0 ? lifecycle(c.versions[idx]) : "no longer in the config";
        std::cout << fmt::format("{}{}\n", r.version, l.empty() ? "" : " (" + l + ")");
      }
      std::cout << fmt::format("  {:<32} {:>10} request(s)  last seen {}\n", r.client, r.requests,
                               r.last_seen);
    }
    return 0;
  }
  if (rollout->parsed() || degrade->parsed()) return run_traffic(c, json_out, fail);
  if (changelog->parsed()) {
    // --json (every api command's flag) means the JSON format here too.
    bool as_json = format == "json" || json_out;
    std::cout << (as_json ? gateway::changelog_json(c) : gateway::changelog_markdown(c));
    return 0;
  }
  return std::nullopt;
}

}  // namespace tandem::cli
