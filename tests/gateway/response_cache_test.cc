// The response cache (ResponseCache): what is stored and for how long (RFC 9111 for a shared
// cache, RFC 5861's stale-while-revalidate and stale-if-error), variants by Vary, the LRU byte
// bound, and the single revalidation. Time is made-up time points.

#include "gateway/response_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace tandem::gateway {
namespace {

namespace bhttp = http::bhttp;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = ResponseCache::Clock;
using Freshness = ResponseCache::Freshness;

const Clock::time_point kT0 = Clock::time_point() + std::chrono::hours(1000);
const std::string kVersionHeader = "Api-Version";

http::Request get(const std::string& target = "/orders") {
  http::Request req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "api.example.com");
  return req;
}

http::Response answer(const std::string& cache_control, const std::string& body = "{\"a\":1}",
                      unsigned status = 200) {
  http::Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/json");
  if (!cache_control.empty()) res.set(bhttp::field::cache_control, cache_control);
  res.body() = body;
  res.prepare_payload();
  return res;
}

CachePolicy policy(milliseconds ttl = milliseconds(0), milliseconds stale_if_error = {},
                   milliseconds stale_while_revalidate = {}) {
  CachePolicy p;
  p.enabled = true;
  p.ttl = ttl;
  p.stale_if_error = stale_if_error;
  p.stale_while_revalidate = stale_while_revalidate;
  return p;
}

class ResponseCacheTest : public ::testing::Test {
 protected:
  ResponseCache cache_{1 << 20, 64 << 10};
  const std::string key_ = ResponseCache::key(0, "/orders?page=1");

  bool store(const http::Response& res, const CachePolicy& p = policy(),
             const http::Request& req = get()) {
    return cache_.store(key_, req, res, p, kVersionHeader, kT0);
  }
  std::optional<ResponseCache::Hit> at(Clock::time_point now, const http::Request& req = get()) {
    return cache_.lookup(key_, req, kVersionHeader, now);
  }
  // How long the stored answer stays fresh, to the millisecond, by asking at each side of it.
  void expect_fresh_for(milliseconds fresh) {
    auto before = at(kT0 + fresh - milliseconds(1));
    ASSERT_TRUE(before.has_value());
    EXPECT_EQ(before->freshness, Freshness::kFresh) << "just before " << fresh.count() << " ms";
    auto after = at(kT0 + fresh);
    ASSERT_TRUE(after.has_value());
    EXPECT_NE(after->freshness, Freshness::kFresh) << "at " << fresh.count() << " ms";
  }
};

// Suites named ResponseCache* (ResponseCache itself is the class under test).
class ResponseCacheStore : public ResponseCacheTest {};
class ResponseCacheFreshness : public ResponseCacheTest {};
class ResponseCacheVary : public ResponseCacheTest {};

TEST_F(ResponseCacheStore, StoresAndReturnsAFreshAnswer) {
  ASSERT_TRUE(store(answer("max-age=60", "{\"orders\":[1,2]}")));
  EXPECT_EQ(cache_.entries(), 1u);
  EXPECT_GT(cache_.bytes(), 0u);
  auto hit = at(kT0 + seconds(1));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->freshness, Freshness::kFresh);
  EXPECT_EQ(hit->age, milliseconds(1000));
  EXPECT_TRUE(hit->usable_on_error);  // what may be served fresh may be served on an error
  ASSERT_NE(hit->entry, nullptr);
  EXPECT_EQ(hit->entry->response.body(), "{\"orders\":[1,2]}");
  EXPECT_EQ(hit->entry->response.result_int(), 200u);
  // Another target, another upstream: other keys.
  EXPECT_FALSE(cache_.lookup(ResponseCache::key(0, "/orders?page=2"), get(), kVersionHeader, kT0));
  EXPECT_FALSE(cache_.lookup(ResponseCache::key(1, "/orders?page=1"), get(), kVersionHeader, kT0));
  EXPECT_NE(ResponseCache::key(1, "/a"), ResponseCache::key(11, "/a"));
}

