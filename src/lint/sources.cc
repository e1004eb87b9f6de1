// What `tandem lint PATH…` reads: migrations folders, migration files, plain SQL files.

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/limits.h"
#include "tandem/engine.h"
#include "tandem/lint.h"
#include "tandem/migration.h"

namespace tandem::lint {
namespace {

namespace fs = std::filesystem;

// The sources of one migration of a folder, as `tandem lint DIR` reads it, named `file`:
// nothing for an SQL file without an up section.
void add_migration(const Migration& m, const std::string& file, bool context,
                   std::vector<Source>& out) {
  if (m.body) {
    // Another format (declarative): the SQL the file holds as written; `--plan` or
    // `tandem start` adds what tandem generates for it.
    bool first = true;
    for (const WrittenSql& w : m.body->written_sql(m)) {
      Source src{file, w.sql, w.first_line, w.transaction};
      src.generated_by = w.held_by;
      src.continues = !first;
      src.old_version_gone = w.old_version_gone;
      src.context = context;
      out.push_back(std::move(src));
      first = false;
    }
    return;
  }
  if (!m.up.present) return;
  Source src{file, m.up.sql, m.up.first_line, !m.no_transaction};
  src.context = context;
  out.push_back(std::move(src));
}

Result<std::vector<Source>> folder(const std::string& dir, const Formats& formats,
                                   const InputLimits& limits) {
  MigrationSet set = load_migrations(dir, formats, limits);
  if (!set.problems.empty()) {
    return Status::InvalidInput(format_problems(set.problems),
                                "fix the folder first (`tandem validate` lists every problem)")
        .with_problems(set.problems);
  }
  std::vector<Source> out;
  for (const Migration& m : set.migrations) add_migration(m, m.path, false, out);
  return out;
}

// A file named on the command line, read alone: a migration (tandem/dbmate markers: its up
// section) or plain SQL.
Result<Source> file_alone(const std::string& p, const InputLimits& limits) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return Status::InvalidInput(fmt::format("cannot read {}", p),
                                "give .sql files or migrations folders");
  }
  std::error_code ec;
  if (auto size = fs::file_size(p, ec); !ec && static_cast<long long>(size) > limits.max_file_bytes)
    return Status::InvalidInput(
        format_problems({file_too_large(p, static_cast<long long>(size), limits.max_file_bytes)}));
  std::stringstream text;
  text << in.rdbuf();
  std::string content = text.str();
  if (content.find("tandem:up") != std::string::npos ||
      content.find("migrate:up") != std::string::npos) {
    std::vector<Problem> problems;
    fs::path path(p);
    Migration m =
        parse_migration(path.parent_path().string(), path.filename().string(), content, problems);
    if (m.up.present) return Source{p, m.up.sql, m.up.first_line, !m.no_transaction};
  }
  return Source{p, content, 1, true};
}

// One path as the same file however it is written ("m/0002.sql", "./m/0002.sql").
std::string identity(const std::string& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

}  // namespace

Result<std::vector<Source>> sources(const std::vector<std::string>& paths, const std::string& dir,
                                    const Formats& formats, const InputLimits& limits) {
  if (paths.empty()) return folder(dir, formats, limits);
  // The files named, so that one named after a later migration of its folder is still reported
  // (it is read in version order, where that later migration's context reaches it).
  std::map<std::string, std::string> named;  // identity → the path as written
  for (const std::string& p : paths) named.emplace(identity(p), p);
  std::map<std::string, MigrationSet> folders;  // the folders of the files named, read once
  std::set<std::string> read;                   // files already in `out`
  std::vector<Source> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      TANDEM_ASSIGN_OR_RETURN(std::vector<Source> more, folder(p, formats, limits));
      out.insert(out.end(), more.begin(), more.end());
      continue;
    }
    if (read.count(identity(p))) continue;
    // A migration of a migrations folder comes after the folder's earlier migrations, read for
    // the tables and columns they create exactly as `tandem lint DIR` reads them, but not
    // reported. Problems of other files in the folder are `tandem validate`'s to report; the
    // migrations that read cleanly still give their context.
    fs::path path(p);
    std::string parent = path.parent_path().empty() ? "." : path.parent_path().string();
    auto set = folders.find(parent);
    if (set == folders.end())
      set = folders.emplace(parent, load_migrations(parent, formats, limits)).first;
    const Migration* self = nullptr;
    for (const Migration& m : set->second.migrations)
      if (m.file == path.filename().string() && identity(m.path) == identity(p)) self = &m;
    if (self != nullptr) {
      for (const Migration& m : set->second.migrations) {
        if (compare_versions(m.version, self->version) >= 0) break;
        std::string id = identity(m.path);
        if (!read.insert(id).second) continue;
        auto as_named = named.find(id);
        size_t before = out.size();
        if (as_named == named.end()) {
          add_migration(m, m.path, true, out);
        } else {
          add_migration(m, as_named->second, false, out);
          if (out.size() == before) read.erase(id);  // no up section: read alone, below
        }
      }
      size_t before = out.size();
      add_migration(*self, p, false, out);
      if (out.size() > before) {
        read.insert(identity(p));
        continue;
      }
    }
    TANDEM_ASSIGN_OR_RETURN(Source alone, file_alone(p, limits));
    read.insert(identity(p));
    out.push_back(std::move(alone));
  }
  return out;
}

}  // namespace tandem::lint
