// `tandem compat` on OpenAPI documents, end to end: the example pair, exit codes, text and JSON
// output, the modes, bad input (exit 2 with file:line) and --git with files a $ref names.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace tandem::testing {
namespace {

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

std::string example(const std::string& name) {
  return std::string(TANDEM_SOURCE_DIR) + "/examples/compat/" + name;
}

// The findings of every pair of a JSON report, as (rule, level) pairs.
std::vector<nlohmann::json> findings(const std::string& out) {
  std::vector<nlohmann::json> all;
  auto doc = nlohmann::json::parse(out);
  for (const auto& pair : doc["pairs"])
    for (const auto& f : pair["findings"]) all.push_back(f);
  return all;
}

const nlohmann::json* rule(const std::vector<nlohmann::json>& all, const std::string& id) {
  for (const auto& f : all)
    if (f["rule"] == id) return &f;
  return nullptr;
}

const char* kApi = R"(openapi: 3.1.0
paths:
  /orders:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: 'schemas/order.yaml#/Order'}
)";

TEST(CompatOpenApiCli, ExamplePairBreaksOldClients) {
  CmdResult r = run_tandem_in(example(""), {"compat", "orders-api-v1.yaml", "orders-api-v2.yaml"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("orders-api-v2.yaml:18: error: request-parameter-added-required: "
                       "`GET /orders`, header parameter `tenant`"),
            std::string::npos)
      << r.out;
  // A schema in another file: its own file and line.
  EXPECT_NE(r.out.find("schemas/order-v2.yaml:11: error: enum-value-added"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("orders-api-v1.yaml:56: error: operation-removed"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("openapi 2 version(s), BACKWARD: NOT compatible; 8 error(s)"),
            std::string::npos)
      << r.out;
  // The renamed path parameter is no finding.
  EXPECT_EQ(r.out.find("`GET /orders/{id}`, path parameter"), std::string::npos) << r.out;
}

TEST(CompatOpenApiCli, JsonNamesBothPlacesAndTheModesDiffer) {
  CmdResult r = run_tandem(
      {"compat", "--format", "json", example("orders-api-v1.yaml"), example("orders-api-v2.yaml")});
  ASSERT_EQ(r.code, 1) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["format"], "openapi");
  EXPECT_FALSE(doc["compatible"].get<bool>());
  auto all = findings(r.out);
  const nlohmann::json* removed = rule(all, "operation-removed");
  ASSERT_NE(removed, nullptr) << r.out;
  EXPECT_EQ((*removed)["old"]["pointer"], "/paths/~1orders~1{id}/delete");
  EXPECT_EQ((*removed)["new"]["pointer"], "");
  EXPECT_EQ((*removed)["direction"], "backward");
  const nlohmann::json* body = rule(all, "request-body-became-required");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ((*body)["old"]["pointer"], "/paths/~1orders/post/requestBody");
  EXPECT_EQ((*body)["new"]["pointer"], "/paths/~1orders/post/requestBody");
  EXPECT_GT((*body)["new"]["line"].get<int>(), 0);

  // FORWARD: new clients against the old server. They may send `cancelled` as a status filter,
  // which the old server rejects; the deleted operation is nothing they call.
  CmdResult f = run_tandem({"compat", "--json", "--mode", "FORWARD", example("orders-api-v1.yaml"),
                            example("orders-api-v2.yaml")});
  ASSERT_EQ(f.code, 1) << f.err;
  auto fall = findings(f.out);
  const nlohmann::json* status = rule(fall, "enum-value-added");
  ASSERT_NE(status, nullptr) << f.out;
  EXPECT_EQ((*status)["direction"], "forward");
  EXPECT_NE((*status)["message"].get<std::string>().find("query parameter `status`"),
            std::string::npos);
  const nlohmann::json* op = rule(fall, "operation-removed");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ((*op)["level"], "info");
  EXPECT_EQ(nlohmann::json::parse(
                run_tandem({"compat", "--json", "--mode", "FULL", example("orders-api-v1.yaml"),
                            example("orders-api-v2.yaml")})
                    .out)["pairs"]
                .size(),
            2u);
}

TEST(CompatOpenApiCli, CompatibleChangeExitsZero) {
  TempDir dir;
  write(dir.path() + "/v1.yaml", kApi);
  write(dir.path() + "/schemas/order.yaml",
        "Order: {type: object, required: [id], properties: {id: {type: integer}}}\n");
  std::string v2 =
      std::string(kApi) + "  /customers:\n    get: {responses: {'200': {description: ok}}}\n";
  write(dir.path() + "/v2.yaml", v2);
  CmdResult r = run_tandem({"compat", dir.path() + "/v1.yaml", dir.path() + "/v2.yaml"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("note: path-added"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("BACKWARD: compatible"), std::string::npos) << r.out;
  // --fail-on info counts the note.
  EXPECT_EQ(
      run_tandem({"compat", "--fail-on", "info", dir.path() + "/v1.yaml", dir.path() + "/v2.yaml"})
          .code,
      1);
  CmdResult gh = run_tandem({"compat", "--mode", "FORWARD", "--format", "github",
                             dir.path() + "/v1.yaml", dir.path() + "/v2.yaml"});
  EXPECT_EQ(gh.code, 1);
  EXPECT_NE(gh.out.find("::error file=" + dir.path() + "/v2.yaml"), std::string::npos) << gh.out;
}

TEST(CompatOpenApiCli, BadInputExitsTwoWithFileAndLine) {
  TempDir dir;
  write(dir.path() + "/v1.yaml", kApi);
  write(dir.path() + "/schemas/order.yaml", "Order: {type: object}\n");
  write(dir.path() + "/swagger.yaml", "swagger: '2.0'\ninfo: {title: t, version: '1'}\n");
  CmdResult s = run_tandem({"compat", dir.path() + "/v1.yaml", dir.path() + "/swagger.yaml"});
  EXPECT_EQ(s.code, 2);
  EXPECT_NE(s.err.find(dir.path() + "/swagger.yaml:1: Swagger (OpenAPI) 2.0 is not read"),
            std::string::npos)
      << s.err;
  EXPECT_NE(s.err.find("swagger2openapi"), std::string::npos) << s.err;
  // A $ref to a file that is not there.
  write(dir.path() + "/other/v2.yaml", kApi);
  CmdResult ref = run_tandem({"compat", dir.path() + "/v1.yaml", dir.path() + "/other/v2.yaml"});
  EXPECT_EQ(ref.code, 2);
  EXPECT_NE(ref.err.find(dir.path() + "/other/v2.yaml:10: the $ref schemas/order.yaml#/Order "
                                      "cannot be resolved"),
            std::string::npos)
      << ref.err;
  // --type openapi on something else; an unreadable file.
  write(dir.path() + "/o.avsc", R"({"type": "record", "name": "R", "fields": []})");
  CmdResult t =
      run_tandem({"compat", "--type", "openapi", dir.path() + "/o.avsc", dir.path() + "/o.avsc"});
  EXPECT_EQ(t.code, 2);
  EXPECT_NE(t.err.find("no \"openapi: 3.x\""), std::string::npos) << t.err;
  EXPECT_EQ(run_tandem({"compat", dir.path() + "/v1.yaml", dir.path() + "/none.yaml"}).code, 2);
}

TEST(CompatOpenApiCli, GitReadsReferencedFilesFromTheRevision) {
  ASSERT_FALSE(find_program("git").empty()) << "git is needed (scripts/install-deps.sh)";
  TempDir dir;
  auto git = [&](const std::string& args) {
    return std::system(("cd " + dir.path() + " && git " + args + " >/dev/null 2>&1").c_str());
  };
  ASSERT_EQ(git("init -q"), 0);
  git("config user.email t@example.com");
  git("config user.name t");
  write(dir.path() + "/api.yaml", kApi);
  write(dir.path() + "/schemas/order.yaml",
        "Order: {type: object, required: [id, total], properties: {id: {type: integer}, "
        "total: {type: integer}}}\n");
  ASSERT_EQ(git("add -A && git commit -qm v1"), 0);
  // Only the referenced file changes: old clients lose `total`.
  write(dir.path() + "/schemas/order.yaml",
        "Order: {type: object, required: [id], properties: {id: {type: integer}}}\n");
  CmdResult r = run_tandem_in(dir.path(), {"compat", "--git", "HEAD", "api.yaml"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("field-removed-without-default"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HEAD:api.yaml → api.yaml"), std::string::npos) << r.out;
  EXPECT_EQ(git("checkout -q -- schemas/order.yaml"), 0);
  EXPECT_EQ(run_tandem_in(dir.path(), {"compat", "--git", "HEAD", "api.yaml"}).code, 0);
}

TEST(CompatOpenApiCli, RulesListTheApiRules) {
  CmdResult r = run_tandem({"compat", "--rules"});
  EXPECT_EQ(r.code, 0);
  for (const char* id : {"operation-removed", "request-parameter-added-required",
                         "response-status-removed", "security-requirement-added"})
    EXPECT_NE(r.out.find(id), std::string::npos) << id;
}

}  // namespace
}  // namespace tandem::testing
