#include "cli/lint_command.h"

#include <fmt/format.h>

#include <iostream>

#include "tandem/db.h"
#include "tandem/expand.h"
#include "tandem/lint.h"
#include "tandem/tandem.h"

namespace tandem::cli {

void LintCommand::add(CLI::App& app) {
  cmd = app.add_subcommand("lint",
                           "check migrations for long locks, table rewrites and breaking changes");
  cmd->add_option("PATH", paths, "SQL files or migrations folders (default: --dir)");
  cmd->add_option("--format", format, "text | json | sarif | github")->capture_default_str();
  cmd->add_option("--fail-on", fail_on, "exit 1 on findings at or above: error | warning | info")
      ->capture_default_str();
  cmd->add_flag("--explain", explain,
                "show every statement's lock and whether it rewrites or scans the table");
  cmd->add_option("--severity", severities,
                  "override a rule's severity: RULE=off|info|warning|error (repeatable)");
  cmd->add_flag("--rules", list_rules, "list the rules and exit");
  cmd->add_flag("--plan", plan,
                "also lint the SQL tandem generates for pending declarative migrations, planned "
                "against the --db PostgreSQL's tables (only read)");
  cmd->add_flag("--trace", trace,
                "also run the migrations on the --db PostgreSQL (an empty scratch database!) and "
                "report the locks, rewrites and scans each statement really caused");
  cmd->footer(
      "Each finding names the rule, the lock the statement takes, and the safe way to write it.\n"
      "Silence one statement with a comment before it: -- tandem:ignore RULE-ID\n"
      "A PostgreSQL --db (or DATABASE_URL) is read (never written) for the current type of\n"
      "columns the files retype but did not create; without one such a change is an error.\n"
      "Examples:\n  tandem lint                                   # the migrations folder\n"
      "  tandem lint migrations/0042_add_index.sql --explain\n"
      "  tandem lint --format github --fail-on warning  # in a GitHub workflow\n"
      "  tandem lint --severity prefer-text=off --format sarif > lint.sarif\n"
      "  tandem --db postgres://localhost/app lint --plan   # + what start/complete generate\n"
      "  tandem --db postgres://localhost/scratch lint --trace   # measured, not guessed");
}

std::optional<int> LintCommand::run(const Options& all, bool json,
                                    const std::function<int(const Status&)>& fail) const {
  if (!cmd->parsed()) return std::nullopt;
  const EngineOptions& options = all.engine;
  if (list_rules) {
    for (const lint::RuleInfo& r : lint::rules())
      std::cout << fmt::format("{:<28} {:<8} {}\n", r.id, lint::severity_name(r.default_severity),
                               r.reason);
    return 0;
  }
  lint::Format f;
  if (!lint::parse_format(json ? "json" : format, f)) {
    return fail(Status::InvalidInput(fmt::format("--format {} is not a lint format", format),
                                     "use text, json, sarif or github"));
  }
  // The config file's fail_on, unless --fail-on was given.
  std::string level = fail_on;
  if (cmd->count("--fail-on") == 0) {
    auto config =
        lint::load_config(config_path.empty() ? "tandem.yaml" : config_path, config_path.empty());
    if (config.ok() && !config->fail_on.empty()) level = config->fail_on;
  }
  lint::Severity threshold;
  if (!lint::parse_severity(level, threshold) || threshold == lint::Severity::kOff) {
    return fail(Status::InvalidInput(fmt::format("--fail-on {} is not a severity", fail_on),
                                     "use error, warning or info"));
  }
  lint::LintOptions lo;
  auto from_config = lint::severities(all.gate.severity);
  if (!from_config.ok()) return fail(from_config.status());
  lo.severity = *from_config;
  std::vector<std::string> known;
  for (const lint::RuleInfo& r : lint::rules()) known.push_back(r.id);
  for (const std::string& s : severities) {
    size_t eq = s.find('=');
    lint::Severity level;
    std::string rule = s.substr(0, eq);
    if (eq == std::string::npos || !lint::parse_severity(s.substr(eq + 1), level) ||
        std::find(known.begin(), known.end(), rule) == known.end()) {
      return fail(Status::InvalidInput(
          fmt::format("--severity {}: expected RULE=off|info|warning|error with a known rule", s),
          "`tandem lint --rules` lists the rules"));
    }
    lo.severity[rule] = level;
  }
  // The project's own folder (no PATH) is what tandem runs, every statement under
  // --lock-timeout with retries: missing-lock-timeout is noise there unless asked for by name.
  lo.runner_sets_lock_timeout = paths.empty() && lo.severity.count("missing-lock-timeout") == 0;
  // A PostgreSQL --db (or DATABASE_URL) tells the current types of columns the files change
  // but did not create; without it such a type change is an error (unknown = unsafe).
  if (auto url = db::parse_url(options.db_url); url.ok() && url->backend == db::Backend::kPostgres)
    lo.column_types = lint::live_column_types(options.db_url, options.schema);
  auto sources =
      lint::sources(paths, options.dir, migration_formats(options.limits), options.limits);
  if (!sources.ok()) return fail(sources.status());
  if (plan) {
    std::vector<std::string> notes;
    sources = expand::with_planned_sql(options, std::move(*sources), notes);
    if (!sources.ok()) return fail(sources.status());
    for (const std::string& n : notes) std::cerr << "note: " << n << "\n";
  }
  if (trace) {
    auto traced = lint::lint_and_trace(*sources, lo, options.db_url);
    if (!traced.ok()) return fail(traced.status());
    std::cout << lint::render(*traced, f, explain);
    // SARIF and annotations hold findings only: the measurements go to stderr.
    if (f == lint::Format::kSarif || f == lint::Format::kGithub)
      std::cerr << lint::render_trace(traced->traced, false);
    return traced->lint.worst() >= threshold || traced->differs() ? 1 : 0;
  }
  auto report = lint::lint(*sources, lo);
  if (!report.ok()) return fail(report.status());
  std::cout << lint::render(*report, f, explain);
  return report->worst() >= threshold ? 1 : 0;
}

}  // namespace tandem::cli
