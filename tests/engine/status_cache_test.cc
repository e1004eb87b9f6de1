// The checksum cache behind `status` (engine/file_stat.h), on both backends: a stat is recorded
// only when it describes the hashed bytes and is not racy, status trusts only an equal stat,
// any change to the file is noticed, results equal a full read, and status writes nothing.

#include "engine/file_stat.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_util.h"

namespace tandem {
namespace {

using testing::Kind;
using testing::TempDir;
using testing::TestDb;

// Long enough that files written before it are out of the racy window.
void wait_out_racy_window() {
  std::this_thread::sleep_for(std::chrono::nanoseconds(kRacyWindowNs) +
                              std::chrono::milliseconds(200));
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
}

// Sets the file's mtime (and atime) to `mtime`, as `touch -d` does.
void set_mtime(const std::string& path, const struct timespec& mtime) {
  struct timespec times[2] = {mtime, mtime};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

const MigrationState* find(const StatusReport& r, const std::string& version) {
  for (const MigrationState& m : r.migrations)
    if (m.version == version) return &m;
  return nullptr;
}

// Everything of a report, for "identical to a full read".
std::string describe(const StatusReport& r) {
  std::string out = fmt::format("{} {} {} {} {} {}\n", r.current_version, r.applied, r.pending,
                                r.failed, r.history_exists, r.lock_holder);
  for (const MigrationState& m : r.migrations) {
    out += fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {}\n", m.version, m.name, m.file,
                       m.state, m.applied_at, m.duration_ms, m.applied_by, m.checksum,
                       m.transactional, m.direction, m.statements_applied, m.statements_total,
                       m.error, m.failed_statement);
  }
  for (const Problem& p : r.problems) {
    out += fmt::format("problem {} {} {} {} {} {}\n", p.kind, p.file, p.line, p.column, p.message,
                       p.hint);
  }
  return out;
}

std::string sql_file(const std::string& table) {
  return fmt::format(
      "-- tandem:up\nCREATE TABLE {0} (id integer);\n-- tandem:down\nDROP TABLE {0};\n", table);
}

class StatusCacheTest : public ::testing::TestWithParam<Kind> {
 protected:
  StatusCacheTest() : db_(GetParam()), opts_(testing::options_for(db_, dir_)) {}

