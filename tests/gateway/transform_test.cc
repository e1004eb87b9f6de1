// The transform engine: every operation both ways, paths, locations, the example config's two
// changes chained, a round-trip property, hostile bodies, and jq on several threads.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "gateway/transform.h"
#include "gateway/transform_specs.h"
#include "tandem/status.h"

namespace tandem::gateway {
namespace {

Status apply_status(ChangeTransform& t, std::string_view in, Direction d) {
  std::string out = "stale";
  Status st = t.apply(in, d, out);
  if (!st.ok()) {
    EXPECT_TRUE(out.empty());
  }
  return st;
}

// A golden pair: `old_body` goes up to `head_body`, and `head_body` down to `down_body`
// (`old_body` when empty).
struct Golden {
  const char* name;
  const char* location;
  std::vector<FieldOpSpec> ops;
  const char* old_body;
  const char* head_body;
  const char* down_body = nullptr;
};

class GoldenTest : public testing::TestWithParam<Golden> {};

TEST_P(GoldenTest, UpAndDown) {
  const Golden& g = GetParam();
  auto t = compile(g.location, g.ops);
  ASSERT_TRUE(t);
  EXPECT_EQ(apply(*t, g.old_body, Direction::kUp), g.head_body);
  EXPECT_EQ(apply(*t, g.head_body, Direction::kDown), g.down_body ? g.down_body : g.old_body);
}

const Golden kGolden[] = {
    {"rename",
     ".",
     {rename_op("total", "total_amount")},
     R"({"id": 1, "total": 19.99, "tags": [1, 2]})",
     R"({"id":1,"total_amount":19.99,"tags":[1, 2]})",
     R"({"id":1,"total":19.99,"tags":[1, 2]})"},
    {"rename_nested",
     ".",
     {rename_op("items[].price", "items[].unit_price")},
     R"({"items": [{"price": 5}, {"sku": "b"}, 3, {"price": {"v": 1 }}]})",
     R"({"items":[{"unit_price":5},{"sku": "b"},3,{"unit_price":{"v": 1 }}]})",
     R"({"items":[{"price":5},{"sku": "b"},3,{"price":{"v": 1 }}]})"},
    {"rename_escaped_keys",
     ".",
     {rename_op("a\"b", "c/d")},
     R"({"a\"b":1,"x\u0041":2})",
     R"({"c/d":1,"x\u0041":2})"},
    {"rename_deep_object",
     ".",
     {rename_op("customer.name", "customer.full_name")},
     R"({"customer": {"name": "Ann", "id": 7}})",
     R"({"customer":{"full_name":"Ann","id":7}})",
     R"({"customer":{"name":"Ann","id":7}})"},
    {"convert",
     ".",
     {convert_op("total", ". * 100 | round", ". / 100")},
     R"({"total": 19.99, "n": null})",
     R"({"total":1999,"n":null})",
     R"({"total":19.99,"n":null})"},
    {"convert_null_passes",
     ".",
     {convert_op("total", ". * 100", ". / 100")},
     R"({"total": null})",
     R"({"total": null})"},
    {"convert_string",
     ".",
     {convert_op("name", "ascii_upcase", "ascii_downcase")},
     R"({"name":"ann"})",
     R"({"name":"ANN"})"},
    {"add",
     ".",
     {add_op("currency", R"("USD")")},
     R"({"id": 1})",
     R"({"id":1,"currency":"USD"})",
     R"({"id":1})"},
    {"add_keeps_sent_value",
     ".",
     {add_op("currency", R"("USD")")},
     R"({"id": 1, "currency": "EUR"})",
     R"({"id": 1, "currency": "EUR"})",
     R"({"id":1})"},
    {"remove",
     ".",
     {remove_op("legacy_code", "null")},
     R"({"id": 1, "legacy_code": "X"})",
     R"({"id":1})",
     R"({"id":1,"legacy_code":null})"},
    {"enum",
     ".",
     {enum_op("status", {{R"("paid")", R"("settled")"}, {"1", "true"}})},
     R"({"status": "paid"})",
     R"({"status":"settled"})",
     R"({"status":"paid"})"},
    {"enum_escaped_and_numbers",
     "data[]",
     {enum_op("status", {{R"("paid")", R"("settled")"}, {"1", "\"one\""}})},
     R"({"data": [{"status": "p\u0061id"}, {"status": 1.0}, {"status": "other"}, {"status": 2}]})",
     R"({"data": [{"status":"settled"}, {"status":"one"}, {"status": "other"}, {"status": 2}]})",
     R"({"data": [{"status":"paid"}, {"status":1}, {"status": "other"}, {"status": 2}]})"},
    {"move",
     ".",
     {move_op("customer_name", "customer.name")},
     R"({"id": 1, "customer_name": "Ann"})",
     R"({"id":1,"customer":{"name":"Ann"}})",
     R"({"id":1,"customer_name":"Ann"})"},
    {"move_into_existing",
     ".",
     {move_op("customer_name", "customer.name")},
     R"({"customer_name": "Ann", "customer": {"id": 7}})",
     R"({"customer":{"id":7,"name":"Ann"}})",
     R"({"customer":{"id":7},"customer_name":"Ann"})"},
    {"move_absent",
     ".",
     {move_op("customer_name", "customer.name")},
     R"({"id": 1})",
     R"({"id": 1})"},
    {"location_array_elements",
     "data[]",
     {rename_op("a", "b")},
     R"({"data": [{"a": 1}, {"c": 2}, null, "s"], "a": 3})",
     R"({"data": [{"b":1}, {"c": 2}, null, "s"], "a": 3})",
     R"({"data": [{"a":1}, {"c": 2}, null, "s"], "a": 3})"},
    {"location_nested_arrays",
     "data[].lines[]",
     {rename_op("a", "b")},
     R"({"data":[{"lines":[{"a":1},{"a":2}]},{"lines":null},{}]})",
     R"({"data":[{"lines":[{"b":1},{"b":2}]},{"lines":null},{}]})"},
    {"location_missing",
     "data[]",
     {rename_op("a", "b")},
     R"({"error": "not found", "a": 1})",
     R"({"error": "not found", "a": 1})"},
    {"location_wrong_type",
     "data[]",
     {rename_op("a", "b")},
     R"({"data": {"a": 1}})",
     R"({"data": {"a": 1}})"},
    {"location_object",
     "order",
     {rename_op("a", "b")},
     R"( {"order": {"a": 1}} )",
     R"( {"order": {"b":1}} )",
     R"( {"order": {"a":1}} )"},
    {"location_root_array",
     "[]",
     {rename_op("a", "b")},
     R"([{"a":1},{"a":2}])",
     R"([{"b":1},{"b":2}])"},
    {"root_not_object", ".", {rename_op("a", "b")}, R"([1, {"a": 1}])", R"([1, {"a": 1}])"},
    {"scalar_body", ".", {rename_op("a", "b")}, R"("just a string")", R"("just a string")"},
    {"unicode_kept",
     ".",
     {rename_op("a", "b")},
     "{\"a\": \"caf\xc3\xa9 \\ud83d\\ude00\"}",
     "{\"b\":\"caf\xc3\xa9 \\ud83d\\ude00\"}",
     "{\"a\":\"caf\xc3\xa9 \\ud83d\\ude00\"}"},
    {"ops_in_order",
     ".",
     {rename_op("total", "total_amount"), convert_op("total_amount", ". * 100", ". / 100")},
     R"({"total": 2})",
     R"({"total_amount":200})",
     R"({"total":2})"},
};

