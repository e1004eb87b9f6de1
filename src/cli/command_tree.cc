#include "cli/command_tree.h"

#include <algorithm>

namespace tandem::cli {
namespace {

// CLI11 appends each validator's description to the type name: "TEXT:{bash,zsh,fish}" for
// CLI::IsMember. The part before the first ':' is the value's name; a "{a,b}" part lists
// the only accepted values.
void split_type_name(const std::string& full, std::string& name,
                     std::vector<std::string>& choices) {
  size_t colon = full.find(':');
  name = full.substr(0, colon);
  while (colon != std::string::npos) {
    size_t next = full.find(':', colon + 1);
    std::string part = full.substr(colon + 1, next == std::string::npos ? next : next - colon - 1);
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      std::string list = part.substr(1, part.size() - 2);
      for (size_t start = 0; start <= list.size();) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (comma > start) choices.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    }
    colon = next;
  }
}

CommandInfo describe_command(const CLI::App& app, std::vector<std::string> path) {
  CommandInfo c;
  c.name = path.empty() ? app.get_name() : path.back();
  c.path = path;
  c.description = app.get_description();
  c.footer = app.get_footer();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    if (!opt->nonpositional()) {
      PositionalInfo p;
      p.name = opt->get_name(true);
      p.description = opt->get_description();
      p.required = opt->get_required();
      p.repeatable = opt->get_items_expected_max() > 1;
      std::string ignored;
      split_type_name(opt->get_type_name(), ignored, p.choices);
      c.positionals.push_back(std::move(p));
      continue;
    }
    OptionInfo o;
    for (const std::string& l : opt->get_lnames()) o.long_names.push_back("--" + l);
    for (const std::string& s : opt->get_snames()) o.short_names.push_back("-" + s);
    o.values = std::max(0, opt->get_items_expected_min());
    if (opt->get_items_expected_max() > 0) {
      split_type_name(opt->get_type_name(), o.value_name, o.choices);
      o.values = std::max(1, o.values);
    }
    o.description = opt->get_description();
    o.default_value = opt->get_default_str();
    c.options.push_back(std::move(o));
  }
  for (const CLI::App* sub : app.get_subcommands(
           [](const CLI::App* s) { return !s->get_name().empty() && !s->get_group().empty(); })) {
    std::vector<std::string> sub_path = path;
    sub_path.push_back(sub->get_name());
    c.commands.push_back(describe_command(*sub, std::move(sub_path)));
  }
  c.needs_command = !c.commands.empty() && app.get_require_subcommand_min() > 0;
  return c;
}

void flatten_into(const CommandInfo& c, std::vector<const CommandInfo*>& out) {
  out.push_back(&c);
  for (const CommandInfo& sub : c.commands) flatten_into(sub, out);
}

}  // namespace

std::string CommandInfo::path_text() const {
  std::string out;
  for (const std::string& p : path) out += (out.empty() ? "" : " ") + p;
  return out;
}

CommandInfo describe(const CLI::App& app) { return describe_command(app, {}); }

std::vector<const CommandInfo*> flatten(const CommandInfo& root) {
  std::vector<const CommandInfo*> out;
  flatten_into(root, out);
  return out;
}

std::vector<const OptionInfo*> options_at(const CommandInfo& root,
                                          const std::vector<std::string>& path) {
  std::vector<const CommandInfo*> chain = {&root};
  for (const std::string& name : path) {
    const auto& subs = chain.back()->commands;
    auto it = std::find_if(subs.begin(), subs.end(),
                           [&](const CommandInfo& s) { return s.name == name; });
    if (it == subs.end()) break;
    chain.push_back(&*it);
  }
  // The command's own options first; a parent's option of the same name (--help) is shadowed.
  std::vector<const OptionInfo*> out;
  auto seen = [&](const OptionInfo& o) {
    return std::any_of(out.begin(), out.end(), [&](const OptionInfo* x) {
      return (!o.long_names.empty() && x->long_names == o.long_names) ||
             (o.long_names.empty() && x->short_names == o.short_names);
    });
  };
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    for (const OptionInfo& o : (*it)->options) {
      if (!seen(o)) out.push_back(&o);
    }
  }
  return out;
}

}  // namespace tandem::cli
