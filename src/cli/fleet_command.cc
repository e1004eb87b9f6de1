#include "cli/fleet_command.h"

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "tandem/fleet.h"

namespace tandem::cli {
namespace {

using nlohmann::json;

std::atomic<bool> g_stop{false};

// The first Ctrl-C / SIGTERM stops new targets from starting (those running finish); a second
// one ends the process as it would have without tandem's handler.
extern "C" void on_stop_signal(int sig) {
  if (g_stop.exchange(true)) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

const char* shown_state(const std::string& s) {
  if (s == "up_to_date") return "up to date";
  if (s == "not_started") return "not started";
  return s.c_str();
}

std::string versions(const fleet::TargetResult& t) {
  std::string before = t.version_before.empty() ? "-" : t.version_before;
  std::string after = t.version_after.empty() ? "-" : t.version_after;
  if (t.state == "not_started" || t.state == "skipped") return "";
  return before == after ? after : before + " -> " + after;
}

// The first line of an error: the table holds one line per target.
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// At most `n` characters (bytes, cut before a UTF-8 continuation byte) with "..." when cut: the
// whole error is printed under the table.
std::string cut(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

std::string table(const fleet::FleetReport& r, bool status) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"TARGET", "WAVE", "STATE", status ? "VERSION" : "VERSIONS",
                  status ? "PENDING" : "TIME", status ? "ACTIVE" : "DETAIL", "URL"});
  for (const fleet::TargetResult& t : r.targets) {
    std::string wave = t.state == "skipped" ? "-" : t.wave == 0 ? "canary" : std::to_string(t.wave);
    std::string last = !t.error.empty() ? cut(first_line(t.error), 60)
                       : status         ? t.active
                                        : t.detail;
    bool ran = t.state != "not_started" && t.state != "skipped";
    rows.push_back({t.name, wave, shown_state(t.state), versions(t),
                    status ? (ran ? std::to_string(t.pending) : "")
                           : (ran ? duration_text(t.duration_ms) : ""),
                    last.empty() ? "" : last, t.url});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

json to_json(const fleet::TargetResult& t) {
  auto opt = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return {{"name", t.name},
          {"url", t.url},
          {"labels", t.labels},
          {"wave", t.wave},
          {"state", t.state},
          {"version_before", opt(t.version_before)},
          {"version_after", opt(t.version_after)},
          {"applied", t.applied},
          {"pending", t.pending},
          {"active", opt(t.active)},
          {"detail", opt(t.detail)},
          {"duration_ms", t.duration_ms},
          {"error", opt(t.error)},
          {"hint", opt(t.hint)}};
}

json to_json(const fleet::FleetReport& r) {
  json targets = json::array();
  for (const fleet::TargetResult& t : r.targets) targets.push_back(to_json(t));
  json counts = json::object();
  for (const char* s :
       {"done", "failed", "up_to_date", "not_started", "skipped", "pending", "active"}) {
    counts[s] = r.count(s);
  }
  return {{"action", r.action},
          {"halted", r.halted},
          {"halted_by", r.halted_by.empty() ? json(nullptr) : json(r.halted_by)},
          {"elapsed_ms", r.elapsed_ms},
          {"target_ms", r.target_ms},
          {"counts", counts},
          {"targets", targets}};
}

}  // namespace

void FleetCommand::add(CLI::App& app) {
  cmd = app.add_subcommand("fleet",
                           "run up/start/complete/rollback/status over many PostgreSQL databases");
  cmd->require_subcommand(1);
  cmd->footer(
      "A canary target first, then waves; the run halts after the first failed target and\n"
      "prints a table of every target's state. Running it again continues: each target keeps\n"
      "its own history, so targets already up to date are left alone and new ones catch up.\n"
      "The targets file and docs: docs/fleet.md.\n"
      "Examples:\n"
      "  tandem fleet up --targets targets.yaml --wave-size 20 --concurrency 8\n"
      "  tandem fleet status --targets targets.yaml --select region=eu --json\n"
      "  tandem --max-lag 10s fleet start --targets targets.yaml");
  up = cmd->add_subcommand("up", "apply pending migrations on every target");
  start = cmd->add_subcommand("start", "expand: start the next declarative migration everywhere");
  start->add_option("VERSION", version, "the migration to start (default: the next pending one)");
  up->add_option("--to", version, "apply up to and including this version on every target");
  complete = cmd->add_subcommand("complete", "contract: complete the active migration everywhere");
  rollback = cmd->add_subcommand("rollback", "undo the active migration's start everywhere");
  status = cmd->add_subcommand("status", "show where every target stands; changes nothing");
  status->add_flag("--exit-code", exit_code,
                   "exit 1 when a target has pending, failed or active migrations");
  for (CLI::App* sub : {up, start, complete, rollback, status}) {
    sub->add_option("--targets", targets, "the targets file (docs/fleet.md)")->required();
    sub->add_option("--select", select,
                    "only targets with this label, KEY=VALUE (repeat: all must match)");
    sub->add_option("--concurrency", concurrency, "targets running at once")->capture_default_str();
    if (sub != status) {
      sub->add_option("--wave-size", wave_size,
                      "targets per wave after the canary (0 = all the rest in one wave)")
          ->capture_default_str();
    }
    if (sub == up || sub == start) {
      sub->add_flag("--allow-unsafe", allow_unsafe,
                    "run even when `tandem lint` finds errors in the migrations");
    }
    sub->footer(fmt::format("Example:\n  tandem fleet {} --targets targets.yaml{}", sub->get_name(),
                            sub == status ? " --json"
                            : sub == up   ? " --wave-size 10 --concurrency 4"
                                          : ""));
  }
}

std::optional<int> FleetCommand::run(Options options, bool json_out, bool quiet,
                                     const std::function<int(const Status&)>& fail) const {
  if (cmd == nullptr || !cmd->parsed()) return std::nullopt;
  fleet::RunOptions run;
  run.action = up->parsed()         ? fleet::Action::kUp
               : start->parsed()    ? fleet::Action::kStart
               : complete->parsed() ? fleet::Action::kComplete
               : rollback->parsed() ? fleet::Action::kRollback
                                    : fleet::Action::kStatus;
  if (!version.empty()) {
    if (version.find_first_not_of("0123456789") != std::string::npos) {
      return fail(Status::InvalidInput(fmt::format("'{}' is not a version number", version),
                                       "pass the leading digits of a migration file, e.g. 0003"));
    }
    run.version = version;
  }
  run.wave_size = wave_size;
  run.concurrency = concurrency;
  run.select = select;
  if (allow_unsafe) options.gate.allow_unsafe = true;
  options.engine.log = nullptr;
  if (!quiet && !json_out) {
    options.engine.log = [](const std::string& line) { std::cerr << line << "\n"; };
  }
  run.base = std::move(options);
  run.on_target = [json_out, quiet](const fleet::TargetResult& t) {
    if (json_out) {
      json e = to_json(t);
      e["event"] = "target";
      std::cerr << dump(e) << "\n";
    } else if (!quiet) {
      std::cerr << fmt::format("{}: {}{}{} ({})\n", t.name, shown_state(t.state),
                               t.detail.empty() ? "" : ", " + t.detail,
                               t.error.empty() ? "" : ": " + first_line(t.error),
                               duration_text(t.duration_ms));
    }
  };
  auto file = fleet::load_targets(targets);
  if (!file.ok()) return fail(file.status());
  g_stop = false;
  run.stop = &g_stop;
  auto old_int = std::signal(SIGINT, on_stop_signal);
  auto old_term = std::signal(SIGTERM, on_stop_signal);
  auto report = fleet::rollout(*file, run);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  if (!report.ok()) return fail(report.status());
  bool is_status = run.action == fleet::Action::kStatus;
  if (json_out) {
    std::cout << dump(to_json(*report), 2) << "\n";
  } else {
    std::cout << table(*report, is_status);
    for (const fleet::TargetResult& t : report->targets) {
      if (t.error.empty()) continue;
      std::cout << fmt::format("\n{} ({}): {}", t.name, t.url, t.error);
      if (t.error.back() != '\n') std::cout << "\n";
      if (!t.hint.empty()) std::cout << "  hint: " << t.hint << "\n";
    }
    if (report->count("failed") > 0) std::cout << "\n";
    if (report->halted) {
      std::cout << (report->halted_by == "signal"
                        ? "stopped by a signal: targets not started were left alone; run the "
                          "same command again to continue\n"
                        : fmt::format("halted: {} failed, so no further target was started; fix "
                                      "it and run the same command again to continue\n",
                                      report->halted_by));
    } else if (!is_status) {
      std::cout << fmt::format("{} target(s): {} done, {} up to date, {} failed in {}\n",
                               report->targets.size() - report->count("skipped"),
                               report->count("done"), report->count("up_to_date"),
                               report->count("failed"), duration_text(report->elapsed_ms));
    }
  }
  if (report->count("failed") > 0) return 1;
  if (report->halted) return 1;
  if (is_status && exit_code &&
      report->count("up_to_date") + report->count("skipped") <
          static_cast<int>(report->targets.size())) {
    return 1;
  }
  return 0;
}

}  // namespace tandem::cli
