// `tandem compat resolve`: old and new messages read through the reader's schema — Avro's
// schema resolution on values (JSON and binary encodings), JSON Schema defaults.

#include <gtest/gtest.h>

#include <fstream>

#include "tandem/compat.h"
#include "test_util.h"

namespace tandem::compat {
namespace {

using json = nlohmann::json;

class ResolveTest : public ::testing::Test {
 protected:
  Resolver open(const std::string& writer, const std::string& reader,
                const std::string& ext = ".avsc") {
    std::string w = dir.write("w" + ext, writer), r = dir.write("r" + ext, reader);
    auto out = Resolver::open(w, r);
    EXPECT_TRUE(out.ok()) << out.status().message();
    return std::move(*out);
  }
  testing::TempDir dir;
};

const char* kV1 = R"({"type":"record","name":"Order","fields":[
  {"name":"id","type":"long"},
  {"name":"amount","type":"int"},
  {"name":"status","type":{"type":"enum","name":"S","symbols":["NEW","PAID","VOID"]}},
  {"name":"note","type":["null","string"],"default":null}]})";
// v2: amount widened and renamed (alias), a field with a default added, enum with a default
// and without VOID, note dropped.
const char* kV2 = R"({"type":"record","name":"Order","fields":[
  {"name":"id","type":"long"},
  {"name":"total","type":"double","aliases":["amount"]},
  {"name":"currency","type":["string","null"],"default":"USD"},
  {"name":"status","type":{"type":"enum","name":"S","symbols":["UNKNOWN","NEW","PAID"],"default":"UNKNOWN"}}]})";

TEST_F(ResolveTest, AvroOldDataAsTheNewReaderSeesIt) {
  Resolver r = open(kV1, kV2);
  auto out =
      r.resolve(json::parse(R"({"id":7,"amount":1250,"status":"VOID","note":{"string":"gift"}})"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, json::parse(
                      R"({"id":7,"total":1250.0,"currency":{"string":"USD"},"status":"UNKNOWN"})"));
}

TEST_F(ResolveTest, AvroNewDataAsTheOldReaderSeesItOrWhyNot) {
  // v2 → v1: v1 has no alias for `total`, so `amount` has no value and no default.
  Resolver r = open(kV2, kV1);
  auto out = r.resolve(json::parse(R"({"id":7,"total":1.5,"currency":null,"status":"NEW"})"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kProblem);
  EXPECT_NE(out.status().message().find("\"amount\" has no value in the data and no default"),
            std::string::npos)
      << out.status().message();
}

TEST_F(ResolveTest, AvroUnionsAndPromotions) {
  Resolver r = open(R"(["null","int","string"])", R"(["null","long","string"])");
  EXPECT_EQ(*r.resolve(json::parse(R"({"int":5})")), json::parse(R"({"long":5})"));
  EXPECT_EQ(*r.resolve(json(nullptr)), json(nullptr));
  EXPECT_EQ(*r.resolve(json::parse(R"({"string":"x"})")), json::parse(R"({"string":"x"})"));
  // A value that is not in the writer's encoding is refused with where.
  auto bad = r.resolve(json(5));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("a union value is null or"), std::string::npos);
  Resolver plain = open(R"("int")", R"(["null","double"])");
  EXPECT_EQ(*plain.resolve(json(3)), json::parse(R"({"double":3.0})"));
  Resolver narrow = open(R"("long")", R"("int")");
  EXPECT_FALSE(narrow.resolve(json(1)).ok());  // long is never read as int
}

TEST_F(ResolveTest, AvroEnumWithoutDefaultFailsOnAnUnknownSymbol) {
  Resolver r = open(R"({"type":"enum","name":"E","symbols":["A","B"]})",
                    R"({"type":"enum","name":"E","symbols":["A"]})");
  EXPECT_EQ(*r.resolve(json("A")), json("A"));
  auto b = r.resolve(json("B"));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("no symbol B and no default"), std::string::npos);
}

