// `tandem compat` end to end: the binary on real files — exit codes, every output format,
// exceptions from the config, annotations, --git against a real repository, bad input.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "test_util.h"

namespace tandem::testing {
namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const char* kV1 = R"({"type": "record", "name": "OrderCreated", "namespace": "com.acme",
 "fields": [
   {"name": "id", "type": "long"},
   {"name": "total_amount", "type": "int"}
 ]}
)";
const char* kV2 = R"({"type": "record", "name": "OrderCreated", "namespace": "com.acme",
 "fields": [
   {"name": "id", "type": "long"},
   {"name": "total_amount", "type": "long"},
   {"name": "currency", "type": "string", "default": "USD"}
 ]}
)";
// v3 adds a field without a default: not BACKWARD compatible.
const char* kV3 = R"({"type": "record", "name": "OrderCreated", "namespace": "com.acme",
 "fields": [
   {"name": "id", "type": "long"},
   {"name": "total_amount", "type": "long"},
   {"name": "currency", "type": "string", "default": "USD"},
   {"name": "email", "type": "string"}
 ]}
)";

class CompatCli : public ::testing::Test {
 protected:
  void SetUp() override {
    write(dir.path() + "/v1.avsc", kV1);
    write(dir.path() + "/v2.avsc", kV2);
    write(dir.path() + "/v3.avsc", kV3);
  }
  std::string p(const std::string& name) const { return dir.path() + "/" + name; }
  TempDir dir;
};

TEST_F(CompatCli, CompatiblePairExitsZero) {
  CmdResult r = run_tandem({"compat", p("v1.avsc"), p("v2.avsc")});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("BACKWARD: compatible"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("type-widened"), std::string::npos) << r.out;
}

TEST_F(CompatCli, BreakingPairExitsOneWithFileLineAndRule) {
  CmdResult r = run_tandem({"compat", p("v2.avsc"), p("v3.avsc")});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  // gcc style, at the new schema's line of the added field.
  EXPECT_NE(r.out.find(p("v3.avsc") + ":6: error: field-added-without-default"), std::string::npos)
      << r.out;
}

TEST_F(CompatCli, ModesAndTransitive) {
  // FORWARD: old readers of v2 data: int ← long is narrowed.
  EXPECT_EQ(run_tandem({"compat", "--mode", "FORWARD", p("v1.avsc"), p("v2.avsc")}).code, 1);
  // v1 → v2 → v3: plain BACKWARD compares v2/v3 (breaks); NONE checks nothing.
  EXPECT_EQ(run_tandem({"compat", "--mode", "NONE", p("v1.avsc"), p("v2.avsc"), p("v3.avsc")}).code,
            0);
  CmdResult t = run_tandem({"compat", "--json", "--mode", "BACKWARD_TRANSITIVE", p("v1.avsc"),
                            p("v2.avsc"), p("v3.avsc")});
  EXPECT_EQ(t.code, 1);
  auto j = nlohmann::json::parse(t.out);
  EXPECT_EQ(j["pairs"].size(), 3u);  // 1→2, 1→3, 2→3
  EXPECT_EQ(j["mode"], "BACKWARD_TRANSITIVE");
  EXPECT_FALSE(j["compatible"].get<bool>());
  CmdResult plain =
      run_tandem({"compat", "--json", "--mode", "full", p("v1.avsc"), p("v2.avsc"), p("v3.avsc")});
  EXPECT_EQ(nlohmann::json::parse(plain.out)["pairs"].size(), 4u);  // 2 pairs × 2 directions
}

TEST_F(CompatCli, EveryOutputFormat) {
  CmdResult sarif = run_tandem({"compat", "--format", "sarif", p("v2.avsc"), p("v3.avsc")});
  EXPECT_EQ(sarif.code, 1);
  auto s = nlohmann::json::parse(sarif.out);
  EXPECT_EQ(s["version"], "2.1.0");
  bool found = false;
  for (const auto& res : s["runs"][0]["results"])
    if (res["ruleId"] == "field-added-without-default" && res["level"] == "error") found = true;
  EXPECT_TRUE(found) << sarif.out;
  CmdResult gh = run_tandem({"compat", "--format", "github", p("v2.avsc"), p("v3.avsc")});
  EXPECT_NE(gh.out.find("::error file=" + p("v3.avsc") +
                        ",line=6,title=tandem compat "
                        "field-added-without-default::"),
            std::string::npos)
      << gh.out;
  CmdResult junit = run_tandem({"compat", "--format", "junit", p("v2.avsc"), p("v3.avsc")});
  EXPECT_NE(junit.out.find("<testsuites name=\"tandem compat\" tests=\"1\" failures=\"1\">"),
            std::string::npos)
      << junit.out;
  EXPECT_NE(junit.out.find("<failure type=\"field-added-without-default\""), std::string::npos);
  CmdResult bad = run_tandem({"compat", "--format", "xml", p("v2.avsc"), p("v3.avsc")});
  EXPECT_EQ(bad.code, 2);
}

TEST_F(CompatCli, FailOnWarningCountsWarnings) {
  write(p("e1.avsc"), R"({"type":"enum","name":"E","symbols":["U","A"],"default":"U"})");
  write(p("e2.avsc"), R"({"type":"enum","name":"E","symbols":["U","A","B"],"default":"U"})");
  EXPECT_EQ(run_tandem({"compat", "--mode", "FORWARD", p("e1.avsc"), p("e2.avsc")}).code, 0);
  EXPECT_EQ(run_tandem(
                {"compat", "--mode", "FORWARD", "--fail-on", "warning", p("e1.avsc"), p("e2.avsc")})
                .code,
            1);
}

