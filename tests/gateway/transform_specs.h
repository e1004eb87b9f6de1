#pragma once
// Building field operations and running transforms in tests (transform_test.cc,
// transform_chain_test.cc).

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/transform.h"
#include "tandem/status.h"

namespace tandem::gateway {

using Kind = FieldOpSpec::Kind;

inline FieldOpSpec rename_op(std::string from, std::string to) {
  FieldOpSpec s;
  s.kind = Kind::kRename;
  s.from = std::move(from);
  s.to = std::move(to);
  return s;
}
inline FieldOpSpec move_op(std::string from, std::string to) {
  FieldOpSpec s = rename_op(std::move(from), std::move(to));
  s.kind = Kind::kMove;
  return s;
}
inline FieldOpSpec convert_op(std::string field, std::string up, std::string down) {
  FieldOpSpec s;
  s.kind = Kind::kConvert;
  s.field = std::move(field);
  s.up = std::move(up);
  s.down = std::move(down);
  return s;
}
inline FieldOpSpec add_op(std::string field, std::string def) {
  FieldOpSpec s;
  s.kind = Kind::kAdd;
  s.field = std::move(field);
  s.default_json = std::move(def);
  return s;
}
inline FieldOpSpec remove_op(std::string field, std::string def) {
  FieldOpSpec s = add_op(std::move(field), std::move(def));
  s.kind = Kind::kRemove;
  return s;
}
inline FieldOpSpec enum_op(std::string field,
                           std::vector<std::pair<std::string, std::string>> map) {
  FieldOpSpec s;
  s.kind = Kind::kEnum;
  s.field = std::move(field);
  s.enum_map = std::move(map);
  return s;
}

inline std::unique_ptr<ChangeTransform> compile(std::string_view location,
                                                const std::vector<FieldOpSpec>& ops) {
  auto t = ChangeTransform::compile(location, ops);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : nullptr;
}

inline std::string apply(ChangeTransform& t, std::string_view in, Direction d) {
  std::string out;
  Status st = t.apply(in, d, out);
  EXPECT_TRUE(st.ok()) << st.message() << "\n  body: " << in;
  return out;
}

// A random JSON value for property tests: scalars, and below depth 3 arrays and objects of
// up to `width - 1` elements whose keys are "k0" … "k<keys - 1>".
inline nlohmann::json random_json(std::mt19937& rng, int depth, int width = 4, int keys = 9) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  switch (pick(depth > 2 ? 4 : 6)) {
    case 0:
      return nullptr;
    case 1:
      return pick(1000) - 500;
    case 2:
      return std::string(1 + pick(5), static_cast<char>('a' + pick(26)));
    case 3:
      return pick(2) == 0;
    case 4: {
      nlohmann::json a = nlohmann::json::array();
      for (int i = pick(width); i > 0; --i) a.push_back(random_json(rng, depth + 1, width, keys));
      return a;
    }
    default: {
      nlohmann::json o = nlohmann::json::object();
      for (int i = pick(width); i > 0; --i) {
        o["k" + std::to_string(pick(keys))] = random_json(rng, depth + 1, width, keys);
      }
      return o;
    }
  }
}

}  // namespace tandem::gateway
