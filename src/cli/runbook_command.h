#pragma once
// `tandem plan --runbook [--format md|json]`: the options it adds to `plan`, and printing the
// runbook (Markdown for people, JSON for tools). The runbook itself is tandem/runbook.h.

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tandem/options.h"
#include "tandem/runbook.h"

namespace tandem::cli {

struct RunbookCommand {
  CLI::App* plan = nullptr;
  bool runbook = false;
  std::string format;  // "" (md, or json with --json) | md | json

  // Adds --runbook and --format to `plan_cmd`.
  void add(CLI::App* plan_cmd);
  // The exit code when `tandem plan --runbook` was given (or --format without it: a usage
  // error), else nullopt. `up` carries plan's --to and --resume.
  std::optional<int> run(const Options& options, const UpOptions& up, bool json,
                         const std::function<int(const Status&)>& fail) const;
};

// The runbook as Markdown: a checklist per migration, to paste into a ticket.
std::string runbook_markdown(const Runbook& book);
// The runbook as one JSON document (printed with cli::dump).
nlohmann::json runbook_json(const Runbook& book);

}  // namespace tandem::cli
