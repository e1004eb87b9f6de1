// The lint section of tandem's config file, and the check `tandem up` runs before applying.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "tandem/engine.h"
#include "tandem/lint.h"

namespace tandem::lint {

Result<std::map<std::string, Severity>> severities(const std::map<std::string, std::string>& text) {
  std::map<std::string, Severity> out;
  std::vector<RuleInfo> all = rules();
  for (const auto& [rule, level] : text) {
    bool known =
        std::any_of(all.begin(), all.end(), [&](const RuleInfo& r) { return r.id == rule; });
    Severity s;
    if (!known) {
      return Status::InvalidInput(fmt::format("unknown lint rule '{}'", rule),
                                  "`tandem lint --rules` lists the rules");
    }
    if (!parse_severity(level, s)) {
      return Status::InvalidInput(fmt::format("lint rule {}: '{}' is not a severity", rule, level),
                                  "use off, info, warning or error");
    }
    out[rule] = s;
  }
  return out;
}

Result<Config> load_config(const std::string& path, bool optional) {
  Config c;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (optional) return c;
    return Status::InvalidInput(fmt::format("config file {} does not exist", path),
                                "check the path given to --config");
  }
  try {
    YAML::Node root = YAML::LoadFile(path);
    YAML::Node lint = root["lint"];
    if (!lint) return c;
    if (!lint.IsMap()) {
      return Status::InvalidInput(
          fmt::format("{}:{}: `lint` must be a mapping", path, lint.Mark().line + 1),
          "e.g. lint: {rules: {prefer-text: off}}");
    }
    for (const auto& kv : lint) {
      std::string key = kv.first.as<std::string>("");
      if (key == "fail_on") {
        c.fail_on = kv.second.as<std::string>("");
        Severity s;
        if (!parse_severity(c.fail_on, s) || s == Severity::kOff) {
          return Status::InvalidInput(fmt::format("{}:{}: fail_on '{}' is not a severity", path,
                                                  kv.second.Mark().line + 1, c.fail_on),
                                      "use error, warning or info");
        }
      } else if (key == "rules" && kv.second.IsMap()) {
        for (const auto& r : kv.second) {
          // YAML reads a bare `off` as the boolean false.
          std::string level = r.second.as<std::string>("");
          if (level == "false") level = "off";
          c.rules[r.first.as<std::string>("")] = level;
        }
        auto checked = severities(c.rules);
        if (!checked.ok()) {
          return Status::InvalidInput(
              fmt::format("{}:{}: {}", path, kv.second.Mark().line + 1, checked.status().message()),
              checked.status().hint());
        }
      } else {
        return Status::InvalidInput(
            fmt::format("{}:{}: unknown lint setting '{}'", path, kv.first.Mark().line + 1, key),
            "lint takes `fail_on` and `rules`");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidInput(
        fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg),
        "fix the YAML at that line and column (indentation, a missing `:` or quote); "
        "docs/lint.md lists the settings");
  }
  return c;
}

Result<std::vector<Problem>> unsafe_problems(const std::string& dir,
                                             const std::vector<std::string>& pending,
                                             const std::map<std::string, std::string>& rules,
                                             std::shared_ptr<ColumnTypes> column_types,
                                             const Formats& formats, const InputLimits& limits) {
  if (pending.empty()) return std::vector<Problem>();
  TANDEM_ASSIGN_OR_RETURN(std::vector<Source> all, sources({}, dir, formats, limits));
  LintOptions o;
  TANDEM_ASSIGN_OR_RETURN(o.severity, severities(rules));
  o.runner_sets_lock_timeout = true;  // tandem runs every statement under --lock-timeout
  o.only_files = pending;
  // A type change whose old type neither the files nor the live catalog show fails closed.
  o.column_types = std::move(column_types);
  // Fails closed: a file the parser refuses is a problem of its own, and the rest is still
  // linted (one unparsable file must not hide the findings of the others).
  o.continue_after_parse_errors = true;
  TANDEM_ASSIGN_OR_RETURN(LintReport report, lint(all, o));
  std::vector<Problem> out = parse_problems(report);
  for (Problem& p : unsafe_findings(report)) out.push_back(std::move(p));
  return out;
}

std::vector<Problem> parse_problems(const LintReport& report) {
  std::vector<Problem> out;
  for (const ParseError& e : report.parse_errors) {
    out.push_back({"unparsable_sql", e.file, e.line, e.column,
                   fmt::format("cannot check this SQL for safety: {}{}", e.message,
                               e.generated.empty() ? "" : " (in " + e.generated + ")"),
                   "fix the SQL (this is PostgreSQL 15's own parser); a safety check that cannot "
                   "read a statement refuses: run with --allow-unsafe to apply anyway"});
  }
  return out;
}

std::vector<Problem> unsafe_findings(const LintReport& report) {
  std::vector<Problem> out;
  for (const Finding& f : report.findings) {
    if (f.severity < Severity::kError) continue;
    std::string other =
        f.generated.empty()
            ? fmt::format(
                  "or put `-- tandem:ignore {}` before the statement, or run with "
                  "--allow-unsafe",
                  f.rule)
            : fmt::format("the statement is generated by {}; or run with --allow-unsafe",
                          f.generated);
    out.push_back({"unsafe_migration", f.file, f.line, f.column,
                   fmt::format("{}: {} — {}", f.rule, f.message, f.lock),
                   fmt::format("safe way: {} ({})", f.fix, other)});
  }
  return out;
}

}  // namespace tandem::lint
