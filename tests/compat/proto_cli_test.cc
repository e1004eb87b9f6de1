// `tandem compat` on .proto files end to end: exit codes, -I with an import, a missing import
// (exit 2 with file:line and the -I hint), --category, the category in every output format.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace tandem::testing {
namespace {

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

const char* kMoney = R"(syntax = "proto3";
package acme.common;

message Money {
  int64 units = 1;
  string currency = 2;
}
)";

const char* kV1 = R"(syntax = "proto3";
package acme.orders;

import "common/money.proto";

message OrderCreated {
  int64 id = 1;
  int32 total_amount = 2;
  acme.common.Money total = 3;
}
)";

// v2 widens total_amount (int32 → int64): BACKWARD compatible, FORWARD narrowed.
const char* kV2 = R"(syntax = "proto3";
package acme.orders;

import "common/money.proto";

message OrderCreated {
  int64 id = 1;
  int64 total_amount = 2;
  acme.common.Money total = 3;
  string note = 4;
}
)";

// v3 only moves the package: the bytes read (WIRE), generated code does not (FILE).
const char* kV3 = R"(syntax = "proto3";
package acme.sales;

import "common/money.proto";

message OrderCreated {
  int64 id = 1;
  int64 total_amount = 2;
  acme.common.Money total = 3;
  string note = 4;
}
)";

class CompatProtoCli : public ::testing::Test {
 protected:
  void SetUp() override {
    write(p("protos/common/money.proto"), kMoney);
    write(p("v1/order.proto"), kV1);
    write(p("v2/order.proto"), kV2);
    write(p("v3/order.proto"), kV3);
  }
  std::string p(const std::string& name) const { return dir.path() + "/" + name; }
  TempDir dir;
};

TEST_F(CompatProtoCli, ImportThroughIncludePathAndExitCodes) {
  CmdResult ok =
      run_tandem({"compat", "-I", p("protos"), p("v1/order.proto"), p("v2/order.proto")});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("protobuf 2 version(s), BACKWARD: compatible"), std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find("type-widened [WIRE]"), std::string::npos) << ok.out;

  CmdResult fwd = run_tandem({"compat", "--proto-path", p("protos"), "--mode", "FORWARD",
                              p("v1/order.proto"), p("v2/order.proto")});
  EXPECT_EQ(fwd.code, 1) << fwd.out << fwd.err;
  // gcc style, at the old reader's line of the field.
  EXPECT_NE(fwd.out.find(p("v1/order.proto") + ":8: error: type-narrowed [WIRE]"),
            std::string::npos)
      << fwd.out;
}

TEST_F(CompatProtoCli, MissingImportExitsTwoWithFileLineAndHint) {
  CmdResult r = run_tandem({"compat", p("v1/order.proto"), p("v2/order.proto")});
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(p("v1/order.proto") + ":4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("common/money.proto"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-I DIR"), std::string::npos) << r.err;
}

TEST_F(CompatProtoCli, SyntaxErrorExitsTwoWithFileLineColumn) {
  write(p("bad/order.proto"), "syntax = \"proto3\";\nmessage A {\n  int32 x = ;\n}\n");
  CmdResult r =
      run_tandem({"compat", p("v1/order.proto"), p("bad/order.proto"), "-I", p("protos")});
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(p("bad/order.proto") + ":3:"), std::string::npos) << r.err;
}

TEST_F(CompatProtoCli, CategoryDecidesWhatFails) {
  std::vector<std::string> args = {
      "compat", "-I", p("protos"), "--mode", "FULL", p("v2/order.proto"), p("v3/order.proto")};
  // Without --category every finding counts: package-changed (FILE) fails.
  CmdResult all = run_tandem(args);
  EXPECT_EQ(all.code, 1) << all.out;
  EXPECT_NE(all.out.find("package-changed [FILE]"), std::string::npos) << all.out;
  auto with = [&](const std::string& category) {
    std::vector<std::string> a = args;
    a.push_back("--category");
    a.push_back(category);
    return run_tandem(a);
  };
  CmdResult wire = with("WIRE");
  EXPECT_EQ(wire.code, 0) << wire.out;  // the bytes still read
  EXPECT_NE(wire.out.find("ignored error: package-changed"), std::string::npos) << wire.out;
  EXPECT_EQ(with("wire_json").code, 0);
  EXPECT_EQ(with("FILE").code, 1);
  CmdResult bad = with("BYTES");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--category"), std::string::npos) << bad.err;
}

TEST_F(CompatProtoCli, CategoryInJsonAndSarif) {
  CmdResult j =
      run_tandem({"compat", "--json", "-I", p("protos"), p("v2/order.proto"), p("v3/order.proto")});
  EXPECT_EQ(j.code, 1) << j.out << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["format"], "protobuf");
  bool found = false;
  for (const auto& f : doc["pairs"][0]["findings"])
    if (f["rule"] == "package-changed" && f["category"] == "FILE") found = true;
  EXPECT_TRUE(found) << j.out;
  CmdResult s = run_tandem(
      {"compat", "--format", "sarif", "-I", p("protos"), p("v2/order.proto"), p("v3/order.proto")});
  auto sarif = nlohmann::json::parse(s.out);
  found = false;
  for (const auto& r : sarif["runs"][0]["results"])
    if (r["ruleId"] == "package-changed" && r["properties"]["category"] == "FILE") found = true;
  EXPECT_TRUE(found) << s.out;
}

TEST_F(CompatProtoCli, RulesListTheProtobufRules) {
  CmdResult r = run_tandem({"compat", "--rules"});
  EXPECT_EQ(r.code, 0);
  for (const char* id : {"field-number-reused", "package-changed", "reserved-removed",
                         "enum-value-number-changed", "message-removed"})
    EXPECT_NE(r.out.find(id), std::string::npos) << id;
}

}  // namespace
}  // namespace tandem::testing
