// The `tandem` command: parses arguments, calls the library, prints. No migration logic here.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/api_commands.h"
#include "cli/backfill_commands.h"
#include "cli/command_tree.h"
#include "cli/compat_command.h"
#include "cli/completion.h"
#include "cli/db_commands.h"
#include "cli/drift_command.h"
#include "cli/flags.h"
#include "cli/fleet_command.h"
#include "cli/lint_command.h"
#include "cli/man_page.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/flag_command.h"
#include "cli/registry_command.h"
#include "cli/runbook_command.h"
#include "cli/serve_command.h"
#include "cli/test_hooks.h"
#include "cli/usage_error.h"
#include "db/utf8.h"
#include "tandem/config.h"
#include "tandem/engine.h"
#include "tandem/expand.h"
#include "tandem/lint.h"
#include "tandem/tandem.h"
#include "tandem/version.h"

namespace {

using namespace tandem;
using cli::command_options;
using cli::duration_flag;
using Globals = cli::GlobalFlags;
using nlohmann::json;

int fail(const Globals& g, const Status& st) {
  if (g.json) std::cout << cli::dump(cli::to_json(st), 2) << "\n";
  std::cerr << "error: " << st.message() << "\n";
  if (!st.hint().empty()) std::cerr << "  hint: " << st.hint() << "\n";
  return static_cast<int>(st.code());
}

}  // namespace

