#include "test_util.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tandem::testing {
namespace fs = std::filesystem;

std::string kind_name(const ::testing::TestParamInfo<Kind>& info) {
  return info.param == Kind::kSqlite ? "sqlite" : "postgres";
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "tandem-test.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string p = (fs::path(path_) / name).string();
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
  return p;
}

void TempDir::remove(const std::string& name) const { fs::remove(fs::path(path_) / name); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

std::string pg_url_for(const std::string& dbname) {
  const char* host = std::getenv("TANDEM_TEST_PG_HOST");
  const char* port = std::getenv("TANDEM_TEST_PG_PORT");
  if (!host || !port) {
    throw std::runtime_error(
        "TANDEM_TEST_PG_HOST/PORT are not set: PostgreSQL tests need the server that "
        "scripts/test.sh starts "
        "(they never skip)");
  }
  return std::string("postgresql://postgres@/") + dbname + "?host=" + host + "&port=" + port;
}

void must(const Status& st, const std::string& what) {
  if (!st.ok()) throw std::runtime_error(what + ": " + st.message());
}

}  // namespace

TestDb::TestDb(Kind kind) : kind_(kind) {
  if (kind == Kind::kSqlite) {
    dir_ = std::make_unique<TempDir>();
    url_ = "sqlite:" + dir_->path() + "/test.db";
    return;
  }
  static std::atomic<int> counter{0};
  name_ = "t_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  auto admin = db::connect(pg_url_for("postgres"));
  must(admin.status(), "connect to the test server");
  must((*admin)->execute_script("CREATE DATABASE " + name_ + " TEMPLATE template0"),
       "create test database");
  url_ = pg_url_for(name_);
}

