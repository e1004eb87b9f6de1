// The OpenAPI reader and the API walker beyond the corpus: the places findings name in both
// documents, $refs across files, the modes, and input the reader refuses (exit 2 material).

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "compat/compat_test_util.h"
#include "tandem/compat.h"

namespace tandem::compat {
namespace {

namespace fs = std::filesystem;
using testing::rules_at;

// A folder of API files, removed at the end.
class Files {
 public:
  Files() {
    char tmpl[] = "/tmp/tandem-openapi-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~Files() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string path = dir_ + "/" + name;
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }

 private:
  std::string dir_;
};

Result<Report> check(const std::string& old_text, const std::string& new_text,
                     Mode mode = Mode::kBackward) {
  CheckOptions options;
  options.mode = mode;
  return check_texts({old_text, new_text}, {"old.yaml", "new.yaml"}, Format::kOpenApi, options);
}

const Finding* find(const Report& r, const std::string& rule) {
  for (const PairReport& p : r.pairs)
    for (const Finding& f : p.findings)
      if (f.rule == rule) return &f;
  return nullptr;
}

const char* kOrderV1 = R"(openapi: 3.0.3
paths:
  /orders/{id}:
    get:
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: integer}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Order'}
components:
  schemas:
    Order:
      type: object
      required: [id, total]
      properties:
        id: {type: integer}
        total: {type: integer}
)";

const char* kOrderV2 = R"(openapi: 3.0.3
paths:
  /orders/{id}:
    get:
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: string}
        - name: expand
          in: query
          required: true
          schema: {type: boolean}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Order'}
components:
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id: {type: integer}
)";

TEST(CompatOpenApi, FindingsNamePointersAndLinesInBothDocuments) {
  auto r = check(kOrderV1, kOrderV2);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->format, Format::kOpenApi);
  EXPECT_FALSE(r->compatible());

  const Finding* added = find(*r, "request-parameter-added-required");
  ASSERT_NE(added, nullptr) << render(*r, OutputFormat::kText);
  EXPECT_EQ(added->level, Level::kError);
  EXPECT_EQ(added->new_place.file, "new.yaml");
  EXPECT_EQ(added->new_place.pointer, "/paths/~1orders~1{id}/get/parameters/1");
  EXPECT_EQ(added->new_place.line, 10);
  EXPECT_EQ(added->old_place.pointer, "");  // the old document has no such parameter
  EXPECT_NE(added->message.find("`GET /orders/{id}`, query parameter `expand`"), std::string::npos)
      << added->message;

  // A schema-level rule inside a parameter: the same id as JSON Schema's, both places.
  const Finding* type = find(*r, "type-changed");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->old_place.pointer, "/paths/~1orders~1{id}/get/parameters/0/schema");
  EXPECT_EQ(type->new_place.pointer, "/paths/~1orders~1{id}/get/parameters/0/schema");
  EXPECT_EQ(type->old_place.line, 9);
  EXPECT_EQ(type->new_place.line, 9);

  // The response is read by old clients: a required property the new server drops.
  const Finding* removed = find(*r, "field-removed-without-default");
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->old_place.pointer, "/components/schemas/Order/properties/total");
  EXPECT_EQ(removed->old_place.file, "old.yaml");
  EXPECT_NE(removed->message.find("response 200, `application/json`"), std::string::npos)
      << removed->message;
  // Every finding of a BACKWARD pair says so, whoever reads.
  for (const Finding& f : r->pairs.at(0).findings) EXPECT_EQ(f.direction, Direction::kBackward);
}

TEST(CompatOpenApi, ModesPickTheClientsAndTheServer) {
  auto backward = check(kOrderV1, kOrderV2, Mode::kBackward);
  auto forward = check(kOrderV1, kOrderV2, Mode::kForward);
  auto full = check(kOrderV1, kOrderV2, Mode::kFull);
  ASSERT_TRUE(backward.ok() && forward.ok() && full.ok());
  ASSERT_EQ(backward->pairs.size(), 1u);
  ASSERT_EQ(forward->pairs.size(), 1u);
  EXPECT_EQ(forward->pairs[0].direction, Direction::kForward);
  EXPECT_EQ(full->pairs.size(), 2u);
  std::set<std::string> b = rules_at(*backward, Level::kError);
  std::set<std::string> f = rules_at(*forward, Level::kError);
  EXPECT_TRUE(b.count("field-removed-without-default"));
  EXPECT_FALSE(f.count("field-removed-without-default"));  // new clients do not need `total`
  // New clients send `expand`, an old server ignores it: a warning, not an error.
  EXPECT_FALSE(f.count("request-parameter-added-required"));
  EXPECT_TRUE(rules_at(*forward, Level::kWarning).count("request-parameter-added"));
  // NONE reads both and judges nothing.
  auto none = check(kOrderV1, kOrderV2, Mode::kNone);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->pairs.empty());
}