TEST_F(ResolveTest, AvroBinaryDatumsBackToBack) {
  // Writer {id: long, name: string, tags: array<int>, n: [null, long]} — two datums, encoded by
  // hand from the specification: zigzag varints, length-prefixed strings, array blocks.
  Resolver r = open(R"({"type":"record","name":"R","fields":[{"name":"id","type":"long"},
      {"name":"name","type":"string"},{"name":"tags","type":{"type":"array","items":"int"}},
      {"name":"n","type":["null","long"]}]})",
                    R"({"type":"record","name":"R","fields":[{"name":"id","type":"long"},
      {"name":"tags","type":{"type":"array","items":"long"}},
      {"name":"n","type":["null","long"]},{"name":"x","type":"int","default":0}]})");
  // datum 1: id=1 (02), name="foo" (06 66 6f 6f), tags=[64, -1] (04 80 01 01 00), n=null (00)
  // datum 2: id=-2 (03), name="" (00), tags=[] (00), n=3 (02 06)
  std::string bytes(
      "\x02\x06"
      "foo"
      "\x04\x80\x01\x01\x00\x00"
      "\x03\x00\x00\x02\x06",
      16);
  auto out = r.resolve_binary(bytes);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0], json::parse(R"({"id":1,"tags":[64,-1],"n":null,"x":0})"));
  EXPECT_EQ((*out)[1], json::parse(R"({"id":-2,"tags":[],"n":{"long":3},"x":0})"));
  // Truncated or lying data: an error with the byte offset, never a crash.
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    auto partial = r.resolve_binary(bytes.substr(0, cut));
    if (!partial.ok()) {
      EXPECT_NE(partial.status().message().find("byte "), std::string::npos);
    }
  }
  auto lying = r.resolve_binary(std::string("\x02\x7e", 2));  // a 63-byte string in 0 bytes
  ASSERT_FALSE(lying.ok());
  EXPECT_NE(lying.status().message().find("a length of 63"), std::string::npos);
  auto huge = r.resolve_binary(std::string("\x02\x00\xfe\xff\xff\xff\x0f", 7));  // 2^31 items
  EXPECT_FALSE(huge.ok());
}

TEST_F(ResolveTest, JsonSchemaFillsTheReadersDefaults) {
  Resolver r = open(R"({"type":"object","properties":{"id":{"type":"integer"}}})",
                    R"({"type":"object","properties":{"id":{"type":"integer"},
                        "currency":{"type":"string","default":"USD"},
                        "lines":{"type":"array","items":{"type":"object",
                          "properties":{"qty":{"type":"integer","default":1}}}}}})",
                    ".json");
  EXPECT_EQ(*r.resolve(json::parse(R"({"id":1,"lines":[{},{"qty":3}]})")),
            json::parse(R"({"id":1,"currency":"USD","lines":[{"qty":1},{"qty":3}]})"));
  EXPECT_EQ(*r.resolve(json::parse(R"({"id":1,"currency":"EUR"})")),
            json::parse(R"({"id":1,"currency":"EUR"})"));
}

TEST_F(ResolveTest, CommandReadsJsonLinesAndStopsAtTheFirstUnreadable) {
  std::string w = dir.write("v1.avsc", kV1), r2 = dir.write("v2.avsc", kV2);
  std::string in = dir.write("in.jsonl",
                             "{\"id\":1,\"amount\":5,\"status\":\"NEW\",\"note\":null}\n\n"
                             "{\"id\":2,\"amount\":6,\"status\":\"PAID\",\"note\":null}\n");
  testing::CmdResult ok = testing::run_program(
      "/bin/sh", {"-c", std::string(TANDEM_BINARY) + " compat resolve --writer " + w +
                            " --reader " + r2 + " < " + in});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out,
            "{\"currency\":{\"string\":\"USD\"},\"id\":1,\"status\":\"NEW\",\"total\":5.0}\n"
            "{\"currency\":{\"string\":\"USD\"},\"id\":2,\"status\":\"PAID\",\"total\":6.0}\n");
  std::string back =
      dir.write("back.jsonl", "{\"id\":1,\"total\":5,\"currency\":null,\"status\":\"NEW\"}\n");
  testing::CmdResult no = testing::run_program(
      "/bin/sh", {"-c", std::string(TANDEM_BINARY) + " compat resolve --writer " + r2 +
                            " --reader " + w + " < " + back});
  EXPECT_EQ(no.code, 1);
  EXPECT_NE(no.err.find("stdin line 1: at the top level"), std::string::npos) << no.err;
  std::string junk = dir.write("junk.jsonl", "{not json\n");
  testing::CmdResult bad = testing::run_program(
      "/bin/sh", {"-c", std::string(TANDEM_BINARY) + " compat resolve --writer " + w +
                            " --reader " + r2 + " < " + junk});
  EXPECT_EQ(bad.code, 2);
}

}  // namespace
}  // namespace tandem::compat
