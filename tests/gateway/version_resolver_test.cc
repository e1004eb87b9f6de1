// Which version a request speaks: header > path > media type > pin > local pin > default,
// the errors a client gets (unknown, conflicting, removed), path stripping and media types.

#include "gateway/version_resolver.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>
#include <variant>

namespace tandem::gateway {
namespace {

using Pins = std::unordered_map<std::string, std::string>;

Config config_with(std::string path = "/{version}/",
                   std::string media = "application/vnd.shop.{version}+json") {
  Config c;
  for (const char* name : {"2024-01-01", "2025-01-01", "2026-01-01"}) {
    ApiVersion v;
    v.name = name;
    c.versions.push_back(v);
  }
  c.version_path = std::move(path);
  c.media_type = std::move(media);
  return c;
}

std::string media(const std::string& version) {
  return "application/vnd.shop." + version + "+json";
}

struct Req {
  std::string path = "/orders";
  std::string header, accept, content_type, client;
  RequestView view() const { return RequestView{path, header, accept, content_type, client}; }
};

VersionChoice choose(const Config& c, const Req& r, const Pins& pins = {}, const Pins& local = {}) {
  auto out = resolve_version(c, r.view(), pins, local);
  if (auto* err = std::get_if<VersionError>(&out)) {
    ADD_FAILURE() << "refused: " << err->status << " " << err->type << ": " << err->detail;
    return {};
  }
  return std::get<VersionChoice>(out);
}

VersionError refuse(const Config& c, const Req& r, const Pins& pins = {}, const Pins& local = {}) {
  auto out = resolve_version(c, r.view(), pins, local);
  if (auto* ok = std::get_if<VersionChoice>(&out)) {
    ADD_FAILURE() << "chose index " << ok->index << " from " << ok->source;
    return {};
  }
  return std::get<VersionError>(out);
}

TEST(ResolveVersion, HeaderWinsOverEverything) {
  Config c = config_with();
  Req r;
  r.header = "2024-01-01";
  r.path = "/orders/7";
  r.client = "acme";
  VersionChoice v = choose(c, r, {{"acme", "2025-01-01"}}, {{"acme", "2026-01-01"}});
  EXPECT_EQ(v.index, 0);
  EXPECT_STREQ(v.source, "header");
  EXPECT_EQ(v.path, "/orders/7");
  EXPECT_FALSE(v.pin_now);
}

TEST(ResolveVersion, HeaderIsTrimmed) {
  Req r;
  r.header = " \t2025-01-01 ";
  EXPECT_EQ(choose(config_with(), r).index, 1);
}

TEST(ResolveVersion, HeaderAgreeingWithPathAndMediaTypeKeepsSourceHeader) {
  Req r;
  r.header = "2025-01-01";
  r.path = "/2025-01-01/orders";
  r.accept = media("2025-01-01");
  VersionChoice v = choose(config_with(), r);
  EXPECT_EQ(v.index, 1);
  EXPECT_STREQ(v.source, "header");
  EXPECT_EQ(v.path, "/orders");  // stripped all the same
}

TEST(ResolveVersion, PathBeforeMediaTypeAndPin) {
  Req r;
  r.path = "/2024-01-01/orders/7";
  r.client = "acme";
  VersionChoice v = choose(config_with(), r, {{"acme", "2026-01-01"}});
  EXPECT_EQ(v.index, 0);
  EXPECT_STREQ(v.source, "path");
  EXPECT_EQ(v.path, "/orders/7");
}

TEST(ResolveVersion, MediaTypeBeforePin) {
  Req r;
  r.accept = media("2024-01-01") + "; q=0.9, */*";
  r.client = "acme";
  VersionChoice v = choose(config_with(), r, {{"acme", "2026-01-01"}});
  EXPECT_EQ(v.index, 0);
  EXPECT_STREQ(v.source, "media_type");
  // In Content-Type alone too.
  Req post;
  post.content_type = media("2025-01-01") + "; charset=utf-8";
  VersionChoice p = choose(config_with(), post);
  EXPECT_EQ(p.index, 1);
  EXPECT_STREQ(p.source, "media_type");
}

TEST(ResolveVersion, PinBeforeLocalPinBeforeDefault) {
  Config c = config_with();
  Req r;
  r.client = "acme";
  VersionChoice pinned = choose(c, r, {{"acme", "2024-01-01"}}, {{"acme", "2025-01-01"}});
  EXPECT_EQ(pinned.index, 0);
  EXPECT_STREQ(pinned.source, "pin");
  EXPECT_FALSE(pinned.pin_now);
  VersionChoice local = choose(c, r, {{"other", "2024-01-01"}}, {{"acme", "2025-01-01"}});
  EXPECT_EQ(local.index, 1);
  EXPECT_STREQ(local.source, "pin");
  EXPECT_FALSE(local.pin_now);  // pinned already, by this worker
  VersionChoice fresh = choose(c, r, {{"other", "2024-01-01"}}, {{"another", "2025-01-01"}});
  EXPECT_EQ(fresh.index, 2);
  EXPECT_STREQ(fresh.source, "default");
  EXPECT_TRUE(fresh.pin_now);
}

TEST(ResolveVersion, DefaultPinIsHeadAndPinsOnlyAKnownClient) {
  Config c = config_with();
  ASSERT_TRUE(c.default_pin);
  Req anonymous;
  VersionChoice v = choose(c, anonymous);
  EXPECT_EQ(v.index, 2);
  EXPECT_STREQ(v.source, "default");
  EXPECT_FALSE(v.pin_now);
  Req known;
  known.client = "acme";
  VersionChoice k = choose(c, known);
  EXPECT_EQ(k.index, 2);
  EXPECT_TRUE(k.pin_now);
  // A client that names its version is not pinned by this request.
  known.header = "2026-01-01";
  EXPECT_FALSE(choose(c, known).pin_now);
}

TEST(ResolveVersion, DefaultAVersionName) {
  Config c = config_with();
  c.default_pin = false;
  c.default_version = "2025-01-01";
  Req r;
  r.client = "acme";
  VersionChoice v = choose(c, r);
  EXPECT_EQ(v.index, 1);
  EXPECT_STREQ(v.source, "default");
  EXPECT_FALSE(v.pin_now);
  EXPECT_EQ(v.path, "/orders");
}

TEST(ResolveVersion, UnknownVersionInHeader) {
  Req r;
  r.header = "2023-01-01";
  VersionError e = refuse(config_with(), r);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "unknown-version");
  EXPECT_NE(e.detail.find("2023-01-01"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("2024-01-01, 2025-01-01, 2026-01-01"), std::string::npos) << e.detail;
}

TEST(ResolveVersion, RemovedVersionsAnswer410WhereverTheyAreNamed) {
  Config c = config_with();
  c.removed_versions = {"2023-01-01"};
  Req header;
  header.header = "2023-01-01";
  VersionError e = refuse(c, header);
  EXPECT_EQ(e.status, 410);
  EXPECT_EQ(e.type, "version-removed");
  EXPECT_NE(e.detail.find("move to 2026-01-01"), std::string::npos) << e.detail;
  Req path;
  path.path = "/2023-01-01/orders";
  EXPECT_EQ(refuse(c, path).status, 410);
  Req accept;
  accept.accept = media("2023-01-01");
  EXPECT_EQ(refuse(c, accept).status, 410);
  // A version never listed stays a 400.
  Req other;
  other.header = "1999-01-01";
  EXPECT_EQ(refuse(c, other).status, 400);
}

TEST(ResolveVersion, UnknownVersionInMediaType) {
  Req r;
  r.accept = media("1999-01-01");
  VersionError e = refuse(config_with(), r);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "unknown-version");
  EXPECT_NE(e.detail.find("1999-01-01"), std::string::npos) << e.detail;
  Req ct;
  ct.content_type = media("nope");
  EXPECT_EQ(refuse(config_with(), ct).type, "unknown-version");
}

TEST(ResolveVersion, UnknownVersionInPathIsJustAPath) {
  Req r;
  r.path = "/orders/2023-01-01";
  VersionChoice v = choose(config_with(), r);
  EXPECT_EQ(v.path, "/orders/2023-01-01");
  EXPECT_STREQ(v.source, "default");
}

TEST(ResolveVersion, ConflictingHeaderAndPath) {
  Req r;
  r.header = "2024-01-01";
  r.path = "/2025-01-01/orders";
  VersionError e = refuse(config_with(), r);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "conflicting-versions");
  EXPECT_NE(e.detail.find("2025-01-01"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("2024-01-01"), std::string::npos) << e.detail;
}

TEST(ResolveVersion, ConflictingPathAndMediaType) {
  Req r;
  r.path = "/2025-01-01/orders";
  r.accept = media("2024-01-01");
  VersionError e = refuse(config_with(), r);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "conflicting-versions");
}

