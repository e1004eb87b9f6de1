// Declarative files within limits (issue 12): more operations than limits.max_operations, or
// more YAML nodes than limits.max_yaml_nodes — an alias counting as everything it repeats, so a
// "billion laughs" of nested aliases is refused before anything walks it — are problems with the
// file and line, found before the file is loaded into a tree; tandem.yaml's `limits:` raises
// them. A few aliases are fine.

#include <gtest/gtest.h>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class YamlLimitsTest : public ::testing::TestWithParam<Kind> {
 protected:
  YamlLimitsTest() : db_(GetParam()) {
    EXPECT_EQ(run({"-q", "init"}).code, 0);  // the database exists: up refusing leaves it as is
  }
  testing::CmdResult run(const std::vector<std::string>& args, const std::string& config = "") {
    std::vector<std::string> all;
    if (!config.empty()) all = {"--config", conf_.write("tandem.yaml", config)};
    all.insert(all.end(), args.begin(), args.end());
    return testing::run_tandem_on(db_, dir_, all);
  }
  static bool has(const testing::CmdResult& r, const std::string& text) {
    return (r.out + r.err).find(text) != std::string::npos;
  }
  // validate finds `what`, and up refuses with it, changing nothing.
  void refused(const std::string& what, const std::string& config = "") {
    auto validate = run({"validate"}, config);
    EXPECT_EQ(validate.code, 1) << validate.out << validate.err;
    EXPECT_TRUE(has(validate, what)) << validate.out << validate.err;
    std::string before = db_.snapshot();
    auto up = run({"up"}, config);
    EXPECT_EQ(up.code, 2) << up.out << up.err;
    EXPECT_TRUE(has(up, what)) << up.err;
    EXPECT_EQ(db_.snapshot(), before) << "nothing may change";
  }
  TempDir dir_;
  TempDir conf_;
  TestDb db_;
};

TEST_P(YamlLimitsTest, MoreOperationsThanTheLimitAreRefusedAtTheFirstOneOver) {
  std::string yaml = "operations:\n";
  for (int i = 0; i <= 10'000; ++i) yaml += "  - sql: {up: SELECT 1}\n";
  dir_.write("0001_many.yaml", yaml);
  refused(
      "0001_many.yaml:10002: more than 10000 operations in one migration file "
      "(limits.max_operations); operation 10001 starts here");
  auto raised = run({"validate"}, "limits: {max_operations: 20000}\n");
  EXPECT_EQ(raised.code, 0) << raised.out << raised.err;
  // Counted while reading events (the file has an `&`) and on the loaded tree (it has none):
  // the same problem either way.
  dir_.write("0001_many.yaml",
             "operations:\n  - sql: {up: SELECT 1}\n  - sql: {up: SELECT 2}\n"
             "  - sql: {up: SELECT 3 & 1}\n");
  refused("0001_many.yaml:3: more than 1 operations", "limits: {max_operations: 1}\n");
  dir_.write("0001_many.yaml",
             "operations:\n  - sql: {up: SELECT 1}\n  - sql: {up: SELECT 2}\n"
             "  - sql: {up: SELECT 3}\n");
  refused("0001_many.yaml:3: more than 1 operations", "limits: {max_operations: 1}\n");
}

// Ten levels of ten aliases each stand for 10^10 nodes in a file of a few hundred bytes.
TEST_P(YamlLimitsTest, AnAliasBombIsRefusedBeforeAnythingWalksIt) {
  std::string yaml =
      "operations:\n  - sql: {up: SELECT 1}\nlol:\n  - &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 10; ++level) {
    std::string prev = "*l" + std::to_string(level - 1);
    yaml += "  - &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) yaml += (i ? ", " : "") + prev;
    yaml += "]\n";
  }
  yaml += "columns: *l9\n";
  dir_.write("0001_lol.yaml", yaml);
  refused(
      "more than 250000 YAML nodes in one migration file (limits.max_yaml_nodes; keys, values "
      "and list items, an alias counting as all it repeats)");
  // Reported at the alias that went over: level 5 (111,111 nodes each).
  auto r = run({"validate"});
  EXPECT_TRUE(has(r, "0001_lol.yaml:9:")) << r.out << r.err;
}

TEST_P(YamlLimitsTest, AnAliasInsideWhatItNamesIsACycle) {
  dir_.write("0001_cycle.yaml",
             "operations:\n  - create_table: &t\n      name: t\n      columns: [*t]\n");
  refused("0001_cycle.yaml:4:17: an alias inside the node it names (a cycle)");
}

TEST_P(YamlLimitsTest, AFewAliasesAreFineAndTheNodeLimitIsSetInTheConfig) {
  dir_.write("0001_two.yaml",
             "operations:\n"
             "  - create_table:\n"
             "      name: t1\n"
             "      columns: &cols\n"
             "        - {name: id, type: bigint, pk: true}\n"
             "        - {name: note, type: text, nullable: true}\n"
             "  - create_table: {name: t2, columns: *cols}\n");
  auto up = run({"-q", "up"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(db_.value("SELECT count(*) FROM t2"), "0");
  ASSERT_EQ(run({"-q", "down"}).code, 0);
  refused("0001_two.yaml:7:39: more than 30 YAML nodes", "limits:\n  max_yaml_nodes: 30\n");
}

// yaml-cpp stops at a depth of 2000: a syntax error with the line, not a crash.
TEST_P(YamlLimitsTest, DeepNestingIsASyntaxError) {
  dir_.write("0001_deep.yaml", "operations:\n  - sql: {up: " + std::string(100'000, '[') + "}\n");
  refused("0001_deep.yaml:2:");
  auto r = run({"validate"});
  EXPECT_TRUE(has(r, "cannot parse")) << r.out << r.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, YamlLimitsTest,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

}  // namespace
}  // namespace tandem
