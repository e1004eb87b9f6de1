// The targets file (tandem/fleet.h): read and checked as a whole before anything connects.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <tuple>

#include "tandem/db.h"
#include "tandem/engine.h"
#include "tandem/fleet.h"

namespace tandem::fleet {
namespace fs = std::filesystem;

namespace {

// A targets file lists databases: even 100,000 of them fit well under this.
constexpr uintmax_t kMaxTargetsBytes = 16 << 20;
// A file with more problems than this is not a targets file with typos: the first ones say so.
constexpr size_t kMaxProblems = 100;

// A name or label printed in the table and the logs: no control characters (a file must not
// be able to colour a terminal or fake a "halted:" line), at most 200 bytes.
bool printable(const std::string& text) {
  if (text.size() > 200) return false;
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

constexpr const char* kFormatHint =
    "the file is `targets:` (a list of { name, url, labels, replica }) and `canary:`; see "
    "docs/fleet.md";

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  void problem(const char* kind, const YAML::Mark& at, std::string message, std::string hint) {
    problems_.push_back(
        Problem{kind, path_, at.line + 1, at.column + 1, std::move(message), std::move(hint)});
  }
  void problem(const char* kind, const YAML::Node& at, std::string message, std::string hint) {
    problem(kind, at.Mark(), std::move(message), std::move(hint));
  }

  // A scalar's text, or a problem naming `key`.
  std::optional<std::string> text(const std::string& key, const YAML::Node& v) {
    if (!v.IsScalar()) {
      problem("fleet_bad_value", v, fmt::format("`{}` must be a single value", key), kFormatHint);
      return std::nullopt;
    }
    return v.as<std::string>();
  }

  void target(const YAML::Node& node, TargetsFile& out) {
    if (!node.IsMap()) {
      problem("fleet_bad_value", node, "each target must be a mapping",
              "e.g. - { name: shard-01, url: \"postgres://app@db1/app\" }");
      return;
    }
    Target t;
    t.line = node.Mark().line + 1;
    bool have_url = false;
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>("");
      const YAML::Node& v = kv.second;
      if (key == "name") {
        if (auto s = text(key, v)) {
          t.name = *s;
          if (!printable(t.name))
            problem("fleet_bad_value", v,
                    "a target name holds a control character or is longer "
                    "than 200 bytes",
                    "name targets with visible characters: shard-01");
        }
      } else if (key == "url") {
        have_url = true;
        if (auto s = text(key, v)) {
          t.url = *s;
          check_url("url", v, t.url);
        }
      } else if (key == "replica") {
        if (auto s = text(key, v)) {
          t.replica = *s;
          check_url("replica", v, t.replica);
        }
      } else if (key == "labels") {
        labels(v, t);
      } else {
        problem("fleet_unknown_key", kv.first, fmt::format("unknown target key '{}'", key),
                "a target takes name, url, labels and replica (docs/fleet.md)");
      }
    }
    if (t.name.empty()) {
      problem("fleet_missing_key", node, "this target has no `name`",
              "give every target a unique name: name: shard-01");
    } else if (!names_.insert(t.name).second) {
      problem("fleet_duplicate_name", node,
              fmt::format("a second target named '{}' (the first is at line {})", t.name,
                          first_line_[t.name]),
              "give every target its own name: each name keeps its own place in the rollout");
    } else {
      first_line_[t.name] = t.line;
    }
    if (!have_url) {
      problem("fleet_missing_key", node,
              fmt::format("target '{}' has no `url`", t.name.empty() ? "?" : t.name),
              "url: \"postgres://user@host:5432/db\" (the password can come from PGPASSWORD or "
              "~/.pgpass)");
    }
    out.targets.push_back(std::move(t));
  }

  void labels(const YAML::Node& v, Target& t) {
    if (!v.IsMap()) {
      problem("fleet_bad_value", v, "`labels` must be a mapping of names to values",
              "labels: { region: eu, tier: gold }");
      return;
    }
    for (const auto& kv : v) {
      std::string key = kv.first.as<std::string>("");
      if (auto s = text("labels." + key, kv.second)) {
        if (!printable(key) || !printable(*s) || key.find('=') != std::string::npos) {
          problem("fleet_bad_value", kv.first,
                  "a label holds a control character, is longer than 200 bytes, or has '=' in "
                  "its name",
                  "labels: { region: eu } (--select matches KEY=VALUE)");
          continue;
        }
        t.labels[key] = *s;
      }
    }
  }