TEST_F(CompatCli, ExceptionSilencesUntilItExpires) {
  write(p("tandem.yaml"), R"(compat:
  exceptions:
    - rule: field-added-without-default
      file: v3.avsc
      reason: every consumer reads v3 since 2026-11 (OPS-42)
      expires: 2999-12-31
)");
  CmdResult r = run_tandem_in(dir.path(), {"compat", "v2.avsc", "v3.avsc"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ignored: every consumer reads v3 since 2026-11 (OPS-42)"),
            std::string::npos)
      << r.out;
  write(p("tandem.yaml"), R"(compat:
  exceptions:
    - rule: field-added-without-default
      reason: agreed
      expires: 2001-01-01
)");
  CmdResult expired = run_tandem_in(dir.path(), {"compat", "v2.avsc", "v3.avsc"});
  EXPECT_EQ(expired.code, 1);
  EXPECT_NE(expired.out.find("expired on 2001-01-01"), std::string::npos) << expired.out;
  // An exception without a reason or a date is refused: exit 2, with the line.
  write(p("tandem.yaml"), "compat:\n  exceptions:\n    - rule: field-added-without-default\n");
  CmdResult bad = run_tandem_in(dir.path(), {"compat", "v2.avsc", "v3.avsc"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("tandem.yaml:3"), std::string::npos) << bad.err;
}

TEST_F(CompatCli, BadSchemasExitTwoWithFileAndLine) {
  write(p("broken.avsc"),
        "{\"type\": \"record\", \"name\": \"R\",\n \"fields\": [\n  {\"name\": "
        "\"a\", \"type\": \"Missing\"}\n ]}\n");
  CmdResult r = run_tandem({"compat", p("v1.avsc"), p("broken.avsc")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(p("broken.avsc") + ":3: unknown type \"Missing\""), std::string::npos)
      << r.err;
  write(p("syntax.avsc"), "{\"type\": \"record\",\n \"name\": \"R\" \"fields\": []}");
  CmdResult s = run_tandem({"compat", p("v1.avsc"), p("syntax.avsc")});
  EXPECT_EQ(s.code, 2);
  EXPECT_NE(s.err.find(p("syntax.avsc") + ":2:"), std::string::npos) << s.err;
  write(
      p("default.avsc"),
      R"({"type":"record","name":"R","fields":[{"name":"a","type":["null","int"],"default":1}]})");
  CmdResult d = run_tandem({"compat", p("v1.avsc"), p("default.avsc")});
  EXPECT_EQ(d.code, 2);
  EXPECT_NE(d.err.find("put that branch first"), std::string::npos) << d.err;
  CmdResult missing = run_tandem({"compat", p("v1.avsc"), p("nope.avsc")});
  EXPECT_EQ(missing.code, 2);
  CmdResult one = run_tandem({"compat", p("v1.avsc")});
  EXPECT_EQ(one.code, 2);
  write(p("s.json"), R"({"type":"object","properties":{"a":{"$ref":"other.json#/x"}}})");
  write(p("t.json"), R"({"type":"object"})");
  CmdResult ref = run_tandem({"compat", p("t.json"), p("s.json")});
  EXPECT_EQ(ref.code, 2);
  EXPECT_NE(ref.err.find("cannot be resolved"), std::string::npos) << ref.err;
}

TEST_F(CompatCli, RefsAcrossFilesResolve) {
  write(p("money.json"), R"({"$defs": {"amount": {"type": "integer", "minimum": 0}}})");
  write(p("o1.json"),
        R"({"type":"object","properties":{"total":{"$ref":"money.json#/$defs/amount"}}})");
  write(p("money2.json"), R"({"$defs": {"amount": {"type": "integer", "minimum": 1}}})");
  write(p("o2.json"),
        R"({"type":"object","properties":{"total":{"$ref":"money2.json#/$defs/amount"}}})");
  CmdResult r = run_tandem({"compat", p("o1.json"), p("o2.json")});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("range-narrowed"), std::string::npos) << r.out;
}

TEST_F(CompatCli, GitComparesTheWorkingTreeWithARevision) {
  ASSERT_FALSE(find_program("git").empty()) << "git is needed (scripts/install-deps.sh)";
  auto git = [&](const std::string& args) {
    return std::system(("cd " + dir.path() + " && git " + args + " >/dev/null 2>&1").c_str());
  };
  ASSERT_EQ(git("init -q"), 0);
  git("config user.email t@example.com");
  git("config user.name t");
  write(p("schemas.avsc"), kV2);
  ASSERT_EQ(git("add schemas.avsc && git commit -qm v2"), 0);
  write(p("schemas.avsc"), kV3);
  CmdResult r = run_tandem_in(dir.path(), {"compat", "--git", "HEAD", "schemas.avsc"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("HEAD:schemas.avsc → schemas.avsc"), std::string::npos) << r.out;
  write(p("schemas.avsc"), kV2);
  EXPECT_EQ(run_tandem_in(dir.path(), {"compat", "--git", "HEAD", "schemas.avsc"}).code, 0);
  CmdResult bad = run_tandem_in(dir.path(), {"compat", "--git", "no-such-ref", "schemas.avsc"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("no such revision"), std::string::npos) << bad.err;
}

TEST_F(CompatCli, RulesAndHelp) {
  CmdResult r = run_tandem({"compat", "--rules"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("field-added-without-default"), std::string::npos);
  CmdResult h = run_tandem({"compat", "--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("Examples:"), std::string::npos);
}

}  // namespace
}  // namespace tandem::testing