TEST(CompatOpenApi, RefsAcrossFiles) {
  Files files;
  files.write("v1/common.yaml", R"(components:
  parameters:
    Limit: {name: limit, in: query, schema: {type: integer, maximum: 100}}
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        lines: {type: array, items: {$ref: 'lines.yaml#/Line'}}
)");
  files.write("v1/lines.yaml", "Line: {type: object, properties: {qty: {type: integer}}}\n");
  std::string api = R"(openapi: 3.1.0
paths:
  /orders:
    get:
      parameters: [{$ref: 'common.yaml#/components/parameters/Limit'}]
      responses:
        '200':
          description: ok
          content:
            application/json: {schema: {$ref: 'common.yaml#/components/schemas/Order'}}
)";
  std::string v1 = files.write("v1/api.yaml", api);
  files.write("v2/common.yaml", R"(components:
  parameters:
    Limit: {name: limit, in: query, schema: {type: integer, maximum: 50}}
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        lines: {type: array, items: {$ref: 'lines.yaml#/Line'}}
)");
  files.write("v2/lines.yaml", "Line: {type: object, properties: {qty: {type: string}}}\n");
  std::string v2 = files.write("v2/api.yaml", api);
  CheckOptions options;
  auto r = check_files({v1, v2}, options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->format, Format::kOpenApi);
  std::set<std::string> errors = rules_at(*r, Level::kError);
  EXPECT_TRUE(errors.count("range-narrowed")) << render(*r, OutputFormat::kText);
  EXPECT_TRUE(errors.count("type-changed")) << render(*r, OutputFormat::kText);
  // A place in another file names that file, not the document that refers to it.
  const Finding* qty = find(*r, "type-changed");
  ASSERT_NE(qty, nullptr);
  EXPECT_NE(qty->new_place.file.find("v2/lines.yaml"), std::string::npos) << qty->new_place.file;
  EXPECT_EQ(qty->new_place.pointer, "/Line/properties/qty");
  EXPECT_EQ(qty->new_place.line, 1);
  const Finding* limit = find(*r, "range-narrowed");
  ASSERT_NE(limit, nullptr);
  EXPECT_NE(limit->old_place.file.find("v1/common.yaml"), std::string::npos);
  // The same files twice: nothing.
  auto same = check_files({v1, v1}, options);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->compatible());
  EXPECT_FALSE(same->worst().has_value());

  // A $ref to a file that is not there: file:line of the $ref, and what to check.
  std::string broken = files.write("v3/api.yaml", api);
  auto missing = check_files({v1, broken}, options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kInvalidInput);
  EXPECT_NE(missing.status().message().find(broken + ":5:"), std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("cannot be resolved"), std::string::npos);
}

TEST(CompatOpenApi, BadInputIsAnInputErrorWithALine) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    auto r = check(kOrderV1, text);
    ASSERT_FALSE(r.ok()) << needle;
    EXPECT_EQ(r.status().code(), Code::kInvalidInput);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  expect_error("swagger: '2.0'\npaths: {}\n", "Swagger");
  expect_error("openapi: 2.5.0\npaths: {}\n", "new.yaml:1: OpenAPI \"2.5.0\" is not read");
  expect_error("type: object\n", "no \"openapi: 3.x\"");
  expect_error("openapi: 3.0.3\npaths:\n  /a:\n    get:\n      parameters: [{$ref: '#/nope'}]\n",
               "new.yaml:5: the $ref #/nope points at nothing");
  expect_error("openapi: 3.0.3\npaths:\n  /a:\n    get:\n      parameters: [{name: a, in: body}]\n",
               "is not a parameter location");
  expect_error("openapi: 3.0.3\npaths: []\n", "\"paths\" is an object");
  // A loop of parameter references, and of schema references: refused, not followed forever.
  expect_error(R"(openapi: 3.0.3
paths:
  /a:
    get:
      parameters: [{$ref: '#/components/parameters/A'}]
      responses: {'200': {description: ok}}
components:
  parameters:
    A: {$ref: '#/components/parameters/B'}
    B: {$ref: '#/components/parameters/A'}
)",
               "$refs in a row");
  expect_error(R"(openapi: 3.0.3
paths:
  /a:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}
