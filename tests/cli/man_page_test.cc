// `tandem man`: the man page is rendered from the --help texts; groff (and man, if installed)
// format it without a warning, and every command of --help has its section.

#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace tandem {
namespace {

using testing::find_program;
using testing::help_commands;
using testing::run_program;
using testing::run_tandem;
using testing::TempDir;

class ManPage : public ::testing::Test {
 protected:
  ManPage() {
    auto r = run_tandem({"man"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    page_ = r.out;
    file_ = dir_.write("tandem.1", page_);
  }
  TempDir dir_;
  std::string page_, file_;
};

TEST_F(ManPage, HasTheSectionsOfAManPageInOrder) {
  EXPECT_NE(page_.find("\n.TH TANDEM 1 \"\" \"tandem "), std::string::npos);
  size_t at = 0;
  for (const char* section :
       {".SH NAME\ntandem \\- zero", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS",
        ".SH COMMANDS", ".SH EXAMPLES", ".SH ENVIRONMENT", ".SH EXIT STATUS", ".SH SEE ALSO"}) {
    size_t found = page_.find(section, at);
    ASSERT_NE(found, std::string::npos) << section << " missing or out of order";
    at = found;
  }
}

TEST_F(ManPage, EveryCommandWithItsOptionsAndExamples) {
  for (const std::string& c : help_commands({})) {
    std::string title;  // roff: a minus sign is \-
    for (char ch : c) title += ch == '-' ? std::string("\\-") : std::string(1, ch);
    EXPECT_NE(page_.find(".SS \"" + title + "\"\n"), std::string::npos) << c;
  }
  for (const char* group : {"backfill", "db"}) {
    auto commands = help_commands({group});
    EXPECT_FALSE(commands.empty()) << group;
    for (const std::string& c : commands) {
      EXPECT_NE(page_.find(".SS \"" + std::string(group) + " " + c + "\"\n"), std::string::npos)
          << group << " " << c;
    }
  }
  // From `tandem up --help`: an option with its help, and the examples verbatim.
  EXPECT_NE(page_.find(".TP\n\\fB\\-\\-resume\\fR\nContinue a failed or interrupted migration"),
            std::string::npos);
  EXPECT_NE(page_.find("Examples:\n.RS 4\n.nf\ntandem up\ntandem up \\-\\-to 20261122093000\n"),
            std::string::npos);
  // Global options with their defaults, the environment and the exit codes from --help.
  EXPECT_NE(page_.find("\\fB\\-\\-lock\\-timeout\\fR \\fITEXT\\fR\n"), std::string::npos);
  EXPECT_NE(page_.find("Default: 2s."), std::string::npos);
  EXPECT_NE(page_.find(".TP\n\\fBDATABASE_URL\\fR\nThe database when \\-\\-db is not given."),
            std::string::npos);
  EXPECT_NE(page_.find(".TP\n\\fB4\\fR\nLock not acquired.\n"), std::string::npos);
  // Arguments with fixed choices show them.
  EXPECT_NE(page_.find("\\fBcompletion\\fR \\fIbash|zsh|fish\\fR"), std::string::npos);
  // Nothing but ASCII reaches roff: other characters are groff's glyphs ("…" of --db is ...).
  for (char c : page_) ASSERT_LT(static_cast<unsigned char>(c), 0x80u);
  EXPECT_NE(page_.find("postgres://..., sqlite:PATH"), std::string::npos);
}

TEST_F(ManPage, GroffAndManFormatItWithoutWarnings) {
  std::string groff = find_program("groff");
  ASSERT_FALSE(groff.empty()) << "groff is a test dependency (scripts/install-deps.sh)";
  auto check = run_program(groff, {"-man", "-Tutf8", "-ww", "-z", file_});
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_EQ(check.err, "");
  auto text = run_program(groff, {"-man", "-Tascii", "-P-c", "-P-b", "-P-u", "-ww", file_});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.err, "");
  for (const char* want : {"NAME", "EXIT STATUS", "backfill status", "DATABASE_URL",
                           "tandem up --resume", "tandem backfill resume 0007/orders"}) {
    EXPECT_NE(text.out.find(want), std::string::npos) << want;
  }
  std::string man = find_program("man");
  if (man.empty()) return;
  auto shown = run_program("/bin/sh", {"-c", "MANPAGER=cat MANWIDTH=100 LC_ALL=C.UTF-8 " + man +
                                                 " --warnings -l " + file_ + " >/dev/null"});
  EXPECT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(shown.err, "");
}

}  // namespace
}  // namespace tandem
