// Shadow comparison and tallies (gateway/shadow.h).

#include "gateway/shadow.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <set>

#include "gateway/json_path.h"
#include "gateway/metrics.h"

namespace tandem::gateway {

namespace {

using json = nlohmann::json;

constexpr size_t kPathsPerShadow = 50;
constexpr int kMaxDepth = 64;
// Bodies nested deeper than this are compared byte for byte, never parsed: nlohmann's
// comparison and copy recurse once per level, and a shadow answer of 30,000 nested arrays
// (60 KB) overflowed the worker's stack and took the gateway down.
constexpr size_t kMaxParseDepth = 256;

// True when `text` nests arrays and objects (outside strings) deeper than `limit`.
bool nested_deeper_than(std::string_view text, size_t limit) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (ch == '\\') {
        escaped = true;
      } else if (ch == '"') {
        in_string = false;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > limit) return true;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// Removes the field at `path` (segments) from every object it reaches.
void remove_path(json& node, const std::vector<PathSegment>& segs, size_t i) {
  if (i >= segs.size() || !node.is_object()) return;
  const PathSegment& seg = segs[i];
  auto it = node.find(seg.key);
  if (it == node.end()) return;
  if (i + 1 == segs.size()) {
    node.erase(it);
    return;
  }
  if (seg.each) {
    if (!it->is_array()) return;
    for (json& el : *it) remove_path(el, segs, i + 1);
  } else {
    remove_path(*it, segs, i + 1);
  }
}

// Integers compare exactly: two ids beyond 2^53 that differ by one are equal as doubles.
// Anything with a fraction or an exponent compares by value (1 and 1.0 are the same number).
bool same_number(const json& a, const json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    // nlohmann parses non-negative integers as unsigned, negative ones as signed.
    bool au = a.is_number_unsigned(), bu = b.is_number_unsigned();
    if (au && bu) return a.get<std::uint64_t>() == b.get<std::uint64_t>();
    if (!au && !bu) return a.get<std::int64_t>() == b.get<std::int64_t>();
    std::int64_t s = au ? b.get<std::int64_t>() : a.get<std::int64_t>();
    std::uint64_t u = au ? a.get<std::uint64_t>() : b.get<std::uint64_t>();
    return s >= 0 && static_cast<std::uint64_t>(s) == u;
  }
  return a.get<double>() == b.get<double>();
}

struct Differ {
  std::set<std::string> seen;
  std::vector<std::string>& out;
  size_t max;
  bool differs = false;  // even when no path could be kept
  void add(const std::string& path) {
    differs = true;
    if (seen.size() < max && seen.insert(path).second) out.push_back(path);
  }
  void diff(const json& a, const json& b, const std::string& path, int depth) {
    if (differs && seen.size() >= max) return;
    std::string here = path.empty() ? "." : path;
    if (depth > kMaxDepth) {
      if (a != b) add(here);
      return;
    }
    if (a.is_object() && b.is_object()) {
      for (auto it = a.begin(); it != a.end(); ++it) {
        std::string child = path.empty() ? it.key() : path + "." + it.key();
        auto other = b.find(it.key());
        if (other == b.end()) {
          add(child);
        } else {
          diff(*it, *other, child, depth + 1);
        }
      }
      for (auto it = b.begin(); it != b.end(); ++it) {
        if (!a.contains(it.key())) add(path.empty() ? it.key() : path + "." + it.key());
      }
      return;
    }
    if (a.is_array() && b.is_array()) {
      std::string each = path + "[]";
      if (a.size() != b.size()) add(each.size() > 2 ? path + "[]" : "[]");
      size_t n = std::min(a.size(), b.size());
      for (size_t i = 0; i < n; ++i) diff(a[i], b[i], each, depth + 1);
      return;
    }
    // Numbers compare by value (same_number), everything else exactly.
    if (a.is_number() && b.is_number()) {
      if (!same_number(a, b)) add(here);
      return;
    }
    if (a != b) add(here);
  }
};

}  // namespace

