// Flags: values, targeting and evaluation (no database), then the store on both backends.

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tandem/flags.h"
#include "test_util.h"

namespace tandem::flags {
namespace {

using testing::Kind;
using testing::TestDb;

FlagChange change(std::string key, std::string value) {
  FlagChange c;
  c.key = std::move(key);
  c.value = std::move(value);
  c.actor = "test";
  return c;
}

Flag made(const FlagChange& c, const std::optional<Flag>& current = std::nullopt) {
  auto f = apply_change(current, c);
  EXPECT_TRUE(f.ok()) << f.status().message();
  return f.ok() ? *f : Flag{};
}

TEST(FlagValues, ParsedAsTheirTypeInCanonicalJson) {
  EXPECT_EQ(*parse_value(FlagType::kBool, "ON"), "true");
  EXPECT_EQ(*parse_value(FlagType::kBool, "false"), "false");
  EXPECT_FALSE(parse_value(FlagType::kBool, "yes").ok());
  EXPECT_EQ(*parse_value(FlagType::kNumber, "2.50"), "2.5");
  EXPECT_EQ(*parse_value(FlagType::kNumber, "9007199254740993"), "9007199254740993");
  EXPECT_FALSE(parse_value(FlagType::kNumber, "1e999").ok());
  EXPECT_FALSE(parse_value(FlagType::kNumber, "NaN").ok());
  EXPECT_EQ(*parse_value(FlagType::kString, "a \"b\""), "\"a \\\"b\\\"\"");
  EXPECT_FALSE(parse_value(FlagType::kString, std::string("\xff\xfe")).ok());
  EXPECT_EQ(*parse_value(FlagType::kJson, "{ \"b\": 1, \"a\": [true] }"), "{\"a\":[true],\"b\":1}");
  EXPECT_FALSE(parse_value(FlagType::kJson, "{").ok());
  EXPECT_FALSE(parse_value(FlagType::kString, std::string(70000, 'x')).ok());
}

TEST(FlagValues, TypeInferredFromTheValue) {
  EXPECT_EQ(infer_type("true"), FlagType::kBool);
  EXPECT_EQ(infer_type("Off"), FlagType::kBool);
  EXPECT_EQ(infer_type("-3.5"), FlagType::kNumber);
  EXPECT_EQ(infer_type("[1]"), FlagType::kJson);
  EXPECT_EQ(infer_type("blue"), FlagType::kString);
  EXPECT_EQ(infer_type("{not json"), FlagType::kJson);  // then refused as json, not a string
  // Out of range is still a number (and then refused), never quietly the text "1e400".
  EXPECT_EQ(infer_type("1e400"), FlagType::kNumber);
  EXPECT_FALSE(apply_change(std::nullopt, change("n", "1e400")).ok());
  EXPECT_EQ(infer_type("-0.5E+3"), FlagType::kNumber);
  for (const char* text : {"01", "1.", ".5", "1e", "--1", "0x10", "1 "})
    EXPECT_EQ(infer_type(text), FlagType::kString) << text;
}

TEST(FlagKeys, OnlyUrlSafeNames) {
  EXPECT_TRUE(check_key("orders.read_new").ok());
  EXPECT_TRUE(check_key("tenant:eu-1").ok());
  for (const char* bad : {"", ".hidden", "a/b", "a b", "a%2F", "ä", "../x"})
    EXPECT_FALSE(check_key(bad).ok()) << bad;
  EXPECT_FALSE(check_key(std::string(129, 'a')).ok());
}

TEST(FlagTargeting, WithoutTargetingEveryoneGetsTheValue) {
  Flag f = made(change("k", "true"));
  EXPECT_FALSE(f.targeted());
  EXPECT_TRUE(f.serves_everyone("true"));
  Evaluation e = evaluate(f, std::nullopt);
  EXPECT_EQ(e.value, "true");
  EXPECT_EQ(e.reason, Reason::kStatic);
  EXPECT_EQ(evaluate(f, "anyone").value, "true");
}

TEST(FlagTargeting, AllowDenyAndPercentage) {
  FlagChange c = change("orders.read_new", "true");
  c.allow = {"vip"};
  c.deny = {"fragile"};
  c.percent = 20;
  Flag f = made(c);
  EXPECT_TRUE(f.targeted());
  EXPECT_EQ(f.fallback, "false");
  EXPECT_FALSE(f.serves_everyone("true"));
  EXPECT_EQ(evaluate(f, std::string("vip")).value, "true");
  EXPECT_EQ(evaluate(f, std::string("vip")).reason, Reason::kTargetingMatch);
  EXPECT_EQ(evaluate(f, std::string("fragile")).value, "false");
  // No targeting key: the fallback, never a random side.
  EXPECT_EQ(evaluate(f, std::nullopt).value, "false");
  EXPECT_EQ(evaluate(f, std::nullopt).reason, Reason::kDefault);
  int on = 0;
  for (int i = 0; i < 20000; ++i)
    if (evaluate(f, "tenant-" + std::to_string(i)).value == "true") ++on;
  EXPECT_NEAR(on / 20000.0, 0.20, 0.015);
}

TEST(FlagTargeting, ATenantInAtFivePercentStaysInAtTwentyFive) {
  FlagChange c = change("k", "true");
  c.percent = 5;
  Flag five = made(c);
  c.percent = 25;
  Flag twenty_five = made(c);
  int in5 = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string key = "t" + std::to_string(i);
    if (evaluate(five, key).value == "true") {
      ++in5;
      EXPECT_EQ(evaluate(twenty_five, key).value, "true") << key;
    }
  }
  EXPECT_GT(in5, 150);
  // Stable across processes and releases: a fixed bucket.
  EXPECT_EQ(bucket("orders.read_new", "tenant-42"), bucket("orders.read_new", "tenant-42"));
  EXPECT_NE(bucket("a", "tenant-42"), bucket("b", "tenant-42"));
}

// "Serves everyone" counts callers without a targeting key: a percentage of 100 with an allow
// list still serves them the fallback (a trial's finding: complete accepted such a flag).
TEST(FlagTargeting, ServesEveryoneCountsCallersWithoutAKey) {
  FlagChange c = change("k", "true");
  c.allow = {"a"};
  c.percent = 100;
  Flag f = made(c);
  EXPECT_EQ(evaluate(f, std::nullopt).value, "false");
  EXPECT_FALSE(f.serves_everyone("true"));
  EXPECT_EQ(evaluate(f, std::string("zz")).reason, Reason::kSplit);
  FlagChange off = change("k", "true");
  off.percent = 0;
  off.deny = {"x"};
  EXPECT_TRUE(made(off).serves_everyone("false"));
  EXPECT_FALSE(made(off).serves_everyone("true"));
  EXPECT_TRUE(made(change("k", "false")).serves_everyone("false"));
}

TEST(FlagTargeting, AllowAloneMeansOnlyThem) {
  FlagChange c = change("k", "true");
  c.allow = {"a", "b"};
  Flag f = made(c);
  EXPECT_EQ(f.percent, 0);
  EXPECT_EQ(evaluate(f, std::string("a")).value, "true");
  EXPECT_EQ(evaluate(f, std::string("zz")).value, "false");
}

TEST(FlagTargeting, DenyAloneMeansEveryoneElse) {
  FlagChange c = change("k", "true");
  c.deny = {"x"};
  Flag f = made(c);
  EXPECT_EQ(evaluate(f, std::string("y")).value, "true");
  EXPECT_EQ(evaluate(f, std::string("x")).value, "false");
}

TEST(FlagTargeting, NonBoolTargetingNeedsADefault) {
  FlagChange c = change("theme", "blue");
  c.percent = 10;
  auto refused = apply_change(std::nullopt, c);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().hint().find("--default"), std::string::npos);
  c.fallback = "classic";
  Flag f = made(c);
  EXPECT_EQ(f.fallback, "\"classic\"");
  // A later change of the share keeps the default it had.
  FlagChange more = change("theme", "blue");
  more.percent = 50;
  EXPECT_EQ(made(more, f).fallback, "\"classic\"");
}

