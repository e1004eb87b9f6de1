#include "cli/drift_command.h"

#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/output.h"

namespace tandem::cli {
namespace {

using nlohmann::json;

std::string where(const std::string& database, const std::string& schema) {
  return schema.empty() ? database : fmt::format("{} (schema {})", database, schema);
}

std::string indented(const std::string& text, const std::string& prefix) {
  std::string out;
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(at, end - at) + "\n";
    at = end + 1;
  }
  return out;
}

std::string drift_text(const DriftReport& r) {
  std::string out;
  for (const std::string& note : r.notes) out += "note: " + note + "\n";
  std::string replay = fmt::format("a replay of {} migration(s)", r.replayed.size());
  if (!r.drifted()) {
    return out + fmt::format("no drift: {} matches {}\n", where(r.database, r.schema), replay);
  }
  out += fmt::format("drift: {} difference(s) between {} and {}:\n", r.differences.size(),
                     where(r.database, r.schema), replay);
  for (const SchemaDifference& d : r.differences) {
    if (d.change == "added") {
      out += fmt::format("\nadded {} {}: in the live schema, not made by the migrations\n", d.kind,
                         printable_name(d.name));
      out += indented(d.live, "  + ");
    } else if (d.change == "missing") {
      out += fmt::format("\nmissing {} {}: made by the migrations, not in the live schema\n",
                         d.kind, printable_name(d.name));
      out += indented(d.expected, "  - ");
    } else {
      out += fmt::format("\nchanged {} {}: live (+) and replay (-) differ\n", d.kind,
                         printable_name(d.name));
      for (const std::string& line : d.only_live) out += "  + " + line + "\n";
      for (const std::string& line : d.only_expected) out += "  - " + line + "\n";
    }
  }
  out +=
      "\nwrite a migration that makes the difference (or revert the change by hand), then run "
      "`tandem drift` again\n";
  return out;
}

json to_json(const DriftReport& r) {
  json diffs = json::array();
  for (const SchemaDifference& d : r.differences) {
    diffs.push_back({{"kind", d.kind},
                     {"name", d.name},
                     {"change", d.change},
                     {"live", d.live},
                     {"expected", d.expected},
                     {"only_live", d.only_live},
                     {"only_expected", d.only_expected}});
  }
  return {{"database", r.database}, {"backend", r.backend},   {"schema", r.schema},
          {"scratch", r.scratch},   {"replayed", r.replayed}, {"notes", r.notes},
          {"drift", r.drifted()},   {"differences", diffs}};
}

json to_json(const SchemaDump& d) {
  json objects = json::array();
  for (const SchemaObject& o : d.objects) {
    objects.push_back({{"kind", o.kind}, {"name", o.name}, {"definition", o.definition}});
  }
  return {
      {"database", d.database}, {"backend", d.backend}, {"schema", d.schema}, {"objects", objects}};
}

}  // namespace

void DriftCommands::add(CLI::App& app) {
  dump = app.add_subcommand(
      "dump", "print the live schema as deterministic SQL (tables, indexes, functions, …)");
  dump->footer(
      "Objects come by kind, then by name, each after a `-- <kind> <name>` line: two equal\n"
      "schemas print the same bytes, so the output can be diffed and kept in git. PostgreSQL:\n"
      "the schema --schema names (tandem's own schemas are left out); SQLite: the whole file\n"
      "without tandem_* tables. See docs/drift.md.\n"
      "Examples:\n"
      "  tandem --db postgres://app@db/app dump > schema.sql\n"
      "  tandem --db sqlite:app.db dump --json");
  drift = app.add_subcommand(
      "drift",
      "replay the applied migrations into a scratch database; exit 1 if the live schema differs");
  drift->add_flag("--all", drift_options.all,
                  "replay pending migrations too (default: only those the live history lists "
                  "as applied)");
  drift->footer(
      "The scratch database is made next to --db (PostgreSQL: CREATE DATABASE\n"
      "tandem_drift_<random> on the same server, which needs CREATEDB; SQLite: a temporary\n"
      "file) and dropped again, also when a migration fails. Each object that differs is\n"
      "named: added (live only), missing (replay only) or changed (both definitions).\n"
      "Refused while `tandem start` has a migration live (finish it first). See docs/drift.md.\n"
      "Examples:\n"
      "  tandem --db postgres://app@db/app drift            # exit 1 on drift\n"
      "  tandem --db postgres://app@db/app drift --json     # in CI\n"
      "  tandem --db sqlite:app.db drift --all");
}

std::optional<int> DriftCommands::run(const Options& options, bool json,
                                      const std::function<int(const Status&)>& fail) const {
  if (dump->parsed()) {
    auto r = dump_schema(options.engine);
    if (!r.ok()) return fail(r.status());
    if (json)
      std::cout << cli::dump(to_json(*r), 2) << "\n";
    else
      std::cout << r->sql();
    return 0;
  }
  if (drift->parsed()) {
    auto r = tandem::drift(options, drift_options);
    if (!r.ok()) return fail(r.status());
    if (json)
      std::cout << cli::dump(to_json(*r), 2) << "\n";
    else
      std::cout << drift_text(*r);
    return r->drifted() ? 1 : 0;
  }
  return std::nullopt;
}

}  // namespace tandem::cli
