// Ambiguous and malformed requests: raw bytes through Beast's request parser, then the
// gateway's checks on the parsed head (http/message_checks.h) — what the server does before a
// handler sees a request. Each case records which layer refuses it: Beast's parser (a parse
// error, then rejection_for) or check_request_head.

#include "http/message_checks.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using namespace std::string_literals;

namespace tandem::http {
namespace {

// What the server would do with `bytes` as the first request on a connection.
struct Verdict {
  int status = 0;           // 0: accepted (handed to the handler)
  bool by_beast = false;    // refused by Beast's parser (a parse error)
  bool incomplete = false;  // Beast wants more bytes: the server would wait (then time out)
  beast::error_code ec;     // Beast's error, if any
  std::string type, detail, body;
};

std::ostream& operator<<(std::ostream& os, const Verdict& v) {
  return os << "status " << v.status << (v.by_beast ? " by Beast (" + v.ec.message() + ")" : "")
            << (v.incomplete ? " incomplete" : "") << " " << v.type << ": " << v.detail;
}

Verdict judge(std::string_view bytes, size_t header_limit = 16 * 1024,
              size_t body_limit = 1024 * 1024) {
  Verdict v;
  bhttp::request_parser<http::Body> parser;
  parser.header_limit(static_cast<std::uint32_t>(header_limit));
  parser.body_limit(body_limit);
  auto refuse = [&](const Rejection& r) {
    v.status = r.status;
    v.type = r.type;
    v.detail = r.detail;
  };
  // As the server: the head first, then the checks, then the body.
  size_t used = 0;
  beast::error_code ec;
  while (!parser.is_header_done()) {
    size_t n = parser.put(asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more || (!ec && n == 0)) {
      v.incomplete = true;
      return v;
    }
    if (ec) {
      v.ec = ec;
      v.by_beast = true;
      refuse(rejection_for(ec));
      return v;
    }
  }
  if (auto r = check_request_head(parser)) {
    refuse(*r);
    return v;
  }
  parser.eager(true);
  while (!parser.is_done()) {
    size_t n = parser.put(asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more || (!ec && n == 0)) {
      v.incomplete = true;
      return v;
    }
    if (ec) {
      v.ec = ec;
      v.by_beast = true;
      refuse(rejection_for(ec));
      return v;
    }
  }
  v.body = parser.get().body();
  return v;
}

struct Case {
  const char* name;
  std::string bytes;
  int status;
  const char* detail;  // a part of the detail the client gets
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

class Refused : public ::testing::TestWithParam<Case> {};

TEST_P(Refused, WithAProblemStatus) {
  const Case& c = GetParam();
  Verdict v = judge(c.bytes);
  EXPECT_FALSE(v.incomplete) << "the server would wait for more bytes: " << v;
  EXPECT_EQ(v.status, c.status) << v;
  EXPECT_FALSE(v.type.empty()) << v;
  EXPECT_NE(v.detail.find(c.detail), std::string::npos) << v;
  // What Beast (Boost 1.81 when written) did with it, for the record.
  ::testing::Test::RecordProperty("beast", v.by_beast ? v.ec.message() : "accepted");
}

const char* kPost = "POST /orders HTTP/1.1\r\nHost: a\r\n";

// The layer noted after each case is what Boost 1.81's parser did when the test was written.
INSTANTIATE_TEST_SUITE_P(
    MessageChecks, Refused,
    ::testing::Values(
        // Beast accepts two equal Content-Lengths; the gateway refuses.
        Case{"DuplicateContentLengthEqual",
             kPost + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"s, 400,
             "more than one Content-Length"},
        // Beast accepts the list "5, 5" (RFC 9110 §8.6 allows a recipient to); the gateway refuses.
        Case{"ContentLengthList", kPost + "Content-Length: 5, 5\r\n\r\nhello"s, 400,
             "more than one Content-Length"},
        // Beast: "multiple Content-Length".
        Case{"DuplicateContentLengthDifferent",
             kPost + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"s, 400, ""},
        // Beast: "bad Transfer-Encoding" (CL first) / "bad Content-Length" (TE first).
        Case{"ContentLengthThenTransferEncoding",
             kPost + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"s, 400, ""},
        Case{"TransferEncodingThenContentLength",
             kPost + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"s, 400, ""},
        // Beast accepts TE: gzip (a body until the end); the gateway refuses.
        Case{"TransferEncodingGzip", kPost + "Transfer-Encoding: gzip\r\n\r\nhello"s, 400,
             "other than `chunked`"},
        Case{"TransferEncodingGzipChunked",
             kPost + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"s, 400,
             "other than `chunked`"},
        Case{"TransferEncodingIdentity", kPost + "Transfer-Encoding: identity\r\n\r\n"s, 400,
             "other than `chunked`"},
        // Beast: "bad Transfer-Encoding" for two fields.
        Case{"TransferEncodingChunkedTwice",
             kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"s,
             400, ""},
        // Beast accepts the list; the gateway refuses.
        Case{"TransferEncodingChunkedChunked",
             kPost + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"s, 400,
             "other than `chunked`"},
        Case{"TransferEncodingOnHttp10",
             "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"s, 400,
             "not allowed in HTTP/1.0"},
        Case{"NoHostOnHttp11", "GET / HTTP/1.1\r\n\r\n"s, 400, "needs a Host"},
        Case{"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"s, 400,
             "more than one Host"},
        Case{"TwoEqualHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"s, 400,
             "more than one Host"},
        Case{"TwoHostsOnHttp10", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"s, 400,
             "more than one Host"},
        // Beast accepts these targets; the gateway wants origin-form.
        Case{"AbsoluteFormTarget", "GET http://evil.example/ HTTP/1.1\r\nHost: a\r\n\r\n"s, 400,
             "must be a path"},
        Case{"AsteriskTarget", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"s, 400, "must be a path"},
        Case{"AuthorityFormTarget", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"s, 400,
             "must be a path"},
        // Beast: "bad target" / "bad value" / "bad field" for control characters.
        Case{"ControlCharacterInTarget", "GET /a\x01z HTTP/1.1\r\nHost: a\r\n\r\n"s, 400, ""},
        Case{"DelInTarget", "GET /a\x7fz HTTP/1.1\r\nHost: a\r\n\r\n"s, 400, ""},
        Case{"ControlCharacterInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x01z\r\n\r\n"s, 400,
             ""},
        Case{"NulInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0z\r\n\r\n"s, 400, ""},
        Case{"EscInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-A: \x1b[31m\r\n\r\n"s, 400, ""},
        Case{"ControlCharacterInName", "GET / HTTP/1.1\r\nHost: a\r\nX\x01A: z\r\n\r\n"s, 400, ""},
        // Beast: "bad chunk" / "bad chunk extension".
        Case{"ChunkSizeNotHex",
             kPost + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"s, 400, ""},
        Case{"ChunkSizeNegative",
             kPost + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"s, 400, ""},
        Case{"ChunkSizeOverflows",
             kPost + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n"s,
             400, ""},
        Case{"ChunkSizeTrailingSpace",
             kPost + "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"s, 400, ""},
        Case{"ChunkSizeBareLf", kPost + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"s,
             400, ""},
        Case{"ChunkDataLongerThanSize",
             kPost + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"s, 400, ""},
        // Beast: "bad version" — the request line must end in CRLF.
        Case{"BareLfEverywhere", "GET / HTTP/1.1\nHost: a\n\n"s, 400, ""},
        // Beast: "bad value" for a bare LF ending a header line.
        Case{"BareLfAfterHeader", "GET / HTTP/1.1\r\nHost: a\nX-B: b\r\n\r\n"s, 400, ""},
        Case{"BareLfInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-B: b\nc\r\n\r\n"s, 400, ""},
        // Beast: "bad line ending" for a bare CR.
        Case{"BareCrAfterHeader", "GET / HTTP/1.1\r\nHost: a\rX-B: b\r\n\r\n"s, 400, ""},
        Case{"BareCrInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-B: b\rc\r\n\r\n"s, 400, ""},
        // Beast: "bad field".
        Case{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"s, 400, ""},
        Case{"LeadingSpaceOnFirstField", "GET / HTTP/1.1\r\n Host: a\r\n\r\n"s, 400, ""},
        // Beast: "bad version"; Beast parses only HTTP/1.x.
        Case{"Http20", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"s, 400, ""},
        Case{"Http12", "GET / HTTP/1.2\r\nHost: a\r\n\r\n"s, 400, ""},
        Case{"Http09", "GET / HTTP/0.9\r\nHost: a\r\n\r\n"s, 400, ""},
        // Beast: "bad target" / "bad version".
        Case{"TwoSpacesInRequestLine", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"s, 400, ""},
        Case{"SpaceInTarget", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"s, 400, ""},
        // Beast: "bad Content-Length".
        Case{"ContentLengthNegative", kPost + "Content-Length: -1\r\n\r\n"s, 400, ""},
        Case{"ContentLengthPlus", kPost + "Content-Length: +5\r\n\r\nhello"s, 400, ""},
        Case{"ContentLengthHuge", kPost + "Content-Length: 99999999999999999999999\r\n\r\n"s, 400,
             ""},
        Case{"ContentLengthHex", kPost + "Content-Length: 0x5\r\n\r\nhello"s, 400, ""}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(MessageChecks, EveryBeastParseErrorIs400WithItsReason) {
  Verdict v = judge(kPost + "Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n"s);
  ASSERT_TRUE(v.by_beast) << v;
  EXPECT_EQ(v.status, 400);
  EXPECT_EQ(v.type, "bad-request");
  EXPECT_NE(v.detail.find(v.ec.message()), std::string::npos) << v;
}

TEST(MessageChecks, HeaderTooLargeIs431) {
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(2000, 'x') + "\r\n\r\n";
  Verdict v = judge(req, /*header_limit=*/1024);
  EXPECT_EQ(v.status, 431) << v;
  EXPECT_EQ(v.type, "header-too-large");
  // Many small fields add up the same way.
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 200; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(judge(many + "\r\n", 1024).status, 431);
  // Just under the limit is fine.
  EXPECT_EQ(judge("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1024).status, 0);
}

TEST(MessageChecks, BodyTooLargeIs413) {
  std::string body(2000, 'b');
  Verdict cl = judge(kPost + "Content-Length: 2000\r\n\r\n"s + body, 16 * 1024, 1024);
  EXPECT_EQ(cl.status, 413) << cl;
  EXPECT_EQ(cl.type, "body-too-large");
  std::string chunked = kPost + "Transfer-Encoding: chunked\r\n\r\n"s;
  for (int i = 0; i < 4; ++i) chunked += "1f4\r\n" + std::string(500, 'c') + "\r\n";
  chunked += "0\r\n\r\n";
  Verdict ch = judge(chunked, 16 * 1024, 1024);
  EXPECT_EQ(ch.status, 413) << ch;
  EXPECT_EQ(judge(kPost + "Content-Length: 1024\r\n\r\n"s + std::string(1024, 'b'), 16 * 1024, 1024)
                .status,
            0);
}

// A timeout is not answered at all (the server closes; HttpServerFuzz covers it): these are
// the statuses of what is.
TEST(MessageChecks, RejectionStatuses) {
  EXPECT_EQ(rejection_for(bhttp::error::header_limit).status, 431);
  EXPECT_EQ(rejection_for(bhttp::error::body_limit).status, 413);
  EXPECT_EQ(rejection_for(bhttp::error::bad_method).status, 400);
}

TEST(MessageChecks, Accepted) {
  struct Ok {
    std::string bytes;
    const char* body;
  };
  for (const Ok& ok :
       {Ok{"GET /orders?limit=10 HTTP/1.1\r\nHost: a\r\n\r\n"s, ""},
        Ok{"GET / HTTP/1.0\r\n\r\n"s, ""},  // HTTP/1.0 needs no Host
        Ok{kPost + "Content-Length: 5\r\n\r\nhello"s, "hello"},
        Ok{kPost + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"s, "hello"},
        Ok{kPost + "Transfer-Encoding:  Chunked \r\n\r\n2\r\nhi\r\n0\r\n\r\n"s, "hi"},
        Ok{kPost + "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n"s, "hello"},
        Ok{kPost + "Transfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: t\r\n\r\n"s, ""},
        Ok{"GET / HTTP/1.1\r\nHost: a\r\nX-A: a\tz\r\n\r\n"s, ""}}) {
    SCOPED_TRACE(ok.bytes);
    Verdict v = judge(ok.bytes);
    EXPECT_EQ(v.status, 0) << v;
    EXPECT_FALSE(v.incomplete) << v;
    EXPECT_EQ(v.body, ok.body);
  }
}

// RFC 9112 §5.2: obs-fold must be refused or replaced by spaces before the request goes on.
// Beast replaces it, so the value the gateway forwards holds no CR/LF.
TEST(MessageChecks, ObsFoldIsUnfoldedNotForwarded) {
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\nX-B: b\r\n c\r\n\r\n";
  bhttp::request_parser<http::Body> parser;
  beast::error_code ec;
  parser.put(asio::buffer(req), ec);
  if (ec) {
    SUCCEED() << "Beast refuses obs-fold: " << ec.message();
    return;
  }
  std::string value(parser.get()["X-B"]);
  EXPECT_EQ(value.find_first_of("\r\n"), std::string::npos) << value;
  EXPECT_FALSE(check_request_head(parser).has_value());
}

// The checks stand on their own, not only behind Beast: heads Beast would never produce.
using Parser = bhttp::request_parser<http::Body>;

std::unique_ptr<Parser> parsed(const std::string& head) {
  auto parser = std::make_unique<Parser>();
  beast::error_code ec;
  parser->put(asio::buffer(head), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser->is_header_done());
  return parser;
}

TEST(MessageChecks, ControlCharactersInFieldsAfterParsing) {
  for (std::string bad : {"a\rb"s, "a\nb"s, "a\r\nX-Evil: 1"s, "a\0b"s, "\x7f"s, "a\x1f"s}) {
    SCOPED_TRACE(bad);
    auto parser = parsed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    parser->get().set("X-A", bad);
    auto r = check_request_head(*parser);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 400);
    EXPECT_NE(r->detail.find("control character"), std::string::npos) << r->detail;
  }
  auto tab = parsed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  tab->get().set("X-A", "a\tb");
  EXPECT_FALSE(check_request_head(*tab).has_value());
}

TEST(MessageChecks, TargetAfterParsing) {
  for (std::string bad : {"/a b"s, "/a\rb"s, "/a\nb"s, "a/b"s, ""s, "http://x/"s}) {
    SCOPED_TRACE(bad);
    auto parser = parsed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    parser->get().target(bad);
    auto r = check_request_head(*parser);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 400);
  }
}

TEST(MessageChecks, VersionOtherThan10And11Is505) {
  auto parser = parsed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  parser->get().version(20);
  auto r = check_request_head(*parser);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 505);
}

TEST(MessageChecks, HostCountedCaseInsensitively) {
  auto parser = parsed("GET / HTTP/1.1\r\nHost: a\r\nhOsT: b\r\n\r\n");
  auto r = check_request_head(*parser);
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->detail.find("more than one Host"), std::string::npos);
}

}  // namespace
}  // namespace tandem::http
