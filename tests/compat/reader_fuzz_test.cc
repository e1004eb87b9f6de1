// The schema readers and the walker on hostile input: a generated corpus of mutated schemas
// (bytes flipped, cut, duplicated, nested deep) from the corpus files. Each must end in a
// report or an input error — never a crash, a hang or a sanitizer report (CI runs this under
// ASan/UBSan).

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <random>
#include <string>
#include <vector>

#include "compat/compat_test_util.h"
#include "tandem/compat.h"
#include "test_util.h"

namespace tandem::compat {
namespace {

// A temporary folder for schema files.
struct testing_dir_guard : tandem::testing::TempDir {};

std::vector<std::string> seeds(const std::string& file) {
  std::vector<std::string> out;
  YAML::Node cases =
      YAML::LoadFile(std::string(TANDEM_SOURCE_DIR) + "/tests/compat/corpus/" + file);
  for (const YAML::Node& c : cases) {
    out.push_back(c["old"].as<std::string>());
    out.push_back(c["new"].as<std::string>());
  }
  return out;
}

const std::vector<std::string> kSchemaTokens = {
    "{",       "}",        "[",          "]",         ",",         ":",     "\"",     "null",
    "\"int\"", "\"type\"", "-1",         "1e999",     "\"$ref\"",  "\"#\"", "\"#/\"", "true",
    "\\u0000", "\xff",     "\"fields\"", "\"items\"", "\"allOf\"", "[[]]"};

// OpenAPI documents are mostly YAML: its punctuation, and the places $refs and parameters go.
const std::vector<std::string> kOpenApiTokens = {
    "{",         "}",          "[",          "]",          ",",           ": ",
    "\n  ",      "\n- ",       "- ",         "&a ",        "*a",          "null",
    "'200'",     "2XX",        "default",    "$ref: ",     "'#/'",        "'#'",
    "'#/paths'", "in: path",   "in: body",   "in: 3",      "required: 1", "true",
    "\xff",      "swagger",    "openapi: 3", "security: ", "[{a: []}]",   "nullable: true",
    "type: [x]", "'x.yaml#/a'"};

std::string mutate(const std::string& in, std::mt19937& rng,
                   const std::vector<std::string>& tokens = kSchemaTokens) {
  return testing::mutate(in, rng, tokens, 40);
}

void fuzz(const std::string& file, Format format, int rounds,
          const std::vector<std::string>& tokens = kSchemaTokens) {
  std::vector<std::string> base = seeds(file);
  std::mt19937 rng(12345);
  int reports = 0, errors = 0;
  for (int i = 0; i < rounds; ++i) {
    std::string a = mutate(base[rng() % base.size()], rng, tokens);
    std::string b =
        rng() % 2 ? mutate(base[rng() % base.size()], rng, tokens) : base[rng() % base.size()];
    CheckOptions options;
    options.mode = Mode::kFull;
    auto r = check_texts({a, b}, {"a", "b"}, format, options);
    if (r.ok()) {
      ++reports;
      (void)render(*r, OutputFormat::kSarif);
    } else {
      ++errors;
      EXPECT_EQ(r.status().code(), Code::kInvalidInput);
      EXPECT_FALSE(r.status().message().empty());
    }
  }
  // Both outcomes occur: the mutations are neither all fatal nor all harmless.
  EXPECT_GT(reports, 0);
  EXPECT_GT(errors, 0);
}

TEST(CompatFuzz, AvroReaderSurvivesMutations) { fuzz("avro.yaml", Format::kAvro, 4000); }

TEST(CompatFuzz, JsonSchemaReaderSurvivesMutations) {
  fuzz("jsonschema.yaml", Format::kJsonSchema, 4000);
}

TEST(CompatFuzz, OpenApiReaderSurvivesMutations) {
  fuzz("openapi.yaml", Format::kOpenApi, 3000, kOpenApiTokens);
  // JSON-shaped mutations of the same documents reach other paths of the reader.
  fuzz("openapi.yaml", Format::kOpenApi, 1000);
}

TEST(CompatFuzz, DeepNestingIsAnErrorNotACrash) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "{\"type\":{\"type\":\"array\",\"items\":";
  CheckOptions options;
  auto r = check_texts({deep, deep}, {"a", "b"}, Format::kAvro, options);
  EXPECT_FALSE(r.ok());
  std::string arrays(200000, '[');
  auto j = check_texts({arrays, "{}"}, {"a", "b"}, Format::kJsonSchema, options);
  EXPECT_FALSE(j.ok());
  // Deep but legal: 150 nested arrays of arrays read and compare.
  std::string nested = "\"int\"";
  for (int i = 0; i < 150; ++i) nested = "{\"type\":\"array\",\"items\":" + nested + "}";
  auto ok = check_texts({nested, nested}, {"a", "b"}, Format::kAvro, options);
  EXPECT_TRUE(ok.ok()) << ok.status().message();
  // OpenAPI: a parameter schema nested past the limit, and YAML flow collections 100000 deep.
  std::string schema = "{\"type\":\"string\"}";
  for (int i = 0; i < 300; ++i) schema = "{\"type\":\"array\",\"items\":" + schema + "}";
  std::string api =
      "{\"openapi\":\"3.1.0\",\"paths\":{\"/a\":{\"get\":{\"parameters\":[{"
      "\"name\":\"q\",\"in\":\"query\",\"schema\":" +
      schema + "}]}}}}";
  auto o = check_texts({api, api}, {"a", "b"}, Format::kOpenApi, options);
  EXPECT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("deep"), std::string::npos) << o.status().message();
  std::string flow = "openapi: 3.0.3\npaths: " + std::string(100000, '[');
  auto y = check_texts({flow, flow}, {"a", "b"}, Format::kOpenApi, options);
  EXPECT_FALSE(y.ok());
}

