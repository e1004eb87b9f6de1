// What `tandem lint PATH…` reads: migrations folders, migration files, plain SQL files.

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tandem/engine.h"
#include "tandem/lint.h"
#include "tandem/migration.h"

namespace tandem::lint {
namespace {

namespace fs = std::filesystem;

Result<std::vector<Source>> folder(const std::string& dir, const Formats& formats) {
  MigrationSet set = load_migrations(dir, formats);
  if (!set.problems.empty()) {
    return Status::InvalidInput(format_problems(set.problems),
                                "fix the folder first (`tandem validate` lists every problem)");
  }
  std::vector<Source> out;
  for (const Migration& m : set.migrations) {
    if (m.body) {
      // Another format (declarative): the SQL the file holds as written; `--plan` or
      // `tandem start` adds what tandem generates for it.
      bool first = true;
      for (const WrittenSql& w : m.body->written_sql(m)) {
        Source src{m.path, w.sql, w.first_line, w.transaction};
        src.generated_by = w.held_by;
        src.continues = !first;
        src.old_version_gone = w.old_version_gone;
        out.push_back(std::move(src));
        first = false;
      }
      continue;
    }
    if (!m.up.present) continue;
    out.push_back({m.path, m.up.sql, m.up.first_line, !m.no_transaction});
  }
  return out;
}

}  // namespace

Result<std::vector<Source>> sources(const std::vector<std::string>& paths, const std::string& dir,
                                    const Formats& formats) {
  if (paths.empty()) return folder(dir, formats);
  std::vector<Source> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      TANDEM_ASSIGN_OR_RETURN(std::vector<Source> more, folder(p, formats));
      out.insert(out.end(), more.begin(), more.end());
      continue;
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      return Status::InvalidInput(fmt::format("cannot read {}", p),
                                  "give .sql files or migrations folders");
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string content = text.str();
    if (content.find("tandem:up") != std::string::npos ||
        content.find("migrate:up") != std::string::npos) {
      std::vector<Problem> problems;
      fs::path path(p);
      Migration m =
          parse_migration(path.parent_path().string(), path.filename().string(), content, problems);
      if (m.up.present) {
        out.push_back({p, m.up.sql, m.up.first_line, !m.no_transaction});
        continue;
      }
    }
    out.push_back({p, content, 1, true});
  }
  return out;
}

}  // namespace tandem::lint
