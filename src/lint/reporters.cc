// Reporters: one findings list, four formats. No judgement here.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tandem/lint.h"
#include "tandem/version.h"

namespace tandem::lint {
namespace {

using nlohmann::json;

std::string classification_text(const Classification& c) {
  std::string out = c.lock == Lock::kNone ? "no table lock" : lock_name(c.lock);
  if (!c.relation.empty()) out += " on " + c.relation;
  if (c.rewrites) out += ", rewrites the table";
  if (c.scans) out += ", scans the table";
  return out;
}

json finding_json(const Finding& f) {
  return {{"file", f.file},
          {"line", f.line},
          {"column", f.column},
          {"rule", f.rule},
          {"severity", severity_name(f.severity)},
          {"message", f.message},
          {"why", f.why},
          {"lock", f.lock},
          {"fix", f.fix}};
}

std::string text(const LintReport& r, bool explain) {
  std::string out;
  auto finding = [&](const Finding& f) {
    out += fmt::format("{}:{}:{}: {} {}: {}\n  why: {}\n  lock: {}\n", f.file, f.line, f.column,
                       severity_name(f.severity), f.rule, f.message, f.why, f.lock);
    std::string fix = f.fix;
    for (size_t at = fix.find('\n'); at != std::string::npos; at = fix.find('\n', at + 1))
      fix.replace(at, 1, "\n       ");
    out += "  fix:  " + fix + "\n";
  };
  if (explain) {
    for (const StatementReport& s : r.statements) {
      out += fmt::format("{}:{}:{}: {}\n  {}\n", s.file, s.line, s.column,
                         s.sql.size() > 100 ? s.sql.substr(0, 97) + "..." : s.sql,
                         classification_text(s.classification));
      for (const Finding& f : s.findings) finding(f);
    }
  } else {
    for (const Finding& f : r.findings) finding(f);
  }
  int counts[4] = {0, 0, 0, 0};
  for (const Finding& f : r.findings) ++counts[static_cast<int>(f.severity)];
  out += fmt::format("{} statement(s) in {} file(s): {} error(s), {} warning(s), {} note(s)\n",
                     r.statements.size(), r.files, counts[3], counts[2], counts[1]);
  return out;
}

std::string json_doc(const LintReport& r, bool explain) {
  json findings = json::array();
  for (const Finding& f : r.findings) findings.push_back(finding_json(f));
  json doc = {{"files", r.files},
              {"statements", r.statements.size()},
              {"findings", findings},
              {"worst", severity_name(r.worst())}};
  if (explain) {
    json stmts = json::array();
    for (const StatementReport& s : r.statements) {
      const Classification& c = s.classification;
      stmts.push_back({{"file", s.file},
                       {"line", s.line},
                       {"column", s.column},
                       {"sql", s.sql},
                       {"lock", lock_name(c.lock)},
                       {"relation", c.relation},
                       {"rewrites", c.rewrites},
                       {"scans", c.scans}});
    }
    doc["explain"] = stmts;
  }
  return doc.dump(2) + "\n";
}

std::string sarif(const LintReport& r) {
  json rules = json::array();
  for (const RuleInfo& i : lint::rules()) {
    rules.push_back(
        {{"id", i.id},
         {"shortDescription", {{"text", i.reason}}},
         {"defaultConfiguration",
          {{"level",
            i.default_severity == Severity::kInfo ? "note" : severity_name(i.default_severity)}}}});
  }
  json results = json::array();
  for (const Finding& f : r.findings) {
    results.push_back(
        {{"ruleId", f.rule},
         {"level", f.severity == Severity::kInfo ? "note" : severity_name(f.severity)},
         {"message", {{"text", f.message + ". " + f.lock + ". Fix: " + f.fix}}},
         {"locations",
          json::array({{{"physicalLocation",
                         {{"artifactLocation", {{"uri", f.file}}},
                          {"region", {{"startLine", f.line}, {"startColumn", f.column}}}}}}})}});
  }
  json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
              {"version", "2.1.0"},
              {"runs", json::array({{{"tool",
                                      {{"driver",
                                        {{"name", "tandem"},
                                         {"version", TANDEM_VERSION},
                                         {"informationUri", "https://github.com/tandem/tandem"},
                                         {"rules", rules}}}}},
                                     {"results", results}}})}};
  return doc.dump(2) + "\n";
}

// GitHub workflow commands: the message must escape %, CR and LF; properties also , and :.
std::string escape(const std::string& s, bool property) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else if (property && c == ':')
      out += "%3A";
    else if (property && c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}

std::string github(const LintReport& r) {
  std::string out;
  for (const Finding& f : r.findings) {
    const char* level = f.severity == Severity::kError     ? "error"
                        : f.severity == Severity::kWarning ? "warning"
                                                           : "notice";
    out += fmt::format("::{} file={},line={},col={},title={}::{}\n", level, escape(f.file, true),
                       f.line, f.column, escape("tandem " + f.rule, true),
                       escape(f.message + "\n" + f.lock + "\nfix: " + f.fix, false));
  }
  return out;
}

}  // namespace

bool parse_format(const std::string& t, Format& out) {
  if (t == "text")
    out = Format::kText;
  else if (t == "json")
    out = Format::kJson;
  else if (t == "sarif")
    out = Format::kSarif;
  else if (t == "github")
    out = Format::kGithub;
  else
    return false;
  return true;
}

std::string render(const LintReport& r, Format format, bool explain) {
  switch (format) {
    case Format::kText:
      return text(r, explain);
    case Format::kJson:
      return json_doc(r, explain);
    case Format::kSarif:
      return sarif(r);
    case Format::kGithub:
      return github(r);
  }
  return "";
}

}  // namespace tandem::lint
