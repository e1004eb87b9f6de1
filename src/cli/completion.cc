#include "cli/completion.h"

#include <fmt/format.h>

#include <algorithm>

namespace tandem::cli {

Result<std::string> completion_script(const CommandInfo& root, std::string_view shell) {
  if (shell == "bash") return bash_completion(root);
  if (shell == "zsh") return zsh_completion(root);
  if (shell == "fish") return fish_completion(root);
  return Status::InvalidInput(fmt::format("no completion script for shell \"{}\"", shell),
                              "use bash, zsh or fish");
}

std::vector<CompletionEntry> completion_entries(const CommandInfo& root) {
  std::vector<CompletionEntry> out;
  for (const CommandInfo* c : flatten(root)) {
    CompletionEntry e;
    e.command = c;
    e.path = c->path_text();
    std::vector<std::string> parent_path = c->path;
    if (!parent_path.empty()) parent_path.pop_back();
    std::vector<const OptionInfo*> above =
        c->path.empty() ? std::vector<const OptionInfo*>{} : options_at(root, parent_path);
    for (const OptionInfo& o : c->options) {
      bool shadowed = std::any_of(above.begin(), above.end(), [&](const OptionInfo* a) {
        return a->long_names == o.long_names && a->short_names == o.short_names;
      });
      if (!shadowed) e.options.push_back(&o);
    }
    e.takes_arguments = c->commands.empty() && !c->positionals.empty();
    if (c->commands.empty() && !c->positionals.empty()) {
      e.argument_choices = c->positionals.front().choices;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string sh_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string first_line(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '.')) line.remove_suffix(1);
  return std::string(line);
}

}  // namespace tandem::cli