INSTANTIATE_TEST_SUITE_P(Ops, GoldenTest, testing::ValuesIn(kGolden),
                         [](const auto& info) { return std::string(info.param.name); });

// The example config (examples/gateway/api.yaml): 2025-01-01 and 2026-01-01.
std::vector<FieldOpSpec> change_2025() {
  return {rename_op("total", "total_amount"),
          convert_op("total_amount", ". * 100 | round", ". / 100"), add_op("currency", R"("USD")"),
          remove_op("legacy_code", "null"), enum_op("status", {{R"("paid")", R"("settled")"}})};
}
std::vector<FieldOpSpec> change_2026() {
  return {rename_op("note", "notes"), rename_op("items[].price", "items[].unit_price")};
}

TEST(ExampleConfig, HeadResponseDownTo2024) {
  auto c2025 = compile("data[]", change_2025());
  auto c2026 = compile("data[]", change_2026());
  std::string head =
      R"({"data": [{"id": 1, "total_amount": 1999, "currency": "USD", "status": "settled",)"
      R"( "notes": "hi", "items": [{"sku": "a", "unit_price": 5}]}], "next": null})";
  std::string v2025 = apply(*c2026, head, Direction::kDown);
  EXPECT_EQ(v2025, R"({"data": [{"id":1,"total_amount":1999,"currency":"USD","status":"settled",)"
                   R"("note":"hi","items":[{"sku":"a","price":5}]}], "next": null})");
  std::string v2024 = apply(*c2025, v2025, Direction::kDown);
  EXPECT_EQ(v2024, R"({"data": [{"id":1,"total":19.99,"status":"paid","note":"hi",)"
                   R"("items":[{"sku":"a","price":5}],"legacy_code":null}], "next": null})");
}

