// An application that migrates its own database at startup with tandem as a library: the
// pattern of Flyway's `Flyway.configure()...migrate()` and golang-migrate's `m.Up()`, on the
// same engine as the `tandem` command (the same history, lock, checks and lint gate).
//
//   embed [DB_URL [MIGRATIONS_DIR]]
//   embed sqlite:app.db examples/embed/migrations
//   embed postgres://app@localhost/app examples/embed/migrations
//
// It opens tandem once, prints what is pending, refuses to start when the folder has a
// problem, applies what is pending and prints the current version. Errors are values: every
// call returns a Status or a Result<T>, and nothing here can exit the process but `main`.

#include <cstdio>
#include <string>

#include "tandem/tandem.h"

namespace {

int fail(const char* what, const tandem::Status& st) {
  std::fprintf(stderr, "embed: %s: %s\n", what, st.message().c_str());
  if (!st.hint().empty()) std::fprintf(stderr, "  hint: %s\n", st.hint().c_str());
  return static_cast<int>(st.code());
}

}  // namespace

int main(int argc, char** argv) {
  tandem::Options options;
  options.engine.db_url = argc > 1 ? argv[1] : "sqlite:embed.db";
  options.engine.dir = argc > 2 ? argv[2] : "examples/embed/migrations";
  // Progress lines the engine would print on a terminal; an application sends them to its log.
  options.engine.log = [](const std::string& line) { std::printf("tandem: %s\n", line.c_str()); };
  // Backfills and the lint gate have options of their own.
  options.backfill.max_rows_per_second = 50000;
  options.gate.allow_unsafe = false;

  auto engine = tandem::Engine::open(options);
  if (!engine.ok()) return fail("open", engine.status());

  auto before = (*engine)->status();
  if (!before.ok()) return fail("status", before.status());
  std::printf("database %s (%s): %d applied, %d pending\n", before->database.c_str(),
              before->backend.c_str(), before->applied, before->pending);
  if (!before->problems.empty()) {
    std::fprintf(stderr, "%s", tandem::format_problems(before->problems).c_str());
    return 1;
  }

  auto plan = (*engine)->plan();
  if (!plan.ok()) return fail("plan", plan.status());
  for (const tandem::PlannedMigration& m : *plan)
    std::printf("will apply %s (%zu statements)\n", m.file.c_str(), m.statements.size());

  auto applied = (*engine)->up();
  if (!applied.ok()) return fail("up", applied.status());
  std::printf("applied %zu migrations; current version %s\n", applied->steps.size(),
              applied->current_version.empty() ? "none" : applied->current_version.c_str());
  return 0;
}