TEST(FlagTargeting, BadTargetingRefused) {
  FlagChange c = change("k", "true");
  c.percent = 101;
  EXPECT_FALSE(apply_change(std::nullopt, c).ok());
  c.percent = -1;
  EXPECT_FALSE(apply_change(std::nullopt, c).ok());
  c.percent = std::nullopt;
  c.allow = {"a", "a"};
  EXPECT_FALSE(apply_change(std::nullopt, c).ok());
  c.allow = {"a"};
  c.deny = {"a"};
  EXPECT_FALSE(apply_change(std::nullopt, c).ok());
  c.deny = {""};
  EXPECT_FALSE(apply_change(std::nullopt, c).ok());
  c.deny = {std::string("k\xff")};  // could never match a JSON targetingKey
  EXPECT_FALSE(apply_change(std::nullopt, c).ok());
  c.deny = {};
  // Shares below what 10,000 buckets tell apart are refused; others kept to 0.01.
  c.allow = {};
  c.percent = 1e-310;
  EXPECT_FALSE(apply_change(std::nullopt, c).ok());
  c.percent = 12.3456;
  EXPECT_EQ(made(c).percent, 12.35);
  EXPECT_FALSE(apply_change(std::nullopt, change("n", "123456789012345678901234567890")).ok());
  FlagChange bad_reason = change("k", "true");
  bad_reason.reason = "\xff";
  EXPECT_FALSE(apply_change(std::nullopt, bad_reason).ok());
}

