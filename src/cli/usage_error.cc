#include "cli/usage_error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>

namespace tandem::cli {
namespace {

// "tandem", "tandem backfill".
std::string command_text(const CLI::App* app) {
  std::string out;
  for (; app != nullptr; app = app->get_parent()) {
    out = app->get_name() + (out.empty() ? "" : " " + out);
  }
  return out;
}

std::vector<std::string> visible_commands(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app->get_subcommands(
           [](const CLI::App* s) { return !s->get_name().empty() && !s->get_group().empty(); })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::string quoted_list(const std::vector<std::string>& names, std::string_view last_sep) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? std::string(last_sep) : ", ";
    out += "\"" + names[i] + "\"";
  }
  return out;
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: the swap looks two rows back.
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
    }
    before.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

std::vector<std::string> nearest_names(std::string_view word,
                                       const std::vector<std::string>& names) {
  std::string lower(word);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::vector<std::string> out;
  if (lower.size() >= 2) {
    for (const std::string& n : names) {
      if (n.compare(0, lower.size(), lower) == 0) out.push_back(n);
    }
    if (!out.empty()) return out;
  }
  // A typo of one letter in a short word, up to three in a long one: more is another word.
  size_t allowed = lower.size() < 4 ? 1 : lower.size() < 7 ? 2 : 3;
  size_t best = allowed + 1;
  for (const std::string& n : names) {
    size_t d = edit_distance(lower, n);
    if (d < best) {
      best = d;
      out.clear();
    }
    if (d == best) out.push_back(n);
  }
  return out;
}

Status usage_error(const CLI::App& app, const CLI::ParseError& e) {
  // The innermost command given: `tandem backfill stat` stops at backfill.
  const CLI::App* at = &app;
  for (auto parsed = at->get_subcommands(); !parsed.empty(); parsed = at->get_subcommands()) {
    at = parsed.front();
  }
  std::string where = command_text(at);
  std::vector<std::string> commands = visible_commands(at);
  bool command_missing = e.get_name() == "RequiredError" || e.get_name() == "ExtrasError";
  if (commands.empty() || at->get_require_subcommand_min() == 0 || !command_missing) {
    return Status::InvalidInput(e.what(), fmt::format("`{} --help` lists what it accepts", where));
  }
  std::string list =
      fmt::format("{}; `{} --help` describes them", fmt::join(commands, ", "), where);
  std::string word;
  for (const std::string& r : app.remaining(true)) {
    if (!r.empty() && r[0] != '-') {
      word = r;
      break;
    }
  }
  if (word.empty()) {
    return Status::InvalidInput(fmt::format("`{}` needs a command", where), "one of: " + list);
  }
  std::string what = at == &app ? "command" : at->get_name() + " command";
  std::vector<std::string> near = nearest_names(word, commands);
  return Status::InvalidInput(fmt::format("unknown {} \"{}\"", what, word),
                              near.empty()
                                  ? "the commands are: " + list
                                  : fmt::format("did you mean {}?", quoted_list(near, " or ")));
}

}  // namespace tandem::cli