TEST(ExampleConfig, OldRequestUpToHead) {
  auto c2025 = compile(".", change_2025());
  auto c2026 = compile(".", change_2026());
  std::string old = R"({"total": 19.99, "status": "paid", "note": "x", "legacy_code": "L1",)"
                    R"( "items": [{"sku": "a", "price": 5}]})";
  std::string v2025 = apply(*c2025, old, Direction::kUp);
  EXPECT_EQ(v2025, R"({"total_amount":1999,"status":"settled","note":"x",)"
                   R"("items":[{"sku": "a", "price": 5}],"currency":"USD"})");
  EXPECT_EQ(apply(*c2026, v2025, Direction::kUp),
            R"({"total_amount":1999,"status":"settled","notes":"x",)"
            R"("items":[{"sku":"a","unit_price":5}],"currency":"USD"})");
}

TEST(Compile, Errors) {
  struct Case {
    const char* location;
    FieldOpSpec op;
    const char* message_part;
  };
  FieldOpSpec with_line = rename_op("a.b", "c.b");
  with_line.line = 27;
  const Case cases[] = {
      {".", rename_op("a.b", "c.d"), "use move"},
      {".", with_line, "line 27: "},
      {".", rename_op("a", "a"), "the same"},
      {".", rename_op("a..b", "a..c"), "empty segment"},
      {".", rename_op("a[", "b"), "`[`"},
      {".", rename_op("a]", "b]"), "`]`"},
      {".", rename_op("a[x]", "b"), "`[`"},
      {".", rename_op("", "b"), "empty"},
      {".", rename_op("a[]", "b[]"), "ends with a key"},
      {"data[", rename_op("a", "b"), "location"},
      {"data..x", rename_op("a", "b"), "location"},
      {".", convert_op("a", ". +", "."), "jq program"},
      {".", convert_op("a", ".", ""), "both"},
      {".", add_op("a", ""), "default"},
      {".", add_op("a", "USD"), "not one JSON value"},
      {".", remove_op("a", "{"), "not one JSON value"},
      {".", enum_op("a", {{"[1]", "2"}}), "strings, numbers"},
      {".", enum_op("a", {{"1", "2"}, {"1.0", "3"}}), "twice"},
      {".", enum_op("a", {}), "empty"},
      {".", move_op("a[].b", "c"), "`[]`"},
      {".", move_op("a", "a.b"), "contains"},
  };
  for (const Case& c : cases) {
    auto t = ChangeTransform::compile(c.location, {c.op});
    ASSERT_FALSE(t.ok()) << c.message_part;
    EXPECT_EQ(t.status().code(), Code::kInvalidInput);
    EXPECT_NE(t.status().message().find(c.message_part), std::string::npos) << t.status().message();
  }
}

