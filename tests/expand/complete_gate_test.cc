// `tandem complete` and the latest `tandem verify`: refused (exit 1, nothing changed) while the
// newest verify since start found mismatches, done with --force, done after a clean verify;
// never verified: done with a warning. Every verify is recorded as an event.

#include <gtest/gtest.h>

#include "tandem/backfill.h"
#include "tandem/expand.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class CompleteGate : public ::testing::Test {
 protected:
  CompleteGate() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {}
  void SetUp() override {
    std::string from = std::string(TANDEM_SOURCE_DIR) + "/examples/expand-contract/orders/";
    dir_.write("0001_create_orders.sql", testing::read_file(from + "0001_create_orders.sql"));
    ASSERT_TRUE(up(opts_, {}).ok());
    db_.exec(
        "INSERT INTO orders (customer, total_amount) SELECT 'c', g FROM "
        "generate_series(1, 2000) g");
    dir_.write("0002_orders_minor_units.yaml",
               testing::read_file(from + "0002_orders_minor_units.yaml"));
    auto started = expand::start(opts_, std::nullopt);
    ASSERT_TRUE(started.ok()) << started.status().message();
  }
  // Sets the new column of row `id` behind the dual-write trigger's back.
  void plant(int id, const std::string& value) {
    auto c = db_.connect();
    ASSERT_TRUE(c->execute_script("SET session_replication_role = replica").ok());
    ASSERT_TRUE(c->execute_script("UPDATE orders SET _tandem_new_total_amount = " + value +
                                  " WHERE id = " + std::to_string(id))
                    .ok());
  }
  testing::CmdResult run(const std::vector<std::string>& args) {
    return testing::run_tandem_on(db_, dir_, args);
  }
  std::string active() { return db_.value("SELECT count(*) FROM tandem.active"); }

  TempDir dir_;
  TestDb db_;
  Options opts_;
};

TEST_F(CompleteGate, RefusedAfterMismatchesThenDoneAfterACleanVerify) {
  plant(7, "1");
  auto verify = run({"verify"});
  ASSERT_EQ(verify.code, 1) << verify.out << verify.err;
  std::string recorded = db_.value(
      "SELECT status || ': ' || detail FROM tandem.events WHERE action = 'verify' AND version "
      "= '2' ORDER BY id DESC LIMIT 1");
  EXPECT_EQ(recorded.rfind("mismatches: ", 0), 0u) << recorded;
  EXPECT_NE(recorded.find("mismatch(es) in 2 check(s) over 2000 row(s)"), std::string::npos)
      << recorded;
  std::string before = db_.snapshot();
  auto refused = run({"complete"});
  EXPECT_EQ(refused.code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("the latest `tandem verify`"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("mismatch(es) in 2 check(s)"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("`tandem complete --force`"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("run `tandem verify` again"), std::string::npos) << refused.err;
  EXPECT_EQ(db_.snapshot(), before) << "a refused complete changes nothing";
  EXPECT_EQ(active(), "1");
  // The library refuses the same way, with Code::kProblem.
  auto lib = expand::complete(opts_);
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.status().code(), Code::kProblem);

  // Fixed and verified again: complete goes through.
  plant(7, "7");
  auto clean = run({"verify"});
  ASSERT_EQ(clean.code, 0) << clean.out << clean.err;
  EXPECT_EQ(db_.value("SELECT status FROM tandem.events WHERE action = 'verify' ORDER BY id DESC "
                      "LIMIT 1"),
            "clean");
  auto done = run({"complete"});
  ASSERT_EQ(done.code, 0) << done.out << done.err;
  EXPECT_EQ(active(), "0");
  EXPECT_EQ(db_.value("SELECT status FROM tandem.migrations WHERE version = '2'"), "applied");
}

TEST_F(CompleteGate, ForceCompletesDespiteMismatches) {
  plant(11, "5");
  ASSERT_EQ(run({"verify"}).code, 1);
  auto forced = run({"complete", "--force"});
  ASSERT_EQ(forced.code, 0) << forced.out << forced.err;
  EXPECT_NE(forced.err.find("--force"), std::string::npos) << forced.err;
  EXPECT_EQ(active(), "0");
  EXPECT_EQ(db_.value("SELECT total_amount_minor FROM orders WHERE id = 11"), "5")
      << "what was forced is what stays";
  // The override is in the history: who forced it, past which verify.
  EXPECT_EQ(db_.value("SELECT count(*) FROM tandem.events WHERE action = 'complete_forced' AND "
                      "detail LIKE '--force past the verify of %'"),
            "1");
}

// Never verified: completed, with a warning; a rollback and a new start forget an old verify.
TEST_F(CompleteGate, NeverVerifiedWarnsAndANewStartForgetsOldResults) {
  plant(3, "9");
  ASSERT_EQ(run({"verify"}).code, 1);
  ASSERT_TRUE(expand::rollback(opts_).ok());
  ASSERT_TRUE(expand::start(opts_, std::nullopt).ok());
  auto done = run({"complete"});
  ASSERT_EQ(done.code, 0) << done.out << done.err;
  EXPECT_NE(done.err.find("never checked with `tandem verify`"), std::string::npos) << done.err;
  EXPECT_EQ(active(), "0");
}

}  // namespace
}  // namespace tandem
