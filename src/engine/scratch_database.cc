// The scratch database `tandem drift` replays the migrations into.

#include "engine/scratch_database.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <filesystem>
#include <random>

#include "engine/database_admin.h"

namespace tandem::engine {

std::string url_with_database(const std::string& url, const std::string& name) {
  bool uri = url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
  if (!uri) return url + " dbname='" + name + "'";  // `name` is [a-z0-9_]: nothing to escape
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "dbname=" + name;
}

Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::create(const EngineOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(AdminTarget target, admin_target(options, "drift", false));
  std::unique_ptr<ScratchDatabase> s(new ScratchDatabase());
  s->options_ = options;
  s->pg_ = target.pg();
  if (!s->pg_) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tandem-drift-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      return Status::Database(fmt::format("cannot create a temporary folder for the scratch "
                                          "database ({})",
                                          pattern),
                              "", "check that TMPDIR is writable");
    }
    s->folder_ = pattern;
    s->name_ = pattern + "/scratch.db";
    s->url_ = "sqlite:" + s->name_;
    return s;
  }
  // Random, so that two drifts on one server never share a scratch database; the prefix shows
  // what a database left by a killed drift is (DROP DATABASE it).
  std::random_device rd;
  s->name_ = fmt::format("tandem_drift_{:08x}{:08x}", rd(), rd());
  TANDEM_ASSIGN_OR_RETURN(auto admin,
                          connect_maintenance(target, "drift", options.connect_timeout_s));
  Status st = admin->execute("CREATE DATABASE " + db::quote_ident(s->name_));
  if (st.sqlstate() == "42501") {
    return st.with_hint(
        "`tandem drift` replays the migrations into a scratch database on the same server: "
        "the user in --db needs the CREATEDB privilege (ALTER ROLE … CREATEDB)");
  }
  if (!st.ok()) {
    return st.with_context(fmt::format("cannot create the scratch database \"{}\": ", s->name_));
  }
  s->url_ = url_with_database(options.db_url, s->name_);
  return s;
}

Status ScratchDatabase::drop() {
  if (dropped_) return Status::Ok();
  if (!pg_) {
    std::error_code ec;
    std::filesystem::remove_all(folder_, ec);
    if (ec) {
      return Status::Database(fmt::format("cannot remove {}: {}", folder_, ec.message()), "",
                              "remove it yourself");
    }
    dropped_ = true;
    return Status::Ok();
  }
  TANDEM_ASSIGN_OR_RETURN(AdminTarget target, admin_target(options_, "drift", false));
  TANDEM_ASSIGN_OR_RETURN(auto admin,
                          connect_maintenance(target, "drift", options_.connect_timeout_s));
  // FORCE: a connection the replay left open (a backfill's, a lock's) must not keep it alive.
  Status st = admin->execute("DROP DATABASE IF EXISTS " + db::quote_ident(name_) +
                             (admin->server_version() >= 130000 ? " WITH (FORCE)" : ""));
  if (!st.ok()) {
    return st.with_context(fmt::format("cannot drop the scratch database \"{}\": ", name_))
        .with_hint(fmt::format("drop it yourself: DROP DATABASE \"{}\"", name_));
  }
  dropped_ = true;
  return Status::Ok();
}

ScratchDatabase::~ScratchDatabase() {
  Status st = drop();
  if (!st.ok() && options_.log) options_.log("warning: " + st.message() + " — " + st.hint());
}

}  // namespace tandem::engine
