#include "cli/flags.h"

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

#include "cli/test_hooks.h"
#include "tandem/config.h"

namespace tandem::cli {

Result<int> duration_flag(const char* flag, const std::string& text) {
  long long ms = parse_duration_ms(text);
  if (ms < 0 || ms > 2147483647) {
    return Status::InvalidInput(fmt::format("{} '{}' is not a duration", flag, text),
                                duration_hint(text));
  }
  return static_cast<int>(ms);
}

Result<Options> command_options(const GlobalFlags& g, const CLI::App& app, bool lints,
                                std::string& config_path) {
  Options all;
  EngineOptions& o = all.engine;
  BackfillOptions& b = all.backfill;
  ProjectConfig config;
  config_path = g.config.empty() ? find_project_config(".") : g.config;
  if (!config_path.empty()) {
    TANDEM_ASSIGN_OR_RETURN(config, load_project_config(config_path));
    if (!config.lint_problem.ok()) {
      if (lints) return config.lint_problem;
      std::cerr << "warning: " << config.lint_problem.message()
                << " (ignored here; lint, up, plan and start refuse it)\n";
    }
    b = config.backfill;
    all.gate.severity = config.lint.rules;
  }
  auto given = [&](const char* flag) { return app.count(flag) > 0; };
  if (!g.db.empty()) {
    o.db_url = g.db;
  } else if (const char* env = std::getenv("DATABASE_URL"); env && *env) {
    o.db_url = env;
  } else if (config.db) {
    o.db_url = *config.db;
  }
  o.dir = !given("--dir") && config.dir ? *config.dir : g.dir;
  o.schema = !given("--schema") && config.schema ? *config.schema : g.schema;
  struct {
    const char* flag;
    const std::string& text;
    const std::optional<int>& from_config;
    int& out;
  } durations[] = {{"--lock-wait", g.lock_wait, config.lock_wait_ms, o.lock_wait_ms},
                   {"--lock-timeout", g.lock_timeout, config.lock_timeout_ms, o.lock_timeout_ms},
                   {"--statement-timeout", g.statement_timeout, config.statement_timeout_ms,
                    o.statement_timeout_ms}};
  for (auto& d : durations) {
    if (!given(d.flag) && d.from_config) {
      d.out = *d.from_config;
    } else {
      TANDEM_ASSIGN_OR_RETURN(d.out, duration_flag(d.flag, d.text));
    }
  }
  if (g.lock_retries < 0) return Status::InvalidInput("--lock-retries must be >= 0");
  o.lock_retries =
      !given("--lock-retries") && config.lock_retries ? *config.lock_retries : g.lock_retries;
  // Input limits: tandem.yaml's `limits:` only (a project that needs bigger files says so once).
  if (config.max_file_bytes) o.limits.max_file_bytes = *config.max_file_bytes;
  if (config.max_statements) o.limits.max_statements = *config.max_statements;
  if (config.max_operations) o.limits.max_operations = *config.max_operations;
  if (config.max_yaml_nodes) o.limits.max_yaml_nodes = *config.max_yaml_nodes;
  // Backfill settings given on the command line; the rest come from the job (settings.h).
  if (g.batch_target) {
    TANDEM_ASSIGN_OR_RETURN(b.target_ms, duration_flag("--batch-target", *g.batch_target));
    if (*b.target_ms < 1) return Status::InvalidInput("--batch-target must be positive");
  }
  if (g.max_lag) {
    TANDEM_ASSIGN_OR_RETURN(b.max_lag_ms, duration_flag("--max-lag", *g.max_lag));
  }
  if (g.batch_max) {
    if (*g.batch_max < b.min_rows) {
      return Status::InvalidInput(fmt::format("--batch-max must be at least {}", b.min_rows), "");
    }
    b.max_rows = *g.batch_max;
  }
  if (g.max_rows_per_second) {
    if (*g.max_rows_per_second < 0)
      return Status::InvalidInput("--max-rows-per-second must be >= 0");
    b.max_rows_per_second = *g.max_rows_per_second;
  }
  if (g.replica) b.replica_url = g.replica;
  if (g.throttle_query) b.throttle_query = g.throttle_query;
  // (--replica without --max-lag is refused once the job's stored settings are merged in.)
  o.allow_out_of_order = g.allow_out_of_order;
  all.gate.allow_unsafe = g.allow_unsafe;
  o.sqlite_keep_journal = g.sqlite_keep_journal;
  o.verbose = g.verbose;
  o.env = process_env();
  // libpq's own variable, as psql reads it: then libpq decides, not tandem's default.
  if (const char* t = std::getenv("PGCONNECT_TIMEOUT"); t && *t) o.connect_timeout_s = 0;
  return all;
}

}  // namespace tandem::cli
