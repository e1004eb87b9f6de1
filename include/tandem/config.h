#pragma once
// A project's settings file, `tandem.yaml`: found in the working directory or the nearest
// folder above it, so every command run anywhere in a repository uses the same database,
// folder and timeouts. Command-line flags override it, and DATABASE_URL overrides its `db`.
//
//   db: postgres://app@localhost/app    # or sqlite:app.db (relative to this file's folder)
//   dir: db/migrations                  # relative to this file's folder
//   schema: public
//   lock_timeout: 2s
//   lock_wait: 60s
//   lock_retries: 10
//   statement_timeout: 0
//   backfill: {batch_target: 100ms, batch_max: 50000, max_rows_per_second: 0, max_lag: 0,
//              throttle_query: "SELECT false"}
//   lint: {fail_on: error, rules: {prefer-text: off}}
//   limits: {max_file_size: 16MiB, max_statements: 100000, max_operations: 10000,
//            max_yaml_nodes: 250000}
//
// Unknown keys and bad values are errors naming the file and line. A problem inside `lint:`
// is an error only for the commands that lint (lint, up, plan, start); the others warn.

#include <optional>
#include <string>

#include "tandem/backfill.h"
#include "tandem/duration.h"
#include "tandem/lint.h"
#include "tandem/status.h"

namespace tandem {

struct ProjectConfig {
  std::string path;                            // the file read, "" when there is none
  std::optional<std::string> db, dir, schema;  // relative paths already made relative to cwd
  std::optional<int> lock_wait_ms, lock_timeout_ms, statement_timeout_ms, lock_retries;
  // `limits:` (InputLimits), only what the file sets.
  std::optional<long long> max_file_bytes;
  std::optional<int> max_statements, max_operations, max_yaml_nodes;
  BackfillOptions backfill;  // only what the file sets
  lint::Config lint;
  Status lint_problem;  // the `lint:` section's error, Ok when it has none
};

// `tandem.yaml` in `start` or the nearest folder above it; "" when there is none.
std::string find_project_config(const std::string& start);

// Reads `path` (see above). Errors name the file and line and leave nothing half-read.
Result<ProjectConfig> load_project_config(const std::string& path);

}  // namespace tandem
