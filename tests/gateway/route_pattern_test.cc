// Route patterns of the change list: what parses, what is refused, and what matches.

#include "gateway/route_pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::gateway {
namespace {

RoutePattern parse(std::string_view text) {
  auto r = parse_route_pattern(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : RoutePattern{};
}

TEST(RoutePatternParse, MethodAndPath) {
  RoutePattern p = parse("GET /orders/{id}/refunds");
  EXPECT_EQ(p.method, "GET");
  EXPECT_EQ(p.segments, (std::vector<std::string>{"orders", "{id}", "refunds"}));
  EXPECT_EQ(p.text, "GET /orders/{id}/refunds");
}

TEST(RoutePatternParse, PathOnlyIsEveryMethod) {
  RoutePattern p = parse("/orders/{id}");
  EXPECT_EQ(p.method, "");
  EXPECT_EQ(p.segments, (std::vector<std::string>{"orders", "{id}"}));
  EXPECT_TRUE(parse("/").segments.empty());
}

TEST(RoutePatternParse, Refused) {
  for (const char* bad :
       {"", "GET", "get /orders", "Get /orders", "GET  /orders", "GET orders", "orders",
        "GET /orders?x=1", "/orders#frag", "/orders/{id", "/orders/id}", "/orders/{}",
        "/orders/{id}x", "/orders/x{id}", "GET /a b", "G3T /orders", " /orders"}) {
    SCOPED_TRACE(std::string("`") + bad + "`");
    auto r = parse_route_pattern(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidInput);
    EXPECT_NE(r.status().message().find(std::string("`") + bad + "`"), std::string::npos)
        << r.status().message();
  }
}

TEST(RoutePatternParse, EveryRefusalSaysWhatAPatternLooksLike) {
  for (const char* bad : {"get /orders", "GET orders", "/orders/{id"}) {
    SCOPED_TRACE(bad);
    auto r = parse_route_pattern(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().hint().find("GET /orders"), std::string::npos)
        << "no example in the hint of: " << r.status().message();
  }
}

TEST(RouteMatches, ParameterIsExactlyOneSegment) {
  RoutePattern p = parse("GET /orders/{id}");
  EXPECT_TRUE(route_matches(p, "GET", "/orders/7"));
  EXPECT_TRUE(route_matches(p, "GET", "/orders/ord_abc-1"));
  EXPECT_FALSE(route_matches(p, "GET", "/orders"));
  EXPECT_FALSE(route_matches(p, "GET", "/orders/"));  // an empty id is no id
  EXPECT_FALSE(route_matches(p, "GET", "/orders/7/refunds"));
  EXPECT_FALSE(route_matches(p, "GET", "/customers/7"));
  EXPECT_FALSE(route_matches(p, "GET", "/"));
}

TEST(RouteMatches, Method) {
  RoutePattern p = parse("POST /orders");
  EXPECT_TRUE(route_matches(p, "POST", "/orders"));
  EXPECT_FALSE(route_matches(p, "GET", "/orders"));
  EXPECT_FALSE(route_matches(p, "post", "/orders"));  // methods are case-sensitive
  EXPECT_FALSE(route_matches(p, "", "/orders"));
}

TEST(RouteMatches, MethodLessPatternMatchesEveryMethod) {
  RoutePattern p = parse("/orders/{id}");
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE"}) {
    EXPECT_TRUE(route_matches(p, m, "/orders/1")) << m;
  }
  EXPECT_FALSE(route_matches(p, "GET", "/orders"));
}

TEST(RouteMatches, TrailingSlashIsIgnored) {
  EXPECT_TRUE(route_matches(parse("GET /orders"), "GET", "/orders/"));
  EXPECT_TRUE(route_matches(parse("GET /orders/"), "GET", "/orders"));
  EXPECT_TRUE(route_matches(parse("/orders/{id}"), "GET", "/orders/9/"));
  EXPECT_TRUE(route_matches(parse("/"), "GET", "/"));
  EXPECT_FALSE(route_matches(parse("/"), "GET", "/orders"));
}

TEST(RouteMatches, LiteralSegmentsCompareExactly) {
  RoutePattern p = parse("/orders/{id}/refunds");
  EXPECT_TRUE(route_matches(p, "POST", "/orders/1/refunds"));
  EXPECT_FALSE(route_matches(p, "POST", "/orders/1/Refunds"));
  EXPECT_FALSE(route_matches(p, "POST", "/orders/1/refund"));
  EXPECT_FALSE(route_matches(p, "POST", "/Orders/1/refunds"));
  // A literal that looks like a parameter in the path is just text.
  EXPECT_TRUE(route_matches(p, "POST", "/orders/{id}/refunds"));
  EXPECT_FALSE(route_matches(parse("/orders/7"), "GET", "/orders/{id}"));
}

}  // namespace
}  // namespace tandem::gateway