components:
  schemas:
    A: {$ref: '#/components/schemas/B'}
    B: {$ref: '#/components/schemas/A'}
)",
               "leads back to itself");
  // Swagger is told apart from other formats by its content, and refused with a hint.
  Files files;
  std::string swagger = files.write("s.yaml", "swagger: '2.0'\ninfo: {title: a}\npaths: {}\n");
  auto r = check_files({swagger, swagger}, CheckOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().hint().find("OpenAPI 3"), std::string::npos) << r.status().hint();
}

TEST(CompatOpenApi, HostileReferencesAndYamlAreInputErrors) {
  // Found by a hostile trial: /dev/zero grew to 9 GB, a FIFO hung, a merge key changed the
  // meaning silently, 3000 security alternatives copied into every operation took 12 GB.
  auto expect_error = [](const std::string& text, const std::string& needle) {
    auto r = check(kOrderV1, text);
    ASSERT_FALSE(r.ok()) << needle;
    EXPECT_EQ(r.status().code(), Code::kInvalidInput);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  const std::string ref = R"(openapi: 3.0.3
paths:
  /a:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: 'TARGET'}}}}
)";
  auto with_ref = [&](const std::string& target) {
    std::string t = ref;
    return t.replace(t.find("TARGET"), 6, target);
  };
  Files files;
  std::string old_file = files.write("old.yaml", kOrderV1);
  for (const char* target : {"/dev/zero", "/tmp"}) {
    std::string new_file = files.write("new.yaml", with_ref(target));
    auto r = check_files({old_file, new_file}, CheckOptions{});
    ASSERT_FALSE(r.ok()) << target;
    EXPECT_NE(r.status().message().find("is not a regular file"), std::string::npos)
        << r.status().message();
  }
  expect_error(R"(openapi: 3.0.3
components:
  schemas:
    Base: &base {type: object, properties: {id: {type: integer}}}
    Order:
      <<: *base
      required: [id]
paths: {}
)",
               "merge key");
  std::string alternatives;
  for (int i = 0; i < 100; ++i) alternatives += "{a" + std::to_string(i) + ": []},";
  expect_error("openapi: 3.0.3\nsecurity: [" + alternatives + "]\npaths: {}\n",
               "more than 64 security requirements");
}

TEST(CompatOpenApi, APathItemFromAnotherFileKeepsThatFilesPlaces) {
  // A path item a $ref led to is read at its own file's pointers: once its schemas were cached
  // under the referring pointer, and a later $ref to that pointer got /b's string schema for
  // /a's integer (a false type-changed), and findings named the wrong file.
  Files files;
  files.write("sub.yaml", R"(paths:
  /a:
    get:
      parameters:
        - {name: q, in: query, schema: {type: integer}}
      responses: {'200': {description: ok}}
  /b:
    get:
      parameters:
        - {name: q, in: query, schema: {type: string}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
)");
  std::string old_file = files.write("old.yaml", R"(openapi: 3.0.3
paths:
  /a: {$ref: 'sub.yaml#/paths/~1b'}
  /c:
    get:
      parameters:
        - {name: q, in: query, schema: {type: integer}}
      responses: {'200': {description: ok}}
)");
  std::string new_file = files.write("new.yaml", R"(openapi: 3.0.3
paths:
  /a:
    get:
      parameters:
        - {name: q, in: query, schema: {type: string}}
      responses: {'200': {description: ok}}
  /c:
    get:
      parameters:
        - $ref: 'sub.yaml#/paths/~1a/get/parameters/0'
      responses: {'200': {description: ok}}
)");
  auto r = check_files({old_file, new_file}, CheckOptions{});
  ASSERT_TRUE(r.ok()) << r.status().message();
  // /c reads an integer on both sides; /a lost its response body, found in sub.yaml.
  EXPECT_EQ(rules_at(*r, Level::kError), std::set<std::string>({"response-media-type-removed"}))
      << render(*r, OutputFormat::kText);
  for (const PairReport& p : r->pairs)
    for (const Finding& f : p.findings)
      if (f.rule == "response-media-type-removed") {
        EXPECT_NE(f.old_place.file.find("sub.yaml"), std::string::npos) << f.old_place.file;
        EXPECT_EQ(f.old_place.pointer, "/paths/~1b/get/responses/200/content/application~1json");
      }
}

TEST(CompatOpenApi, TheStepLimitInsideAUnionIsReportedNotLost) {
  // Nested unions whose comparison passes the step limit while a union branch is being tried:
  // the too-complex finding once went with the trial, and the pair read as compatible.
  std::function<std::string(int, const char*)> nest = [&](int depth, const char* leaf) {
    if (depth == 0) return fmt::format(R"({{"type":"{}"}})", leaf);
    std::string out = R"({"anyOf":[)";
    for (int i = 0; i < 10; ++i) out += (i ? "," : "") + nest(depth - 1, leaf);
    return out + "]}";
  };
  auto r = check_texts({nest(4, "string"), nest(4, "integer")}, {"old.json", "new.json"},
                       Format::kJsonSchema, CheckOptions{});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->compatible()) << render(*r, OutputFormat::kText);
}