TEST(FlagTargeting, TypeKeptUnlessChangedOnPurpose) {
  Flag n = made(change("limit", "10"));
  EXPECT_EQ(n.type, FlagType::kNumber);
  EXPECT_FALSE(apply_change(n, change("limit", "ten")).ok());
  FlagChange retype = change("limit", "ten");
  retype.type = FlagType::kString;
  EXPECT_EQ(made(retype, n).type, FlagType::kString);
  EXPECT_EQ(made(retype, n).version, n.version + 1);
}

TEST(FlagJson, RoundTrips) {
  FlagChange c = change("k", "{\"a\": 1}");
  c.fallback = "{}";
  c.allow = {"x"};
  Flag f = made(c);
  auto back = from_json(to_json(f));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->value, f.value);
  EXPECT_EQ(back->fallback, f.fallback);
  EXPECT_EQ(back->allow, f.allow);
  EXPECT_EQ(back->percent, f.percent);
}

class FlagStoreTest : public ::testing::TestWithParam<Kind> {};

TEST_P(FlagStoreTest, SetGetListHistoryDelete) {
  TestDb db(GetParam());
  auto store = FlagStore::open(db.url());
  ASSERT_TRUE(store.ok()) << store.status().message();
  FlagStore& fs = **store;
  EXPECT_TRUE(fs.list()->empty());
  std::string g0 = *fs.generation();
  FlagChange c = change("orders.read_new", "true");
  c.percent = 25;
  c.reason = "canary";
  auto set = fs.set(c);
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->version, 1);
  EXPECT_NE(*fs.generation(), g0);
  auto got = fs.get("orders.read_new");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->percent, 25);
  EXPECT_EQ((*got)->updated_by, "test");
  EXPECT_FALSE(fs.get("nope")->has_value());

  FlagChange kill = change("orders.read_new", "false");
  kill.reason = "mismatches";
  ASSERT_TRUE(fs.set(kill).ok());
  auto events = fs.history("orders.read_new");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].reason, "mismatches");
  EXPECT_EQ(from_json((*events)[0].before)->percent, 25);
  EXPECT_EQ(from_json((*events)[0].after)->value, "false");
  EXPECT_TRUE((*events)[1].before.empty());

  // Compare-and-set: a stale version is refused and changes nothing.
  FlagChange stale = change("orders.read_new", "true");
  stale.expect_version = 1;
  auto refused = fs.set(stale);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kProblem);
  EXPECT_EQ((*fs.get("orders.read_new"))->value, "false");
  EXPECT_EQ(fs.history("orders.read_new")->size(), 2u);

  ASSERT_TRUE(fs.set(change("other", "7")).ok());
  EXPECT_EQ(fs.list()->size(), 2u);
  ASSERT_TRUE(fs.remove("other", "test", "done").ok());
  EXPECT_FALSE(fs.remove("other", "test", "again").ok());
  EXPECT_EQ(fs.list()->size(), 1u);
  EXPECT_EQ(fs.history("")->front().action, "delete");

  // --if-version 0 only creates.
  FlagChange create_only = change("orders.read_new", "true");
  create_only.expect_version = 0;
  auto exists = fs.set(create_only);
  ASSERT_FALSE(exists.ok());
  EXPECT_NE(exists.status().message().find("exists already"), std::string::npos);
  EXPECT_FALSE(fs.history("", 0).ok());
  // A bad change is refused before anything is written.
  EXPECT_FALSE(fs.set(change("bad key", "1")).ok());
  EXPECT_FALSE(fs.set(change("orders.read_new", "maybe")).ok());
  EXPECT_EQ(fs.history("")->size(), 4u);
}