static int run(int argc, char** argv) {
  CLI::App app{"tandem — zero-downtime schema migrations for PostgreSQL and SQLite", "tandem"};
  // `tandem man` turns this footer into the manual's DESCRIPTION (the prose), EXAMPLES,
  // ENVIRONMENT and EXIT STATUS sections (cli/man_page.h): keep the headings.
  app.footer(
      "Global options go before or after the command: `tandem status --json`. Every command\n"
      "has --help with examples.\n"
      "Examples:\n"
      "  tandem new add_users                 # write migrations/<version>_add_users.sql\n"
      "  tandem up                            # apply pending migrations to sqlite:tandem.db\n"
      "  tandem --db postgres://app@db/app status --json\n"
      "Environment:\n"
      "  DATABASE_URL       the database when --db is not given\n"
      "  PGCONNECT_TIMEOUT  seconds to wait for a PostgreSQL connection (default: 10)\n"
      "  PG*                libpq's variables (PGPASSWORD, PGSSLMODE, …), read as psql reads them\n"
      "Exit codes: 0 ok, 1 problem found, 2 bad input, 3 database error, 4 lock not acquired.");
  app.require_subcommand(1);
  app.fallthrough();  // global flags work after the command too: `tandem status --json`
  app.set_version_flag("--version", std::string("tandem ") + TANDEM_VERSION);
  Globals g;
  app.add_option("--db", g.db,
                 "database URL: postgres://…, sqlite:PATH, sqlite::memory: (default: "
                 "$DATABASE_URL, else sqlite:tandem.db)");
  app.add_option("--dir", g.dir, "migrations folder")->capture_default_str();
  app.add_option("--schema", g.schema, "PostgreSQL schema migrations run in (search_path)")
      ->capture_default_str();
  app.add_flag("--json", g.json, "print one JSON document on stdout");
  app.add_flag("-v,--verbose", g.verbose, "print more detail");
  app.add_flag("-q,--quiet", g.quiet, "print only errors and results");
  app.add_option("--lock-wait", g.lock_wait,
                 "how long to wait for another tandem holding the migration lock")
      ->capture_default_str();
  app.add_option("--lock-timeout", g.lock_timeout, "lock_timeout for every statement")
      ->capture_default_str();
  app.add_option("--statement-timeout", g.statement_timeout,
                 "statement_timeout for every statement (0 = none)")
      ->capture_default_str();
  app.add_flag("--sqlite-keep-journal", g.sqlite_keep_journal,
               "SQLite: keep a rollback-journal database as it is instead of switching it to WAL");
  app.add_option("--lock-retries", g.lock_retries,
                 "retries after a lock_timeout, with exponential backoff and jitter")
      ->capture_default_str();
  app.add_option("--batch-target", g.batch_target,
                 "backfills: how long each batch should take (default 100ms); the batch size "
                 "adapts. Backfill flags left out keep what the job ran with before");
  app.add_option("--batch-max", g.batch_max,
                 "backfills: the largest batch, in rows (default 50000)");
  app.add_option("--config", g.config,
                 "project config file (default: tandem.yaml in the current folder or the "
                 "nearest one above it; flags override it, DATABASE_URL overrides its db)");
  app.add_option("--max-rows-per-second", g.max_rows_per_second,
                 "backfills: never change more rows per second than this (0 = no cap)");
  app.add_option("--max-lag", g.max_lag,
                 "backfills: wait while a replica lags more than this (e.g. 10s; 0 = off)");
  app.add_option("--replica", g.replica,
                 "backfills: read the lag from this standby (default: pg_stat_replication)");
  app.add_option("--throttle-query", g.throttle_query,
                 "backfills: wait while this SQL returns true, e.g. \"SELECT count(*) > 50 FROM "
                 "pg_stat_activity WHERE state = 'active'\"");

  auto* init_cmd =
      app.add_subcommand("init", "create the migrations folder and the history tables");
  init_cmd->footer("Example:\n  tandem --db postgres://app@localhost/app init");

  std::string new_name;
  auto* new_cmd =
      app.add_subcommand("new", "write a new migration file with the next free version");
  new_cmd->add_option("NAME", new_name, "what the migration does, e.g. add_users_email")
      ->required();
  bool new_yaml = false;
  new_cmd->add_flag("--yaml", new_yaml,
                    "write a declarative migration (pgroll's operation format)");
  new_cmd->footer(
      "Example:\n  tandem new add_users_email   # migrations/20261122093000_add_users_email.sql");

  bool exit_code = false;
  auto* status_cmd = app.add_subcommand("status", "show applied, pending and failed migrations");
  status_cmd->add_flag("--exit-code", exit_code, "exit 1 when migrations are pending or failed");
  status_cmd->footer(
      "Example:\n  tandem status --json --exit-code   # in CI: fail when the database is behind");

  std::string to;
  bool resume = false;
  bool dry_run = false;
  auto* up_cmd = app.add_subcommand("up", "apply pending migrations, each in its own transaction");
  up_cmd->add_option("--to", to, "apply up to and including this version");
  up_cmd->add_flag("--resume", resume,
                   "continue a failed or interrupted migration from its failed statement");
  up_cmd->add_flag("--allow-out-of-order", g.allow_out_of_order,
                   "apply pending versions lower than the newest applied one");
  bool group = false;
  up_cmd->add_flag("--group", group,
                   "apply all pending transactional migrations in one transaction: all or nothing");
  up_cmd->add_flag("--allow-unsafe", g.allow_unsafe,
                   "PostgreSQL: apply migrations even when `tandem lint` finds errors in them");
  up_cmd->add_flag("--dry-run", dry_run,
                   "print the plan instead of running it (same as `tandem plan`)");
  up_cmd->footer(
      "Examples:\n  tandem up\n  tandem up --to 20261122093000\n  tandem up --resume   # after "
      "fixing a failed non-transactional migration");

  int steps = 1;
  bool plan_down = false;
  auto* down_cmd =
      app.add_subcommand("down", "revert applied migrations (default: the newest one)");
  auto* down_to =
      down_cmd->add_option("--to", to, "revert every migration above this version (0 = all)");
  down_cmd->add_option("--steps", steps, "revert this many migrations")
      ->excludes(down_to)
      ->capture_default_str();
  down_cmd->add_flag("--resume", resume, "continue a failed or interrupted revert");
  down_cmd->add_flag("--dry-run", dry_run, "print the plan instead of running it");
  down_cmd->footer(
      "Examples:\n  tandem down\n  tandem down --steps 3\n  tandem down --to 20261101000000");

  auto* plan_cmd =
      app.add_subcommand("plan", "print the exact SQL `up` (or `down`) would run; runs nothing");
  plan_cmd->add_flag("--down", plan_down, "plan a revert instead");
  auto* plan_to = plan_cmd->add_option("--to", to, "target version");
  plan_cmd->add_option("--steps", steps, "with --down: how many to revert")->excludes(plan_to);
  plan_cmd->add_flag("--resume", resume, "plan the continuation of a failed migration");
  plan_cmd->add_flag("--allow-out-of-order", g.allow_out_of_order,
                     "include pending versions lower than the newest applied");
  plan_cmd->footer("Examples:\n  tandem plan\n  tandem plan --down --steps 2 --json");
  cli::RunbookCommand runbook_cmd;
  runbook_cmd.add(plan_cmd);

  std::string start_version;
  auto* start_cmd = app.add_subcommand(
      "start",
      "expand: make a declarative migration live next to the current version (PostgreSQL)");
  start_cmd->add_option("VERSION", start_version,
                        "the migration to start (default: the next pending one)");
  start_cmd->add_flag("--allow-out-of-order", g.allow_out_of_order,
                      "start a pending version lower than the newest applied one");
  start_cmd->add_flag("--allow-unsafe", g.allow_unsafe,
                      "start even when `tandem lint` finds errors in what start or complete "
                      "would run (say, a `sql` operation's CREATE INDEX without CONCURRENTLY)");
  start_cmd->footer(
      "Example:\n  tandem --db postgres://app@db/app start   # then deploy the new app with "
      "search_path=public_<version>");
  auto* complete_cmd = app.add_subcommand(
      "complete", "contract: finish the active migration; the old version's schema goes away");
  bool complete_force = false;
  complete_cmd->add_flag("--force", complete_force,
                         "complete even though the latest `tandem verify` found mismatches");
  complete_cmd->footer(
      "Refused while the latest `tandem verify` since `tandem start` found mismatches.\n"
      "Examples:\n  tandem complete   # once no old application instance is left\n"
      "  tandem complete --force   # accept the mismatches verify reported");
  auto* rollback_cmd = app.add_subcommand(
      "rollback", "undo the active migration's start; rows written meanwhile stay");
  rollback_cmd->footer("Example:\n  tandem rollback");

  cli::BackfillCommands backfill_cmds;
  backfill_cmds.add(app);
  cli::LintCommand lint_cmd;
  lint_cmd.add(app);
  cli::DbCommands db_cmds;
  db_cmds.add(app);
  cli::DriftCommands drift_cmds;
  drift_cmds.add(app);
  cli::ApiCommands api_cmds;
  api_cmds.add(app);
  cli::CompatCommand compat_cmd;
  compat_cmd.add(app);
  cli::RegistryCommand registry_cmd;
  registry_cmd.add(app);
  cli::FlagCommands flag_cmds;
  flag_cmds.add(app);
  cli::ServeCommand serve_cmd;
  serve_cmd.add(app);
  cli::FleetCommand fleet_cmd;
  fleet_cmd.add(app);

  std::string vs_version;
  bool vs_dsn = false;
  auto* vs_cmd = app.add_subcommand(
      "version-schema", "print the schema an application version puts on its search_path");
  vs_cmd->add_option("VERSION", vs_version,
                     "the application's migration version (default: the newest live one)");
  vs_cmd->add_flag("--dsn", vs_dsn,
                   "print --db with options=-c search_path=<schema> (the password as ****)");
  bool vs_show_password = false;
  vs_cmd->add_flag("--show-password", vs_show_password,
                   "with --dsn: print the password too, so the URL can be used as it is");
  vs_cmd->footer(
      "Examples:\n  tandem version-schema          # public_7 (version 0007 and 7 are the same)\n"
      "  export DATABASE_URL=\"$(tandem version-schema --dsn --show-password 7)\"");

  auto* validate_cmd = app.add_subcommand(
      "validate", "check every file, and the files against the history; changes nothing");
  validate_cmd->add_flag("--allow-out-of-order", g.allow_out_of_order,
                         "accept pending versions lower than the newest applied");
  validate_cmd->footer("Example:\n  tandem validate --json   # exit 1 when something is wrong");

  auto* repair_cmd = app.add_subcommand(
      "repair", "remove failed/missing history rows and accept edited checksums");
  repair_cmd->footer("Example:\n  tandem repair   # after cleaning up a failed migration by hand");

  std::string baseline_version;
  auto* baseline_cmd = app.add_subcommand(
      "baseline", "mark migrations up to VERSION as applied without running them");
  baseline_cmd
      ->add_option("VERSION", baseline_version, "newest migration the database already reflects")
      ->required();
  baseline_cmd->footer("Example:\n  tandem --db postgres://app@db/app baseline 0003");

  ImportOptions import_opts;
  auto* import_cmd = app.add_subcommand(
      "import",
      "record what dbmate, golang-migrate or Flyway applied as tandem's history; runs nothing");
  import_cmd->add_option("--from", import_opts.from, "the tool that migrated the database")
      ->required()
      ->check(CLI::IsMember({"dbmate", "golang-migrate", "flyway"}));
  import_cmd->add_option("--table", import_opts.table,
                         "its history table, when not the tool's default (schema_migrations; "
                         "Flyway: flyway_schema_history); PostgreSQL: schema.name allowed");
  import_cmd->add_flag("--dry-run", import_opts.dry_run,
                       "check everything and print what would be recorded; write nothing");
  import_cmd->add_flag("--allow-missing-files", import_opts.allow_missing_files,
                       "import the versions that have a migration file and leave out (list) "
                       "those that have none, instead of refusing");
  import_cmd->footer(
      "Examples:\n"
      "  tandem --db postgres://app@db/app import --from dbmate --dry-run\n"
      "  tandem --db postgres://app@db/app import --from dbmate   # then `tandem status`, "
      "`tandem up`\n"
      "  tandem --db sqlite:app.db import --from golang-migrate\n"
      "  tandem import --from flyway --table app.flyway_schema_history --json");

  std::string shell;
  auto* completion_cmd = app.add_subcommand(
      "completion", "print the shell completion script for tandem's commands and options");
  completion_cmd->add_option("SHELL", shell, "the shell: bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion_cmd->footer(
      "Examples:\n"
      "  source <(tandem completion bash)     # in ~/.bashrc\n"
      "  tandem completion zsh > \"${fpath[1]}/_tandem\"\n"
      "  tandem completion fish > ~/.config/fish/completions/tandem.fish");
  auto* man_cmd = app.add_subcommand(
      "man", "print this manual as a man page (roff), made from the --help texts");
  man_cmd->footer(
      "Examples:\n  tandem man | man -l -\n  tandem man > ~/.local/share/man/man1/tandem.1");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // CLI11 sets the flags only after a successful parse: `--json` is looked for by hand, so
    // that a usage error is a JSON document for a script that asked for one.
    for (int i = 1; i < argc && !g.json; ++i) g.json = std::string_view(argv[i]) == "--json";
    return fail(g, cli::usage_error(app, e));
  }

  // Printed from the app's own definitions: they need no database and no config file.
  if (completion_cmd->parsed()) {
    auto script = cli::completion_script(cli::describe(app), shell);
    if (!script.ok()) return fail(g, script.status());
    std::cout << *script;
    return 0;
  }
  if (man_cmd->parsed()) {
    std::cout << cli::man_page(cli::describe(app), TANDEM_VERSION);
    return 0;
  }
  // The API commands read their own config (--config), not tandem.yaml's database.
  if (auto rc = api_cmds.run(g.json, [&](const Status& st) { return fail(g, st); })) {
    return *rc;
  }
  // So does compat: it reads schema files and no database.
  if (auto rc = compat_cmd.run(g.json, [&](const Status& st) { return fail(g, st); })) {
    return *rc;
  }

  std::string config_path;
  bool lints =
      lint_cmd.cmd->parsed() || up_cmd->parsed() || plan_cmd->parsed() || start_cmd->parsed();
  auto opts_or = command_options(g, app, lints, config_path);
  if (!opts_or.ok()) return fail(g, opts_or.status());
  Options all = std::move(opts_or).value();
  EngineOptions& opts = all.engine;
  // The registry serves its own tables on --db (or DATABASE_URL, or the config's db).
  if (registry_cmd.cmd->parsed())
    return registry_cmd.run(opts.db_url, [&](const Status& st) { return fail(g, st); });
  // So do the flags and `tandem serve` (which shows the migrations of --dir too).
  if (auto rc = flag_cmds.run(opts.db_url, g.json, [&](const Status& st) { return fail(g, st); }))
    return *rc;
  if (auto rc = serve_cmd.run(all, [&](const Status& st) { return fail(g, st); })) return *rc;
  // The fleet runs the engine's commands on each target of its targets file.
  if (auto rc = fleet_cmd.run(all, g.json, g.quiet, [&](const Status& st) { return fail(g, st); }))
    return *rc;
  cli::Progress progress(g.quiet);
  opts.log = [&progress](const std::string& line) { progress.log(line); };
  all.backfill.on_progress = [&progress](const BackfillProgress& p) { progress.backfill(p); };
  opts.on_statement = [&progress](const std::string& file, int done, int total) {
    progress.statement(file, done, total);
  };
  opts.on_step = [&progress](const AppliedStep& s, int done, int total) {
    progress.step(s, done, total);
  };
  auto print_json = [](const json& j) { std::cout << cli::dump(j, 2) << "\n"; };

  if (init_cmd->parsed()) {
    Status st = init(opts);
    if (!st.ok()) return fail(g, st);
    if (g.json)
      print_json({{"dir", opts.dir}, {"initialized", true}});
    else
      std::cout << fmt::format("ready: migrations folder {}, history tables created\n", opts.dir);
    return 0;
  }
  if (new_cmd->parsed()) {
    auto path = new_migration(opts, new_name, new_yaml);
    if (!path.ok()) return fail(g, path.status());
    if (g.json)
      print_json({{"file", *path}});
    else
      std::cout << "created " << *path << "\n";
    return 0;
  }
  if (status_cmd->parsed()) {
    auto r = status(opts);
    if (!r.ok()) return fail(g, r.status());
    if (g.json)
      print_json(cli::to_json(*r));
    else
      std::cout << cli::status_text(*r);
    // A migrations folder that cannot be read makes the report meaningless: bad input.
    for (const Problem& p : r->problems)
      if (p.kind == "unreadable_dir") return 2;
    if (exit_code && (r->pending > 0 || r->failed > 0 || !r->problems.empty())) return 1;
    return 0;
  }
  auto up_options = [&] {
    UpOptions u;
    if (!to.empty()) u.to = to;
    u.resume = resume;
    u.group = group;
    return u;
  };
  auto down_options = [&] {
    DownOptions d;
    if (!to.empty()) d.to = to;
    d.steps = steps;
    d.resume = resume;
    return d;
  };
  for (const std::string* v : {&to}) {
    if (!v->empty() && v->find_first_not_of("0123456789") != std::string::npos) {
      return fail(
          g, Status::InvalidInput(fmt::format("--to '{}' is not a version number", *v),
                                  "pass the leading digits of a migration file, e.g. --to 0003"));
    }
  }
  if (auto rc =
          runbook_cmd.run(all, up_options(), g.json, [&](const Status& st) { return fail(g, st); }))
    return *rc;
  if (plan_cmd->parsed() || (up_cmd->parsed() && dry_run) || (down_cmd->parsed() && dry_run)) {
    bool is_down = plan_down || down_cmd->parsed();
    auto r = is_down ? tandem::plan_down(all, down_options()) : tandem::plan_up(all, up_options());
    if (!r.ok()) return fail(g, r.status());
    if (g.json)
      print_json(cli::to_json(*r));
    else
      std::cout << cli::plan_text(*r);
    return 0;
  }
  if (up_cmd->parsed() || down_cmd->parsed()) {
    Direction dir = up_cmd->parsed() ? Direction::kUp : Direction::kDown;
    ApplyReport partial;
    auto r = dir == Direction::kUp ? tandem::up(all, up_options(), &partial)
                                   : tandem::down(all, down_options(), &partial);
    progress.finish();
    if (!r.ok()) {
      if (!partial.steps.empty() && !g.json) std::cout << cli::apply_text(partial, dir);
      return fail(g, r.status());
    }
    if (g.json)
      print_json(cli::to_json(*r));
    else
      std::cout << cli::apply_text(*r, dir);
    return 0;
  }
  if (start_cmd->parsed() || complete_cmd->parsed() || rollback_cmd->parsed()) {
    std::optional<std::string> version;
    if (!start_version.empty()) version = start_version;
    auto r = start_cmd->parsed()      ? expand::start(all, version)
             : complete_cmd->parsed() ? expand::complete(all, {complete_force})
                                      : expand::rollback(all);
    if (!r.ok()) return fail(g, r.status());
    if (g.json) {
      print_json({{"version", r->version},
                  {"name", r->name},
                  {"file", r->file},
                  {"step", r->step},
                  {"old_schema", r->old_schema},
                  {"new_schema", r->new_schema},
                  {"elapsed_ms", r->elapsed_ms}});
    } else if (r->step == "started") {
      std::cout << fmt::format(
          "started {}: the old version reads and writes through schema {}, the new one "
          "through {}\n",
          r->file, r->old_schema, r->new_schema);
    } else {
      std::cout << fmt::format("{} {} in {} ms\n",
                               r->step == "completed" ? "completed" : "rolled back", r->file,
                               r->elapsed_ms);
    }
    return 0;
  }
  if (auto rc = db_cmds.run(opts, g.json, [&](const Status& st) { return fail(g, st); })) {
    return *rc;
  }
  if (auto rc = drift_cmds.run(all, g.json, [&](const Status& st) { return fail(g, st); })) {
    return *rc;
  }
  lint_cmd.config_path = config_path;
  if (auto rc = lint_cmd.run(all, g.json, [&](const Status& st) { return fail(g, st); })) {
    return *rc;
  }
  if (auto rc = backfill_cmds.run(all, g.json, [&](const Status& st) { return fail(g, st); })) {
    progress.finish();
    return *rc;
  }
  if (vs_cmd->parsed()) {
    std::optional<std::string> version;
    if (!vs_version.empty()) version = vs_version;
    auto r = expand::version_schema(opts, version);
    if (!r.ok()) return fail(g, r.status());
    const std::string& dsn = vs_show_password ? r->dsn_with_password : r->dsn;
    if (vs_dsn && !vs_show_password && r->dsn != r->dsn_with_password) {
      std::cerr << "note: the password is shown as ****; pass --show-password to print a URL "
                   "you can use as it is (or leave the password to PGPASSWORD / ~/.pgpass)\n";
    }
    if (g.json) {
      print_json({{"version", r->version},
                  {"schema", r->schema},
                  {"dsn", dsn},
                  {"state", r->state},
                  {"search_path", r->schema}});
    } else {
      std::cout << (vs_dsn ? dsn : r->schema) << "\n";
    }
    return 0;
  }
  if (validate_cmd->parsed()) {
    auto r = validate(opts);
    if (!r.ok()) return fail(g, r.status());
    if (g.json) {
      json problems = json::array();
      for (const Problem& p : *r) problems.push_back(cli::to_json(p));
      print_json({{"valid", r->empty()}, {"problems", problems}});
    } else if (r->empty()) {
      std::cout << (opts.db_url.rfind("sqlite", 0) == 0
                        ? "valid: every file splits into statements and matches the history "
                          "(SQLite checks each statement's syntax when it runs it)\n"
                        : "valid: every file parses and matches the history\n");
    } else {
      std::cout << format_problems(*r);
    }
    return r->empty() ? 0 : 1;
  }
  if (repair_cmd->parsed()) {
    auto r = repair(opts);
    if (!r.ok()) return fail(g, r.status());
    if (g.json) {
      json actions = json::array();
      for (const RepairAction& a : *r) {
        actions.push_back(
            {{"version", a.version}, {"name", a.name}, {"action", a.action}, {"detail", a.detail}});
      }
      print_json({{"actions", actions}});
    } else if (r->empty()) {
      std::cout << "nothing to repair\n";
    } else {
      for (const RepairAction& a : *r)
        std::cout << fmt::format("{} {}: {}\n", a.version, a.name, a.detail);
    }
    return 0;
  }
  if (import_cmd->parsed()) {
    auto r = import_history(opts, import_opts);
    if (!r.ok()) return fail(g, r.status());
    if (g.json)
      print_json(cli::to_json(*r));
    else
      std::cout << cli::import_text(*r);
    return 0;
  }
  if (baseline_cmd->parsed()) {
    auto r = baseline(opts, baseline_version);
    if (!r.ok()) return fail(g, r.status());
    if (g.json) {
      json rows = json::array();
      for (const MigrationState& m : *r)
        rows.push_back({{"version", m.version}, {"name", m.name}, {"file", m.file}});
      print_json({{"baselined", rows}});
    } else {
      std::cout << fmt::format("baselined {} migration(s) up to version {}\n", r->size(),
                               r->back().version);
    }
    return 0;
  }
  return 0;
}

// The edge of the process: whatever escapes (it should not: the library returns Status) becomes
// an error message and exit code 3, never an abort.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: internal error: " << tandem::utf8::sanitize(e.what()) << "\n"
              << "  hint: nothing more was written after it; `tandem status` shows where things "
                 "stand — please report this with the command you ran\n";
  } catch (...) {
    std::cerr << "error: internal error (unknown exception)\n";
  }
  return static_cast<int>(tandem::Code::kDatabase);
}