TEST(ResolveVersion, ConflictingAcceptAndContentType) {
  Req r;
  r.accept = media("2025-01-01");
  r.content_type = media("2024-01-01");
  EXPECT_EQ(refuse(config_with(), r).type, "conflicting-versions");
}

TEST(ResolveVersion, PinToARemovedVersionIsGone) {
  Req r;
  r.client = "acme";
  VersionError e = refuse(config_with(), r, {{"acme", "2023-01-01"}});
  EXPECT_EQ(e.status, 410);
  EXPECT_EQ(e.type, "version-removed");
  EXPECT_NE(e.detail.find("acme"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("2023-01-01"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("Api-Version"), std::string::npos) << e.detail;
  // Also when only this worker's own pins know it.
  EXPECT_EQ(refuse(config_with(), r, {}, {{"acme", "2023-01-01"}}).status, 410);
  // Naming a version explicitly still works for that client.
  r.header = "2025-01-01";
  EXPECT_EQ(choose(config_with(), r, {{"acme", "2023-01-01"}}).index, 1);
}

TEST(ResolveVersion, PathStrippingAtTheRoot) {
  Config c = config_with("/{version}/");
  struct Case {
    const char* in;
    const char* out;
    int index;
  };
  for (Case k : {Case{"/2025-01-01/orders", "/orders", 1},
                 Case{"/2025-01-01/orders/7/refunds", "/orders/7/refunds", 1},
                 Case{"/2024-01-01/", "/", 0}, Case{"/2024-01-01", "/", 0},
                 Case{"/2026-01-01/orders/", "/orders/", 2}, Case{"/orders", "/orders", 2},
                 Case{"/", "/", 2}, Case{"/2025-01-01x/orders", "/2025-01-01x/orders", 2}}) {
    SCOPED_TRACE(k.in);
    Req r;
    r.path = k.in;
    VersionChoice v = choose(c, r);
    EXPECT_EQ(v.path, k.out);
    EXPECT_EQ(v.index, k.index);
  }
}

TEST(ResolveVersion, PathStrippingUnderAPrefix) {
  Config c = config_with("/api/{version}/");
  struct Case {
    const char* in;
    const char* out;
    int index;
  };
  for (Case k :
       {Case{"/api/2024-01-01/orders", "/api/orders", 0}, Case{"/api/2024-01-01", "/api/", 0},
        Case{"/api/orders", "/api/orders", 2}, Case{"/2024-01-01/orders", "/2024-01-01/orders", 2},
        Case{"/apix/2024-01-01/orders", "/apix/2024-01-01/orders", 2}}) {
    SCOPED_TRACE(k.in);
    Req r;
    r.path = k.in;
    VersionChoice v = choose(c, r);
    EXPECT_EQ(v.path, k.out);
    EXPECT_EQ(v.index, k.index);
  }
}

TEST(ResolveVersion, NoPathOrMediaTypeConfigured) {
  Config c = config_with("", "");
  Req r;
  r.path = "/2024-01-01/orders";
  r.accept = media("1999-01-01");  // not a pattern of this API: ignored
  VersionChoice v = choose(c, r);
  EXPECT_EQ(v.path, "/2024-01-01/orders");
  EXPECT_EQ(v.index, 2);
}

TEST(MediaType, VersionInMediaType) {
  const char* p = "application/vnd.shop.{version}+json";
  EXPECT_EQ(version_in_media_type(p, "application/vnd.shop.2025-01-01+json"), "2025-01-01");
  EXPECT_EQ(version_in_media_type(p, "application/vnd.shop.2025-01-01+json; q=0.9"), "2025-01-01");
  EXPECT_EQ(version_in_media_type(p, "text/html, application/vnd.shop.v2+json;q=0.5, */*"), "v2");
  EXPECT_EQ(version_in_media_type(p, "  application/vnd.shop.v3+json  ,text/plain"), "v3");
  // The first one wins.
  EXPECT_EQ(version_in_media_type(p, "application/vnd.shop.a+json, application/vnd.shop.b+json"),
            "a");
  EXPECT_EQ(version_in_media_type(p, "application/json"), "");
  EXPECT_EQ(version_in_media_type(p, "application/vnd.shop.+json"), "");  // empty version
  EXPECT_EQ(version_in_media_type(p, ""), "");
  EXPECT_EQ(version_in_media_type(p, ","), "");
  EXPECT_EQ(version_in_media_type(p, "application/vnd.shop.v1+xml"), "");
  // A parameter that looks like the pattern is not a media type.
  EXPECT_EQ(version_in_media_type(p, "text/plain; x=application/vnd.shop.v1+json"), "");
}

TEST(MediaType, RewriteMediaType) {
  const char* p = "application/vnd.shop.{version}+json";
  EXPECT_EQ(rewrite_media_type(p, "application/vnd.shop.2024-01-01+json", "2026-01-01"),
            "application/vnd.shop.2026-01-01+json");
  EXPECT_EQ(rewrite_media_type(p, "application/vnd.shop.2024-01-01+json; charset=utf-8", "X"),
            "application/vnd.shop.X+json; charset=utf-8");
  EXPECT_EQ(
      rewrite_media_type(
          p, "text/html, application/vnd.shop.a+json;q=0.9 , application/vnd.shop.b+json", "H"),
      "text/html, application/vnd.shop.H+json;q=0.9 , application/vnd.shop.H+json");
  EXPECT_EQ(rewrite_media_type(p, "application/json", "H"), "application/json");
  EXPECT_EQ(rewrite_media_type(p, "", "H"), "");
  EXPECT_EQ(rewrite_media_type(p, "*/*; q=0.1", "H"), "*/*; q=0.1");
  // The version in the middle of the pattern.
  EXPECT_EQ(rewrite_media_type("application/{version}", "application/v1, application/v2;q=1", "v9"),
            "application/v9, application/v9;q=1");
}

}  // namespace
}  // namespace tandem::gateway