TEST_F(ResponseCacheStore, StoringTheSameKeyReplacesTheEntry) {
  ASSERT_TRUE(store(answer("max-age=60", "{\"v\":1}")));
  size_t one = cache_.bytes();
  ASSERT_TRUE(store(answer("max-age=60", "{\"v\":2}")));
  EXPECT_EQ(cache_.entries(), 1u);
  EXPECT_EQ(cache_.bytes(), one);
  auto hit = at(kT0);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->entry->response.body(), "{\"v\":2}");
}

TEST_F(ResponseCacheFreshness, TtlMaxAgeAndSMaxAge) {
  // The route's ttl when the answer says nothing.
  ASSERT_TRUE(store(answer(""), policy(seconds(10))));
  expect_fresh_for(seconds(10));
  // max-age wins over the ttl.
  ASSERT_TRUE(store(answer("max-age=60"), policy(seconds(10))));
  expect_fresh_for(seconds(60));
  ASSERT_TRUE(store(answer("public, max-age=3"), policy(seconds(10))));
  expect_fresh_for(seconds(3));
  // s-maxage wins over max-age in a shared cache, in either order.
  ASSERT_TRUE(store(answer("max-age=60, s-maxage=120"), policy(seconds(10))));
  expect_fresh_for(seconds(120));
  ASSERT_TRUE(store(answer("s-maxage=5, max-age=60"), policy(seconds(10))));
  expect_fresh_for(seconds(5));
  // Directives are case-insensitive, values may be quoted, fields may repeat.
  ASSERT_TRUE(store(answer("Max-Age=\"7\""), policy(seconds(10))));
  expect_fresh_for(seconds(7));
  http::Response two = answer("public");
  two.insert(bhttp::field::cache_control, "max-age=8");
  ASSERT_TRUE(store(two, policy(seconds(10))));
  expect_fresh_for(seconds(8));
}

TEST_F(ResponseCacheFreshness, TheUpstreamsAgeCounts) {
  http::Response res = answer("max-age=60");
  res.set(bhttp::field::age, "50");
  ASSERT_TRUE(store(res));
  auto hit = at(kT0);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->age, seconds(50));
  expect_fresh_for(seconds(10));
}

TEST_F(ResponseCacheStore, WhatIsNeverStored) {
  struct Case {
    const char* why;
    http::Response res;
  };
  http::Response cookie = answer("max-age=60");
  cookie.set(bhttp::field::set_cookie, "session=abc");
  http::Response star = answer("max-age=60");
  star.set(bhttp::field::vary, "Accept-Encoding, *");
  for (const Case& c : {
           Case{"no-store", answer("max-age=60, no-store")},
           Case{"private", answer("private, max-age=60")},
           Case{"private with fields", answer("max-age=60, private=\"x-user\"")},
           Case{"Set-Cookie", cookie},
           Case{"Vary: *", star},
           Case{"500", answer("max-age=60", "{}", 500)},
           Case{"503", answer("max-age=60", "{}", 503)},
           Case{"201", answer("max-age=60", "{}", 201)},
           Case{"206", answer("max-age=60", "{}", 206)},
           Case{"nothing to serve it for", answer("max-age=0")},
           Case{"no ttl and no Cache-Control", answer("")},
       }) {
    SCOPED_TRACE(c.why);
    EXPECT_FALSE(store(c.res, policy(seconds(0), seconds(0), seconds(0))));
    EXPECT_EQ(cache_.entries(), 0u);
    EXPECT_FALSE(at(kT0));
  }
  // Not stored whatever the route's defaults: what the answer forbids, no ttl allows.
  EXPECT_FALSE(store(answer("no-store"), policy(seconds(60), seconds(60), seconds(60))));
  EXPECT_FALSE(store(cookie, policy(seconds(60), seconds(60), seconds(60))));
  EXPECT_EQ(cache_.entries(), 0u);
  // 404 and 410 are cacheable.
  EXPECT_TRUE(store(answer("max-age=60", "{}", 404)));
  EXPECT_TRUE(store(answer("max-age=60", "{}", 410)));
}

