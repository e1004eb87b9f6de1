// Dark traffic: compare_answers (the structural comparison of a shadow's answer with the real
// one) and ShadowTally (what /metrics exports of it).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/shadow.h"

namespace tandem::gateway {
namespace {

using Paths = std::vector<std::string>;

ShadowDiff cmp(const std::string& a, const std::string& b, const Paths& ignore = {},
               size_t max_paths = 16) {
  return compare_answers(200, a, 200, b, ignore, max_paths);
}

TEST(ShadowCompare, KeyOrderAndNumberSpellingDoNotMatter) {
  ShadowDiff d = cmp(R"({"a":1,"b":[1,2.5,{"x":null,"y":true}],"c":"s"})",
                     R"({ "c" : "s", "b" : [1.0, 2.50, {"y":true, "x":null}], "a" : 1.0 })");
  EXPECT_TRUE(d.same);
  EXPECT_TRUE(d.paths.empty());
  EXPECT_TRUE(cmp("1e2", "100").same);
  EXPECT_TRUE(cmp("-0", "0").same);
  EXPECT_TRUE(cmp("", "").same);  // two empty bodies
}

TEST(ShadowCompare, APlantedDifferenceIsNamedByItsFoldedPath) {
  std::string real = R"({"data":[{"id":1,"currency":"USD"},{"id":2,"currency":"USD"}],"n":2})";
  std::string dark = R"({"data":[{"id":1,"currency":"EUR"},{"id":2,"currency":"EUR"}],"n":2})";
  ShadowDiff d = cmp(real, dark);
  EXPECT_FALSE(d.same);
  EXPECT_EQ(d.paths, Paths{"data[].currency"});  // once, however many elements differ
}

TEST(ShadowCompare, MissingAndExtraKeys) {
  EXPECT_EQ(cmp(R"({"a":1,"b":2})", R"({"a":1})").paths, Paths{"b"});
  EXPECT_EQ(cmp(R"({"a":1})", R"({"a":1,"extra":{}})").paths, Paths{"extra"});
  EXPECT_EQ(cmp(R"({"meta":{"count":1}})", R"({"meta":{}})").paths, Paths{"meta.count"});
  // A null is not a missing key.
  EXPECT_EQ(cmp(R"({"a":null})", R"({})").paths, Paths{"a"});
  // Nor is a string a number, or a boolean one.
  EXPECT_EQ(cmp(R"({"a":"1"})", R"({"a":1})").paths, Paths{"a"});
  EXPECT_EQ(cmp(R"({"a":true})", R"({"a":1})").paths, Paths{"a"});
  EXPECT_EQ(cmp(R"({"a":{}})", R"({"a":[]})").paths, Paths{"a"});
  // A difference at the top is the path `.`.
  EXPECT_EQ(cmp("1", "2").paths, Paths{"."});
}

TEST(ShadowCompare, ArrayLengths) {
  EXPECT_EQ(cmp(R"({"data":[1,2,3]})", R"({"data":[1,2]})").paths, Paths{"data[]"});
  EXPECT_EQ(cmp("[1,2]", "[1]").paths, Paths{"[]"});
  // The common elements are compared too.
  ShadowDiff d = cmp(R"({"data":[{"a":1},{"a":2}]})", R"({"data":[{"a":9}]})");
  EXPECT_EQ(d.paths, (Paths{"data[]", "data[].a"}));
  EXPECT_EQ(cmp(R"({"m":[[1],[2,3]]})", R"({"m":[[1],[2]]})").paths, Paths{"m[][]"});
}

// Two ids beyond 2^53 that differ by one are different numbers, though equal as doubles.
TEST(ShadowCompare, LargeIntegersAreComparedExactly) {
  EXPECT_FALSE(cmp(R"({"id":9007199254740993})", R"({"id":9007199254740992})").same);
  EXPECT_FALSE(cmp(R"({"id":18446744073709551615})", R"({"id":18446744073709551614})").same);
  EXPECT_FALSE(cmp(R"({"id":-9223372036854775808})", R"({"id":-9223372036854775807})").same);
  EXPECT_TRUE(cmp(R"({"id":9007199254740993})", R"({"id":9007199254740993})").same);
  // Still 1 and 1.0 are the same, and a huge integer equals its float spelling when exact.
  EXPECT_TRUE(cmp(R"({"n":4294967296})", R"({"n":4294967296.0})").same);
  EXPECT_FALSE(cmp(R"({"n":1})", R"({"n":1.5})").same);
}

TEST(ShadowCompare, StatusAndNonJsonBodies) {
  ShadowDiff status = compare_answers(200, "{}", 500, "{}", {});
  EXPECT_FALSE(status.same);
  EXPECT_EQ(status.paths, Paths{"(status)"});
  ShadowDiff both = compare_answers(200, R"({"a":1})", 503, R"({"a":2})", {});
  EXPECT_EQ(both.paths, (Paths{"(status)", "a"}));
  EXPECT_EQ(cmp("hello", "world").paths, Paths{"(body)"});
  EXPECT_TRUE(cmp("hello", "hello").same);
  EXPECT_EQ(cmp("hello", "{}").paths, Paths{"(body)"});
  EXPECT_EQ(cmp(R"({"a":1)", R"({"a":1})").paths, Paths{"(body)"});  // truncated
  EXPECT_EQ(compare_answers(502, "bad gateway", 200, "ok", {}).paths,
            (Paths{"(status)", "(body)"}));
}

TEST(ShadowCompare, IgnoredPathsAreNotReported) {
  std::string real = R"({"request_id":"r1","data":[{"id":1,"created_at":"t1","x":{"ts":1}},)"
                     R"({"id":2,"created_at":"t2","x":{"ts":2}}],"meta":{"took":3}})";
  std::string dark = R"({"request_id":"r2","data":[{"id":1,"created_at":"t9","x":{"ts":8}},)"
                     R"({"id":2,"created_at":"t8","x":{"ts":9}}],"meta":{"took":5}})";
  EXPECT_EQ(cmp(real, dark).paths.size(), 4u);
  ShadowDiff d = cmp(real, dark, {"request_id", "data[].created_at", "data[].x.ts", "meta.took"});
  EXPECT_TRUE(d.same) << d.paths.size();
  // Only what is ignored: the rest still counts.
  ShadowDiff partial = cmp(real, dark, {"request_id", "data[].created_at"});
  EXPECT_EQ(partial.paths, (Paths{"data[].x.ts", "meta.took"}));
  // An ignored key missing on one side is no difference either.
  EXPECT_TRUE(cmp(R"({"a":1,"ts":5})", R"({"a":1})", {"ts"}).same);
  // Paths that reach nothing, or do not parse, change nothing.
  EXPECT_EQ(cmp(R"({"a":1})", R"({"a":2})", {"nope", "a.b", "data[].x", "[[["}).paths, Paths{"a"});
}

TEST(ShadowCompare, AtMostMaxPaths) {
  std::string a = "{", b = "{";
  for (int i = 0; i < 40; ++i) {
    std::string k = "\"k" + std::to_string(i) + "\":";
    a += (i ? "," : "") + k + "1";
    b += (i ? "," : "") + k + "2";
  }
  a += "}";
  b += "}";
  EXPECT_EQ(cmp(a, b).paths.size(), 16u);  // the default
  EXPECT_EQ(cmp(a, b, {}, 3).paths.size(), 3u);
  EXPECT_EQ(cmp(a, b, {}, 100).paths.size(), 40u);
  // The status and the body count against the bound as well.
  EXPECT_LE(compare_answers(200, "x", 500, "y", {}, 1).paths.size(), 1u);
  EXPECT_LE(compare_answers(200, a, 500, b, {}, 2).paths.size(), 2u);
  EXPECT_FALSE(compare_answers(200, "x", 500, "y", {}, 1).same);
  // With no room for any path, a difference is still a difference.
  ShadowDiff none = cmp(a, b, {}, 0);
  EXPECT_FALSE(none.same);
  EXPECT_TRUE(none.paths.empty());
  EXPECT_FALSE(compare_answers(200, "{}", 500, "{}", {}, 0).same);
}

std::string nested(size_t depth, const std::string& inner, char open = '[', char close = ']') {
  std::string s(depth, open);
  s += inner;
  s.append(depth, close);
  return s;
}

std::string nested_objects(size_t depth, const std::string& inner) {
  std::string s;
  s.reserve(depth * 6 + inner.size());
  for (size_t i = 0; i < depth; ++i) s += "{\"a\":";
  s += inner;
  s.append(depth, '}');
  return s;
}

// Hostile nesting must not take the gateway down: a shadow's answer is untrusted input.
TEST(ShadowCompare, DeepNestingDoesNotCrash) {
  for (size_t depth : {100u, 10000u, 1000000u}) {
    SCOPED_TRACE(depth);
    EXPECT_TRUE(cmp(nested(depth, "1"), nested(depth, "1")).same);
    EXPECT_FALSE(cmp(nested(depth, "1"), nested(depth, "2")).same);
    EXPECT_FALSE(cmp(nested(depth, "1"), nested(depth + 1, "1")).same);
    EXPECT_TRUE(cmp(nested_objects(depth, "1"), nested_objects(depth, "1")).same);
    EXPECT_FALSE(cmp(nested_objects(depth, "1"), nested_objects(depth, "2")).same);
    // Against a flat answer, and with ignored paths to walk.
    EXPECT_FALSE(cmp(nested(depth, "1"), "{}").same);
    EXPECT_FALSE(cmp(nested_objects(depth, "1"), "{\"a\":1}", {"a.a.a.a"}).same);
  }
}

// Brackets inside strings are text, not nesting: such bodies are still compared as JSON.
TEST(ShadowCompare, BracketsInStringsAreNotNesting) {
  std::string text = "\\\"" + std::string(1000, '[') + std::string(1000, '{');
  std::string a = R"({"s":")" + text + R"(","n":1})";
  std::string b = R"({"s":")" + text + R"(","n":2})";
  EXPECT_EQ(cmp(a, b).paths, Paths{"n"});
  // Deep but within bounds: compared as JSON, the difference named by its path.
  std::string deep_a = nested(200, R"({"x":1})");
  std::string deep_b = nested(200, R"({"x":2})");
  ShadowDiff d = cmp(deep_a, deep_b);
  EXPECT_FALSE(d.same);
  ASSERT_EQ(d.paths.size(), 1u);
  EXPECT_NE(d.paths[0], "(body)");
}

// ---- ShadowTally ----

Config two_shadows() {
  Config c;
  Shadow a;
  a.name = "orders-dark";
  Shadow b;
  b.name = "users-dark";
  c.shadows = {a, b};
  return c;
}

TEST(ShadowTally, CountsPerResultAndPath) {
  Config config = two_shadows();
  ShadowTally t(config);
  t.record(0, ShadowTally::Result::kMatch);
  t.record(0, ShadowTally::Result::kMatch);
  t.record(0, ShadowTally::Result::kMismatch, {"data[].currency", "(status)"});
  t.record(0, ShadowTally::Result::kMismatch, {"data[].currency"});
  t.record(0, ShadowTally::Result::kError);
  t.record(0, ShadowTally::Result::kSkipped);
  t.record(0, ShadowTally::Result::kSkipped);
  t.record(0, ShadowTally::Result::kSkipped);
  t.record(1, ShadowTally::Result::kMismatch, {"x"});
  ShadowTally::Counts c = t.counts(0);
  EXPECT_EQ(c.match, 2u);
  EXPECT_EQ(c.mismatch, 2u);
  EXPECT_EQ(c.error, 1u);
  EXPECT_EQ(c.skipped, 3u);
  ASSERT_EQ(c.paths.size(), 2u);
  EXPECT_EQ(c.paths.at("data[].currency"), 2u);
  EXPECT_EQ(c.paths.at("(status)"), 1u);
  ShadowTally::Counts other = t.counts(1);
  EXPECT_EQ(other.match, 0u);
  EXPECT_EQ(other.mismatch, 1u);
  EXPECT_EQ(other.paths.at("x"), 1u);
}

TEST(ShadowTally, DistinctPathsBeyondTheCapAreOther) {
  Config config = two_shadows();
  ShadowTally t(config);
  // 200 distinct paths keep their name; the rest, however many, are one `other`.
  for (int i = 0; i < 300; ++i) {
    t.record(0, ShadowTally::Result::kMismatch, {"p" + std::to_string(i)});
  }
  ShadowTally::Counts c = t.counts(0);
  EXPECT_EQ(c.mismatch, 300u);
  EXPECT_EQ(c.paths.size(), 201u);
  EXPECT_EQ(c.paths.at("other"), 100u);
  // A path already counted keeps counting under its name.
  t.record(0, ShadowTally::Result::kMismatch, {"p0"});
  EXPECT_EQ(t.counts(0).paths.at("p0"), 2u);
  EXPECT_EQ(t.counts(0).paths.at("other"), 100u);
  EXPECT_TRUE(t.counts(1).paths.empty());
}

const prometheus::MetricFamily* family(const std::vector<prometheus::MetricFamily>& fs,
                                       const std::string& name) {
  for (const auto& f : fs) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string label(const prometheus::ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label) {
    if (l.name == name) return l.value;
  }
  return "";
}

TEST(ShadowTally, RenderHasTheThreeFamilies) {
  Config config = two_shadows();
  ShadowTally t(config);
  for (int i = 0; i < 3; ++i) t.record(0, ShadowTally::Result::kMatch);
  t.record(0, ShadowTally::Result::kMismatch, {"a", "b"});
  t.record(0, ShadowTally::Result::kError);
  std::vector<prometheus::MetricFamily> out;
  t.render(out);
  ASSERT_EQ(out.size(), 3u);

  const auto* total = family(out, "tandem_gateway_shadow_requests_total");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->type, prometheus::MetricType::Counter);
  EXPECT_FALSE(total->help.empty());
  ASSERT_EQ(total->metric.size(), 8u);  // four results for each of two shadows
  std::map<std::string, double> orders;
  for (const auto& m : total->metric) {
    if (label(m, "shadow") == "orders-dark") orders[label(m, "result")] = m.counter.value;
  }
  EXPECT_EQ(orders, (std::map<std::string, double>{
                        {"match", 3}, {"mismatch", 1}, {"error", 1}, {"skipped", 0}}));