TestDb::~TestDb() {
  if (kind_ != Kind::kPostgres) return;
  auto admin = db::connect(pg_url_for("postgres"));
  if (admin.ok())
    (void)(*admin)->execute_script("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

std::unique_ptr<db::Connection> TestDb::connect() const {
  auto c = db::connect(url_);
  must(c.status(), "connect");
  return std::move(c).value();
}

std::string TestDb::value(const std::string& sql) const {
  auto c = connect();
  auto r = c->query(sql);
  must(r.status(), sql);
  return r->empty() || r->columns.empty() ? "" : r->text(0, 0);
}

void TestDb::exec(const std::string& sql) const { must(connect()->execute_script(sql), sql); }

std::string TestDb::catalog() const {
  return value(
      "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
      "SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text AS x FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', "
      "'information_schema', 'tandem') AND n.nspname NOT LIKE 'pg_toast%' "
      "UNION ALL SELECT table_schema || '.' || table_name || '.' || column_name || ':' || "
      "data_type || ':' || is_nullable || ':' || coalesce(column_default, '') "
      "FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', "
      "'information_schema', 'tandem') "
      "UNION ALL SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ' ' || "
      "pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE conrelid <> 0 "
      "AND connamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', "
      "'tandem')) "
      "UNION ALL SELECT 'trigger ' || tgrelid::regclass::text || '.' || tgname FROM pg_trigger "
      "WHERE NOT tgisinternal "
      "UNION ALL SELECT 'index ' || indexrelid::regclass::text || ' ' || "
      "pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "WHERE c.relnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN "
      "('pg_catalog', 'pg_toast', 'tandem')) "
      "UNION ALL SELECT 'schema ' || nspname FROM pg_namespace) s");
}

std::string TestDb::snapshot() const {
  if (kind_ == Kind::kSqlite) {
    std::string path = url_.substr(7);
    return fs::exists(path) ? read_file(path) : std::string("<no file>");
  }
  auto c = connect();
  std::string out;
  auto dump = [&](const std::string& sql) {
    auto r = c->query(sql);
    must(r.status(), sql);
    for (size_t i = 0; i < r->size(); ++i) {
      for (size_t j = 0; j < r->columns.size(); ++j) out += r->text(i, j) + "|";
      out += "\n";
    }
  };
  dump(
      "SELECT n.nspname, c.relname, c.relkind, c.relfilenode, c.relnatts FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', "
      "'information_schema') "
      "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2");
  dump(
      "SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default "
      "FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', "
      "'information_schema') ORDER BY 1, 2, 3");
  dump("SELECT nspname FROM pg_namespace ORDER BY 1");
  dump(
      "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace NOT IN "
      "(SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema')) ORDER "
      "BY 1");
  if (value("SELECT to_regclass('tandem.migrations') IS NOT NULL") == "t") {
    dump("SELECT to_jsonb(m)::text FROM tandem.migrations m ORDER BY version");
    dump("SELECT to_jsonb(e)::text FROM tandem.events e ORDER BY id");
  }
  // Row counts of user tables.
  auto tables = c->query(
      "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
      "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1");
  must(tables.status(), "list tables");
  for (size_t i = 0; i < tables->size(); ++i) {
    out +=
        tables->text(i, 0) + " rows " + value("SELECT count(*) FROM " + tables->text(i, 0)) + "\n";
  }
  return out;
}

EngineOptions options_for(const TestDb& db, const TempDir& dir) {
  EngineOptions o;
  o.db_url = db.url();
  o.dir = dir.path();
  o.lock_wait_ms = 10000;
  o.retry_base_ms = 50;
  return o;
}

namespace {

// `program` "" is the tandem binary.
std::vector<char*> make_argv(const std::string& program, const std::vector<std::string>& args,
                             std::vector<std::string>& storage) {
  storage.clear();
  // TANDEM_TEST_BINARY runs the end-to-end tests against another build (e.g. the one before a
  // fix, to see a new test fail there).
  const char* other = std::getenv("TANDEM_TEST_BINARY");
  storage.push_back(!program.empty() ? program : other && *other ? other : TANDEM_BINARY);
  for (const auto& a : args) storage.push_back(a);
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path, const std::map<std::string, std::string>& env,
            const std::string& program = "", const std::string& cwd = "") {
  std::vector<std::string> storage;
  std::vector<char*> argv = make_argv(program, args, storage);
  pid_t pid = fork();
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err =
        err_path == out_path ? out : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    unsetenv("DATABASE_URL");
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

CmdResult run_tandem(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env) {
  return run_tandem_in("", args, env);
}

CmdResult run_tandem_in(const std::string& cwd, const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env) {
  TempDir tmp;
  std::string out = tmp.path() + "/out", err = tmp.path() + "/err";
  pid_t pid = spawn(args, out, err, env, "", cwd);
  CmdResult r;
  r.code = wait_exit(pid);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

CmdResult run_tandem_on(const TestDb& db, const TempDir& dir,
                        const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--db", db.url(), "--dir", dir.path()};
  all.insert(all.end(), args.begin(), args.end());
  return run_tandem(all);
}

CmdResult run_program(const std::string& program, const std::vector<std::string>& args) {
  TempDir tmp;
  std::string out = tmp.path() + "/out", err = tmp.path() + "/err";
  pid_t pid = spawn(args, out, err, {}, program);
  CmdResult r;
  r.code = wait_exit(pid);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

pid_t spawn_tandem(const std::vector<std::string>& args, const std::string& log_path,
                   const std::map<std::string, std::string>& env) {
  return spawn(args, log_path, log_path, env);
}

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

std::vector<std::string> help_commands(const std::vector<std::string>& path) {
  std::vector<std::string> args = path;
  args.push_back("--help");
  std::istringstream in(run_tandem(args).out);
  std::vector<std::string> out;
  bool listing = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "Subcommands:") {
      listing = true;
    } else if (listing && line.rfind("  ", 0) == 0) {
      out.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else {
      listing = false;
    }
  }
  return out;
}

}  // namespace tandem::testing
