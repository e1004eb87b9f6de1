// tandem.yaml: a project's settings (tandem/config.h).

#include <fmt/format.h>

#include <yaml-cpp/yaml.h>
#include <algorithm>

#include <cctype>
#include <filesystem>
#include <functional>
#include <map>

#include "tandem/config.h"
#include "tandem/db.h"

namespace tandem {
namespace fs = std::filesystem;

namespace {

// Config files are small; anything bigger is not one.
constexpr uintmax_t kMaxConfigBytes = 1 << 20;

Status at(const std::string& path, const YAML::Node& node, const std::string& what,
          const std::string& hint = {}) {
  return Status::InvalidInput(fmt::format("{}:{}: {}", path, node.Mark().line + 1, what), hint);
}

Result<std::string> text_of(const std::string& path, const std::string& key, const YAML::Node& v) {
  if (!v.IsScalar()) return at(path, v, fmt::format("`{}` must be a single value", key));
  return v.as<std::string>();
}

Result<int> duration_of(const std::string& path, const std::string& key, const YAML::Node& v) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, text_of(path, key, v));
  long long ms = parse_duration_ms(text);
  if (ms < 0 || ms > 2147483647) {
    return at(path, v, fmt::format("`{}: {}` is not a duration", key, text), duration_hint(text));
  }
  return static_cast<int>(ms);
}

Result<long long> count_of(const std::string& path, const std::string& key, const YAML::Node& v) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, text_of(path, key, v));
  std::optional<long long> n = db::to_integer(text);
  if (!n || *n < 0 || *n > 2147483647) {
    return at(path, v, fmt::format("`{}: {}` is not a whole number >= 0", key, text));
  }
  return *n;
}

// A path written in the file, as seen from the working directory.
std::string beside(const std::string& config, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  fs::path folder = fs::path(config).parent_path();
  if (folder.empty()) return p;
  return (folder / p).lexically_normal().string();
}

// `sqlite:relative.db` is relative to the file's folder too; other URLs are kept as written.
std::string db_beside(const std::string& config, const std::string& url) {
  for (const char* prefix : {"sqlite://", "sqlite:"}) {
    std::string pre = prefix;
    if (url.rfind(pre, 0) == 0) {
      std::string target = url.substr(pre.size());
      if (target == ":memory:" || target.rfind("file:", 0) == 0) return url;
      return pre + beside(config, target);
    }
  }
  return url;
}

Status read_backfill(const std::string& path, const YAML::Node& node, BackfillOptions& b) {
  if (!node.IsMap()) {
    return at(path, node, "`backfill` must be a mapping",
              "e.g. backfill: {batch_target: 100ms, max_rows_per_second: 5000}");
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>("");
    const YAML::Node& v = kv.second;
    if (key == "batch_target") {
      TANDEM_ASSIGN_OR_RETURN(int ms, duration_of(path, key, v));
      if (ms < 1) return at(path, v, "`batch_target` must be positive");
      b.target_ms = ms;
    } else if (key == "batch_max") {
      TANDEM_ASSIGN_OR_RETURN(long long n, count_of(path, key, v));
      if (n < 1) return at(path, v, "`batch_max` must be at least 1");
      b.max_rows = static_cast<int>(n);
    } else if (key == "max_rows_per_second") {
      TANDEM_ASSIGN_OR_RETURN(long long n, count_of(path, key, v));
      b.max_rows_per_second = static_cast<double>(n);
    } else if (key == "max_lag") {
      TANDEM_ASSIGN_OR_RETURN(b.max_lag_ms, duration_of(path, key, v));
    } else if (key == "replica") {
      TANDEM_ASSIGN_OR_RETURN(b.replica_url, text_of(path, key, v));
    } else if (key == "throttle_query") {
      TANDEM_ASSIGN_OR_RETURN(b.throttle_query, text_of(path, key, v));
    } else {
      return at(path, kv.first, fmt::format("unknown backfill setting '{}'", key),
                "backfill takes batch_target, batch_max, max_rows_per_second, max_lag, replica "
                "and throttle_query");
    }
  }
  return Status::Ok();
}

