// The registry's REST API in process (compat/registry/api.h) on a real SQLite file and a real
// PostgreSQL database: Confluent's routes, answers and error codes, references, modes, soft
// and hard deletes, and hostile requests. The HTTP server and a real Kafka client are tested
// in registry_kafkajs_test.sh.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "compat/registry/api.h"
#include "test_util.h"

namespace tandem::registry {
namespace {

using nlohmann::json;
using tandem::testing::Kind;
using tandem::testing::TestDb;

const std::string kOrderV1 =
    R"({"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]})";
const std::string kOrderV2 =
    R"({"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"total","type":"int","default":0}]})";
const std::string kOrderNoDefault =
    R"({"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"total","type":"int"}]})";

class RegistryApi : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDb>(GetParam());
    auto store = Store::open(db_->url());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }

  ApiResponse call(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return handle(*store_, ApiRequest{method, target, body}, settings_);
  }
  json call_json(const std::string& method, const std::string& target, int status,
                 const std::string& body = "") {
    ApiResponse r = call(method, target, body);
    EXPECT_EQ(r.status, status) << method << " " << target << ": " << r.body;
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  static std::string schema_body(const std::string& schema, const std::string& type = "",
                                 const json& refs = nullptr) {
    json b = {{"schema", schema}};
    if (!type.empty()) b["schemaType"] = type;
    if (!refs.is_null()) b["references"] = refs;
    return b.dump();
  }
  // Registers and returns the id (fails the test on another answer).
  long long register_ok(const std::string& subject, const std::string& body) {
    json j = call_json("POST", "/subjects/" + subject + "/versions", 200, body);
    return j.value("id", -1LL);
  }
  int error_code(const ApiResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("error_code", 0) : 0;
  }

  std::unique_ptr<TestDb> db_;
  std::unique_ptr<Store> store_;
  ApiSettings settings_;
};

TEST_P(RegistryApi, RegistersIdempotentlyWithGlobalIds) {
  EXPECT_EQ(call_json("GET", "/subjects", 200), json::array());
  long long id1 = register_ok("orders-value", schema_body(kOrderV1));
  EXPECT_GT(id1, 0);
  // Spacing and key order do not make a second schema.
  std::string respaced =
      R"({ "name": "Order", "type": "record", "fields": [ { "type": "long", "name": "id" } ] })";
  EXPECT_EQ(register_ok("orders-value", schema_body(respaced)), id1);
  EXPECT_EQ(call_json("GET", "/subjects/orders-value/versions", 200), json::array({1}));
  // The same schema under another subject: the same global id, version 1 there.
  EXPECT_EQ(register_ok("archive-value", schema_body(kOrderV1)), id1);
  long long id2 = register_ok("orders-value", schema_body(kOrderV2));
  EXPECT_NE(id2, id1);
  EXPECT_EQ(call_json("GET", "/subjects", 200), json::array({"archive-value", "orders-value"}));

  json latest = call_json("GET", "/subjects/orders-value/versions/latest", 200);
  EXPECT_EQ(latest["version"], 2);
  EXPECT_EQ(latest["id"], id2);
  EXPECT_EQ(latest["subject"], "orders-value");
  EXPECT_EQ(latest["schema"], kOrderV2);
  EXPECT_FALSE(latest.contains("schemaType")) << "AVRO is left out, as Confluent does";
  EXPECT_EQ(call_json("GET", "/subjects/orders-value/versions/1", 200)["id"], id1);
  EXPECT_EQ(call_json("GET", "/subjects/orders-value/versions/-1", 200)["version"], 2);
  EXPECT_EQ(call("GET", "/subjects/orders-value/versions/2/schema").body, kOrderV2);
  EXPECT_EQ(call_json("GET", "/schemas/ids/" + std::to_string(id1), 200),
            json({{"schema", kOrderV1}}));
  EXPECT_EQ(call("GET", "/schemas/ids/" + std::to_string(id1) + "/schema").body, kOrderV1);
  EXPECT_EQ(call_json("GET", "/schemas/ids/" + std::to_string(id1) + "/versions", 200),
            json::parse(R"([{"subject":"archive-value","version":1},)"
                        R"({"subject":"orders-value","version":1}])"));
  EXPECT_EQ(call_json("GET", "/schemas/ids/" + std::to_string(id1) + "/subjects", 200),
            json::array({"archive-value", "orders-value"}));
  EXPECT_EQ(call_json("GET", "/schemas/types", 200), json::array({"JSON", "PROTOBUF", "AVRO"}));

  // Look up: which version of the subject is this schema?
  json found = call_json("POST", "/subjects/orders-value", 200, schema_body(kOrderV1));
  EXPECT_EQ(found["version"], 1);
  EXPECT_EQ(found["id"], id1);
  EXPECT_EQ(error_code(call("POST", "/subjects/orders-value", schema_body(kOrderNoDefault))),
            40403);
  EXPECT_EQ(error_code(call("POST", "/subjects/nobody", schema_body(kOrderV1))), 40401);
}