  // Only PostgreSQL: a fleet's targets are servers (SQLite files have no shared server to roll
  // out over, nor two live versions).
  void check_url(const std::string& key, const YAML::Node& at, const std::string& url) {
    auto parsed = db::parse_url(url);
    if (!parsed.ok()) {
      problem("fleet_bad_url", at,
              fmt::format("`{}` is not a database URL: {}", key, parsed.status().message()),
              "write postgres://user@host:5432/db (special characters in the password "
              "percent-encoded)");
    } else if (parsed->backend != db::Backend::kPostgres) {
      problem("fleet_bad_url", at,
              fmt::format("`{}: {}` is not a PostgreSQL URL", key, db::redact_url(url)),
              "a fleet rolls out over PostgreSQL databases: postgres://user@host:5432/db");
    }
  }

  std::vector<Problem> take() { return std::move(problems_); }

 private:
  std::string path_;
  std::vector<Problem> problems_;
  std::set<std::string> names_;
  std::map<std::string, int> first_line_;
};

}  // namespace

std::string Target::shown() const { return db::redact_url(url); }

Result<TargetsFile> load_targets(const std::string& path) {
  TargetsFile out;
  out.path = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Status::InvalidInput(fmt::format("targets file {} does not exist", path),
                                "check --targets; docs/fleet.md shows the format");
  }
  if (!fs::is_regular_file(path, ec)) {
    return Status::InvalidInput(fmt::format("targets file {} is not a regular file", path),
                                "give the path of a YAML file; docs/fleet.md shows the format");
  }
  if (fs::file_size(path, ec) > kMaxTargetsBytes) {
    return Status::InvalidInput(fmt::format("{}: larger than 16 MiB; not a targets file", path),
                                kFormatHint);
  }
  Reader reader(path);
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap()) {
      reader.problem("fleet_bad_value", root, "the targets file must be a mapping", kFormatHint);
      return refused(reader.take(), "nothing ran on any target");
    }
    std::optional<YAML::Mark> canary;
    bool have_targets = false;
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>("");
      if (key == "targets") {
        have_targets = true;
        if (!kv.second.IsSequence()) {
          reader.problem("fleet_bad_value", kv.second, "`targets` must be a list", kFormatHint);
          continue;
        }
        for (const auto& t : kv.second) reader.target(t, out);
        if (out.targets.empty()) {
          reader.problem("fleet_no_targets", kv.second, "`targets` is empty",
                         "list at least one target");
        }
      } else if (key == "canary") {
        canary = kv.second.Mark();
        if (auto s = reader.text(key, kv.second)) out.canary = *s;
        out.canary_line = kv.second.Mark().line + 1;
      } else {
        reader.problem("fleet_unknown_key", kv.first, fmt::format("unknown key '{}'", key),
                       kFormatHint);
      }
    }
    if (!have_targets) reader.problem("fleet_no_targets", root, "no `targets:` list", kFormatHint);
    if (canary && !out.canary.empty()) {
      bool listed = false;
      for (const Target& t : out.targets) listed = listed || t.name == out.canary;
      if (!listed) {
        reader.problem("fleet_unknown_canary", *canary,
                       fmt::format("the canary '{}' is not one of the targets", out.canary),
                       "name a target listed under `targets:`, or leave `canary:` out (the "
                       "first target is the canary)");
      }
    }
  } catch (const YAML::Exception& e) {
    return refused({Problem{"fleet_yaml", path, e.mark.line + 1, e.mark.column + 1, e.msg,
                            "fix the YAML at that line and column (indentation, a missing `:` "
                            "or quote); docs/fleet.md shows the format"}},
                   "nothing ran on any target");
  }
  std::vector<Problem> problems = reader.take();
  // In the file's order, as an editor shows them.
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  if (problems.size() > kMaxProblems) {
    size_t more = problems.size() - kMaxProblems;
    problems.resize(kMaxProblems);
    problems.back().message += fmt::format(" (and {} more problems, not shown)", more);
  }
  if (!problems.empty()) return refused(problems, "nothing ran on any target");
  if (out.canary.empty()) {
    out.canary = out.targets.front().name;
    out.canary_line = out.targets.front().line;
  }
  return out;
}

Result<std::vector<Target>> select(const TargetsFile& file,
                                   const std::vector<std::string>& selectors) {
  std::vector<std::pair<std::string, std::string>> want;
  for (const std::string& s : selectors) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidInput(fmt::format("--select '{}' is not KEY=VALUE", s),
                                  "e.g. --select region=eu (several --select: all must match)");
    }
    want.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  std::vector<Target> out;
  for (const Target& t : file.targets) {
    bool match = true;
    for (const auto& [k, v] : want) {
      auto it = t.labels.find(k);
      match = match && it != t.labels.end() && it->second == v;
    }
    if (match) out.push_back(t);
  }
  if (out.empty()) {
    return Status::InvalidInput(
        fmt::format("no target of {} matches {}", file.path, fmt::join(selectors, " and ")),
        "check the labels in the targets file");
  }
  return out;
}

}  // namespace tandem::fleet