ShadowDiff compare_answers(int status_a, std::string_view body_a, int status_b,
                           std::string_view body_b, const std::vector<std::string>& ignore,
                           size_t max_paths) {
  ShadowDiff d;
  // One Differ for the status, the body and the fields: `max_paths` bounds them all.
  Differ differ{{}, d.paths, max_paths};
  if (status_a != status_b) differ.add("(status)");
  bool too_deep =
      nested_deeper_than(body_a, kMaxParseDepth) || nested_deeper_than(body_b, kMaxParseDepth);
  json a = too_deep ? json(json::value_t::discarded) : json::parse(body_a, nullptr, false);
  json b = too_deep ? json(json::value_t::discarded) : json::parse(body_b, nullptr, false);
  if (a.is_discarded() || b.is_discarded()) {
    if (body_a != body_b) differ.add("(body)");
  } else {
    for (const std::string& p : ignore) {
      auto path = parse_field_path(p);
      if (!path.ok()) continue;
      remove_path(a, path->segments, 0);
      remove_path(b, path->segments, 0);
    }
    differ.diff(a, b, "", 0);
  }
  d.same = !differ.differs;
  return d;
}

ShadowTally::ShadowTally(const Config& config) : config_(config), counts_(config.shadows.size()) {}

void ShadowTally::record(int shadow, Result result, const std::vector<std::string>& paths) {
  std::lock_guard<std::mutex> lock(mu_);
  Counts& c = counts_[shadow];
  switch (result) {
    case Result::kMatch:
      ++c.match;
      break;
    case Result::kMismatch:
      ++c.mismatch;
      break;
    case Result::kError:
      ++c.error;
      break;
    case Result::kSkipped:
      ++c.skipped;
      break;
  }
  for (const std::string& p : paths) {
    auto it = c.paths.find(p);
    if (it != c.paths.end()) {
      ++it->second;
    } else if (c.paths.size() < kPathsPerShadow * 4) {
      c.paths.emplace(p, 1);
    } else {
      ++c.paths["other"];
    }
  }
}

ShadowTally::Counts ShadowTally::counts(int shadow) const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_[shadow];
}

void ShadowTally::render(std::vector<prometheus::MetricFamily>& out) const {
  using prometheus::MetricType;
  auto total = metric_family("tandem_gateway_shadow_requests_total",
                             "Shadow copies by outcome: match, mismatch, error (the shadow "
                             "upstream failed), skipped (over max_in_flight)",
                             MetricType::Counter);
  auto paths = metric_family("tandem_gateway_shadow_diff_paths_total",
                             "Differences between shadow and real answers, by JSON path (the 50 "
                             "most frequent per shadow; the rest as other)",
                             MetricType::Counter);
  auto rate =
      metric_family("tandem_gateway_shadow_mismatch_ratio",
                    "Mismatches / compared copies since the gateway started", MetricType::Gauge);
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < counts_.size(); ++i) {
    const Counts& c = counts_[i];
    const std::string& name = config_.shadows[i].name;
    for (auto [result, v] : {std::pair<const char*, unsigned long long>{"match", c.match},
                             {"mismatch", c.mismatch},
                             {"error", c.error},
                             {"skipped", c.skipped}}) {
      add_sample(total, {{"shadow", name}, {"result", result}}, static_cast<double>(v));
    }
    std::vector<std::pair<std::string, unsigned long long>> ranked(c.paths.begin(), c.paths.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    // The tally's own `other` does not take one of the named places, wherever it ranks.
    unsigned long long other = 0;
    size_t named = 0;
    for (const auto& [path, count] : ranked) {
      if (named >= kPathsPerShadow || path == "other") {
        other += count;
        continue;
      }
      ++named;
      add_sample(paths, {{"shadow", name}, {"path", path}}, static_cast<double>(count));
    }
    if (other) add_sample(paths, {{"shadow", name}, {"path", "other"}}, static_cast<double>(other));
    unsigned long long compared = c.match + c.mismatch;
    add_sample(rate, {{"shadow", name}},
               compared ? static_cast<double>(c.mismatch) / static_cast<double>(compared) : 0);
  }
  out.push_back(std::move(total));
  out.push_back(std::move(paths));
  out.push_back(std::move(rate));
}

}  // namespace tandem::gateway