TEST(CompatOpenApi, ManyOperationsOnSharedRecursiveSchemasStayFast) {
  // 3000 operations over one recursive schema of 800 properties: walked once per node pair
  // and not once per operation, which would pass the walker's million steps (too-complex).
  std::string paths;
  for (int i = 0; i < 3000; ++i) {
    paths += "  /r" + std::to_string(i) +
             ":\n    get:\n      responses:\n        '200': {description: ok, content: "
             "{application/json: {schema: {$ref: '#/components/schemas/Node'}}}}\n";
  }
  std::string props;
  for (int i = 0; i < 800; ++i) props += "        p" + std::to_string(i) + ": {type: string}\n";
  auto doc = [&](const char* type) {
    return std::string("openapi: 3.1.0\npaths:\n") + paths +
           "components:\n  schemas:\n    Node:\n      type: object\n      properties:\n" + props +
           "        v: {type: " + type +
           "}\n        children: {type: array, items: {$ref: '#/components/schemas/Node'}}\n"
           "        next: {anyOf: [{$ref: '#/components/schemas/Node'}, {type: 'null'}]}\n";
  };
  auto start = std::chrono::steady_clock::now();
  auto r = check(doc("integer"), doc("string"), Mode::kFull);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::set<std::string> errors = rules_at(*r, Level::kError);
  EXPECT_TRUE(errors.count("type-changed"));
  EXPECT_FALSE(errors.count("too-complex"));
  // One finding per operation and direction, each naming its operation.
  size_t n = 0;
  for (const PairReport& p : r->pairs)
    for (const Finding& f : p.findings) n += f.rule == "type-changed";
  EXPECT_EQ(n, 6000u);
  EXPECT_LT(seconds, 30.0);
}

TEST(CompatOpenApi, EveryCorpusRuleIsListed) {
  std::set<std::string> ids;
  for (const RuleInfo& i : rules()) ids.insert(i.id);
  for (const char* id : {"path-removed",
                         "path-added",
                         "operation-removed",
                         "operation-added",
                         "operation-id-changed",
                         "request-parameter-added-required",
                         "request-parameter-added",
                         "request-parameter-removed",
                         "request-parameter-became-required",
                         "request-parameter-became-optional",
                         "request-parameter-location-changed",
                         "request-body-added-required",
                         "request-body-became-required",
                         "request-body-became-optional",
                         "request-body-added",
                         "request-body-removed",
                         "request-media-type-removed",
                         "request-media-type-added",
                         "response-media-type-removed",
                         "response-media-type-added",
                         "response-status-removed",
                         "response-status-added",
                         "response-header-removed",
                         "response-header-added",
                         "response-header-became-optional",
                         "response-header-became-required",
                         "security-requirement-added",
                         "security-requirement-removed",
                         "security-scope-added",
                         "security-scope-removed",
                         "security-requirement-changed",
                         "security-scheme-changed"})
    EXPECT_TRUE(ids.count(id)) << id;
}

}  // namespace
}  // namespace tandem::compat
