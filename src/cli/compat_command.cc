#include "cli/compat_command.h"

#include <fmt/format.h>

#include <iostream>

#include "tandem/compat.h"

namespace tandem::cli {

void CompatCommand::add(CLI::App& app) {
  cmd = app.add_subcommand(
      "compat",
      "check that schema versions stay readable (Avro, JSON Schema, Protobuf) and that old "
      "clients keep working with a new API (OpenAPI 3.0/3.1): BACKWARD, FORWARD, FULL and their "
      "_TRANSITIVE forms");
  cmd->add_option("FILE", files, "schema versions, oldest first (with --git: the files to check)");
  cmd->add_option("--type", type,
                  "avro | jsonschema | protobuf | openapi (default: from the file's name and "
                  "content)");
  cmd->add_option("--mode", mode,
                  "BACKWARD (new readers read old data; OpenAPI: old clients call the new "
                  "server), FORWARD, FULL, their _TRANSITIVE forms (every earlier version, not "
                  "only the previous one), or NONE")
      ->capture_default_str();
  cmd->add_option("--format", format, "text | json | sarif | github | junit")
      ->capture_default_str();
  cmd->add_option("--fail-on", fail_on, "exit 1 on findings at or above: error | warning | info")
      ->capture_default_str();
  cmd->add_option("--config", config_path,
                  "the file whose compat.exceptions silence findings until a date "
                  "(default: tandem.yaml when present)");
  cmd->add_option("--git", git_ref,
                  "compare each FILE in the working tree with the same file at this git "
                  "revision (what CI wants: --git origin/main)");
  cmd->add_option("-I,--proto-path", include_paths,
                  "Protobuf: a directory imports are resolved against, after the schema's own "
                  "(repeatable, as protoc's -I)")
      ->allow_extra_args(false);  // -I DIR OLD NEW: one directory per -I, then the files
  cmd->add_option("--category", category,
                  "Protobuf: fail only on findings of WIRE (the binary encoding), WIRE_JSON "
                  "(also JSON) or FILE (also generated code; the default: every finding)");
  cmd->add_flag("--rules", list_rules, "list the rules and exit");
  cmd->footer(
      "Each finding names its rule, the place in both schemas, why a reader breaks and what\n"
      "keeps it compatible. Silence one place with \"x-tandem-ignore\": [\"RULE\"] in the schema,\n"
      "or with an exception (rule, reason, expires) under compat.exceptions in tandem.yaml.\n"
      "Exit codes: 0 compatible, 1 a finding at or above --fail-on, 2 a schema or flag error.\n"
      "Examples:\n"
      "  tandem compat order-v1.avsc order-v2.avsc\n"
      "  tandem compat --mode FULL_TRANSITIVE v1.json v2.json v3.json\n"
      "  tandem compat -I protos --category WIRE old/order.proto protos/order.proto\n"
      "  tandem compat orders-api-v1.yaml orders-api-v2.yaml\n"
      "  tandem compat --git origin/main schemas/order.avsc --format github\n"
      "  tandem compat old.avsc new.avsc --format sarif > compat.sarif\n"
      "  tandem compat resolve --writer v1.avsc --reader v2.avsc < v1-events.jsonl");
  resolve_cmd = cmd->add_subcommand(
      "resolve", "read values written with one schema as a reader with another sees them");
  resolve_cmd->add_option("--writer", writer, "the schema the data was written with")->required();
  resolve_cmd->add_option("--reader", reader, "the schema the consumer reads with")->required();
  resolve_cmd->add_option("--type", type, "avro | jsonschema (default: from the files)");
  resolve_cmd->add_flag("--binary", binary,
                        "stdin holds Avro binary datums, back to back (no container header)");
  resolve_cmd->footer(
      "Reads stdin: one JSON value per line (Avro: Avro's JSON encoding of the writer's schema,\n"
      "unions as {\"branch\": value}), or Avro binary with --binary. Prints one line per value:\n"
      "Avro: the value as the reader sees it (defaults filled, unknown fields dropped, types\n"
      "promoted, union branches and enum defaults resolved); JSON Schema: the value with the\n"
      "reader's defaults filled in. Exit 1 at the first value the reader cannot read (its line),\n"
      "2 on bad input.\n"
      "Examples:\n"
      "  tandem compat resolve --writer order-v1.avsc --reader order-v2.avsc < old-events.jsonl\n"
      "  tandem compat resolve --binary --writer v1.avsc --reader v2.avsc < datums.bin");
}

std::optional<int> CompatCommand::run(bool json,
                                      const std::function<int(const Status&)>& fail) const {
  if (cmd == nullptr || !cmd->parsed()) return std::nullopt;
  if (resolve_cmd->parsed()) return run_resolve(fail);
  if (list_rules) {
    for (const compat::RuleInfo& r : compat::rules())
      std::cout << fmt::format("{:<44} {:<8} {}\n", r.id, compat::level_name(r.level), r.summary);
    return 0;
  }
  compat::CheckOptions options;
  if (!compat::parse_mode(mode, options.mode)) {
    return fail(Status::InvalidInput(fmt::format("--mode {} is not a compatibility mode", mode),
                                     "use BACKWARD, BACKWARD_TRANSITIVE, FORWARD, "
                                     "FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE or NONE"));
  }
  if (!type.empty()) {
    compat::Format f;
    if (!compat::parse_format(type, f)) {
      return fail(Status::InvalidInput(fmt::format("--type {} is not a schema format", type),
                                       "use avro, protobuf, jsonschema or openapi"));
    }
    options.format = f;
  }
  compat::OutputFormat out;
  if (!compat::parse_output_format(json ? "json" : format, out)) {
    return fail(Status::InvalidInput(fmt::format("--format {} is not an output format", format),
                                     "use text, json, sarif, github or junit"));
  }
  compat::Level threshold;
  if (!compat::parse_level(fail_on, threshold)) {
    return fail(Status::InvalidInput(fmt::format("--fail-on {} is not a level", fail_on),
                                     "use error, warning or info"));
  }
  if (!category.empty() && !compat::parse_category(category, options.category)) {
    return fail(Status::InvalidInput(fmt::format("--category {} is not a category", category),
                                     "use WIRE, WIRE_JSON or FILE"));
  }
  options.include_paths = include_paths;
  auto exceptions = compat::load_exceptions(config_path.empty() ? "tandem.yaml" : config_path,
                                            config_path.empty());
  if (!exceptions.ok()) return fail(exceptions.status());
  options.exceptions = std::move(*exceptions);
  Result<compat::Report> report = Status::InvalidInput("no files");
  if (!git_ref.empty()) {
    if (files.empty()) {
      return fail(Status::InvalidInput("--git needs the files to check",
                                       "tandem compat --git origin/main schemas/order.avsc"));
    }
    report = compat::check_against_git(git_ref, files, options);
  } else {
    report = compat::check_files(files, options);
  }
  if (!report.ok()) return fail(report.status());
  std::cout << compat::render(*report, out);
  std::optional<compat::Level> worst = report->worst();
  return worst && *worst >= threshold ? 1 : 0;
}

int CompatCommand::run_resolve(const std::function<int(const Status&)>& fail) const {
  std::optional<compat::Format> f;
  if (!type.empty()) {
    compat::Format parsed;
    if (!compat::parse_format(type, parsed)) {
      return fail(Status::InvalidInput(fmt::format("--type {} is not a schema format", type),
                                       "use avro or jsonschema"));
    }
    f = parsed;
  }
  auto resolver = compat::Resolver::open(writer, reader, f);
  if (!resolver.ok()) return fail(resolver.status());
  if (binary) {
    std::string bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    auto values = resolver->resolve_binary(bytes);
    if (!values.ok()) return fail(values.status());
    for (const auto& v : *values)
      std::cout << v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::string line;
  int number = 0;
  while (std::getline(std::cin, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json value = nlohmann::json::parse(line, nullptr, false);
    if (value.is_discarded()) {
      return fail(Status::InvalidInput(fmt::format("stdin line {}: not one JSON value", number),
                                       "give one JSON value per line"));
    }
    auto out = resolver->resolve(value);
    if (!out.ok()) return fail(out.status().with_context(fmt::format("stdin line {}: ", number)));
    std::cout << out->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return 0;
}

}  // namespace tandem::cli