TEST_P(RegistryApi, RefusesIncompatibleSchemasWithTandemCompatsReasons) {
  register_ok("orders-value", schema_body(kOrderV1));
  ApiResponse r = call("POST", "/subjects/orders-value/versions", schema_body(kOrderNoDefault));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error_code(r), 409);
  EXPECT_NE(r.body.find("field-added-without-default"), std::string::npos) << r.body;
  EXPECT_EQ(call_json("GET", "/subjects/orders-value/versions", 200), json::array({1}))
      << "nothing was registered";

  json verdict =
      call_json("POST", "/compatibility/subjects/orders-value/versions/latest?verbose=true", 200,
                schema_body(kOrderNoDefault));
  EXPECT_EQ(verdict["is_compatible"], false);
  ASSERT_EQ(verdict["messages"].size(), 1u);
  EXPECT_NE(verdict["messages"][0].get<std::string>().find("/fields/1"), std::string::npos);
  json plain = call_json("POST", "/compatibility/subjects/orders-value/versions/1", 200,
                         schema_body(kOrderV2));
  EXPECT_EQ(plain, json({{"is_compatible", true}})) << "messages only with ?verbose=true";

  // FORWARD accepts what BACKWARD refuses (old readers ignore the new field)…
  EXPECT_EQ(call_json("PUT", "/config/orders-value", 200, R"({"compatibility":"forward"})"),
            json({{"compatibility", "FORWARD"}}));
  EXPECT_EQ(call_json("GET", "/config/orders-value", 200),
            json({{"compatibilityLevel", "FORWARD"}}));
  register_ok("orders-value", schema_body(kOrderNoDefault));
  // …and NONE accepts anything.
  call_json("PUT", "/config/orders-value", 200, R"({"compatibility":"NONE"})");
  register_ok("orders-value", schema_body(R"({"type":"record","name":"Order","fields":[]})"));
  EXPECT_EQ(call_json("DELETE", "/config/orders-value", 200),
            json({{"compatibilityLevel", "NONE"}}));
  EXPECT_EQ(error_code(call("GET", "/config/orders-value")), 40408);
  EXPECT_EQ(call_json("GET", "/config/orders-value?defaultToGlobal=true", 200),
            json({{"compatibilityLevel", "BACKWARD"}}));
  EXPECT_EQ(error_code(call("PUT", "/config", R"({"compatibility":"SIDEWAYS"})")), 42203);
  // A type change is incompatible whatever the formats agree on.
  ApiResponse json_over_avro =
      call("POST", "/subjects/orders-value/versions", schema_body(R"({"type":"object"})", "JSON"));
  EXPECT_EQ(json_over_avro.status, 409) << json_over_avro.body;
}

TEST_P(RegistryApi, TransitiveModesCheckEveryLiveVersion) {
  call_json("PUT", "/config", 200, R"({"compatibility":"BACKWARD_TRANSITIVE"})");
  const std::string a = R"({"type":"record","name":"R","fields":[{"name":"x","type":"int"}]})";
  const std::string b =
      R"({"type":"record","name":"R","fields":[{"name":"x","type":"int","default":1}]})";
  const std::string c = R"({"type":"record","name":"R","fields":[]})";
  // Not transitive, c reads b's data; transitively it must read a's too — which it can
  // (it ignores x). d needs x with a default: a lacks nothing, so the check passes; e changes
  // x's type, which a's data cannot give.
  register_ok("r", schema_body(a));
  register_ok("r", schema_body(b));
  register_ok("r", schema_body(c));
  const std::string e =
      R"({"type":"record","name":"R","fields":[{"name":"x","type":"boolean","default":true}]})";
  ApiResponse r = call("POST", "/subjects/r/versions", schema_body(e));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("r version 1"), std::string::npos) << "names the version: " << r.body;
}

