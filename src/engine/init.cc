// init: the migrations folder and the history tables.

#include <fmt/format.h>

#include <filesystem>

#include "engine/engine.h"
#include "engine/session.h"
#include "tandem/engine.h"

namespace tandem::engine {

Status init(const EngineOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return Status::InvalidInput(fmt::format("cannot create {}: {}", options.dir, ec.message()),
                                "pass --dir with a writable folder");
  }
  TANDEM_ASSIGN_OR_RETURN(auto s, Session::open(options, Hooks{}, "init", /*take_lock=*/true));
  if (s->pg()) return s->ensure_state();  // the migration lock guards it
  // SQLite: under the write lock, so two processes do not both create the tables.
  TANDEM_ASSIGN_OR_RETURN(db::Transaction tx, db::Transaction::begin(*s->conn, "BEGIN IMMEDIATE"));
  TANDEM_RETURN_IF_ERROR(s->ensure_state());
  return tx.commit();
}

}  // namespace tandem::engine