  std::string history() const { return db_.pg() ? "tandem.migrations" : "tandem_migrations"; }
  std::string column(const std::string& col, const std::string& version) const {
    return db_.value(
        fmt::format("SELECT {} FROM {} WHERE version = '{}'", col, history(), version));
  }
  // Every row's recorded stat, "-" where none.
  std::string stats() const {
    std::string row =
        "version || ':' || coalesce(CAST(file_size AS text), '-') || ':' || "
        "coalesce(CAST(file_mtime_ns AS text), '-') || ':' || "
        "coalesce(CAST(file_ctime_ns AS text), '-') || ':' || "
        "coalesce(CAST(file_inode AS text), '-')";
    if (db_.pg()) {
      return db_.value(
          fmt::format("SELECT string_agg({}, ' ' ORDER BY version) FROM {}", row, history()));
    }
    return db_.value(
        fmt::format("SELECT group_concat(r, ' ') FROM (SELECT {} AS r FROM {} ORDER BY version)",
                    row, history()));
  }
  StatusReport status_ok() {
    auto r = status(opts_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : StatusReport{};
  }
  // The status of a full read: the same database with every recorded stat forgotten.
  StatusReport status_without_cache() {
    db_.exec(
        fmt::format("UPDATE {} SET file_size = NULL, file_mtime_ns = NULL, file_ctime_ns = "
                    "NULL, file_inode = NULL",
                    history()));
    return status_ok();
  }

  TempDir dir_;
  TestDb db_;
  EngineOptions opts_;
};

TEST_P(StatusCacheTest, UpRecordsTheStatOfSettledFilesOnly) {
  dir_.write("0001_a.sql", sql_file("a"));
  wait_out_racy_window();
  dir_.write("0002_b.sql", sql_file("b"));  // written just now: racy
  ASSERT_TRUE(up(opts_, {}).ok());
  struct stat a = stat_of(dir_.path() + "/0001_a.sql");
  EXPECT_EQ(column("file_size", "1"), std::to_string(a.st_size));
  EXPECT_EQ(column("file_inode", "1"), std::to_string(a.st_ino));
  EXPECT_EQ(column("file_mtime_ns", "1"),
            std::to_string(a.st_mtim.tv_sec * 1000000000LL + a.st_mtim.tv_nsec));
  EXPECT_EQ(column("file_ctime_ns", "1"),
            std::to_string(a.st_ctim.tv_sec * 1000000000LL + a.st_ctim.tv_nsec));
  // Changed within the racy window before its stat was taken: nothing recorded.
  EXPECT_EQ(column("file_size", "2"), "");
  EXPECT_EQ(column("file_ctime_ns", "2"), "");
}

TEST_P(StatusCacheTest, RacyFileIsRehashed) {
  std::string path = dir_.write("0001_a.sql", sql_file("a"));
  ASSERT_TRUE(up(opts_, {}).ok());  // at once: the file is inside the racy window
  ASSERT_EQ(column("file_size", "1"), "");
  struct stat before = stat_of(path);
  // Same size, mtime set back: only reading the file can tell.
  dir_.write("0001_a.sql", sql_file("x"));
  set_mtime(path, before.st_mtim);
  ASSERT_EQ(stat_of(path).st_size, before.st_size);
  StatusReport r = status_ok();
  ASSERT_NE(find(r, "1"), nullptr);
  EXPECT_EQ(find(r, "1")->state, "changed");
  EXPECT_EQ(find(r, "1")->checksum, checksum(sql_file("x")));
}

TEST_P(StatusCacheTest, UnchangedAppliedFileIsNotRead) {
  // Only a process that cannot read a file shows that it was not read: root reads anything,
  // so the status process runs without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH. chmod changes
  // the ctime, so the file is made unreadable before `up` records its stat.
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: `up` must read a file its mode forbids";
  std::string path = dir_.write("0001_a.sql", sql_file("a"));
  dir_.write("0002_b.sql", sql_file("b"));
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  wait_out_racy_window();
  ASSERT_TRUE(up(opts_, {}).ok());
  ASSERT_NE(column("file_size", "1"), "");

  auto without_read_override = [&](const std::vector<std::string>& args) {
    TempDir tmp;
    std::string out = tmp.path() + "/out";
    pid_t pid = fork();
    if (pid == 0) {
      FILE* f = std::freopen(out.c_str(), "w", stdout);
      if (f == nullptr) _exit(125);
      // Dropped from the bounding and inheritable sets, these stay dropped across exec.
      for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) _exit(126);
      }
      __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
      __user_cap_data_struct data[2]{};
      if (syscall(SYS_capget, &header, data) != 0) _exit(126);
      for (auto& d : data) d.inheritable = 0;
      if (syscall(SYS_capset, &header, data) != 0) _exit(126);
      std::vector<std::string> storage = {TANDEM_BINARY, "--db",      db_.url(),
                                          "--dir",       dir_.path(), "--json"};
      for (const auto& a : args) storage.push_back(a);
      std::vector<char*> argv;
      for (auto& s : storage) argv.push_back(s.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::read_file(out));
  };
  auto [vcode, vout] = without_read_override({"validate"});
  // The file really is unreadable to that process: validate reads every file.
  EXPECT_NE(vout.find("unreadable_file"), std::string::npos) << vcode << vout;
  auto [scode, sout] = without_read_override({"status"});
  EXPECT_EQ(scode, 0) << sout;
  nlohmann::json j = nlohmann::json::parse(sout, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << sout;
  EXPECT_TRUE(j["problems"].empty()) << sout;
  ASSERT_EQ(j["migrations"].size(), 2u) << sout;
  EXPECT_EQ(j["migrations"][0]["version"], "1");
  EXPECT_EQ(j["migrations"][0]["state"], "applied") << sout;
  EXPECT_EQ(j["migrations"][0]["file"], "0001_a.sql") << sout;
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
}

TEST_P(StatusCacheTest, StatusTakesTheChecksumFromHistoryValidateReadsEverything) {
  dir_.write("0001_a.sql", sql_file("a"));
  dir_.write("0002_b.sql", sql_file("b"));
  wait_out_racy_window();
  ASSERT_TRUE(up(opts_, {}).ok());
  // The history's checksum no longer matches the file's bytes, the stat still does.
  std::string other(64, 'f');
  db_.exec(fmt::format("UPDATE {} SET checksum = '{}' WHERE version = '1'", history(), other));
  StatusReport r = status_ok();
  ASSERT_NE(find(r, "1"), nullptr);
  EXPECT_EQ(find(r, "1")->state, "applied");  // trusted, not read
  EXPECT_EQ(find(r, "1")->checksum, other);
  auto problems = validate(opts_);
  ASSERT_TRUE(problems.ok());
  ASSERT_EQ(problems->size(), 1u) << format_problems(*problems);
  EXPECT_EQ((*problems)[0].kind, "checksum_mismatch");
}

TEST_P(StatusCacheTest, SameSizeEditWithMtimeSetBackIsChanged) {
  std::string path = dir_.write("0001_a.sql", sql_file("a"));
  dir_.write("0002_b.sql", sql_file("b"));
  wait_out_racy_window();
  ASSERT_TRUE(up(opts_, {}).ok());
  struct stat before = stat_of(path);
  ASSERT_EQ(column("file_mtime_ns", "1"),
            std::to_string(before.st_mtim.tv_sec * 1000000000LL + before.st_mtim.tv_nsec));
  wait_out_racy_window();                   // an edit long after the stat, not within its tick
  dir_.write("0001_a.sql", sql_file("z"));  // same size
  set_mtime(path, before.st_mtim);          // touch -d <the old time>
  struct stat after = stat_of(path);
  ASSERT_EQ(after.st_size, before.st_size);
  ASSERT_EQ(after.st_ino, before.st_ino);
  ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  StatusReport r = status_ok();
  EXPECT_EQ(find(r, "1")->state, "changed");
  EXPECT_EQ(find(r, "1")->checksum, checksum(sql_file("z")));
  EXPECT_EQ(find(r, "2")->state, "applied");
}

TEST_P(StatusCacheTest, FileReplacedByAnotherInodeIsRehashed) {
  std::string path = dir_.write("0001_a.sql", sql_file("a"));
  wait_out_racy_window();
  ASSERT_TRUE(up(opts_, {}).ok());
  ASSERT_NE(column("file_inode", "1"), "");
  struct stat before = stat_of(path);
  // An editor's save: a new file renamed over the old one, same size, old mtime.
  std::string tmp = dir_.write(".0001_a.sql.swp", sql_file("q"));
  set_mtime(tmp, before.st_mtim);
  ASSERT_EQ(::rename(tmp.c_str(), path.c_str()), 0);
  ASSERT_NE(stat_of(path).st_ino, before.st_ino);
  StatusReport r = status_ok();
  EXPECT_EQ(find(r, "1")->state, "changed");
  EXPECT_EQ(find(r, "1")->checksum, checksum(sql_file("q")));
}

TEST_P(StatusCacheTest, ResultsEqualAFullReadAndStatusWritesNothing) {
  // Every state status knows, with the cache in use for the unchanged applied files.
  dir_.write("0001_a.sql", sql_file("a"));
  dir_.write("0002_b.sql", sql_file("b"));
  dir_.write("0003_c.sql", sql_file("c"));
  dir_.write("0004_d.sql", sql_file("d"));
  dir_.write("0006_f.sql", sql_file("f"));
  wait_out_racy_window();
  ASSERT_TRUE(up(opts_, {}).ok());
  dir_.write("0002_b.sql", sql_file("b") + "-- edited\n");     // changed
  dir_.remove("0003_c.sql");                                   // missing
  dir_.write("0005_e.sql", sql_file("e"));                     // out of order
  dir_.write("0007_g.sql", "CREATE TABLE g (id integer);\n");  // pending, with a problem
  dir_.write("0008_h.sql", sql_file("h"));                     // pending
  dir_.write("08_h2.sql", sql_file("h2"));                     // duplicate version
  dir_.write("x_bad.sql", sql_file("x"));                      // bad name
  db_.exec(fmt::format("UPDATE {} SET status = 'failed', error = 'boom' WHERE version = '4'",
                       history()));  // failed
  std::string stats_before = stats();
  std::string snapshot = db_.snapshot();
  StatusReport cached = status_ok();
  EXPECT_EQ(find(cached, "1")->state, "applied");
  EXPECT_EQ(find(cached, "2")->state, "changed");
  EXPECT_EQ(find(cached, "3")->state, "missing");
  EXPECT_EQ(find(cached, "4")->state, "failed");
  EXPECT_EQ(find(cached, "5")->state, "out_of_order");
  EXPECT_EQ(find(cached, "6")->state, "applied");
  EXPECT_EQ(find(cached, "7")->state, "pending");
  EXPECT_EQ(find(cached, "8")->state, "pending");
  // code_before_up and missing_up (0007), duplicate_version, bad_name
  EXPECT_EQ(cached.problems.size(), 4u) << describe(cached);
  // status is read-only: it never fills in or refreshes a stat.
  EXPECT_EQ(stats(), stats_before);
  EXPECT_EQ(db_.snapshot(), snapshot);
  EXPECT_EQ(describe(cached), describe(status_without_cache()));
}

// The history's times as status shows them are the database's own (PostgreSQL's timestamps
// are read as epoch milliseconds and formatted by tandem).
TEST_P(StatusCacheTest, AppliedAtIsTheRecordedTime) {
  dir_.write("0001_a.sql", sql_file("a"));
  ASSERT_TRUE(up(opts_, {}).ok());
  for (std::string at :
       {"1970-01-01T00:00:00.000Z", "2000-02-29T23:59:59.999Z", "2026-11-29T22:43:03.721Z",
        "2100-03-01T00:00:00.001Z", "9999-12-31T23:59:59.999Z"}) {
    db_.exec(fmt::format("UPDATE {} SET applied_at = '{}'", history(), at));
    StatusReport r = status_ok();
    ASSERT_NE(find(r, "1"), nullptr);
    EXPECT_EQ(find(r, "1")->applied_at, at);
  }
}

// status's text lines are written by hand for ASCII and by fmt otherwise: both pad alike.
TEST_P(StatusCacheTest, TextLinesAreAlignedForAnyName) {
  dir_.write("0001_ünïcödé_名前.sql", sql_file("a"));
  dir_.write("0002_b.sql", sql_file("b"));
  ASSERT_TRUE(up(opts_, {}).ok());
  StatusReport r = status_ok();
  ASSERT_EQ(r.migrations.size(), 2u);
  size_t nw = std::string("ünïcödé_名前").size();  // widths are counted in bytes
  std::string expected;
  for (const MigrationState& m : r.migrations) {
    expected += fmt::format("  {:<{}}  {:<{}}  {:<12}  {}\n", m.version, 7, m.name, nw, m.state,
                            m.applied_at);
  }
  auto cmd = testing::run_tandem({"--db", db_.url(), "--dir", dir_.path(), "status"});
  ASSERT_EQ(cmd.code, 0) << cmd.err;
  EXPECT_NE(cmd.out.find(expected), std::string::npos) << cmd.out << "\nexpected:\n" << expected;
}

INSTANTIATE_TEST_SUITE_P(Backends, StatusCacheTest,
                         ::testing::Values(Kind::kSqlite, Kind::kPostgres), testing::kind_name);

// The trust rule itself, on one file: the cache's checksum is taken only for an equal stat.
TEST(ChecksumCache, TrustsOnlyAnEqualStatOfAnAppliedRowOfTheSameName) {
  TempDir dir;
  std::string content = sql_file("a");
  std::string path = dir.write("0001_a.sql", content);
  FileStat now = stat_file(path);
  ASSERT_TRUE(now.recorded());
  std::string fake(64, '0');
  auto read_with = [&](HistoryRow row) {
    std::vector<HistoryRow> rows = {row};
    std::promise<ChecksumCache> p;
    p.set_value(ChecksumCache(rows));
    MigrationSet set = load_migrations_cached(dir.path(), {}, p.get_future().share());
    EXPECT_EQ(set.migrations.size(), 1u);
    return set.migrations.empty() ? std::string() : set.migrations[0].checksum;
  };
  HistoryRow row;
  row.version = "1";
  row.name = "a";
  row.checksum = fake;
  row.file = now;
  EXPECT_EQ(read_with(row), fake);  // equal stat: not read
  row.status = RunStatus::kBaseline;
  EXPECT_EQ(read_with(row), fake);
  for (auto change :
       {&FileStat::size, &FileStat::mtime_ns, &FileStat::ctime_ns, &FileStat::inode}) {
    HistoryRow other = row;
    other.file.*change += 1;
    EXPECT_EQ(read_with(other), checksum(content));
  }
  HistoryRow renamed = row;
  renamed.name = "b";
  EXPECT_EQ(read_with(renamed), checksum(content));
  HistoryRow failed = row;
  failed.status = RunStatus::kFailed;
  EXPECT_EQ(read_with(failed), checksum(content));
  HistoryRow unrecorded = row;
  unrecorded.file = FileStat{};
  EXPECT_EQ(read_with(unrecorded), checksum(content));
}

TEST(ChecksumCache, StatForHistoryNeedsTheHashedBytesAndASettledFile) {
  TempDir dir;
  std::string content = sql_file("a");
  std::string path = dir.write("0001_a.sql", content);
  EXPECT_FALSE(stat_for_history(path, checksum(content)).recorded());  // racy
  wait_out_racy_window();
  FileStat st = stat_for_history(path, checksum(content));
  EXPECT_TRUE(st.recorded());
  EXPECT_EQ(st, stat_file(path));
  EXPECT_FALSE(stat_for_history(path, checksum("other bytes")).recorded());
  EXPECT_FALSE(stat_for_history(dir.path() + "/gone.sql", checksum(content)).recorded());
  EXPECT_FALSE(stat_for_history(dir.path(), checksum(content)).recorded());  // not a file
}

}  // namespace
}  // namespace tandem