  const auto* paths = family(out, "tandem_gateway_shadow_diff_paths_total");
  ASSERT_NE(paths, nullptr);
  EXPECT_EQ(paths->type, prometheus::MetricType::Counter);
  ASSERT_EQ(paths->metric.size(), 2u);
  for (const auto& m : paths->metric) {
    EXPECT_EQ(label(m, "shadow"), "orders-dark");
    EXPECT_EQ(m.counter.value, 1);
  }

  const auto* ratio = family(out, "tandem_gateway_shadow_mismatch_ratio");
  ASSERT_NE(ratio, nullptr);
  EXPECT_EQ(ratio->type, prometheus::MetricType::Gauge);
  ASSERT_EQ(ratio->metric.size(), 2u);
  for (const auto& m : ratio->metric) {
    // Mismatches over compared copies (errors and skips compared nothing).
    double want = label(m, "shadow") == "orders-dark" ? 0.25 : 0.0;
    EXPECT_DOUBLE_EQ(m.gauge.value, want) << label(m, "shadow");
  }
}

// The 50 most frequent paths per shadow keep their name in /metrics; the rest add up in other.
TEST(ShadowTally, RenderNamesTheFiftyMostFrequentPaths) {
  Config config = two_shadows();
  ShadowTally t(config);
  for (int i = 0; i < 200; ++i) {
    // p0 the most frequent, then p1, …: the counts decide, not the names.
    for (int n = 0; n < (i < 60 ? 100 - i : 1); ++n) {
      t.record(0, ShadowTally::Result::kMismatch, {"p" + std::to_string(i)});
    }
  }
  // 500 more distinct paths beyond the 200 the tally names: 500 in other, the largest count.
  for (int i = 0; i < 500; ++i) {
    t.record(0, ShadowTally::Result::kMismatch, {"q" + std::to_string(i)});
  }
  std::vector<prometheus::MetricFamily> out;
  t.render(out);
  const auto* paths = family(out, "tandem_gateway_shadow_diff_paths_total");
  ASSERT_NE(paths, nullptr);
  std::map<std::string, double> named;
  for (const auto& m : paths->metric) named[label(m, "path")] = m.counter.value;
  EXPECT_EQ(named.size(), 51u);
  for (int i = 0; i < 50; ++i) {
    std::string p = "p" + std::to_string(i);
    ASSERT_TRUE(named.count(p)) << p;
    EXPECT_EQ(named[p], 100 - i) << p;
  }
  // other: p50..p199 and every q.
  double rest = 500;
  for (int i = 50; i < 200; ++i) rest += i < 60 ? 100 - i : 1;
  EXPECT_EQ(named["other"], rest);
}

}  // namespace
}  // namespace tandem::gateway