TEST_P(RegistryApi, SoftAndHardDeletesFollowConfluentsRules) {
  long long id = register_ok("s", schema_body(kOrderV1));
  register_ok("s", schema_body(kOrderV2));
  EXPECT_EQ(error_code(call("DELETE", "/subjects/s/versions/1?permanent=true")), 40407);
  EXPECT_EQ(call_json("DELETE", "/subjects/s/versions/1", 200), 1);
  EXPECT_EQ(error_code(call("DELETE", "/subjects/s/versions/1")), 40406);
  EXPECT_EQ(call_json("GET", "/subjects/s/versions", 200), json::array({2}));
  EXPECT_EQ(call_json("GET", "/subjects/s/versions?deleted=true", 200), json::array({1, 2}));
  EXPECT_EQ(error_code(call("GET", "/subjects/s/versions/1")), 40402);
  EXPECT_EQ(call_json("GET", "/subjects/s/versions/1?deleted=true", 200)["id"], id);
  // Consumers still decode old messages: a soft-deleted schema keeps its id.
  EXPECT_EQ(call_json("GET", "/schemas/ids/" + std::to_string(id), 200)["schema"], kOrderV1);

  EXPECT_EQ(error_code(call("DELETE", "/subjects/s?permanent=true")), 40405);
  EXPECT_EQ(call_json("DELETE", "/subjects/s", 200), json::array({2}));
  EXPECT_EQ(error_code(call("DELETE", "/subjects/s")), 40404);
  EXPECT_EQ(error_code(call("GET", "/subjects/s/versions")), 40401);
  EXPECT_EQ(call_json("GET", "/subjects?deleted=true", 200), json::array({"s"}));
  EXPECT_EQ(call_json("GET", "/subjects", 200), json::array());
  EXPECT_EQ(call_json("DELETE", "/subjects/s?permanent=true", 200), json::array({1, 2}));
  EXPECT_EQ(error_code(call("GET", "/schemas/ids/" + std::to_string(id))), 40403);
  EXPECT_EQ(error_code(call("DELETE", "/subjects/s")), 40401);
  // Registered again after a hard delete: version 1 again, and the id it had.
  EXPECT_EQ(register_ok("s", schema_body(kOrderV1)), id);
  EXPECT_EQ(call_json("GET", "/subjects/s/versions", 200), json::array({1}));
}

TEST_P(RegistryApi, ReferencesResolveAndProtectWhatTheyReferTo) {
  const std::string customer =
      R"({"type":"record","name":"Customer","namespace":"com.acme","fields":[{"name":"name","type":"string"}]})";
  register_ok("customer", schema_body(customer));
  const std::string order =
      R"({"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"to","type":"Customer"}]})";
  json refs = json::parse(R"([{"name":"com.acme.Customer","subject":"customer","version":1}])");
  long long id = register_ok("order", schema_body(order, "", refs));
  json fetched = call_json("GET", "/schemas/ids/" + std::to_string(id), 200);
  EXPECT_EQ(fetched["references"], refs);
  EXPECT_EQ(call_json("GET", "/subjects/customer/versions/1/referencedby", 200), json::array({id}));
  EXPECT_EQ(error_code(call("DELETE", "/subjects/customer/versions/1")), 42206);
  EXPECT_EQ(error_code(call("DELETE", "/subjects/customer")), 42206);
  // Without the reference the type is unknown: an invalid schema, not a crash.
  EXPECT_EQ(error_code(call("POST", "/subjects/order2/versions", schema_body(order))), 42201);
  json missing = json::parse(R"([{"name":"com.acme.Customer","subject":"customer","version":9}])");
  EXPECT_EQ(error_code(call("POST", "/subjects/order2/versions", schema_body(order, "", missing))),
            42201);

  // JSON Schema by $ref name (a URL is never fetched), Protobuf by import path.
  register_ok("money", schema_body(R"({"type":"object","properties":{"cents":{"type":"integer"}}})",
                                   "JSON"));
  json money =
      json::parse(R"([{"name":"https://acme.example/money.json","subject":"money","version":1}])");
  register_ok(
      "payment",
      schema_body(
          R"({"type":"object","properties":{"amount":{"$ref":"https://acme.example/money.json"}}})",
          "JSON", money));
  register_ok(
      "address",
      schema_body("syntax = \"proto3\";\npackage acme;\nmessage Address { string city = 1; }\n",
                  "PROTOBUF"));
  json address = json::parse(R"([{"name":"acme/address.proto","subject":"address","version":1}])");
  register_ok("shipment",
              schema_body("syntax = \"proto3\";\npackage acme;\nimport \"acme/address.proto\";\n"
                          "message Shipment { Address to = 1; }\n",
                          "PROTOBUF", address));
}

