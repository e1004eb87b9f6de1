// OFREP's evaluation routes over a snapshot (serve/ofrep.h): the shapes OpenFeature's providers
// read, every error code, the ETag, and random bodies.

#include "serve/ofrep.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace tandem::serve {
namespace {

using json = nlohmann::json;

FlagSnapshot snapshot() {
  FlagSnapshot s;
  s.generation = "3:3";
  auto add = [&](flags::FlagChange c) {
    c.actor = "test";
    auto f = flags::apply_change(std::nullopt, c);
    EXPECT_TRUE(f.ok()) << f.status().message();
    s.flags.emplace(f->key, *f);
  };
  flags::FlagChange a;
  a.key = "orders.read_new";
  a.value = "true";
  a.percent = 50;
  a.deny = {"blocked"};
  add(a);
  flags::FlagChange b;
  b.key = "limits";
  b.value = "{\"max\":10}";
  add(b);
  return s;
}

TEST(Ofrep, EvaluatesOneFlag) {
  FlagSnapshot s = snapshot();
  OfrepAnswer a = evaluate_one(s, "limits", R"({"context":{"targetingKey":"t1","plan":"pro"}})");
  ASSERT_EQ(a.status, 200);
  json j = json::parse(a.body);
  EXPECT_EQ(j["key"], "limits");
  EXPECT_EQ(j["value"]["max"], 10);
  EXPECT_EQ(j["reason"], "STATIC");
  EXPECT_EQ(j["metadata"]["type"], "json");
  json denied = json::parse(
      evaluate_one(s, "orders.read_new", R"({"context":{"targetingKey":"blocked"}})").body);
  EXPECT_EQ(denied["value"], false);
  EXPECT_EQ(denied["reason"], "TARGETING_MATCH");
  EXPECT_EQ(denied["variant"], "default");
  // No context at all, or no body: evaluated without a targeting key.
  EXPECT_EQ(json::parse(evaluate_one(s, "orders.read_new", "").body)["reason"], "DEFAULT");
  EXPECT_EQ(json::parse(evaluate_one(s, "orders.read_new", "{}").body)["value"], false);
  // A percent-encoded key is the same key.
  EXPECT_EQ(evaluate_one(s, "orders%2Eread_new", "{}").status, 200);
}

TEST(Ofrep, ErrorsAreOfrepFailures) {
  FlagSnapshot s = snapshot();
  struct Case {
    std::string key, body;
    int status;
    std::string code;
  } cases[] = {
      {"nope", "{}", 404, "FLAG_NOT_FOUND"},
      {"..%2F..%2Fetc", "{}", 404, "FLAG_NOT_FOUND"},
      {"limits", "{not json", 400, "PARSE_ERROR"},
      {"limits", "[1,2]", 400, "INVALID_CONTEXT"},
      {"limits", R"({"context":"x"})", 400, "INVALID_CONTEXT"},
      {"limits", R"({"context":{"targetingKey":5}})", 400, "INVALID_CONTEXT"},
  };
  for (const Case& c : cases) {
    OfrepAnswer a = evaluate_one(s, c.key, c.body);
    EXPECT_EQ(a.status, c.status) << c.key << " " << c.body;
    json j = json::parse(a.body);
    EXPECT_EQ(j["errorCode"], c.code) << c.body;
    EXPECT_TRUE(j.contains("key"));
    EXPECT_TRUE(j["errorDetails"].is_string());
  }
}

TEST(Ofrep, BulkWithETag) {
  FlagSnapshot s = snapshot();
  OfrepAnswer a = evaluate_all(s, R"({"context":{"targetingKey":"t1"}})", "");
  ASSERT_EQ(a.status, 200);
  json j = json::parse(a.body);
  ASSERT_EQ(j["flags"].size(), 2u);
  EXPECT_EQ(j["flags"][0]["key"], "limits");  // sorted: a stable body, a stable ETag
  EXPECT_FALSE(j.contains("metadata"));
  ASSERT_FALSE(a.etag.empty());
  EXPECT_EQ(evaluate_all(s, R"({"context":{"targetingKey":"t1"}})", a.etag).status, 304);
  EXPECT_EQ(evaluate_all(s, R"({"context":{"targetingKey":"t1"}})", "\"x\", " + a.etag).status,
            304);
  EXPECT_EQ(evaluate_all(s, R"({"context":{"targetingKey":"t1"}})", "W/" + a.etag).status, 304);
  EXPECT_EQ(evaluate_all(s, R"({"context":{"targetingKey":"t1"}})", "\"other\"").status, 200);
  // Another context may get other values: its own ETag. A change of a flag changes it.
  s.flags.at("limits").value = "{\"max\":11}";
  EXPECT_NE(evaluate_all(s, R"({"context":{"targetingKey":"t1"}})", "").etag, a.etag);
  EXPECT_EQ(evaluate_all(s, "{oops", "").status, 400);
  EXPECT_EQ(json::parse(evaluate_all(s, "{oops", "").body)["errorCode"], "PARSE_ERROR");
}

// Random bytes and mangled JSON never crash an evaluation, and every answer is JSON of the
// protocol's shapes.
TEST(Ofrep, RandomBodies) {
  FlagSnapshot s = snapshot();
  std::mt19937 rng(7);
  const std::string seeds[] = {R"({"context":{"targetingKey":"t1"}})", R"({"context":{}})", "{}",
                               R"({"context":{"targetingKey":"x","a":[1,{"b":null}]}})"};
  for (int i = 0; i < 20000; ++i) {
    std::string body = seeds[i % 4];
    int edits = static_cast<int>(rng() % 6);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0:
          body[at] = static_cast<char>(rng() % 256);
          break;
        case 1:
          body.erase(at, 1);
          break;
        default:
          body.insert(at, 1, "{}[]\",:\\0\xff"[rng() % 11]);
      }
    }
    if (i % 97 == 0) body = std::string(20000, '[');
    OfrepAnswer one = evaluate_one(s, i % 2 ? "orders.read_new" : "limits", body);
    ASSERT_TRUE(one.status == 200 || one.status == 400) << body;
    ASSERT_FALSE(json::parse(one.body, nullptr, false).is_discarded()) << one.body;
    OfrepAnswer all = evaluate_all(s, body, "");
    ASSERT_TRUE(all.status == 200 || all.status == 400);
    ASSERT_FALSE(json::parse(all.body, nullptr, false).is_discarded());
  }
}

}  // namespace
}  // namespace tandem::serve
