// A deterministic fuzz test of the transform engine: ~20,000 mutations of valid bodies (byte
// flips, truncations, inserted quotes, brackets, backslashes, bytes duplicated) go through
// apply() both ways. It must never crash (run it under ASan/UBSan), every failure must be an
// InvalidInput, and whatever it accepts must come out as JSON that simdjson's validating DOM
// parser accepts.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cctype>
#include <random>

#include "gateway/transform.h"
#include "tandem/status.h"

namespace tandem::gateway {
namespace {

using Kind = FieldOpSpec::Kind;

std::vector<FieldOpSpec> all_ops() {
  std::vector<FieldOpSpec> ops(7);
  ops[0].kind = Kind::kRename, ops[0].from = "total", ops[0].to = "total_amount";
  ops[1].kind = Kind::kConvert, ops[1].field = "total_amount", ops[1].up = ". * 100 | round",
  ops[1].down = ". / 100";
  ops[2].kind = Kind::kAdd, ops[2].field = "currency", ops[2].default_json = "\"USD\"";
  ops[3].kind = Kind::kRemove, ops[3].field = "legacy_code", ops[3].default_json = "null";
  ops[4].kind = Kind::kEnum, ops[4].field = "status",
  ops[4].enum_map = {{"\"paid\"", "\"settled\""}};
  ops[5].kind = Kind::kMove, ops[5].from = "customer_name", ops[5].to = "customer.name";
  ops[6].kind = Kind::kRename, ops[6].from = "items[].price", ops[6].to = "items[].unit_price";
  return ops;
}

const char* const kSeeds[] = {
    R"({"data": [{"id": 1, "total": 19.99, "status": "paid", "legacy_code": "L",
        "customer_name": "Ann \u00e9", "items": [{"sku": "a\"b", "price": 5}, {"price": null}]},
       {"id": 2, "total_amount": 300, "currency": "EUR", "customer": {"name": "Bo", "x": [1, {}]}},
       null, "s", [1, 2.5e3, -0.1], {"items": {"price": 1}}], "next": "c\\d", "n": true})",
    R"({"total": 1, "status": "settled", "note": "\ud83d\ude00\n", "items": []})",
    R"([{"total": 1}, {"total": 2, "status": "paid"}])",
    R"({"data": {"total": 1}, "empty": {}, "e2": [], "deep": [[[{"a": [[{"b": {}}]]}]]]})",
    R"("a string")",
    "123",
    R"({"data": [{"total_amount": 1999, "currency": "USD", "customer": {"name": "x"},
        "items": [{"unit_price": 7}]}]})",
};

std::string mutate(std::string body, std::mt19937& rng) {
  auto pick = [&](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  static const char kInserts[] = "\"[]{}\\,:0e-.tn \x01\xff\xc3";
  int edits = 1 + static_cast<int>(pick(3));
  for (int i = 0; i < edits; ++i) {
    size_t at = pick(body.size() + 1);
    switch (pick(6)) {
      case 0:  // flip a bit
        if (!body.empty()) body[pick(body.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1:  // truncate
        body.resize(at);
        break;
      case 2:  // insert a structural or escaping character
        body.insert(at, 1, kInserts[pick(sizeof(kInserts) - 1)]);
        break;
      case 3:  // delete a byte
        if (at < body.size()) body.erase(at, 1);
        break;
      case 4:  // duplicate a span
        if (at < body.size()) body.insert(at, body.substr(at, 1 + pick(8)));
        break;
      default:  // replace a byte with a random one
        if (at < body.size()) body[at] = static_cast<char>(rng());
    }
  }
  return body;
}

// simdjson's DOM parser validates fully but refuses numbers outside double's range (1e400),
// which are valid JSON and which the transform copies as written: for those, the exponents
// are made small (the grammar is unchanged by that) and the text checked again.
bool is_json(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::error_code error = parser.parse(text).error();
  if (error == simdjson::NUMBER_ERROR) {
    std::string small;  // every exponent after a digit becomes "e0"
    for (size_t i = 0; i < text.size(); ++i) {
      small += text[i];
      if (!std::isdigit(static_cast<unsigned char>(text[i])) || i + 1 >= text.size() ||
          (text[i + 1] != 'e' && text[i + 1] != 'E')) {
        continue;
      }
      size_t j = i + 2;
      if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
      size_t digits = j;
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      if (j == digits) continue;
      small += "e0";
      i = j - 1;
    }
    error = parser.parse(small).error();
  }
  return error == simdjson::SUCCESS;
}

TEST(TransformFuzz, MutatedBodiesNeverCrashAndOutputIsJson) {
  auto root = ChangeTransform::compile(".", all_ops());
  auto data = ChangeTransform::compile("data[]", all_ops());
  auto each = ChangeTransform::compile("[]", all_ops());
  ASSERT_TRUE(root.ok() && data.ok() && each.ok());
  ChangeTransform* transforms[] = {root->get(), data->get(), each->get()};
  simdjson::dom::parser checker;
  std::mt19937 rng(20240101);
  int accepted = 0, rejected = 0;
  std::string out;
  for (int i = 0; i < 20000; ++i) {
    std::string body = mutate(kSeeds[i % std::size(kSeeds)], rng);
    ChangeTransform* t = transforms[i % 3];
    for (Direction d : {Direction::kUp, Direction::kDown}) {
      Status st = t->apply(body, d, out);
      if (!st.ok()) {
        ++rejected;
        EXPECT_EQ(st.code(), Code::kInvalidInput);
        EXPECT_FALSE(st.message().empty());
        continue;
      }
      ++accepted;
      EXPECT_TRUE(is_json(checker, out)) << "input:  " << body << "\noutput: " << out;
      // What goes in valid comes out valid; what is not JSON, apply refuses.
      bool input_valid = is_json(checker, body);
      EXPECT_TRUE(input_valid) << "accepted invalid JSON: " << body;
    }
  }
  // Both outcomes must be exercised for the test to mean something.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace tandem::gateway