TEST(Apply, Errors) {
  struct Case {
    std::vector<FieldOpSpec> ops;
    std::string body;
    Direction direction;
    const char* message_part;
  };
  const Case cases[] = {
      {{rename_op("a", "b")}, R"({"a": 1, "b": 2})", Direction::kUp, "both `a` and `b`"},
      {{rename_op("a", "b")}, R"({"a": 1, "b": 2})", Direction::kDown, "both `b` and `a`"},
      {{rename_op("a", "b")}, R"({"a": 1, "a": 2})", Direction::kUp, "twice"},
      {{add_op("c", "1")}, R"({"c": 1, "c": 2})", Direction::kDown, "twice"},
      {{convert_op("t", ". - 1", ". + 1")},
       R"({"t": "x"})",
       Direction::kUp,
       "field `t`: the convert program failed: "},
      {{convert_op("t", "empty", ".")}, R"({"t": 1})", Direction::kUp, "no value"},
      {{convert_op("t", ".,.", ".")}, R"({"t": 1})", Direction::kUp, "more than one"},
      {{convert_op("t", "error(\"bad\")", ".")}, R"({"t": 1})", Direction::kUp, "bad"},
      {{move_op("a", "b.c")}, R"({"a": 1, "b": 2})", Direction::kUp, "is not an object"},
      {{move_op("a", "b.c")}, R"({"a": 1, "b": {"c": 2}})", Direction::kUp, "both"},
  };
  for (const Case& c : cases) {
    auto t = compile(".", c.ops);
    Status st = apply_status(*t, c.body, c.direction);
    ASSERT_FALSE(st.ok()) << c.body;
    EXPECT_EQ(st.code(), Code::kInvalidInput);
    EXPECT_NE(st.message().find(c.message_part), std::string::npos) << st.message();
  }
  // A duplicate key nothing touches is copied as it is.
  auto t = compile(".", {rename_op("a", "b")});
  EXPECT_EQ(apply(*t, R"({"a":1,"x":1,"x":2})", Direction::kUp), R"({"b":1,"x":1,"x":2})");
  // A duplicate location key is ambiguous.
  auto d = compile("data[]", {rename_op("a", "b")});
  EXPECT_FALSE(apply_status(*d, R"({"data":[],"data":[{"a":1}]})", Direction::kUp).ok());
}

TEST(Apply, HostileBodies) {
  auto root = compile(".", change_2025());
  auto data = compile("data[]", change_2025());
  std::string deep_array = std::string(10000, '[') + std::string(10000, ']');
  std::string deep_object;
  for (int i = 0; i < 10000; ++i) deep_object += R"({"a":)";
  deep_object += "1" + std::string(10000, '}');
  std::string deep_data = R"({"data":[)" + deep_object + "]}";
  const std::string bad[] = {
      deep_array,
      deep_object,
      deep_data,
      "{\"total\": \"\xff\"}",
      "{\"x\": \"\xc3\"}",
      R"({"total": 1, "items": [1, 2)",
      R"({"total": 1, "items": [1, 2]})" + std::string("}"),
      R"({"total": 1} x)",
      R"({"total": 1}{})",
      R"({"total": 1} 2)",
      "",
      "   \n",
      R"({"x": tru})",
      R"({"x": [1 2]})",
      R"({"x": [1,]})",
      R"({"x": 1,})",
      R"({"x": 01})",
      R"({"x": -})",
      R"({"x": 1.})",
      R"({"x": .5})",
      R"({"x": "a\qb"})",
      "{\"x\": \"a\x01\"}",
      R"({"x" 1})",
      R"({"data": [{"total": 1}, ]})",
      R"("unterminated)",
      "nul",
      R"({"x": {"y": [nulll]}})",
  };
  for (const std::string& body : bad) {
    for (auto* t : {root.get(), data.get()}) {
      for (Direction d : {Direction::kUp, Direction::kDown}) {
        Status st = apply_status(*t, body, d);
        EXPECT_FALSE(st.ok()) << body.substr(0, 80);
        EXPECT_EQ(st.code(), Code::kInvalidInput);
      }
    }
  }
  Status st = apply_status(*root, "{\"a\": \"\xff\"}", Direction::kUp);
  EXPECT_NE(st.message().find("UTF-8"), std::string::npos) << st.message();
  st = apply_status(*root, deep_array, Direction::kUp);
  EXPECT_NE(st.message().find("deep"), std::string::npos) << st.message();
  st = apply_status(*root, R"({"a": 1} x)", Direction::kUp);
  EXPECT_NE(st.message().find("not valid JSON"), std::string::npos) << st.message();
  st = apply_status(*root, "", Direction::kUp);
  EXPECT_NE(st.message().find("empty"), std::string::npos) << st.message();

  // Huge numbers are copied as written; deep nesting within the limit is fine.
  auto r = compile(".", {rename_op("a", "b")});
  EXPECT_EQ(apply(*r, R"({"a": 1e400, "n": 123456789012345678901234567890, "m": -0.0E-5})",
                  Direction::kUp),
            R"({"b":1e400,"n":123456789012345678901234567890,"m":-0.0E-5})");
  std::string ok_deep = std::string(500, '[') + std::string(500, ']');
  EXPECT_EQ(apply(*r, ok_deep, Direction::kUp), ok_deep);
}