Status read_limits(const std::string& path, const YAML::Node& node, ProjectConfig& c) {
  if (!node.IsMap()) {
    return at(path, node, "`limits` must be a mapping",
              "e.g. limits: {max_file_size: 32MiB, max_statements: 200000}");
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>("");
    const YAML::Node& v = kv.second;
    if (key == "max_file_size") {
      TANDEM_ASSIGN_OR_RETURN(std::string text, text_of(path, key, v));
      long long bytes = parse_size_bytes(text);
      if (bytes < 1) {
        return at(path, v, fmt::format("`max_file_size: {}` is not a size", text),
                  "write it like 16MiB, 512KiB or a number of bytes");
      }
      c.max_file_bytes = bytes;
    } else if (key == "max_statements" || key == "max_operations" || key == "max_yaml_nodes") {
      TANDEM_ASSIGN_OR_RETURN(long long n, count_of(path, key, v));
      if (n < 1) return at(path, v, fmt::format("`{}` must be at least 1", key));
      std::optional<int>& out = key == "max_statements"   ? c.max_statements
                                : key == "max_operations" ? c.max_operations
                                                          : c.max_yaml_nodes;
      out = static_cast<int>(n);
    } else {
      return at(path, kv.first, fmt::format("unknown limit '{}'", key),
                "limits takes max_file_size, max_statements, max_operations and max_yaml_nodes");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string find_project_config(const std::string& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start.empty() ? fs::path(".") : fs::path(start), ec);
  if (ec) return "";
  dir = dir.lexically_normal();
  if (dir.filename().empty() && dir.has_parent_path()) dir = dir.parent_path();  // "/x/" → "/x"
  fs::path cwd = fs::current_path(ec);
  for (int depth = 0; depth < 64; ++depth) {
    fs::path candidate = dir / "tandem.yaml";
    if (fs::is_regular_file(candidate, ec)) {
      // Shown as the user would type it: relative to the working directory when below it.
      fs::path rel = candidate.lexically_relative(cwd);
      return !rel.empty() && rel.native().rfind("..", 0) != 0 ? rel.string() : candidate.string();
    }
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return "";
}

Result<ProjectConfig> load_project_config(const std::string& path) {
  ProjectConfig c;
  c.path = path;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status::InvalidInput(fmt::format("config file {} does not exist", path),
                                "check --config, or leave it out to use tandem.yaml");
  }
  if (fs::file_size(path, ec) > kMaxConfigBytes) {
    return Status::InvalidInput(
        fmt::format("{}: larger than 1 MiB; not a tandem config", path),
        "point --config at the project's tandem.yaml (a few lines: docs/config.md)");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::InvalidInput(
        fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg),
        "fix the YAML at that line and column (indentation, a missing `:` or quote); "
        "docs/config.md lists the keys");
  }
  if (root.IsNull()) return c;  // an empty file
  if (!root.IsMap()) {
    return at(path, root, "the config must be a mapping of settings", "e.g. dir: db/migrations");
  }
  try {
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>("");
      const YAML::Node& v = kv.second;
      if (key == "db") {
        TANDEM_ASSIGN_OR_RETURN(std::string url, text_of(path, key, v));
        c.db = db_beside(path, url);
      } else if (key == "dir") {
        TANDEM_ASSIGN_OR_RETURN(std::string d, text_of(path, key, v));
        c.dir = beside(path, d);
      } else if (key == "schema") {
        TANDEM_ASSIGN_OR_RETURN(c.schema, text_of(path, key, v));
      } else if (key == "lock_timeout") {
        TANDEM_ASSIGN_OR_RETURN(c.lock_timeout_ms, duration_of(path, key, v));
      } else if (key == "lock_wait") {
        TANDEM_ASSIGN_OR_RETURN(c.lock_wait_ms, duration_of(path, key, v));
      } else if (key == "statement_timeout") {
        TANDEM_ASSIGN_OR_RETURN(c.statement_timeout_ms, duration_of(path, key, v));
      } else if (key == "lock_retries") {
        TANDEM_ASSIGN_OR_RETURN(long long n, count_of(path, key, v));
        c.lock_retries = static_cast<int>(n);
      } else if (key == "backfill") {
        TANDEM_RETURN_IF_ERROR(read_backfill(path, v, c.backfill));
      } else if (key == "limits") {
        TANDEM_RETURN_IF_ERROR(read_limits(path, v, c));
      } else if (key == "lint") {
        // Read by the lint section's own reader; its errors matter to the commands that lint.
      } else {
        return at(path, kv.first, fmt::format("unknown setting '{}'", key),
                  "tandem.yaml takes db, dir, schema, lock_timeout, lock_wait, lock_retries, "
                  "statement_timeout, backfill, limits and lint (docs/config.md)");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidInput(
        fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg),
        "fix the YAML at that line and column (indentation, a missing `:` or quote); "
        "docs/config.md lists the keys");
  }
  auto lint = lint::load_config(path, /*optional=*/false);
  if (lint.ok()) {
    c.lint = std::move(lint).value();
  } else {
    c.lint_problem = lint.status();
  }
  return c;
}

}  // namespace tandem
