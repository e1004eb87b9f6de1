#pragma once
// What the compat tests share: the rules a report found at a level, expectation lists from the
// corpus files, and the mutation the fuzz tests apply to schema texts.

#include <yaml-cpp/yaml.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "tandem/compat.h"

namespace tandem::compat::testing {

// The ids of the findings at `level` that are not ignored.
inline std::set<std::string> rules_at(const Report& r, Level level) {
  std::set<std::string> out;
  for (const PairReport& p : r.pairs)
    for (const Finding& f : p.findings)
      if (!f.ignored && f.level == level) out.insert(f.rule);
  return out;
}

// A YAML list of strings as a set (an absent node: empty).
inline std::set<std::string> list(const YAML::Node& n) {
  std::set<std::string> out;
  if (n)
    for (const YAML::Node& item : n) out.insert(item.as<std::string>());
  return out;
}

inline std::string show(const std::set<std::string>& s) {
  std::string out = "[";
  for (const std::string& x : s) out += (out.size() > 1 ? ", " : "") + x;
  return out + "]";
}

// One to four edits of `in`: a byte flipped, bytes cut, one of `tokens` inserted, the text
// truncated, or up to `max_copy` of its own bytes copied elsewhere.
inline std::string mutate(const std::string& in, std::mt19937& rng,
                          const std::vector<std::string>& tokens, size_t max_copy) {
  std::string s = in;
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    size_t at = rng() % s.size();
    switch (rng() % 5) {
      case 0:
        s[at] = static_cast<char>(rng() % 256);
        break;
      case 1:
        s.erase(at, 1 + rng() % 8);
        break;
      case 2:
        s.insert(at, tokens[rng() % tokens.size()]);
        break;
      case 3:
        s = s.substr(0, at);
        break;
      case 4: {
        size_t from = rng() % s.size();
        s.insert(at, s.substr(from, 1 + rng() % max_copy));
        break;
      }
    }
  }
  return s;
}

}  // namespace tandem::compat::testing
