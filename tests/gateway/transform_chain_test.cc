// Chains: several changes at one location compiled as one transform (one walk over the body)
// give exactly what the changes give applied one after the other, both ways — including when
// a later change reaches into a member an earlier one renamed, moved or added, which the walk
// did not expand up front.

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "gateway/transform.h"
#include "gateway/transform_specs.h"

namespace tandem::gateway {
namespace {

using json = nlohmann::json;

std::unique_ptr<ChangeTransform> chain(std::string_view location,
                                       const std::vector<std::vector<FieldOpSpec>>& changes) {
  std::vector<const std::vector<FieldOpSpec>*> specs;
  for (const auto& c : changes) specs.push_back(&c);
  auto t = ChangeTransform::compile_chain(location, specs);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : nullptr;
}

// Applies the changes one at a time: up oldest first, down newest first.
std::string one_by_one(std::string_view location,
                       const std::vector<std::vector<FieldOpSpec>>& changes, std::string body,
                       Direction d) {
  std::vector<std::unique_ptr<ChangeTransform>> each;
  for (const auto& c : changes) each.push_back(compile(location, c));
  if (d == Direction::kUp) {
    for (auto& t : each) body = apply(*t, body, d);
  } else {
    for (auto it = each.rbegin(); it != each.rend(); ++it) body = apply(**it, body, d);
  }
  return body;
}

void expect_same(std::string_view location, const std::vector<std::vector<FieldOpSpec>>& changes,
                 const std::string& body, Direction d) {
  auto fused = chain(location, changes);
  ASSERT_TRUE(fused);
  EXPECT_EQ(apply(*fused, body, d), one_by_one(location, changes, body, d))
      << (d == Direction::kUp ? "up: " : "down: ") << body;
}

TEST(Chain, TheExampleConfigsTwoChanges) {
  std::vector<std::vector<FieldOpSpec>> changes = {
      {rename_op("total", "total_amount"), convert_op("total_amount", ". * 100 | round", ". / 100"),
       add_op("currency", R"("USD")"), remove_op("legacy_code", "null"),
       enum_op("status", {{R"("paid")", R"("settled")"}})},
      {rename_op("note", "notes"), rename_op("items[].price", "items[].unit_price")}};
  expect_same("data[]", changes,
              R"({"data": [{"id": 1, "total_amount": 1999, "currency": "USD", "status": "settled",)"
              R"( "notes": "hi", "items": [{"sku": "a", "unit_price": 5}]}], "next": null})",
              Direction::kDown);
  expect_same("data[]", changes,
              R"({"data": [{"total": 19.99, "status": "paid", "note": "x", "legacy_code": "L1",)"
              R"( "items": [{"sku": "a", "price": 5}]}]})",
              Direction::kUp);
}

// The later change's path goes through a member the earlier one renamed: the walk expanded
// `customer` only as a leaf, so `buyer` is expanded when the second change reaches it.
TEST(Chain, ALaterChangeReachesIntoARenamedMember) {
  std::vector<std::vector<FieldOpSpec>> changes = {{rename_op("customer", "buyer")},
                                                   {rename_op("buyer.name", "buyer.full_name")}};
  std::string old = R"({"id": 1, "customer": {"name": "Ada", "email": "a@x"}})";
  auto fused = chain(".", changes);
  std::string head = apply(*fused, old, Direction::kUp);
  EXPECT_EQ(json::parse(head), json::parse(R"({"id":1,"buyer":{"full_name":"Ada","email":"a@x"}})"))
      << head;
  EXPECT_EQ(head, one_by_one(".", changes, old, Direction::kUp));
  EXPECT_EQ(json::parse(apply(*fused, head, Direction::kDown)), json::parse(old));
  EXPECT_EQ(apply(*fused, head, Direction::kDown),
            one_by_one(".", changes, head, Direction::kDown));
}

// The later change reaches into a value the earlier one added, and into an array of objects.
TEST(Chain, ALaterChangeReachesIntoAnAddedValue) {
  std::vector<std::vector<FieldOpSpec>> changes = {
      {add_op("meta", R"({"a": 1, "list": [{"p": 1}, {"p": 2}]})")},
      {rename_op("meta.a", "meta.b"), rename_op("meta.list[].p", "meta.list[].q")}};
  expect_same(".", changes, R"({"id": 1})", Direction::kUp);
  expect_same(".", changes, R"({"id": 1, "meta": {"a": 5}})", Direction::kUp);
  expect_same(".", changes, R"({"id": 1, "meta": {"b": 1, "list": [{"q": 1}]}})", Direction::kDown);
  auto fused = chain(".", changes);
  EXPECT_EQ(json::parse(apply(*fused, R"({"id": 1})", Direction::kUp)),
            json::parse(R"({"id":1,"meta":{"b":1,"list":[{"q":1},{"q":2}]}})"));
}

TEST(Chain, MovesIntoAndOutOfWhatAnEarlierChangeMade) {
  std::vector<std::vector<FieldOpSpec>> changes = {
      {rename_op("addr", "address")},
      {move_op("address.city", "location.city"), move_op("zip", "address.zip")}};
  expect_same(".", changes, R"({"addr": {"city": "Oslo", "street": "x"}, "zip": "0150"})",
              Direction::kUp);
  expect_same(".", changes,
              R"({"address": {"street": "x", "zip": "0150"}, "location": {"city": "Oslo"}})",
              Direction::kDown);
}

// Random bodies through a three-change chain: the chain and the changes one by one agree
// byte for byte, both ways, and errors agree too.
TEST(Chain, PropertySameAsOneByOne) {
  std::vector<std::vector<FieldOpSpec>> changes = {
      {rename_op("a", "b"), add_op("c", R"({"x": [1, {"y": 2}]})"),
       enum_op("s", {{"\"p\"", "\"q\""}})},
      {rename_op("b", "bb"), rename_op("c.x", "c.xs"), convert_op("n", ". * 2", ". / 2")},
      {move_op("bb", "wrap.bb"), rename_op("items[].p", "items[].unit_p"),
       remove_op("legacy", "null")}};
  auto fused = chain("data[]", changes);
  std::vector<std::unique_ptr<ChangeTransform>> each;
  for (const auto& c : changes) each.push_back(compile("data[]", c));
  std::mt19937 rng(4242);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  auto value = [&](int depth) { return random_json(rng, depth, 3, 5); };
  int compared = 0;
  for (int round = 0; round < 400; ++round) {
    json body = {{"data", json::array()}};
    for (int i = pick(4); i > 0; --i) {
      json o = json::object();
      for (const char* key : {"a", "b", "bb", "c", "s", "n", "legacy", "wrap", "items"}) {
        if (pick(3) == 0) o[key] = value(1);
      }
      if (pick(2)) o["s"] = pick(2) ? json("p") : json("q");
      if (pick(2)) o["n"] = pick(1000);
      if (pick(2)) o["items"] = json::array({{{"p", 1}}, {{"unit_p", 2}}});
      body["data"].push_back(o);
    }
    std::string text = body.dump(pick(2) ? -1 : 1);
    for (Direction d : {Direction::kUp, Direction::kDown}) {
      std::string fused_out;
      Status fused_st = fused->apply(text, d, fused_out);
      // The changes one by one, stopping at the first error.
      std::string seq = text;
      Status seq_st = Status::Ok();
      auto step = [&](ChangeTransform& t) {
        if (!seq_st.ok()) return;
        std::string out;
        seq_st = t.apply(seq, d, out);
        seq = out;
      };
      if (d == Direction::kUp) {
        for (auto& t : each) step(*t);
      } else {
        for (auto it = each.rbegin(); it != each.rend(); ++it) step(**it);
      }
      ASSERT_EQ(fused_st.ok(), seq_st.ok())
          << text << "\nchain: " << fused_st.message() << "\none by one: " << seq_st.message();
      if (fused_st.ok()) {
        ASSERT_EQ(fused_out, seq) << text;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 400);
}

}  // namespace
}  // namespace tandem::gateway