// Up then down gives back the original object for lossless operations.
TEST(Property, RoundTrip) {
  auto t = compile(
      "data[]", {rename_op("a", "b"), add_op("c", R"({"x": [1]})"), move_op("d", "e.f.g"),
                 enum_op("s", {{"\"p\"", "\"q\""}, {"1", "2"}}), convert_op("x", ". * 2", ". / 2"),
                 rename_op("items[].p", "items[].unit_p")});
  std::mt19937 rng(12345);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  auto random_value = [&](int depth) { return random_json(rng, depth); };
  for (int round = 0; round < 500; ++round) {
    nlohmann::json body = {{"data", nlohmann::json::array()}, {"meta", random_value(0)}};
    for (int i = pick(5); i > 0; --i) {
      nlohmann::json o = nlohmann::json::object();
      for (int k = pick(4); k > 0; --k) o["k" + std::to_string(pick(9))] = random_value(1);
      if (pick(2)) o["a"] = random_value(1);
      if (pick(2)) o["d"] = random_value(1);
      if (pick(2)) o["s"] = std::vector<nlohmann::json>{"p", 1, "z", 3}[pick(4)];
      if (pick(2)) o["x"] = pick(2) ? nlohmann::json(pick(100000) - 50000) : nlohmann::json();
      if (pick(2)) {
        nlohmann::json items = nlohmann::json::array();
        for (int k = pick(3); k > 0; --k) items.push_back({{"p", pick(50)}, {"sku", "s"}});
        o["items"] = items;
      }
      body["data"].push_back(o);
    }
    std::string old = body.dump(pick(2) ? -1 : 2);
    std::string head = apply(*t, old, Direction::kUp);
    nlohmann::json head_json = nlohmann::json::parse(head);
    for (const auto& o : head_json["data"]) {
      EXPECT_FALSE(o.contains("a") || o.contains("d")) << head;
      EXPECT_TRUE(o.contains("c")) << head;
    }
    std::string back = apply(*t, head, Direction::kDown);
    ASSERT_EQ(nlohmann::json::parse(back), body) << old << "\n" << head << "\n" << back;
  }
}

// jq 1.6 keeps a jq_state per program; separately compiled transforms must run side by side
// on different threads (the gateway's one-per-worker design).
TEST(Threads, SeparateTransformsRunConcurrently) {
  std::string body = R"({"data": [)";
  for (int i = 0; i < 50; ++i) {
    body += std::string(i ? "," : "") + R"({"total": )" + std::to_string(i) +
            R"(.25, "status": "paid", "legacy_code": "x", "name": "n\u00e9"})";
  }
  body += "]}";
  auto reference = compile("data[]", change_2025());
  std::string want_up = apply(*reference, body, Direction::kUp);
  std::string want_down = apply(*reference, want_up, Direction::kDown);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      auto t = ChangeTransform::compile("data[]", change_2025());
      if (!t.ok()) {
        ++failures[w];
        return;
      }
      std::string up, down;
      for (int i = 0; i < 300; ++i) {
        if (!(*t)->apply(body, Direction::kUp, up).ok() || up != want_up) ++failures[w];
        if (!(*t)->apply(up, Direction::kDown, down).ok() || down != want_down) ++failures[w];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(Apply, ReusesBuffersAcrossCalls) {
  auto t = compile(".", {rename_op("a", "b")});
  std::string big = R"({"a": ")" + std::string(100000, 'x') + R"("})";
  EXPECT_EQ(apply(*t, big, Direction::kUp).size(), big.size() - 1);
  EXPECT_EQ(apply(*t, R"({"a":1})", Direction::kUp), R"({"b":1})");
  EXPECT_EQ(apply(*t, big, Direction::kUp).size(), big.size() - 1);
}

}  // namespace
}  // namespace tandem::gateway