TEST_P(RegistryApi, ModesGuardWritesAndImportsKeepIds) {
  EXPECT_EQ(call_json("GET", "/mode", 200), json({{"mode", "READWRITE"}}));
  register_ok("s", schema_body(kOrderV1));
  EXPECT_EQ(call_json("PUT", "/mode/s", 200, R"({"mode":"READONLY"})"),
            json({{"mode", "READONLY"}}));
  ApiResponse r = call("POST", "/subjects/s/versions", schema_body(kOrderV2));
  EXPECT_EQ(error_code(r), 42205) << r.body;
  EXPECT_EQ(call_json("DELETE", "/mode/s", 200), json({{"mode", "READONLY"}}));
  EXPECT_EQ(error_code(call("GET", "/mode/s")), 40409);
  EXPECT_EQ(error_code(call("PUT", "/mode", R"({"mode":"WRITEONLY"})")), 42204);
  // An id is given only in IMPORT mode, and IMPORT needs an empty subject (or ?force=true).
  EXPECT_EQ(error_code(call("POST", "/subjects/t/versions",
                            json({{"schema", kOrderV2}, {"id", 100}, {"version", 3}}).dump())),
            42205);
  EXPECT_EQ(error_code(call("PUT", "/mode/s", R"({"mode":"IMPORT"})")), 42205);
  call_json("PUT", "/mode/t", 200, R"({"mode":"IMPORT"})");
  EXPECT_EQ(call_json("POST", "/subjects/t/versions", 200,
                      json({{"schema", kOrderV2}, {"id", 100}, {"version", 3}}).dump())["id"],
            100);
  EXPECT_EQ(call_json("GET", "/subjects/t/versions", 200), json::array({3}));
  call_json("DELETE", "/mode/t", 200);
  // New ids continue past imported ones.
  long long next = register_ok("u", schema_body(R"({"type":"enum","name":"E","symbols":["A"]})"));
  EXPECT_GT(next, 100);
}

