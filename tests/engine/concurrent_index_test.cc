// CREATE INDEX CONCURRENTLY run again after a kill, one recovery rule for `up` and `start`: an
// INVALID leftover of an interrupted build is dropped and built again; a valid index the
// statement already built (killed after the build, before its progress was recorded) is
// accepted; a valid index of that name with another definition is refused, saying so.

#include <gtest/gtest.h>

#include "tandem/engine.h"
#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

class ConcurrentIndex : public ::testing::Test {
 protected:
  ConcurrentIndex() : db_(Kind::kPostgres), opts_(testing::options_for(db_, dir_)) {
    dir_.write("0001_t.sql",
               "-- tandem:up\nCREATE TABLE t (id int PRIMARY KEY, a int, b int);\n"
               "INSERT INTO t SELECT g, g, g % 10 FROM generate_series(1, 1000) g;\n");
    EXPECT_TRUE(up(opts_, {}).ok());
  }
  testing::CmdResult run(std::vector<std::string> extra,
                         const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> a = {"--db", db_.url(), "--dir", dir_.path(), "-q"};
    a.insert(a.end(), extra.begin(), extra.end());
    return testing::run_tandem(a, env);
  }
  std::string index_valid(const std::string& name) {
    return db_.value(
        "SELECT coalesce(string_agg(i.indisvalid::text, ','), 'none') FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = '" +
        name + "'");
  }
  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

TEST_F(ConcurrentIndex, BuiltButNotRecordedIsAcceptedOnResume) {
  dir_.write("0002_idx.sql",
             "-- tandem:up\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n"
             "CREATE INDEX CONCURRENTLY t_b ON t USING btree (b) WHERE b > 2;\n");
  auto killed = run({"up"}, {{"TANDEM_TEST_CRASH_AT", "up:unrecorded:2"}});
  ASSERT_EQ(killed.code, 137) << killed.err;
  EXPECT_EQ(index_valid("t_b"), "true") << "the build finished before the kill";
  EXPECT_EQ(db_.value("SELECT statements_applied FROM tandem.migrations WHERE version = '2'"), "1");
  auto resumed = run({"up", "--resume"});
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(db_.value("SELECT status FROM tandem.migrations WHERE version = '2'"), "applied");
}

TEST_F(ConcurrentIndex, InvalidLeftoverIsDroppedAndBuiltAgain) {
  db_.exec("UPDATE t SET a = 1 WHERE id <= 2");  // a duplicate: the unique build fails
  dir_.write("0002_idx.sql", "-- tandem:up\nCREATE UNIQUE INDEX CONCURRENTLY t_a ON t (a);\n");
  auto failed = run({"up"});
  ASSERT_NE(failed.code, 0);
  EXPECT_EQ(index_valid("t_a"), "false") << "PostgreSQL leaves an INVALID index behind";
  db_.exec("UPDATE t SET a = id");
  auto resumed = run({"up", "--resume"});
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(index_valid("t_a"), "true");
}

TEST_F(ConcurrentIndex, AValidIndexWithAnotherDefinitionIsRefused) {
  dir_.write("0002_idx.sql", "-- tandem:up\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n");
  db_.exec("CREATE INDEX t_a ON t (b)");
  auto r = run({"up"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("already exists with another definition"), std::string::npos) << r.err;
  EXPECT_EQ(db_.value("SELECT pg_get_indexdef('t_a'::regclass)"),
            "CREATE INDEX t_a ON public.t USING btree (b)");
}

// The same rule in `tandem start`: a create_index killed after its build, before the phase
// recorded it, continues.
TEST_F(ConcurrentIndex, StartContinuesAfterABuildItDidNotRecord) {
  dir_.write("0002_idx.yaml",
             "operations:\n  - create_index: {name: t_ab, table: t, columns: [a, b]}\n");
  auto killed = run({"start"}, {{"TANDEM_TEST_CRASH_AT", "start:unrecorded:1"}});
  ASSERT_EQ(killed.code, 137) << killed.err;
  EXPECT_EQ(index_valid("t_ab"), "true");
  auto again = run({"start"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(run({"complete"}).code, 0);
}

}  // namespace
}  // namespace tandem
