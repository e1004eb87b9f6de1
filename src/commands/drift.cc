// `tandem drift` (tandem/schema.h): the migrations the live history lists as applied are
// replayed with `up` into a scratch database, both schemas are dumped, and every object that
// differs is reported. The live database is only read.

#include <fmt/format.h>
#include <stdlib.h>

#include <filesystem>

#include "commands/guard.h"
#include "engine/scratch_database.h"
#include "tandem/schema.h"
#include "tandem/tandem.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

// A folder under the system's temporary folder, removed with everything in it.
class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "tandem-drift-files-XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Which of the live database's migrations the replay runs, and what it cannot reproduce.
Status choose_files(const StatusReport& live, const DriftOptions& how,
                    std::vector<std::string>& files, std::vector<std::string>& notes) {
  if (!live.history_exists && !how.all) {
    notes.push_back(
        "the live database has no tandem history: nothing was replayed, so every object is "
        "reported as added (pass --all to replay the whole folder, or `tandem baseline` it)");
  }
  for (const MigrationState& m : live.migrations) {
    const std::string shown = m.file.empty() ? m.version + "_" + m.name : m.file;
    const std::string& s = m.state;
    if (s == "applied" || s == "baseline") {
      files.push_back(m.file);
    } else if (s == "changed") {
      files.push_back(m.file);
      notes.push_back(
          fmt::format("{}: edited since it was applied; the replay ran it as it is now", shown));
    } else if (s == "missing") {
      notes.push_back(fmt::format(
          "{}: applied, but its file is gone from the folder; the replay could not run it", shown));
    } else if (s == "failed" || s == "running" || s == "interrupted") {
      notes.push_back(fmt::format(
          "{}: {} in the live history (part of it may have run there); not replayed", shown, s));
    } else if (how.all && !m.file.empty()) {  // pending, out_of_order
      files.push_back(m.file);
    }
  }
  return Status::Ok();
}

Result<DriftReport> drift_in(const Options& options, const DriftOptions& how) {
  const EngineOptions& eo = options.engine;
  DriftReport report;
  report.database = db::redact_url(eo.db_url);
  TANDEM_ASSIGN_OR_RETURN(db::Url url, db::parse_url(eo.db_url));
  bool pg = url.backend == db::Backend::kPostgres;
  report.backend = pg ? "postgres" : "sqlite";
  report.schema = pg ? eo.schema : "";

  TANDEM_ASSIGN_OR_RETURN(StatusReport live, status(eo));
  for (const Problem& p : live.problems) {
    if (p.kind == "unreadable_dir" || p.kind == "missing_dir") {
      return refused({p}, "nothing was compared");
    }
  }
  if (!live.active_migration.empty()) {
    Problem p{"active_migration",
              "",
              0,
              0,
              fmt::format("{} is in the middle of an expand/contract migration ({}): its shadow "
                          "columns, triggers and version schemas ({}, {}) would all look like "
                          "drift",
                          report.database, live.active_migration, live.active_old_schema,
                          live.active_new_schema),
              fmt::format("{}, then run `tandem drift` again; `tandem dump` shows the live "
                          "schema as it is now",
                          live.active_next_step.empty()
                              ? "finish it with `tandem complete`, or undo it with `tandem "
                                "rollback`"
                              : live.active_next_step)};
    return Status::Problem(p.message, p.hint).with_problems({p});
  }
  std::vector<std::string> files;
  TANDEM_RETURN_IF_ERROR(choose_files(live, how, files, report.notes));

  // The live schema first: a --schema that does not exist is bad input, found before a
  // scratch database is made.
  TANDEM_ASSIGN_OR_RETURN(SchemaDump live_dump, dump_schema(eo));

  TempFolder folder;
  if (folder.path().empty()) {
    return Status::Database("cannot create a temporary folder for the migrations to replay", "",
                            "check that TMPDIR is writable");
  }
  for (const std::string& file : files) {
    std::error_code ec;
    fs::copy_file(fs::path(eo.dir) / file, fs::path(folder.path()) / file, ec);
    if (ec) {
      return Status::InvalidInput(
          fmt::format("cannot read {}: {}", (fs::path(eo.dir) / file).string(), ec.message()),
          "check the file's permissions");
    }
    report.replayed.push_back(file);
  }

  TANDEM_ASSIGN_OR_RETURN(auto scratch, engine::ScratchDatabase::create(eo));
  report.scratch = scratch->name();
  Options replay = options;
  replay.engine.db_url = scratch->url();
  replay.engine.dir = folder.path();
  replay.engine.connection = nullptr;
  replay.engine.on_step = nullptr;
  replay.engine.on_statement = nullptr;
  replay.engine.allow_out_of_order = true;
  replay.backfill.on_progress = nullptr;
  // Every file replayed already ran on the live database (or is meant to, with --all): the
  // lint gate is for deciding whether to run them there, not here.
  replay.gate.allow_unsafe = true;
  if (eo.log) {
    replay.engine.log = [&eo](const std::string& line) { eo.log("replay: " + line); };
  }
  if (pg && eo.schema != "public") {
    TANDEM_ASSIGN_OR_RETURN(auto conn, db::connect(scratch->url()));
    TANDEM_RETURN_IF_ERROR(
        conn->execute("CREATE SCHEMA IF NOT EXISTS " + db::quote_ident(eo.schema)));
  }
  if (!files.empty()) {
    auto applied = up(replay, UpOptions{});
    if (!applied.ok()) {
      // The replay ran copies: name the user's files, and never the scratch URL. up's own
      // hint (`tandem up --resume`, `tandem repair`) is about the scratch database: replaced.
      Status st = applied.status();
      std::string message = st.message();
      replace_all(message, folder.path(), eo.dir);
      replace_all(message, db::redact_url(scratch->url()), "the scratch database");
      return Status::Database(
          fmt::format("the migrations do not replay into an empty database: {} (in the scratch "
                      "database \"{}\", dropped again; the live database was not touched)",
                      message, scratch->name()),
          st.sqlstate(),
          "drift compares the live schema with what the migrations make from nothing, so every "
          "applied migration must run on an empty database: create what this one relies on in "
          "an earlier migration, then run `tandem drift` again");
    }
  }
  SchemaDump expected;
  if (!files.empty() || pg) {
    TANDEM_ASSIGN_OR_RETURN(expected, dump_schema(replay.engine));
  }  // else: an SQLite scratch file nothing was replayed into does not exist; it is empty
  TANDEM_RETURN_IF_ERROR(scratch->drop());
  report.differences = diff_schemas(expected, live_dump);
  return report;
}

}  // namespace

Result<DriftReport> drift(const Options& options, const DriftOptions& how) {
  return commands::guarded("drift", [&] { return drift_in(options, how); });
}

}  // namespace tandem