TEST_P(RegistryApi, BadRequestsGetConfluentErrorsAndChangeNothing) {
  EXPECT_EQ(error_code(call("POST", "/subjects/s/versions", "{not json")), 400);
  EXPECT_EQ(error_code(call("POST", "/subjects/s/versions", "[]")), 42201);
  EXPECT_EQ(error_code(call("POST", "/subjects/s/versions", R"({"schema":""})")), 42201);
  EXPECT_EQ(
      error_code(call("POST", "/subjects/s/versions", R"({"schema":"{\"type\":\"recrd\"}"})")),
      42201);
  EXPECT_EQ(error_code(call("POST", "/subjects/s/versions", schema_body(kOrderV1, "XML"))), 42201);
  ApiResponse yaml = call("POST", "/subjects/s/versions", schema_body("type: object", "JSON"));
  EXPECT_EQ(error_code(yaml), 42201) << "a registry's JSON Schema is JSON: " << yaml.body;
  EXPECT_EQ(error_code(call("POST", "/subjects/s/versions", schema_body("message {", "PROTOBUF"))),
            42201);
  EXPECT_EQ(error_code(call("GET", "/subjects/s/versions/0")), 42202);
  EXPECT_EQ(error_code(call("GET", "/subjects/s/versions/2147483648")), 42202);
  EXPECT_EQ(error_code(call("GET", "/subjects/s/versions/abc")), 42202);
  EXPECT_EQ(error_code(call("GET", "/schemas/ids/-1")), 40403);
  EXPECT_EQ(error_code(call("GET", "/schemas/ids/99999999999999999999")), 40403);
  EXPECT_EQ(call("GET", "/nowhere").status, 404);
  EXPECT_EQ(call("PATCH", "/subjects").status, 405);
  EXPECT_EQ(error_code(call("GET", "/subjects/%zz/versions")), 400);
  EXPECT_EQ(call_json("GET", "/subjects", 200), json::array()) << "nothing was registered";

  // Subjects are percent-decoded once: an encoded slash is part of the name.
  register_ok("a%2Fb", schema_body(kOrderV1));
  EXPECT_EQ(call_json("GET", "/subjects", 200), json::array({"a/b"}));
  EXPECT_EQ(call_json("GET", "/subjects/a%2Fb/versions", 200), json::array({1}));
  // Invalid UTF-8 (or NUL) in a name is refused alike on both backends, not thrown.
  EXPECT_EQ(error_code(call("GET", "/subjects/%ff%fe/versions")), 400);
  EXPECT_EQ(error_code(call("POST", "/subjects/a%00b/versions", schema_body(kOrderV1))), 400);
  EXPECT_EQ(error_code(call("POST", "/subjects/c/versions",
                            R"({"schema":"{\"type\":\"string\",\"doc\":\"\u0000\"}"})")),
            42201);
  EXPECT_EQ(call_json("GET", "/subjects", 200), json::array({"a/b"}));
}

TEST_P(RegistryApi, DeepNestingIsRefusedBeforeAnythingRecurses) {
  // Each of these once took the whole process down with a stack overflow (a hostile trial).
  std::string deep_value(100000, '[');
  EXPECT_EQ(error_code(call("PUT", "/config", R"({"compatibility":)" + deep_value + "}")), 400);
  EXPECT_EQ(error_code(call("PUT", "/mode", R"({"mode":)" + deep_value + "}")), 400);
  EXPECT_EQ(
      error_code(call(
          "POST", "/subjects/s/versions",
          json({{"schema", "\"int\""}}).dump().insert(1, R"("schemaType":)" + deep_value + "],"))),
      400);
  EXPECT_EQ(error_code(call("POST", "/subjects/s/versions",
                            json({{"schema", std::string(100000, '[')}}).dump())),
            42201);
  std::string avro;
  for (int i = 0; i < 50000; ++i) avro += R"({"type":"array","items":)";
  avro += "\"int\"" + std::string(50000, '}');
  register_ok("s", schema_body("\"int\""));  // a subject to look up in
  for (const char* route :
       {"/subjects/s/versions", "/subjects/s", "/compatibility/subjects/s/versions"}) {
    EXPECT_EQ(error_code(call("POST", route, schema_body(avro))), 42201) << route;
  }
  std::string proto = "syntax = \"proto3\";\n";
  for (int i = 0; i < 20000; ++i) proto += "message M {\n";
  proto += std::string(20000, '}');
  ApiResponse r = call("POST", "/subjects/p/versions", schema_body(proto, "PROTOBUF"));
  EXPECT_EQ(error_code(r), 42201);
  EXPECT_NE(r.body.find("nest more than 64 levels"), std::string::npos) << r.body;
  EXPECT_EQ(call_json("GET", "/subjects", 200), json::array({"s"}));
}

TEST_P(RegistryApi, HardDeletesLeaveNoReferenceDangling) {
  register_ok("base", schema_body(R"({"type":"record","name":"Base","fields":[]})"));
  json refs = json::parse(R"([{"name":"Base","subject":"base","version":1}])");
  register_ok("user",
              schema_body(R"({"type":"record","name":"U","fields":[{"name":"b","type":"Base"}]})",
                          "", refs));
  call_json("DELETE", "/subjects/user", 200);  // the referring version, soft-deleted
  call_json("DELETE", "/subjects/base", 200);  // nothing live refers to base any more
  // …but a stored schema does: base cannot go for good while user's version exists.
  EXPECT_EQ(error_code(call("DELETE", "/subjects/base?permanent=true")), 42206);
  EXPECT_EQ(error_code(call("DELETE", "/subjects/base/versions/1?permanent=true")), 42206);
  // A new schema may not refer to a deleted version.
  EXPECT_EQ(error_code(call(
                "POST", "/subjects/other/versions",
                schema_body(R"({"type":"record","name":"O","fields":[{"name":"b","type":"Base"}]})",
                            "", refs))),
            42201);
  call_json("DELETE", "/subjects/user?permanent=true", 200);
  EXPECT_EQ(call_json("DELETE", "/subjects/base?permanent=true", 200), json::array({1}));
  // A version number past 2^31 (even one that wraps to -1 as a signed number) is refused.
  json huge = json::parse(R"([{"name":"Base","subject":"base","version":18446744073709551615}])");
  EXPECT_EQ(error_code(call("POST", "/subjects/x/versions", schema_body("\"int\"", "", huge))),
            42201);
}

TEST_P(RegistryApi, TheGlobalSettingsAreNotASubject) {
  register_ok("x", schema_body("\"int\""));
  EXPECT_EQ(error_code(call("PUT", "/mode/", R"({"mode":"IMPORT"})")), 42208);
  EXPECT_EQ(error_code(call("PUT", "/config/", R"({"compatibility":"NONE"})")), 42208);
  EXPECT_EQ(error_code(call("POST", "/subjects//versions", schema_body("\"int\""))), 42208);
  EXPECT_EQ(error_code(call("POST", "/subjects/%20/versions", schema_body("\"int\""))), 42208);
  EXPECT_EQ(error_code(call("POST", "/subjects/:.ctx:x/versions", schema_body("\"int\""))), 42208);
  EXPECT_EQ(call_json("GET", "/mode", 200), json({{"mode", "READWRITE"}}));
  EXPECT_EQ(call_json("GET", "/config", 200), json({{"compatibilityLevel", "BACKWARD"}}));
  // Registering x as a string is still refused: nothing switched the checks off.
  EXPECT_EQ(call("POST", "/subjects/x/versions", schema_body("\"string\"")).status, 409);
}

TEST_P(RegistryApi, ArbitraryRequestsNeverCrash) {
  std::mt19937 rng(20261130);
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
  const std::vector<std::string> parts = {"subjects", "versions",      "schemas", "ids", "config",
                                          "mode",     "compatibility", "latest",  "-1",  "1",
                                          "schema",   "referencedby",  "%",       "%2F", "",
                                          "types"};
  const std::vector<std::string> bodies = {
      "",
      "{}",
      "null",
      "[1,2]",
      schema_body(kOrderV1),
      schema_body(kOrderV2, "JSON"),
      R"({"schema":"syntax=\"proto3\"; message M { int32 a = 1; }","schemaType":"PROTOBUF"})",
      R"({"schema":1,"references":{"a":1}})",
      R"({"compatibility":"FULL"})",
      R"({"mode":"IMPORT"})",
      R"({"schema":"\"string\"","references":[{"name":"x","subject":"subjects","version":-1}]})"};
  for (int i = 0; i < 600; ++i) {
    std::string target;
    int n = static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) target += "/" + parts[rng() % parts.size()];
    if (target.empty()) target = "/";
    if (rng() % 4 == 0) target += "?deleted=true&permanent=true&verbose=true&force=true";
    ApiResponse r = call(methods[rng() % methods.size()], target, bodies[rng() % bodies.size()]);
    ASSERT_GE(r.status, 200) << target;
    ASSERT_LT(r.status, 600) << target;
    ASSERT_NE(r.status, 500) << target << ": " << r.body;
    ASSERT_FALSE(json::parse(r.body, nullptr, false).is_discarded() &&
                 target.find("/schema") == std::string::npos)
        << target << ": " << r.body;
  }
}

TEST_P(RegistryApi, ConcurrentRegistrationsGetOneIdAndOneVersion) {
  // Eight connections (as eight registry workers or processes) register one schema at once.
  constexpr int kThreads = 8;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kThreads; ++i) {
    auto s = Store::open(db_->url());
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores.push_back(std::move(*s));
  }
  std::vector<ApiResponse> answers(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      answers[i] =
          handle(*stores[i],
                 ApiRequest{"POST", i % 2 ? "/subjects/x/versions" : "/subjects/y/versions",
                            schema_body(kOrderV2)},
                 settings_);
    });
  }
  for (auto& t : threads) t.join();
  std::set<long long> ids;
  for (const ApiResponse& a : answers) {
    ASSERT_EQ(a.status, 200) << a.body;
    ids.insert(json::parse(a.body)["id"].get<long long>());
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(call_json("GET", "/subjects/x/versions", 200), json::array({1}));
  EXPECT_EQ(call_json("GET", "/subjects/y/versions", 200), json::array({1}));
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryApi, ::testing::Values(Kind::kSqlite, Kind::kPostgres),
                         tandem::testing::kind_name);

}  // namespace
}  // namespace tandem::registry
