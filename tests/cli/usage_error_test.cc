// Command-line mistakes end to end: an unknown command names the nearest one, a missing one
// lists them, other parse errors keep tandem's `error:` / `hint:` shape — all exit 2.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace tandem {
namespace {

using testing::run_tandem;

// stderr must carry exactly tandem's two lines for a usage error.
void expect_usage_error(const testing::CmdResult& r, const std::string& error,
                        const std::string& hint) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err, "error: " + error + "\n  hint: " + hint + "\n");
  EXPECT_EQ(r.out, "");
}

TEST(UnknownCommand, NamesTheNearestCommand) {
  expect_usage_error(run_tandem({"stauts"}), "unknown command \"stauts\"",
                     "did you mean \"status\"?");
  expect_usage_error(run_tandem({"vrify"}), "unknown command \"vrify\"",
                     "did you mean \"verify\"?");
  // A prefix names every command it begins.
  expect_usage_error(run_tandem({"re"}), "unknown command \"re\"",
                     "did you mean \"registry\" or \"repair\"?");
  expect_usage_error(run_tandem({"ro"}), "unknown command \"ro\"", "did you mean \"rollback\"?");
  expect_usage_error(run_tandem({"comp"}), "unknown command \"comp\"",
                     "did you mean \"complete\", \"compat\" or \"completion\"?");
}

TEST(UnknownCommand, AfterGlobalOptionsAndTheirValues) {
  auto r = run_tandem({"--db", "sqlite::memory:", "--dir", "status", "stauts", "--json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("error: unknown command \"stauts\""), std::string::npos) << r.err;
  // --json: the error as a JSON document on stdout too.
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["error"]["code"], 2);
  EXPECT_EQ(j["error"]["hint"], "did you mean \"status\"?");
}

TEST(UnknownCommand, ListsTheCommandsWhenNoneIsClose) {
  auto r = run_tandem({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("error: unknown command \"frobnicate\"\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  hint: the commands are: init, new, status, up, down, plan"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("completion, man; `tandem --help` describes them"), std::string::npos)
      << r.err;
}

TEST(UnknownCommand, OfACommandGroup) {
  expect_usage_error(run_tandem({"backfill", "stat"}), "unknown backfill command \"stat\"",
                     "did you mean \"status\"?");
  expect_usage_error(run_tandem({"backfill", "puase"}), "unknown backfill command \"puase\"",
                     "did you mean \"pause\"?");
  expect_usage_error(run_tandem({"backfill", "xyz"}), "unknown backfill command \"xyz\"",
                     "the commands are: status, pause, resume, cancel; `tandem backfill --help` "
                     "describes them");
}

TEST(MissingCommand, ListsTheCommands) {
  auto r = run_tandem({});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("error: `tandem` needs a command\n  hint: one of: init, new, status"),
            std::string::npos)
      << r.err;
  expect_usage_error(run_tandem({"backfill"}), "`tandem backfill` needs a command",
                     "one of: status, pause, resume, cancel; `tandem backfill --help` describes "
                     "them");
}

TEST(UsageErrors, KeepTandemsShapeAndExitTwo) {
  auto r = run_tandem({"up", "--bogus"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  hint: `tandem up --help` lists what it accepts"), std::string::npos)
      << r.err;
  r = run_tandem({"new"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("NAME"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: `tandem new --help`"), std::string::npos) << r.err;
  r = run_tandem({"completion", "tcsh"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("tcsh"), std::string::npos) << r.err;
  // --help and --version still exit 0.
  EXPECT_EQ(run_tandem({"--help"}).code, 0);
  EXPECT_EQ(run_tandem({"backfill", "--help"}).code, 0);
  EXPECT_EQ(run_tandem({"--version"}).code, 0);
}

}  // namespace
}  // namespace tandem
