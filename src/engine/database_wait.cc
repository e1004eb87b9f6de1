// db wait: connect again and again until the database's server accepts connections (a
// container's entrypoint starting beside its database), or give up after the timeout with the
// last error. Like dbmate's wait, the server being up is enough: a database not created yet
// is ready for `db create`.

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string_view>

#include "engine/database_admin.h"
#include "engine/engine.h"
#include "tandem/env.h"

namespace tandem::engine {
namespace {

struct Probe {
  bool ready = false;
  bool exists = true;
  bool lasting = false;  // the error will not go away by waiting
  Status error;
};

Probe failed(Status st, bool lasting = false) {
  Probe p;
  p.error = std::move(st);
  p.lasting = lasting;
  return p;
}

Probe ready(bool exists) {
  Probe p;
  p.ready = true;
  p.exists = exists;
  return p;
}

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A connection attempt may take what is left of the wait (libpq's least is 2 s), and no more
// than a connection would otherwise (options.connect_timeout_s; 0 leaves it to libpq).
int connect_timeout_s(const EngineOptions& options, Clock::duration left) {
  if (options.connect_timeout_s == 0) return 0;
  long long left_s = (std::chrono::duration_cast<milliseconds>(left).count() + 999) / 1000;
  return static_cast<int>(std::min<long long>(std::max(2LL, left_s), options.connect_timeout_s));
}

Probe probe_postgres(const EngineOptions& options, const AdminTarget& target, Env& env,
                     Clock::time_point deadline) {
  db::ConnectOptions copts;
  copts.application_name = fmt::format("tandem db wait (pid {})", getpid());
  copts.connect_timeout_s = connect_timeout_s(options, deadline - env.now());
  auto conn = db::connect(options.db_url, copts);
  if (conn.ok()) return ready(true);
  // The server may be up and the database not made yet: ask the maintenance database (when
  // time is left: a host that does not answer would make each try wait its timeout). A
  // database that exists and still refuses (a revoked CONNECT, too many connections) is not
  // ready: what runs next would fail.
  if (!target.name.empty() && !is_maintenance_database(target.name) && env.now() < deadline) {
    auto maintenance =
        connect_maintenance(target, "wait", connect_timeout_s(options, deadline - env.now()));
    if (maintenance.ok()) {
      auto exists = database_exists(**maintenance, target.name);
      if (exists.ok() && !*exists) return ready(false);
    }
  }
  return failed(conn.status());
}

Probe probe_sqlite(const EngineOptions& options, const AdminTarget& target) {
  const std::string& path = target.name;
  if (path == ":memory:") return ready(true);
  SqliteFile found = sqlite_file(path);
  switch (found) {
    case SqliteFile::kDatabase: {
      db::ConnectOptions copts;
      copts.create = false;
      copts.busy_timeout_ms = std::min(options.lock_wait_ms, 1000);
      auto conn = db::connect(options.db_url, copts);
      if (!conn.ok()) return failed(conn.status());
      Status st = (*conn)->query("SELECT count(*) FROM sqlite_master").status();
      return st.ok() ? ready(true) : failed(st);
    }
    case SqliteFile::kNotDatabase:
    case SqliteFile::kNotFile:
      return failed(not_sqlite_database(path, found, ""), true);
    case SqliteFile::kAbsent:
      break;
  }
  // No file yet: ready when `db create` (or `up`) can make it.
  std::string folder = sqlite_folder(path);
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return failed(Status::Database(fmt::format("the folder {} does not exist", folder)));
  }
  if (access(folder.c_str(), W_OK | X_OK) != 0) {
    return failed(Status::Database(fmt::format("the folder {} is not writable", folder)));
  }
  return ready(false);
}

// The error on one line, without the "cannot connect to <url>: " the progress line already says.
std::string one_line(const Status& st, const std::string& redacted) {
  std::string msg = st.message();
  std::string prefix = "cannot connect to " + redacted + ": ";
  if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
  std::string out;
  for (char c : msg) {
    if (c == '\n' || c == '\t' || c == '\r') {
      // libpq's "…: Connection refused\n\tIs the server running …?" reads as two sentences.
      if (c == '\n' && !out.empty() && std::string_view(".;:?!").find(out.back()) == out.npos)
        out += ';';
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

Result<DatabaseReport> wait_for_database(const EngineOptions& options, const WaitOptions& how) {
  if (how.timeout_ms < 0 || how.retry_ms < 1) {
    return Status::InvalidInput("the wait's timeout must be >= 0 and its retry pause positive");
  }
  TANDEM_ASSIGN_OR_RETURN(AdminTarget target, admin_target(options, "wait", false));
  Env& env = options.env ? *options.env : *Env::Default();
  auto start = env.now();
  auto deadline = start + milliseconds(how.timeout_ms);
  auto logged = start;
  DatabaseReport report = target.report();
  for (int attempt = 1;; ++attempt) {
    Probe p = target.pg() ? probe_postgres(options, target, env, deadline)
                          : probe_sqlite(options, target);
    auto now = env.now();
    report.attempts = attempt;
    report.elapsed_ms = std::chrono::duration_cast<milliseconds>(now - start).count();
    if (p.ready) {
      report.outcome = "ready";
      report.exists = p.exists;
      return report;
    }
    if (p.lasting) return p.error;
    if (now >= deadline) {
      return Status::Database(
          fmt::format("gave up waiting for {} after {:.1f}s ({} attempt(s)); last error: {}",
                      target.redacted, static_cast<double>(report.elapsed_ms) / 1000, attempt,
                      one_line(p.error, target.redacted)),
          p.error.sqlstate(),
          target.pg() ? "check that the server is running and reachable from here, and the host, "
                        "port and user in --db; --timeout waits longer"
                      : "check the path in --db; --timeout waits longer");
    }
    if (options.log && (attempt == 1 || now - logged >= milliseconds(1000))) {
      logged = now;
      options.log(fmt::format("waiting for {}… (attempt {}, last error: {})", target.redacted,
                              attempt, one_line(p.error, target.redacted)));
    }
    // Rounded up: a remainder under 1 ms cast down to 0 would retry in a busy loop.
    env.sleep_for(
        std::min(milliseconds(how.retry_ms), std::chrono::ceil<milliseconds>(deadline - now)));
  }
}

}  // namespace tandem::engine