TEST(CompatFuzz, SelfReferencesTerminate) {
  CheckOptions options;
  options.mode = Mode::kFull;
  auto loop = check_texts({R"({"$ref":"#"})", "{}"}, {"a", "b"}, Format::kJsonSchema, options);
  EXPECT_FALSE(loop.ok());
  auto all_of = check_texts({R"({"allOf":[{"$ref":"#"}],"type":"object"})", R"({"type":"object"})"},
                            {"a", "b"}, Format::kJsonSchema, options);
  EXPECT_TRUE(all_of.ok() || all_of.status().code() == Code::kInvalidInput);
  // A union of 30 records each holding the union: the step limit ends the walk.
  std::string branches;
  for (int i = 0; i < 30; ++i) {
    branches += (i ? "," : "") + std::string("{\"type\":\"record\",\"name\":\"R") +
                std::to_string(i) + "\",\"fields\":[{\"name\":\"u\",\"type\":[\"null\"" +
                (i ? ",\"R0\"" : "") + "]}]}";
  }
  auto wide =
      check_texts({"[" + branches + "]", "[" + branches + "]"}, {"a", "b"}, Format::kAvro, options);
  EXPECT_TRUE(wide.ok()) << wide.status().message();
}

TEST(CompatFuzz, AvroBinaryDecoderSurvivesRandomBytes) {
  testing_dir_guard guard;
  std::string schema = R"({"type":"record","name":"R","fields":[{"name":"a","type":"long"},
    {"name":"s","type":["null","string",{"type":"array","items":{"type":"map","values":"bytes"}}]},
    {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
    {"name":"f","type":{"type":"fixed","name":"F","size":3}},{"name":"d","type":"double"}]})";
  std::string path = guard.write("s.avsc", schema);
  auto r = Resolver::open(path, path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::mt19937 rng(7);
  int refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(1 + rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 256);
    auto out = r->resolve_binary(bytes);
    if (!out.ok()) {
      ++refused;
      // Every refusal says where in the data it stopped.
      EXPECT_EQ(out.status().message().rfind("byte ", 0), 0u) << out.status().message();
    }
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace tandem::compat
