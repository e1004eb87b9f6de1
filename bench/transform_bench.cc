// The transform engine's throughput: a splice of rename + add + remove over every element of
// `data` (simdjson On-Demand, untouched bytes copied) against nlohmann::json parse, modify,
// dump, on a 1 KB and a 100 KB orders body. Reports bytes/s (MB/s) of input.
//
// Build by hand: g++ -std=c++20 -O2 -Iinclude -Isrc bench/transform_bench.cc
//   src/gateway/transform.cc src/gateway/json_path.cc src/gateway/jq_program.cc
//   src/gateway/ops/*.cc src/http/problem.cc -DNDEBUG -lsimdjson -ljq -lbenchmark -lfmt -lpthread
//   -o /tmp/transform_bench

#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "gateway/transform.h"

namespace {

using tandem::gateway::ChangeTransform;
using tandem::gateway::Direction;
using tandem::gateway::FieldOpSpec;

// An orders list of about `size` bytes, as a head-version backend would send it.
std::string orders_body(size_t size) {
  std::string body = R"({"data": [)";
  for (int i = 0; body.size() < size; ++i) {
    if (i > 0) body += ", ";
    body += R"({"id": )" + std::to_string(1000 + i) + R"(, "total": )" + std::to_string(i % 97) +
            R"(.5, "status": "paid", )"
            R"("customer": {"name": "Customer )" +
            std::to_string(i) + R"(", "email": "c@example.com"}, "legacy_code": "L)" +
            std::to_string(i) +
            R"(", "items": [{"sku": "A-1", "qty": 2, "price": 3.25}, {"sku": "B-2", "qty": 1}],)"
            R"( "note": "deliver before noon \u00e9"})";
  }
  body += R"(], "next": null})";
  return body;
}

std::vector<FieldOpSpec> ops() {
  std::vector<FieldOpSpec> v(3);
  v[0].kind = FieldOpSpec::Kind::kRename, v[0].from = "total", v[0].to = "total_amount";
  v[1].kind = FieldOpSpec::Kind::kAdd, v[1].field = "currency", v[1].default_json = "\"USD\"";
  v[2].kind = FieldOpSpec::Kind::kRemove, v[2].field = "legacy_code";
  return v;
}

void BM_Splice(benchmark::State& state) {
  std::string body = orders_body(static_cast<size_t>(state.range(0)));
  auto t = ChangeTransform::compile("data[]", ops());
  if (!t.ok()) {
    state.SkipWithError(t.status().message().c_str());
    return;
  }
  std::string out;
  for (auto _ : state) {
    auto st = (*t)->apply(body, Direction::kUp, out);
    if (!st.ok()) state.SkipWithError(st.message().c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

void BM_Nlohmann(benchmark::State& state) {
  std::string body = orders_body(static_cast<size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    nlohmann::json doc = nlohmann::json::parse(body);
    for (auto& o : doc["data"]) {
      if (!o.is_object()) continue;
      if (auto it = o.find("total"); it != o.end()) {
        o["total_amount"] = std::move(*it);
        o.erase("total");
      }
      if (!o.contains("currency")) o["currency"] = "USD";
      o.erase("legacy_code");
    }
    out = doc.dump();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

BENCHMARK(BM_Splice)->Arg(1024)->Arg(100 * 1024);
BENCHMARK(BM_Nlohmann)->Arg(1024)->Arg(100 * 1024);

}  // namespace

BENCHMARK_MAIN();
