// Reporters for `tandem compat`: one report, five formats. No judgement here.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tandem/compat.h"
#include "tandem/version.h"

namespace tandem::compat {
namespace {

const char* direction_name(Direction d) {
  return d == Direction::kBackward ? "backward" : "forward";
}

// The place a finding is best shown at: the reader's schema (where the fix usually goes) when it
// has a line, else the writer's.
const Place& primary(const Finding& f) {
  const Place& reader = f.direction == Direction::kBackward ? f.new_place : f.old_place;
  const Place& writer = f.direction == Direction::kBackward ? f.old_place : f.new_place;
  return reader.line > 0 ? reader : writer;
}

std::string place_text(const Place& p) {
  if (p.line == 0 && p.pointer.empty()) return "-";
  // A JSON Pointer as a URI fragment (#/fields/1); a Protobuf path as it is (Order.total).
  std::string where = p.pointer.empty() || p.pointer[0] == '/' ? "#" + p.pointer : p.pointer;
  return fmt::format("{}{}", p.line > 0 ? fmt::format("line {} ", p.line) : "", where);
}

size_t count(const PairReport& p, Level level) {
  size_t n = 0;
  for (const Finding& f : p.findings)
    if (!f.ignored && f.level == level) ++n;
  return n;
}

std::string text(const Report& r) {
  std::string out;
  size_t errors = 0, warnings = 0, notes = 0, ignored = 0;
  for (const PairReport& p : r.pairs) {
    for (const Finding& f : p.findings) {
      const Place& at = primary(f);
      const char* level = f.level == Level::kError     ? "error"
                          : f.level == Level::kWarning ? "warning"
                                                       : "note";
      out +=
          fmt::format("{}:{}: {}{}: {}{}: {}\n", at.file, at.line, f.ignored ? "ignored " : "",
                      level, f.rule, f.category.empty() ? "" : " [" + f.category + "]", f.message);
      out += fmt::format("  {} → {} ({}): old {}, new {}\n", p.old_file, p.new_file,
                         direction_name(p.direction), place_text(f.old_place),
                         place_text(f.new_place));
      if (f.ignored) out += "  ignored: " + f.ignored_because + "\n";
      if (f.ignored) {
        ++ignored;
      } else if (f.level == Level::kError) {
        ++errors;
      } else if (f.level == Level::kWarning) {
        ++warnings;
      } else {
        ++notes;
      }
    }
  }
  for (const std::string& n : r.notes) out += "note: " + n + "\n";
  out += fmt::format("{} {} version(s), {}: {}; {} error(s), {} warning(s), {} note(s)",
                     format_name(r.format), r.files.size(), mode_name(r.mode),
                     r.compatible() ? "compatible" : "NOT compatible", errors, warnings, notes);
  if (ignored) out += fmt::format(", {} ignored", ignored);
  out += "\n";
  return out;
}

nlohmann::json place_json(const Place& p) {
  return {{"file", p.file}, {"pointer", p.pointer}, {"line", p.line}};
}

std::string json(const Report& r) {
  nlohmann::json doc;
  doc["format"] = format_name(r.format);
  doc["mode"] = mode_name(r.mode);
  doc["compatible"] = r.compatible();
  doc["files"] = r.files;
  doc["notes"] = r.notes;
  doc["pairs"] = nlohmann::json::array();
  for (const PairReport& p : r.pairs) {
    nlohmann::json pair;
    pair["old"] = p.old_file;
    pair["new"] = p.new_file;
    pair["direction"] = direction_name(p.direction);
    pair["compatible"] = count(p, Level::kError) == 0;
    pair["findings"] = nlohmann::json::array();
    for (const Finding& f : p.findings) {
      nlohmann::json j = {{"rule", f.rule},
                          {"level", level_name(f.level)},
                          {"direction", direction_name(f.direction)},
                          {"message", f.message},
                          {"old", place_json(f.old_place)},
                          {"new", place_json(f.new_place)},
                          {"ignored", f.ignored}};
      if (!f.category.empty()) j["category"] = f.category;
      if (f.ignored) j["ignored_because"] = f.ignored_because;
      pair["findings"].push_back(std::move(j));
    }
    doc["pairs"].push_back(std::move(pair));
  }
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string sarif(const Report& r) {
  auto level = [](Level l) {
    return l == Level::kError ? "error" : l == Level::kWarning ? "warning" : "note";
  };
  nlohmann::json rules_json = nlohmann::json::array();
  for (const RuleInfo& i : rules()) {
    rules_json.push_back({{"id", i.id},
                          {"shortDescription", {{"text", i.summary}}},
                          {"defaultConfiguration", {{"level", level(i.level)}}}});
  }
  nlohmann::json results = nlohmann::json::array();
  for (const PairReport& p : r.pairs) {
    for (const Finding& f : p.findings) {
      const Place& at = primary(f);
      nlohmann::json region = {{"startLine", at.line > 0 ? at.line : 1}};
      nlohmann::json result = {
          {"ruleId", f.rule},
          {"level", level(f.level)},
          {"message",
           {{"text", fmt::format("{} ({} → {}, {})", f.message, p.old_file, p.new_file,
                                 direction_name(p.direction))}}},
          {"locations",
           {{{"physicalLocation",
              {{"artifactLocation", {{"uri", at.file}}}, {"region", region}}}}}}};
      if (!f.category.empty()) result["properties"] = {{"category", f.category}};
      if (f.ignored) {
        result["suppressions"] = {{{"kind", "inSource"}, {"justification", f.ignored_because}}};
      }
      results.push_back(std::move(result));
    }
  }
  nlohmann::json doc = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                        {"version", "2.1.0"},
                        {"runs",
                         {{{"tool",
                            {{"driver",
                              {{"name", "tandem compat"},
                               {"version", TANDEM_VERSION},
                               {"informationUri", "https://github.com/tandem/tandem"},
                               {"rules", rules_json}}}}},
                           {"results", results}}}}};
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// GitHub workflow commands escape %, CR and LF in the message; properties also , and :.
std::string escape(const std::string& s, bool property) {
  std::string out;
  for (char c : s) {
    if (c == '%') {
      out += "%25";
    } else if (c == '\r') {
      out += "%0D";
    } else if (c == '\n') {
      out += "%0A";
    } else if (property && c == ':') {
      out += "%3A";
    } else if (property && c == ',') {
      out += "%2C";
    } else {
      out += c;
    }
  }
  return out;
}

std::string github(const Report& r) {
  std::string out;
  for (const PairReport& p : r.pairs) {
    for (const Finding& f : p.findings) {
      if (f.ignored) continue;
      const Place& at = primary(f);
      const char* level = f.level == Level::kError     ? "error"
                          : f.level == Level::kWarning ? "warning"
                                                       : "notice";
      out += fmt::format(
          "::{} file={},line={},title={}::{}\n", level, escape(at.file, true),
          at.line > 0 ? at.line : 1,
          escape("tandem compat " + f.rule + (f.category.empty() ? "" : " (" + f.category + ")"),
                 true),
          escape(fmt::format("{}\n{} → {} ({})", f.message, p.old_file, p.new_file,
                             direction_name(p.direction)),
                 false));
    }
  }
  return out;
}

std::string xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 has no place for other control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// JUnit XML: one test suite, one test case per version pair and direction; each error finding
// is a failure of its case, so CI systems list the breaking pairs.
std::string junit(const Report& r) {
  size_t failures = 0;
  for (const PairReport& p : r.pairs)
    if (count(p, Level::kError) > 0) ++failures;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"tandem compat\" tests=\"{}\" failures=\"{}\">\n",
                     r.pairs.size(), failures);
  out += fmt::format("  <testsuite name=\"{} {}\" tests=\"{}\" failures=\"{}\">\n",
                     format_name(r.format), mode_name(r.mode), r.pairs.size(), failures);
  for (const PairReport& p : r.pairs) {
    out += fmt::format(
        "    <testcase classname=\"compat.{}\" name=\"{}\">\n", direction_name(p.direction),
        xml(fmt::format("{} → {} ({})", p.old_file, p.new_file, direction_name(p.direction))));
    for (const Finding& f : p.findings) {
      if (f.ignored || f.level != Level::kError) continue;
      const Place& at = primary(f);
      out += fmt::format("      <failure type=\"{}\" message=\"{}\">{}:{}: {}</failure>\n",
                         xml(f.rule), xml(f.message), xml(at.file), at.line, xml(f.message));
    }
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace

bool parse_output_format(const std::string& name, OutputFormat& out) {
  if (name == "text") {
    out = OutputFormat::kText;
  } else if (name == "json") {
    out = OutputFormat::kJson;
  } else if (name == "sarif") {
    out = OutputFormat::kSarif;
  } else if (name == "github") {
    out = OutputFormat::kGithub;
  } else if (name == "junit") {
    out = OutputFormat::kJunit;
  } else {
    return false;
  }
  return true;
}

std::string render(const Report& report, OutputFormat format) {
  switch (format) {
    case OutputFormat::kText:
      return text(report);
    case OutputFormat::kJson:
      return json(report);
    case OutputFormat::kSarif:
      return sarif(report);
    case OutputFormat::kGithub:
      return github(report);
    case OutputFormat::kJunit:
      return junit(report);
  }
  return text(report);
}

}  // namespace tandem::compat
