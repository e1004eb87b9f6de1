// `tandem api rollout status|promote|pause|resume|abort` and `tandem api degrade NAME on|off`
// (cli/api_commands.h): parsing and printing only; the work is in tandem/gateway.h.

#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/api_commands.h"
#include "cli/output.h"

namespace tandem::cli {
namespace {

using nlohmann::json;

std::string percent(double share) { return fmt::format("{:g}%", share * 100); }

json report_json(const gateway::RolloutReport& r) {
  json steps = json::array();
  for (double s : r.steps) steps.push_back(s * 100);
  json history = json::array();
  for (const auto& e : r.history) {
    history.push_back({{"at", e.at},
                       {"status", e.status},
                       {"step", e.step},
                       {"percent", e.share * 100},
                       {"reason", e.reason},
                       {"actor", e.actor}});
  }
  return json{{"name", r.name},
              {"baseline", r.baseline},
              {"canary", r.canary},
              {"status", r.status},
              {"step", r.step},
              {"steps", steps},
              {"percent", r.share * 100},
              {"automatic", r.automatic},
              {"reason", r.reason},
              {"step_started", r.step_started},
              {"updated", r.updated},
              {"bake_left_seconds", r.bake_left_seconds},
              {"baseline_requests", r.baseline_requests},
              {"canary_requests", r.canary_requests},
              {"baseline_error_rate", r.baseline_error_rate},
              {"canary_error_rate", r.canary_error_rate},
              {"baseline_p99_ms", r.baseline_p99_ms},
              {"canary_p99_ms", r.canary_p99_ms},
              {"history", history}};
}

void print_report(const gateway::RolloutReport& r, bool with_history) {
  std::string steps;
  for (size_t i = 0; i < r.steps.size(); ++i) {
    std::string s = percent(r.steps[i]);
    if (static_cast<int>(i) == r.step && r.status != "aborted") s = "[" + s + "]";
    steps += (steps.empty() ? "" : " → ") + s;
  }
  std::cout << fmt::format("{}: {} → {}  {} at {}  steps {}{}\n", r.name, r.baseline, r.canary,
                           r.status, percent(r.share), steps, r.automatic ? "" : " (manual)");
  if (r.status == "not started") {
    std::cout << "  no gateway has run this rollout yet\n";
    return;
  }
  if (!r.reason.empty()) std::cout << fmt::format("  why: {}\n", r.reason);
  std::cout << fmt::format("  this step since {}", r.step_started);
  if (r.status == "running" && r.automatic) {
    std::cout << fmt::format(", next step in {} s at the earliest", r.bake_left_seconds);
  }
  std::cout << "\n";
  std::cout << fmt::format(
      "  baseline {:>8} requests  {:6.2f}% errors  p99 {:8.1f} ms\n"
      "  canary   {:>8} requests  {:6.2f}% errors  p99 {:8.1f} ms\n",
      r.baseline_requests, r.baseline_error_rate * 100, r.baseline_p99_ms, r.canary_requests,
      r.canary_error_rate * 100, r.canary_p99_ms);
  if (with_history && !r.history.empty()) {
    std::cout << "  history (newest first):\n";
    for (const auto& e : r.history) {
      std::cout << fmt::format("    {}  {:<8} {:>5}  {}  ({})\n", e.at, e.status, percent(e.share),
                               e.reason, e.actor);
    }
  }
}

}  // namespace

void ApiCommands::add_traffic(CLI::App& api, const std::function<void(CLI::App*)>& config_opt) {
  rollout = api.add_subcommand(
      "rollout", "show or steer the config's rollouts: status, promote, pause, resume, abort");
  config_opt(rollout);
  rollout->add_option("ACTION", action, "status, promote, pause, resume or abort")
      ->check(CLI::IsMember({"status", "promote", "pause", "resume", "abort"}))
      ->required();
  rollout->add_option("NAME", name, "the rollout (`rollouts[].name`); status: every one");
  rollout->add_option("--reason", reason, "why (kept in the rollout's history)");
  rollout->footer(
      "Every gateway on the config's state follows a change within a second.\n"
      "promote: the next step now (complete after the last); pause: hold the share;\n"
      "resume: go on (after an abort: from the first step); abort: every client to the "
      "baseline.\n"
      "Examples:\n"
      "  tandem api rollout status --config api.yaml\n"
      "  tandem api rollout promote orders-v2 --config api.yaml\n"
      "  tandem api rollout abort orders-v2 --reason \"wrong totals\" --config api.yaml --json");

  degrade = api.add_subcommand(
      "degrade", "turn a partial-response switch on or off (routes[].partial.switch)");
  config_opt(degrade);
  degrade->add_option("NAME", name, "the switch")->required();
  degrade->add_option("STATE", state, "on or off")->check(CLI::IsMember({"on", "off"}))->required();
  degrade->add_option("--reason", reason, "why");
  degrade->footer(
      "Routes with partial: { switch: NAME } drop their optional fields while it is on; every\n"
      "gateway on the config's state follows within a second.\n"
      "Examples:\n"
      "  tandem api degrade order-items on --reason \"items service down\" --config "
      "api.yaml\n"
      "  tandem api degrade order-items off --config api.yaml");
}

int ApiCommands::run_traffic(const gateway::Config& c, bool json_out,
                             const std::function<int(const Status&)>& fail) const {
  if (degrade->parsed()) {
    auto was = gateway::set_degrade_switch(c, name, state == "on", reason);
    if (!was.ok()) return fail(was.status());
    if (json_out) {
      std::cout << dump(json{{"switch", name}, {"on", state == "on"}, {"was_on", *was}}, 2) << "\n";
    } else {
      std::cout << fmt::format("switch {} is {} (was {})\n", name, state, *was ? "on" : "off");
    }
    return 0;
  }
  if (action == "status") {
    auto reports = gateway::rollout_status(c);
    if (!reports.ok()) return fail(reports.status());
    std::vector<gateway::RolloutReport> shown;
    for (const auto& r : *reports) {
      if (name.empty() || r.name == name) shown.push_back(r);
    }
    if (!name.empty() && shown.empty()) {
      return fail(Status::InvalidInput(fmt::format("`{}` is not a rollout in {}", name, c.path),
                                       "tandem api rollout status lists them all"));
    }
    if (json_out) {
      json out = json::array();
      for (const auto& r : shown) out.push_back(report_json(r));
      std::cout << dump(json{{"rollouts", out}}, 2) << "\n";
    } else if (shown.empty()) {
      std::cout << fmt::format("{} declares no rollouts\n", c.path);
    } else {
      for (const auto& r : shown) print_report(r, !name.empty());
    }
    return 0;
  }
  if (name.empty()) {
    return fail(Status::InvalidInput(fmt::format("`rollout {}` needs the rollout's NAME", action),
                                     fmt::format("e.g. tandem api rollout {} orders-v2", action)));
  }
  auto after = gateway::rollout_action(c, name, action, reason);
  if (!after.ok()) return fail(after.status());
  if (json_out) {
    std::cout << dump(report_json(*after), 2) << "\n";
  } else {
    print_report(*after, false);
  }
  return 0;
}

}  // namespace tandem::cli
