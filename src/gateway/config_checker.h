#pragma once
// What every section reader of the gateway's config shares (gateway/config.cc and the readers
// beside it): the Checker that collects each problem with its line, and time parsing.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tandem/duration.h"
#include "tandem/status.h"

namespace tandem::gateway {

// Collects every problem of a file, so one `api check` lists them all.
class Checker {
 public:
  explicit Checker(std::string path) : path_(std::move(path)) {}

  void fail(const YAML::Node& node, const std::string& what, const std::string& hint = {}) {
    int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    fail_at(line, what, hint);
  }
  void fail_at(int line, const std::string& what, const std::string& hint = {}) {
    problems_.push_back(Problem{"gateway_config", path_, line, 0, what, hint});
  }
  bool ok() const { return problems_.empty(); }
  size_t count() const { return problems_.size(); }
  Status status() const {
    // In file order (some problems are found in a later pass than others above them).
    std::vector<Problem> problems = problems_;
    std::stable_sort(problems.begin(), problems.end(),
                     [](const Problem& a, const Problem& b) { return a.line < b.line; });
    const Problem& p = problems.front();
    std::string msg = fmt::format("{}:{}: {}", p.file, p.line, p.message);
    if (problems.size() > 1) {
      // Every problem, each with its own line and what to do: one `api check` fixes them all.
      msg = fmt::format("{} problems found in {}:", problems.size(), path_);
      for (const Problem& q : problems) {
        msg += fmt::format("\n  {}:{}: {}", q.file, q.line, q.message);
        if (!q.hint.empty()) msg += fmt::format("\n    hint: {}", q.hint);
      }
      return Status::InvalidInput(msg,
                                  "fix each problem listed; `tandem api check` lists what is left")
          .with_problems(std::move(problems));
    }
    return Status::InvalidInput(msg, p.hint).with_problems(std::move(problems));
  }
  const std::string& path() const { return path_; }

  std::optional<std::string> text(const YAML::Node& v, const std::string& key) {
    if (!v.IsScalar()) {
      fail(v, fmt::format("`{}` must be a single value", key));
      return std::nullopt;
    }
    return v.Scalar();
  }
  std::optional<long long> duration(const YAML::Node& v, const std::string& key) {
    auto t = text(v, key);
    if (!t) return std::nullopt;
    long long ms = parse_duration_ms(*t);
    if (ms < 0 || ms > 24LL * 3600 * 1000) {
      fail(v, fmt::format("`{}: {}` is not a duration", key, *t), duration_hint(*t));
      return std::nullopt;
    }
    return ms;
  }
  std::optional<long long> count(const YAML::Node& v, const std::string& key, long long min,
                                 long long max) {
    auto t = text(v, key);
    if (!t) return std::nullopt;
    char* end = nullptr;
    long long n = std::strtoll(t->c_str(), &end, 10);
    if (t->empty() || *end != '\0' || n < min || n > max) {
      fail(v, fmt::format("`{}: {}` must be a whole number from {} to {}", key, *t, min, max));
      return std::nullopt;
    }
    return n;
  }
  // A percentage, "20%" or "20" (0..100; "0.2" is 0.2 %), returned as a share (0.2).
  std::optional<double> percent(const YAML::Node& v, const std::string& key);
  std::optional<long long> size(const YAML::Node& v, const std::string& key) {
    auto t = text(v, key);
    if (!t) return std::nullopt;
    long long n = parse_size_bytes(*t);
    if (n <= 0) {
      fail(v, fmt::format("`{}: {}` is not a size", key, *t),
           "write it like 10MiB, 64KiB or a number of bytes");
      return std::nullopt;
    }
    return n;
  }
  // Fails for every key of `map` not in `known`.
  void only(const YAML::Node& map, std::initializer_list<const char*> known,
            const std::string& where) {
    std::set<std::string> seen;
    for (const auto& kv : map) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (!seen.insert(key).second) {
        fail(kv.first, fmt::format("`{}` appears twice in {}", key, where),
             "keep one of them: YAML keeps only one, and which is not obvious");
        continue;
      }
      // An empty list checks duplicates only (a map whose keys are data, like `routes`).
      bool ok = known.size() == 0 ||
                std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
      if (!ok) {
        std::string names;
        for (const char* k : known) names += std::string(names.empty() ? "" : ", ") + k;
        fail(kv.first, fmt::format("unknown key `{}` in {}", key, where),
             fmt::format("{} takes {}", where, names));
      }
    }
  }

 private:
  std::string path_;
  std::vector<Problem> problems_;
};

// RFC 3339 ("2025-06-01T00:00:00Z", offsets allowed) or a date ("2025-06-01") as Unix seconds.
std::optional<long long> parse_time(const std::string& text);

}  // namespace tandem::gateway