TEST_F(ResponseCacheFreshness, NoCacheIsNeverFreshButUsableOnError) {
  // Nothing it could be served for: not stored.
  EXPECT_FALSE(store(answer("no-cache, max-age=60"), policy(seconds(60))));
  EXPECT_EQ(cache_.entries(), 0u);
  // With stale-if-error it is kept for when the upstream fails.
  ASSERT_TRUE(store(answer("no-cache, max-age=60"), policy(seconds(60), seconds(30))));
  auto hit = at(kT0);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->freshness, Freshness::kStale);
  EXPECT_TRUE(hit->usable_on_error);
  auto late = at(kT0 + seconds(30));
  ASSERT_TRUE(late);
  EXPECT_FALSE(late->usable_on_error);
}

// no-cache: never used without a successful revalidation (RFC 9111 §5.2.2.4), so a route's
// stale-while-revalidate, which serves first and revalidates after, does not apply to it.
TEST_F(ResponseCacheFreshness, NoCacheIsNotServedWhileRevalidating) {
  store(answer("no-cache"), policy(seconds(60), seconds(0), seconds(30)));
  auto hit = at(kT0 + seconds(1));
  if (hit) {
    EXPECT_EQ(hit->freshness, Freshness::kStale);
    EXPECT_FALSE(hit->usable_on_error);
  }
  store(answer("no-cache, stale-while-revalidate=30"), policy(seconds(60), seconds(10)));
  hit = at(kT0 + seconds(1));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->freshness, Freshness::kStale);
  EXPECT_TRUE(hit->usable_on_error);
  EXPECT_FALSE(at(kT0 + seconds(10))->usable_on_error);
}

TEST_F(ResponseCacheFreshness, StaleWhileRevalidate) {
  ASSERT_TRUE(store(answer("max-age=10, stale-while-revalidate=30")));
  EXPECT_EQ(at(kT0 + seconds(9))->freshness, Freshness::kFresh);
  auto swr = at(kT0 + seconds(10));
  EXPECT_EQ(swr->freshness, Freshness::kStaleRevalidate);
  EXPECT_TRUE(swr->usable_on_error);
  EXPECT_EQ(at(kT0 + milliseconds(39999))->freshness, Freshness::kStaleRevalidate);
  auto stale = at(kT0 + seconds(40));
  EXPECT_EQ(stale->freshness, Freshness::kStale);
  EXPECT_FALSE(stale->usable_on_error);
  // From the route when the answer says nothing; the answer's own wins.
  ASSERT_TRUE(store(answer(""), policy(seconds(5), seconds(0), seconds(20))));
  EXPECT_EQ(at(kT0 + seconds(24))->freshness, Freshness::kStaleRevalidate);
  EXPECT_EQ(at(kT0 + seconds(25))->freshness, Freshness::kStale);
  ASSERT_TRUE(
      store(answer("max-age=5, stale-while-revalidate=1"), policy(seconds(5), {}, seconds(20))));
  EXPECT_EQ(at(kT0 + seconds(6))->freshness, Freshness::kStale);
}

TEST_F(ResponseCacheFreshness, StaleIfError) {
  ASSERT_TRUE(store(answer("max-age=10, stale-if-error=60")));
  auto fresh = at(kT0 + seconds(5));
  EXPECT_EQ(fresh->freshness, Freshness::kFresh);
  auto stale = at(kT0 + seconds(30));
  EXPECT_EQ(stale->freshness, Freshness::kStale);  // not served while the upstream answers
  EXPECT_TRUE(stale->usable_on_error);
  EXPECT_TRUE(at(kT0 + milliseconds(69999))->usable_on_error);
  EXPECT_FALSE(at(kT0 + seconds(70))->usable_on_error);
  // The route's stale_if_error when the answer says nothing.
  ASSERT_TRUE(store(answer("max-age=10"), policy(seconds(0), seconds(20))));
  EXPECT_TRUE(at(kT0 + seconds(29))->usable_on_error);
  EXPECT_FALSE(at(kT0 + seconds(30))->usable_on_error);
  // Kept with max-age=0 as long as it may serve errors.
  ASSERT_TRUE(store(answer("max-age=0, stale-if-error=60")));
  EXPECT_EQ(at(kT0)->freshness, Freshness::kStale);
  EXPECT_TRUE(at(kT0)->usable_on_error);
}

