// Flags tied to a migration's phases (`flags:` in a declarative file): start turns the
// dual-write flag on, complete refuses until the read flag is on for everyone, rollback turns
// it off before it changes anything — the expand → dual-write → read-new → contract protocol.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tandem/flags.h"
#include "test_util.h"

namespace tandem {
namespace {

using json = nlohmann::json;
using testing::Kind;
using testing::TempDir;
using testing::TestDb;

const char* kMigration = R"(name: total_minor
flags:
  on_start: { orders.dual_write: true }
  require_to_complete: { orders.read_new: true }
  on_complete: { orders.dual_write: false }
  on_rollback: { orders.read_new: false, orders.dual_write: false }
operations:
  - add_column:
      table: orders
      column: { name: total_minor, type: bigint, nullable: true }
      up: total * 100
)";

class PhaseFlagsTest : public ::testing::Test {
 protected:
  PhaseFlagsTest() : db_(Kind::kPostgres) {
    dir_.write("0001_orders.sql",
               "-- tandem:up\nCREATE TABLE orders (id bigint PRIMARY KEY, total int NOT NULL);\n"
               "INSERT INTO orders SELECT g, g FROM generate_series(1, 50) g;\n");
  }
  testing::CmdResult run(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> all = {"--db", db_.url(), "--dir", dir_.path()};
    all.insert(all.end(), args.begin(), args.end());
    return testing::run_tandem(all, env);
  }
  // What the flag serves everyone ("" when absent), read as an application would.
  std::string served(const std::string& key) {
    auto store = flags::FlagStore::open(db_.url());
    EXPECT_TRUE(store.ok());
    auto f = (*store)->get(key);
    if (!f.ok() || !*f) return "";
    return flags::evaluate(**f, std::nullopt).value;
  }
  TempDir dir_;
  TestDb db_;
};

TEST_F(PhaseFlagsTest, StartCompleteAndTheRequiredFlag) {
  ASSERT_EQ(run({"up"}).code, 0);
  dir_.write("0002_total_minor.yaml", kMigration);
  auto start = run({"start"});
  ASSERT_EQ(start.code, 0) << start.err;
  EXPECT_EQ(served("orders.dual_write"), "true");

  // The read flag is not on for everyone: complete refuses and changes nothing.
  std::string before = db_.catalog();
  auto refused = run({"complete"});
  EXPECT_EQ(refused.code, 1) << refused.err;
  EXPECT_NE(refused.err.find("orders.read_new does not exist"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("tandem flag set orders.read_new true"), std::string::npos);
  ASSERT_EQ(run({"flag", "set", "orders.read_new", "true", "--percent", "90"}).code, 0);
  refused = run({"complete"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("not true to everyone"), std::string::npos) << refused.err;
  EXPECT_EQ(db_.catalog(), before);

  ASSERT_EQ(run({"flag", "set", "orders.read_new", "true"}).code, 0);
  auto complete = run({"complete"});
  ASSERT_EQ(complete.code, 0) << complete.err;
  EXPECT_EQ(served("orders.dual_write"), "false");
  // Each phase's change is audited as that command's.
  auto history = run({"flag", "history", "orders.dual_write", "--json"});
  json events = json::parse(history.out)["events"];
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["reason"], "tandem complete 0002_total_minor.yaml");
  EXPECT_EQ(events[1]["reason"], "tandem start 0002_total_minor.yaml");
}

TEST_F(PhaseFlagsTest, RollbackTurnsTheReadPathOffFirst) {
  ASSERT_EQ(run({"up"}).code, 0);
  dir_.write("0002_total_minor.yaml", kMigration);
  ASSERT_EQ(run({"start"}).code, 0);
  ASSERT_EQ(run({"flag", "set", "orders.read_new", "true", "--percent", "10"}).code, 0);
  // Killed right after the flags were set, before anything was undone: the readers already
  // left the new path, and rollback run again finishes.
  auto killed = run({"rollback"}, {{"TANDEM_TEST_CRASH_AT", "rollback:new-schema-dropped"}});
  EXPECT_EQ(killed.code, 137) << killed.err;
  EXPECT_EQ(served("orders.read_new"), "false");
  EXPECT_EQ(served("orders.dual_write"), "false");
  auto rollback = run({"rollback"});
  ASSERT_EQ(rollback.code, 0) << rollback.err;
  // Run again, the flags already serve what rollback wants: no second audit event.
  auto history = run({"flag", "history", "orders.read_new", "--json"});
  EXPECT_EQ(json::parse(history.out)["events"].size(), 2u) << history.out;
}

TEST_F(PhaseFlagsTest, UpStopsAtTheRequirementLeavingTheMigrationStarted) {
  ASSERT_EQ(run({"up"}).code, 0);
  dir_.write("0002_total_minor.yaml", kMigration);
  auto up = run({"up"});
  EXPECT_EQ(up.code, 1) << up.err;
  EXPECT_NE(up.err.find("requires before complete"), std::string::npos) << up.err;
  EXPECT_EQ(served("orders.dual_write"), "true");
  ASSERT_EQ(run({"flag", "set", "orders.read_new", "on"}).code, 0);
  ASSERT_EQ(run({"complete"}).code, 0);
  auto status = run({"status", "--json"});
  EXPECT_EQ(json::parse(status.out)["pending"], 0) << status.out;
}

TEST_F(PhaseFlagsTest, BadFlagsAreRefusedWithTheirLine) {
  ASSERT_EQ(run({"up"}).code, 0);
  dir_.write("0002_total_minor.yaml", R"(flags:
  on_start: { "bad key": true }
  on_finish: { a: true }
  on_rollback: { orders.read_new: [1, 2] }
  require_to_complete: { x: true, x: false }
operations:
  - add_column: { table: orders, column: { name: b, type: int, nullable: true } }
)");
  std::string before = db_.snapshot();
  auto start = run({"start"});
  EXPECT_EQ(start.code, 2) << start.err;
  EXPECT_NE(start.err.find("0002_total_minor.yaml:2"), std::string::npos) << start.err;
  EXPECT_NE(start.err.find("0002_total_minor.yaml:3"), std::string::npos) << start.err;
  EXPECT_NE(start.err.find("unknown phase `on_finish`"), std::string::npos) << start.err;
  EXPECT_NE(start.err.find("0002_total_minor.yaml:4"), std::string::npos) << start.err;
  EXPECT_EQ(db_.snapshot(), before);
  EXPECT_EQ(served("orders.read_new"), "");
}

// A value the existing flag's type refuses is found before start changes anything (a trial's
// finding: it failed after the expand, and the fixed file could neither start nor roll back).
TEST_F(PhaseFlagsTest, AValueOfTheWrongTypeIsRefusedBeforeStart) {
  ASSERT_EQ(run({"up"}).code, 0);
  ASSERT_EQ(run({"flag", "set", "orders.dual_write", "false"}).code, 0);
  dir_.write("0002_total_minor.yaml",
             "flags:\n  on_start: { orders.dual_write: 5 }\noperations:\n  - add_column: { "
             "table: orders, column: { name: b, type: int, nullable: true } }\n");
  std::string before = db_.catalog();
  auto start = run({"start"});
  EXPECT_EQ(start.code, 2) << start.err;
  EXPECT_NE(start.err.find("0002_total_minor.yaml:2: flag orders.dual_write is a bool flag"),
            std::string::npos)
      << start.err;
  EXPECT_EQ(db_.catalog(), before);
  auto status = run({"status", "--json"});
  EXPECT_EQ(json::parse(status.out)["pending"], 1) << status.out;
  // YAML 1.1's booleans are refused as ambiguous.
  dir_.write("0002_total_minor.yaml",
             "flags:\n  on_start: { orders.dual_write: yes }\noperations:\n  - add_column: { "
             "table: orders, column: { name: b, type: int, nullable: true } }\n");
  start = run({"start"});
  EXPECT_EQ(start.code, 2);
  EXPECT_NE(start.err.find("is ambiguous"), std::string::npos) << start.err;
}

}  // namespace
}  // namespace tandem
