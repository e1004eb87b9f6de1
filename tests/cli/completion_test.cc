// `tandem completion bash|zsh|fish` end to end: each script is loaded into the real shell and
// asked to complete partial commands and options. bash always; zsh and fish when installed
// (scripts/install-deps.sh installs them), else their scripts' content is checked.

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "test_util.h"

namespace tandem {
namespace {

using testing::find_program;
using testing::help_commands;
using testing::run_program;
using testing::run_tandem;
using testing::TempDir;
using Words = std::vector<std::string>;

Words lines_of(const std::string& text) {
  Words out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

Words sorted(Words w) {
  std::sort(w.begin(), w.end());
  return w;
}

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class Completion : public ::testing::Test {
 protected:
  std::string script(const std::string& shell) {
    auto r = run_tandem({"completion", shell});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    return dir_.write("tandem." + shell, r.out);
  }
  TempDir dir_;
};

// COMPREPLY of bash's completion function for `words` (the last one is being completed).
Words bash_complete(const std::string& script, const Words& words) {
  std::string array;
  for (const std::string& w : words) {
    array += ' ';  // not `" " + …`: a false GCC 12 -Wrestrict at -O3
    array += sh_quote(w);
  }
  auto r =
      run_program("/bin/bash", {"--norc", "--noprofile", "-c",
                                "source " + sh_quote(script) + " || exit 9\n" + "COMP_WORDS=(" +
                                    array + ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
                                    "\n_tandem || exit 8\nprintf '%s\\n' \"${COMPREPLY[@]}\""});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  return sorted(lines_of(r.out));
}

TEST_F(Completion, BashCompletesCommandsSubcommandsAndOptions) {
  std::string bash = script("bash");
  // Registered for `tandem`.
  auto reg = run_program("/bin/bash",
                         {"--norc", "-c", "source " + sh_quote(bash) + "; complete -p tandem"});
  EXPECT_EQ(reg.out, "complete -F _tandem tandem\n") << reg.err;

  EXPECT_EQ(bash_complete(bash, {"tandem", "sta"}), (Words{"start", "status"}));
  EXPECT_EQ(bash_complete(bash, {"tandem", ""}), sorted(help_commands({})));
  EXPECT_EQ(bash_complete(bash, {"tandem", "up", "--al"}),
            (Words{"--allow-out-of-order", "--allow-unsafe"}));
  // A command's own options and, as they work after it too, the global ones.
  EXPECT_EQ(bash_complete(bash, {"tandem", "status", "--ex"}), (Words{"--exit-code"}));
  EXPECT_EQ(bash_complete(bash, {"tandem", "status", "--lock-t"}), (Words{"--lock-timeout"}));
  EXPECT_EQ(bash_complete(bash, {"tandem", "--js"}), (Words{"--json"}));
  // Subcommands of a group, and the group's path past global options and their values.
  EXPECT_EQ(bash_complete(bash, {"tandem", "backfill", ""}), sorted(help_commands({"backfill"})));
  EXPECT_EQ(bash_complete(bash, {"tandem", "db", ""}), (Words{"create", "drop", "wait"}));
  EXPECT_EQ(bash_complete(bash, {"tandem", "db", "drop", "--fo"}), (Words{"--force"}));
  EXPECT_EQ(bash_complete(bash, {"tandem", "db", "wait", "--ti"}), (Words{"--timeout"}));
  EXPECT_EQ(bash_complete(bash, {"tandem", "--db", "status", "backfill", "re"}), (Words{"resume"}));
  EXPECT_EQ(bash_complete(bash, {"tandem", "--dir", "x", "back"}), (Words{"backfill"}));
  // An option's value: its choices, else nothing (bash completes file names).
  EXPECT_EQ(bash_complete(bash, {"tandem", "completion", "z"}), (Words{"zsh"}));
  EXPECT_EQ(bash_complete(bash, {"tandem", "--dir", "st"}), Words{});
  EXPECT_EQ(bash_complete(bash, {"tandem", "verify", "--tables", "a", "b", "--ch"}),
            (Words{"--chunk"}));
  // A command without subcommands offers no commands.
  EXPECT_EQ(bash_complete(bash, {"tandem", "status", "st"}), Words{});
}

TEST_F(Completion, ZshScript) {
  std::string zsh_script = script("zsh");
  std::string text = testing::read_file(zsh_script);
  EXPECT_EQ(text.rfind("#compdef tandem\n", 0), 0u);
  EXPECT_NE(text.find("'status:show applied, pending and failed migrations'"), std::string::npos);
  EXPECT_NE(text.find("'--exit-code:exit 1 when migrations are pending or failed'"),
            std::string::npos);
  std::string zsh = find_program("zsh");
  if (zsh.empty()) {
    std::cerr << "zsh is not installed: checked the script's content only\n";
    return;
  }
  auto syntax = run_program(zsh, {"-n", zsh_script});
  EXPECT_EQ(syntax.code, 0) << syntax.err;
  // Loaded by compinit from an fpath folder, as installed: the completion is registered.
  TempDir fpath;
  fpath.write("_tandem", text);
  auto loaded = run_program(zsh, {"-f", "-c",
                                  "fpath=(" + sh_quote(fpath.path()) +
                                      " $fpath); autoload -U compinit; compinit -u -D; "
                                      "print -r -- ${_comps[tandem]}"});
  EXPECT_EQ(loaded.out, "_tandem\n") << loaded.err;
  // The function itself, with zsh's completion builtins replaced by printers: the entries it
  // offers for a command line (_describe filters them by prefix in a real shell).
  auto complete = [&](const Words& words) {
    std::string array;
    for (const std::string& w : words) {
      array += ' ';  // not `" " + …`: a false GCC 12 -Wrestrict at -O3
      array += sh_quote(w);
    }
    auto r =
        run_program(zsh, {"-f", "-c",
                          "compdef() { :; }\n_describe() { print -rl -- \"${(@P)${@[-1]}}\"; }\n"
                          "_files() { print -r -- '<files>'; }\nsource " +
                              sh_quote(zsh_script) + "\nwords=(" + array +
                              ")\nCURRENT=" + std::to_string(words.size()) +
                              "\nPREFIX=" + sh_quote(words.back()) + "\n_tandem"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    Words names;
    for (const std::string& l : lines_of(r.out)) names.push_back(l.substr(0, l.find(':')));
    return sorted(names);
  };
  EXPECT_EQ(complete({"tandem", "sta"}), sorted(help_commands({})));
  EXPECT_EQ(complete({"tandem", "--db", "x", "backfill", "re"}),
            sorted(help_commands({"backfill"})));
  Words up = complete({"tandem", "up", "--al"});
  for (const char* want : {"--allow-unsafe", "--allow-out-of-order", "--to", "--db", "--json"}) {
    EXPECT_NE(std::find(up.begin(), up.end(), want), up.end()) << want;
  }
  EXPECT_EQ(std::find(up.begin(), up.end(), "--exit-code"), up.end());
  EXPECT_EQ(complete({"tandem", "completion", ""}), (Words{"bash", "fish", "zsh"}));
  EXPECT_EQ(complete({"tandem", "--config", ""}), (Words{"<files>"}));
  EXPECT_EQ(complete({"tandem", "lint", ""}), (Words{"<files>"}));
}

TEST_F(Completion, FishScript) {
  std::string fish_script = script("fish");
  std::string text = testing::read_file(fish_script);
  EXPECT_NE(text.find("complete -c tandem -n '__tandem_at \\'\\'' -a 'status' -d 'show applied, "
                      "pending and failed migrations'"),
            std::string::npos)
      << text;
  std::string fish = find_program("fish");
  if (fish.empty()) {
    std::cerr << "fish is not installed: checked the script's content only\n";
    return;
  }
  auto syntax = run_program(fish, {"--no-execute", fish_script});
  EXPECT_EQ(syntax.code, 0) << syntax.err;
  // fish completes a whole command line itself: `complete -C`.
  auto complete = [&](const std::string& line) {
    auto r =
        run_program(fish, {"--no-config", "-c",
                           "source " + sh_quote(fish_script) + "; complete -C " + sh_quote(line)});
    EXPECT_EQ(r.code, 0) << r.err;
    Words names;
    for (const std::string& l : lines_of(r.out)) names.push_back(l.substr(0, l.find('\t')));
    return sorted(names);
  };
  EXPECT_EQ(complete("tandem sta"), (Words{"start", "status"}));
  EXPECT_EQ(complete("tandem "), sorted(help_commands({})));
  EXPECT_EQ(complete("tandem up --al"), (Words{"--allow-out-of-order", "--allow-unsafe"}));
  EXPECT_EQ(complete("tandem status --ex"), (Words{"--exit-code"}));
  EXPECT_EQ(complete("tandem --db x backfill re"), (Words{"resume"}));
  EXPECT_EQ(complete("tandem completion "), (Words{"bash", "fish", "zsh"}));
  EXPECT_EQ(complete("tandem status st"), Words{});
}

}  // namespace
}  // namespace tandem