TEST_F(ResponseCacheVary, VariantsByTheVariedHeader) {
  auto req = [](const char* lang) {
    http::Request r = get();
    if (lang) r.set(bhttp::field::accept_language, lang);
    return r;
  };
  http::Response en = answer("max-age=60", "{\"hello\":\"hi\"}");
  en.set(bhttp::field::vary, "Accept-Language");
  http::Response fr = answer("max-age=60", "{\"hello\":\"salut\"}");
  fr.set(bhttp::field::vary, "accept-language");
  ASSERT_TRUE(store(en, policy(), req("en")));
  ASSERT_TRUE(store(fr, policy(), req("fr")));
  EXPECT_EQ(cache_.entries(), 2u);
  auto hit_en = at(kT0, req("en"));
  ASSERT_TRUE(hit_en);
  EXPECT_EQ(hit_en->entry->response.body(), "{\"hello\":\"hi\"}");
  auto hit_fr = at(kT0, req("fr"));
  ASSERT_TRUE(hit_fr);
  EXPECT_EQ(hit_fr->entry->response.body(), "{\"hello\":\"salut\"}");
  EXPECT_FALSE(at(kT0, req("de")));
  EXPECT_FALSE(at(kT0, req(nullptr)));
  // The header's name is matched without regard to case.
  http::Request lower = get();
  lower.set("accept-language", "en");
  EXPECT_TRUE(at(kT0, lower));
}

TEST_F(ResponseCacheVary, TheVersionHeaderIsNotVaried) {
  // Every client version reaches the upstream as head: one stored answer serves them all.
  http::Response res = answer("max-age=60");
  res.set(bhttp::field::vary, "Api-Version, Accept-Encoding");
  http::Request old = get();
  old.set(kVersionHeader, "2024-01-01");
  old.set(bhttp::field::accept_encoding, "identity");
  ASSERT_TRUE(store(res, policy(), old));
  http::Request newer = get();
  newer.set(kVersionHeader, "2025-01-01");
  newer.set(bhttp::field::accept_encoding, "identity");
  EXPECT_TRUE(at(kT0, newer));
  http::Request none = get();
  none.set(bhttp::field::accept_encoding, "identity");
  EXPECT_TRUE(at(kT0, none));
  http::Request gzip = get();
  gzip.set(kVersionHeader, "2024-01-01");
  gzip.set(bhttp::field::accept_encoding, "gzip");
  EXPECT_FALSE(at(kT0, gzip));
}

TEST(ResponseCacheRequest, AuthorizationAndNoStoreBypass) {
  EXPECT_TRUE(ResponseCache::request_cacheable(get()));
  http::Request auth = get();
  auth.set(bhttp::field::authorization, "Bearer x");
  EXPECT_FALSE(ResponseCache::request_cacheable(auth));
  http::Request no_store = get();
  no_store.set(bhttp::field::cache_control, "no-store");
  EXPECT_FALSE(ResponseCache::request_cacheable(no_store));
  http::Request no_cache = get();
  no_cache.set(bhttp::field::cache_control, "no-cache");
  EXPECT_TRUE(ResponseCache::request_cacheable(no_cache));  // may be stored, not answered
}

TEST(ResponseCacheRequest, WantsFresh) {
  auto with = [](bhttp::field f, const char* v) {
    http::Request r = get();
    r.set(f, v);
    return r;
  };
  EXPECT_FALSE(ResponseCache::request_wants_fresh(get()));
  EXPECT_TRUE(ResponseCache::request_wants_fresh(with(bhttp::field::cache_control, "no-cache")));
  EXPECT_TRUE(ResponseCache::request_wants_fresh(with(bhttp::field::cache_control, "max-age=0")));
  EXPECT_TRUE(
      ResponseCache::request_wants_fresh(with(bhttp::field::cache_control, "max-stale, No-Cache")));
  EXPECT_TRUE(ResponseCache::request_wants_fresh(with(bhttp::field::pragma, "no-cache")));
  EXPECT_FALSE(ResponseCache::request_wants_fresh(with(bhttp::field::cache_control, "max-age=5")));
  EXPECT_FALSE(ResponseCache::request_wants_fresh(with(bhttp::field::pragma, "x")));
}

// The size of one entry as the cache counts it (its keys included), for the byte bounds below.
size_t entry_bytes(const http::Response& res, const std::string& key = "k") {
  ResponseCache probe(1 << 20, 1 << 20);
  EXPECT_TRUE(probe.store(key, get(), res, policy(), kVersionHeader, kT0));
  return probe.bytes();
}