TEST_P(FlagStoreTest, ConcurrentChangesAreEachAudited) {
  TestDb db(GetParam());
  ASSERT_TRUE(FlagStore::open(db.url()).ok());
  constexpr int kThreads = 4, kEach = 15;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto store = FlagStore::open(db.url());
      if (!store.ok()) {
        ++failed;
        return;
      }
      for (int i = 0; i < kEach; ++i) {
        FlagChange c = change("shared", std::to_string(t * 100 + i));
        auto r = (*store)->set(c);
        // SQLite's writers may time out on a busy machine; PostgreSQL's never fail here.
        if (!r.ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  auto store = FlagStore::open(db.url());
  ASSERT_TRUE(store.ok());
  auto events = (*store)->history("shared", 1000);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), static_cast<size_t>(kThreads * kEach));
  // Versions count every change, and each event's `before` is what it really replaced.
  EXPECT_EQ((*(*store)->get("shared"))->version, kThreads * kEach);
  for (size_t i = 0; i + 1 < events->size(); ++i)
    EXPECT_EQ((*events)[i].before, (*events)[i + 1].after);
}

TEST_P(FlagStoreTest, AHandEditedRowIsRefusedNotServed) {
  TestDb db(GetParam());
  auto store = FlagStore::open(db.url());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->set(change("good", "true")).ok());
  std::string t = db.pg() ? "tandem.flags" : "tandem_flags";
  for (const char* edit : {"allow_keys = 'oops'", "value = '\"yes\"'", "value = 'not json'",
                           "percent = 1000", "version = -5", "fallback = '[1]'", "type = 'enum'"}) {
    ASSERT_TRUE((*store)->set(change("k", "true")).ok());
    db.exec("UPDATE " + t + " SET " + edit + " WHERE key = 'k'");
    auto got = (*store)->get("k");
    ASSERT_FALSE(got.ok()) << edit;
    EXPECT_EQ(got.status().code(), Code::kDatabase) << edit;
    EXPECT_FALSE((*store)->list().ok()) << edit;
    // Left out (and said) for a server, which keeps serving the others.
    std::vector<Status> invalid;
    auto served = (*store)->list(&invalid);
    ASSERT_TRUE(served.ok());
    ASSERT_EQ(served->size(), 1u);
    EXPECT_EQ(served->front().key, "good");
    EXPECT_EQ(invalid.size(), 1u) << edit;
  }
  // `flag set` replaces the broken row, `flag delete` removes it.
  auto fixed = (*store)->set(change("k", "false"));
  ASSERT_TRUE(fixed.ok()) << fixed.status().message();
  EXPECT_EQ((*(*store)->get("k"))->value, "false");
  db.exec("UPDATE " + t + " SET value = 'garbage' WHERE key = 'k'");
  EXPECT_TRUE((*store)->remove("k", "test", "broken").ok());
  EXPECT_EQ((*store)->list()->size(), 1u);
}

// Readers never create the tables: a read-only user can list, and a database without flags has
// none.
TEST_P(FlagStoreTest, ReadersCreateNothing) {
  TestDb db(GetParam());
  if (!db.pg()) db.exec("CREATE TABLE app (id integer)");
  std::string before = db.snapshot();
  auto reader = FlagStore::open(db.url(), /*create=*/false);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_FALSE((*reader)->exists());
  EXPECT_TRUE((*reader)->list()->empty());
  EXPECT_FALSE((*reader)->get("k")->has_value());
  EXPECT_TRUE((*reader)->history("")->empty());
  EXPECT_EQ(db.snapshot(), before);
  if (db.pg()) {
    EXPECT_EQ(db.value("SELECT count(*) FROM pg_namespace WHERE nspname = 'tandem'"), "0");
  }
  // set() creates them on first use.
  ASSERT_TRUE((*reader)->set(change("k", "true")).ok());
  EXPECT_TRUE((*reader)->exists());
}

INSTANTIATE_TEST_SUITE_P(Backends, FlagStoreTest, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         testing::kind_name);

}  // namespace
}  // namespace tandem::flags
