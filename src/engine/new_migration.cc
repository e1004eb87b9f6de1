// new: a migration file with the next free version, in the folder's own numbering style.

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <limits>

#include "engine/engine.h"
#include "tandem/engine.h"

namespace tandem::engine {
namespace {

// Adds 1 to a decimal string of any length.
std::string increment(std::string v) {
  int i = static_cast<int>(v.size()) - 1;
  while (i >= 0 && v[i] == '9') v[i--] = '0';
  if (i < 0) return "1" + v;
  ++v[i];
  return v;
}

}  // namespace

Result<std::string> new_migration(const EngineOptions& options, const std::string& raw_name,
                                  bool yaml) {
  std::string name;
  for (char c : raw_name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok)
      name += l;
    else if (!name.empty() && name.back() != '_')
      name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  if (name.empty()) {
    return Status::InvalidInput(fmt::format("'{}' is not a usable migration name", raw_name),
                                "use letters and digits, e.g. tandem new add_users_email");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return Status::InvalidInput(fmt::format("cannot create {}: {}", options.dir, ec.message()),
                                "check --dir and the permissions of its parent folder");
  // Every file's version counts, however large: a file over limits.max_file_size is still a
  // version a new file must not take.
  InputLimits any_size;
  any_size.max_file_bytes = std::numeric_limits<long long>::max();
  MigrationSet set = load_migrations(options.dir, {}, any_size);
  std::string newest, newest_digits;
  for (const Migration& m : set.migrations) {
    if (newest.empty() || compare_versions(m.version, newest) > 0) {
      newest = m.version;
      newest_digits = m.file.substr(0, m.file.find('_'));
    }
  }
  std::string digits;
  if (!newest.empty() && newest.size() < 14) {
    // Sequential numbering (0001_, 0002_ …): continue it with the same width.
    digits = increment(newest);
    while (digits.size() < newest_digits.size()) digits = "0" + digits;
  } else {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    digits = buf;
    if (!newest.empty() && compare_versions(canonical_version(digits), newest) <= 0)
      digits = increment(newest);
  }
  std::string path =
      (std::filesystem::path(options.dir) / (digits + "_" + name + (yaml ? ".yaml" : ".sql")))
          .string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::InvalidInput(fmt::format("cannot create {}: {}", path, std::strerror(errno)),
                                "check that the folder is writable (ls -ld " + options.dir + ")");
  std::string text = yaml ? fmt::format(
                                "# {} — operations in pgroll's format; see docs/declarative.md.\n"
                                "operations:\n"
                                "  - add_column:\n"
                                "      table: TABLE\n"
                                "      column: {{ name: COLUMN, type: text, nullable: true }}\n",
                                name)
                          : fmt::format(
                                "-- {} — describe the change here.\n"
                                "-- Statements run in one transaction; CREATE INDEX CONCURRENTLY "
                                "and VACUUM are detected\n"
                                "-- and run outside one, with progress recorded per statement.\n"
                                "-- tandem:up\n\n"
                                "-- tandem:down\n\n",
                                name);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) {
    return Status::InvalidInput(fmt::format("cannot write {}", path),
                                "check the free space and the folder's permissions, remove the "
                                "empty file and run `tandem new` again");
  }
  return path;
}

}  // namespace tandem::engine