TEST(ResponseCacheLru, EvictsTheLeastRecentlyUsedByBytes) {
  http::Response res = answer("max-age=60", std::string(1000, 'x'));
  size_t one = entry_bytes(res, ResponseCache::key(0, "/item/1"));  // every key as long
  ASSERT_GE(one, 1000u);
  ResponseCache cache(3 * one + one / 2, one);
  auto key = [](int i) { return ResponseCache::key(0, "/item/" + std::to_string(i)); };
  auto store = [&](int i) {
    return cache.store(key(i), get(), res, policy(), kVersionHeader, kT0);
  };
  auto has = [&](int i) { return cache.lookup(key(i), get(), kVersionHeader, kT0).has_value(); };
  ASSERT_TRUE(store(1));
  ASSERT_TRUE(store(2));
  ASSERT_TRUE(store(3));
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_EQ(cache.evictions(), 0u);
  // Using 1 makes 2 the least recently used.
  EXPECT_TRUE(has(1));
  ASSERT_TRUE(store(4));
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_LE(cache.bytes(), 3 * one + one / 2);
  EXPECT_TRUE(has(1));
  EXPECT_FALSE(has(2));
  EXPECT_TRUE(has(3));
  EXPECT_TRUE(has(4));
  // The checks above used 1, then 3, then 4: 1 is now the oldest use.
  ASSERT_TRUE(store(5));
  EXPECT_FALSE(has(1));
  EXPECT_TRUE(has(3));
  EXPECT_EQ(cache.bytes(), 3 * one);
  EXPECT_EQ(cache.evictions(), 2u);
}

TEST(ResponseCacheLru, EntriesOverMaxEntryAreNotStored) {
  http::Response small = answer("max-age=60", std::string(100, 'x'));
  http::Response big = answer("max-age=60", std::string(5000, 'x'));
  size_t small_bytes = entry_bytes(small);
  ResponseCache cache(1 << 20, small_bytes + 10);
  EXPECT_TRUE(cache.store("s", get(), small, policy(), kVersionHeader, kT0));
  EXPECT_FALSE(cache.store("b", get(), big, policy(), kVersionHeader, kT0));
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.evictions(), 0u);
  // Nor over the whole cache's bound: it would evict everything and still not fit.
  ResponseCache tiny(small_bytes, 1 << 20);
  EXPECT_TRUE(tiny.store("s", get(), small, policy(), kVersionHeader, kT0));
  EXPECT_FALSE(tiny.store("b", get(), big, policy(), kVersionHeader, kT0));
  EXPECT_EQ(tiny.entries(), 1u);
}

TEST(ResponseCacheRevalidation, OnlyTheFirstCallerRevalidates) {
  ResponseCache cache(1 << 20, 1 << 16);
  EXPECT_TRUE(cache.begin_revalidation("a"));
  EXPECT_FALSE(cache.begin_revalidation("a"));
  EXPECT_FALSE(cache.begin_revalidation("a"));
  EXPECT_TRUE(cache.begin_revalidation("b"));  // per key
  cache.end_revalidation("a");
  EXPECT_TRUE(cache.begin_revalidation("a"));
  cache.end_revalidation("b");
  cache.end_revalidation("b");  // twice is harmless
  EXPECT_TRUE(cache.begin_revalidation("b"));
}

// Keys count: long query strings cannot grow memory past max_size (a trial grew a 4 MiB cache's
// process to 1.4 GB with 15 KB query strings, the keys counted nowhere).
TEST(ResponseCacheLru, KeysCountTowardsTheBound) {
  http::Response res = answer("max-age=60", "{}");
  ResponseCache cache(64 * 1024, 1024);
  std::string query(15000, 'q');
  for (int i = 0; i < 200; ++i) {
    cache.store(ResponseCache::key(0, "/s?" + query + std::to_string(i)), get(), res, policy(),
                kVersionHeader, kT0);
    ASSERT_LE(cache.bytes(), 64u * 1024);
  }
  EXPECT_LE(cache.entries(), 2u);  // each entry is > 30 KB with its keys
  EXPECT_GE(cache.evictions(), 198u);
}

}  // namespace
}  // namespace tandem::gateway
