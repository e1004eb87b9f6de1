// Reading a migrations folder and parsing `-- tandem:up` / `-- tandem:down` files.

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <system_error>
#include <thread>

#include "db/postgres/parse_tree.h"
#include "db/utf8.h"
#include "engine/file_stat.h"
#include "engine/limits.h"
#include "tandem/migration.h"

namespace tandem {
namespace fs = std::filesystem;
namespace {

enum class ReadResult { kOk, kUnreadable, kTooLarge };

// Reads the file at `path` into `out`, unless it holds more than `max_bytes`: its size comes
// from fstat before anything is read (a 50 MB file is refused in microseconds), and no more
// than max_bytes + 1 bytes are ever read (a file growing meanwhile is caught too). `size`: the
// file's size as far as known.
ReadResult read_file(const std::string& path, long long max_bytes, std::string& out,
                     long long& size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ReadResult::kUnreadable;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return ReadResult::kUnreadable;
  }
  size = static_cast<long long>(st.st_size);
  if (size > max_bytes) {
    ::close(fd);
    return ReadResult::kTooLarge;
  }
  size_t cap = static_cast<size_t>(max_bytes) + 1;
  out.resize(std::min(cap, std::max<size_t>(static_cast<size_t>(size) + 1, 4096)));
  size_t used = 0;
  ssize_t n;
  while ((n = ::read(fd, out.data() + used, out.size() - used)) > 0) {
    used += static_cast<size_t>(n);
    if (used == out.size()) {
      if (used >= cap) break;
      out.resize(std::min(cap, out.size() * 2));
    }
  }
  ::close(fd);
  out.resize(used);
  if (used > static_cast<size_t>(max_bytes)) {
    size = static_cast<long long>(used);
    return ReadResult::kTooLarge;
  }
  return n == 0 ? ReadResult::kOk : ReadResult::kUnreadable;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// True when the text holds anything but whitespace and `--` comments.
bool has_code(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = trim(text.substr(pos, eol - pos));
    if (!line.empty() && line.substr(0, 2) != "--") return true;
    pos = eol + 1;
  }
  return false;
}

// A directive line: `-- tandem:up`, `-- migrate:down transaction:false`, `--
// tandem:no-transaction`. A line that is almost one (`-- tandem: down`, `-- Tandem:up`,
// `-- migrate:donw`, `-- migrate: down`) is `malformed`: read as a comment, the down section's
// statements would run as part of up.
struct Directive {
  std::string prefix;  // "tandem" or "migrate" (dbmate's)
  std::string word;    // "up", "down", "no-transaction", or an unknown word
  std::string rest;
  bool malformed = false;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_directive(std::string_view line, Directive& d) {
  line = trim(line);
  if (line.substr(0, 2) != "--") return false;
  line.remove_prefix(2);
  line = trim(line);
  for (std::string_view prefix : {"tandem", "migrate"}) {
    if (lower(line.substr(0, prefix.size())) != prefix) continue;
    std::string_view after = line.substr(prefix.size());
    std::string_view colon = trim(after);
    if (colon.empty() || colon.front() != ':') continue;
    bool exact = line.substr(0, prefix.size()) == prefix && after.front() == ':';
    colon.remove_prefix(1);
    exact = exact && !colon.empty() && colon.front() != ' ' && colon.front() != '\t';
    colon = trim(colon);
    size_t end = 0;
    while (end < colon.size() && colon[end] != ' ' && colon[end] != '\t') ++end;
    d.prefix = std::string(prefix);
    d.word = std::string(colon.substr(0, end));
    d.rest = std::string(trim(colon.substr(end)));
    std::string word = lower(d.word);
    if (prefix == "migrate") {
      // dbmate's markers are only up/down: `-- migrate:donw` is a typo of one, but prose such
      // as `-- Migrate: the old rows` is a comment.
      bool marker_word = word == "up" || word == "down";
      if (!(marker_word || (exact && !d.word.empty()))) return false;
    }
    d.malformed = !exact || d.word != word;
    return !d.word.empty();
  }
  return false;
}

std::string join(const std::string& dir, const std::string& file) {
  return dir.empty() || dir.back() == '/' ? dir + file : dir + "/" + file;
}

// "<digits>_<name><ext>" with a non-empty name.
bool versioned(std::string_view file, std::string_view ext) {
  if (file.size() <= ext.size() || file.substr(file.size() - ext.size()) != ext) return false;
  size_t digits = 0;
  while (digits < file.size() && file[digits] >= '0' && file[digits] <= '9') ++digits;
  return digits > 0 && digits < file.size() && file[digits] == '_' &&
         digits + 1 < file.size() - ext.size();
}

}  // namespace

std::string canonical_version(std::string_view digits) {
  size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

int compare_versions(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

Migration parse_migration(const std::string& dir, const std::string& file, std::string_view content,
                          std::vector<Problem>& problems) {
  Migration m;
  m.file = file;
  m.path = join(dir, file);
  size_t us = file.find('_');
  m.version = canonical_version(std::string_view(file).substr(0, us));
  m.name = file.substr(us + 1, file.size() - us - 1 - 4);  // strip ".sql"
  m.checksum = checksum(content);
  // A UTF-8 byte order mark (editors on Windows write one) is not SQL before the marker.
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);

  auto problem = [&](std::string kind, int line, std::string msg, std::string hint) {
    problems.push_back({std::move(kind), m.path, line, 0, std::move(msg), std::move(hint)});
  };

  Section* current = nullptr;
  size_t section_start = 0;
  size_t outside_from = 0;  // where the text so far is known to be outside any literal
  auto close_section = [&](size_t end) {
    if (current) current->sql = std::string(content.substr(section_start, end - section_start));
  };
  size_t pos = 0;
  int line_no = 0;
  bool saw_code_before_marker = false;
  while (pos < content.size()) {
    ++line_no;
    size_t eol = content.find('\n', pos);
    size_t next = eol == std::string_view::npos ? content.size() : eol + 1;
    std::string_view line = content.substr(pos, next - pos);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    Directive d;
    // A marker line inside a multi-line string, dollar quote or block comment is part of it:
    // `SELECT '\n-- tandem:no-transaction\n'` must not change how the migration runs.
    // Scanned from the last marker-like line found outside any literal, where the lexer is
    // back in its initial state, not from the section's start: a file with a `-- tandem:ignore`
    // line per statement would otherwise be read again for every one of them.
    bool directive = parse_directive(line, d);
    bool in_literal = false;
    if (directive && current != nullptr) {
      in_literal = db::pg::ends_inside_literal(content.substr(outside_from, pos - outside_from));
      if (!in_literal) outside_from = pos;
    }
    if (directive && !in_literal) {
      if (d.malformed || (d.prefix == "migrate" && d.word != "up" && d.word != "down")) {
        std::string word = lower(d.word);
        bool known = word == "up" || word == "down" ||
                     (d.prefix == "tandem" && (word == "no-transaction" || word == "ignore"));
        problem("unknown_directive", line_no,
                fmt::format("`{}` is not a marker tandem reads", trim(line)),
                known ? fmt::format("write it exactly `-- {}:{}` (lower case, no space around the "
                                    "colon); as a comment, what follows would run in another "
                                    "section",
                                    d.prefix, word)
                : d.prefix == "migrate"
                    ? "dbmate's markers are `-- migrate:up` and `-- migrate:down`"
                    : "use -- tandem:up, -- tandem:down, -- tandem:no-transaction or -- "
                      "tandem:ignore RULE");
      } else if (d.word == "up" || d.word == "down") {
        Section& target = d.word == "up" ? m.up : m.down;
        if (target.present) {
          problem("duplicate_section", line_no, fmt::format("second `-- tandem:{}` marker", d.word),
                  fmt::format("keep one `-- tandem:{}` section per file", d.word));
        }
        close_section(pos);
        target.present = true;
        target.first_line = line_no + 1;
        current = &target;
        section_start = next;
        outside_from = next;
        if (d.rest.find("transaction:false") != std::string::npos) {
          m.no_transaction = true;
          m.no_transaction_line = line_no;
        }
      } else if (d.word == "no-transaction") {
        m.no_transaction = true;
        m.no_transaction_line = line_no;
      } else if (d.word == "ignore") {
        // `-- tandem:ignore RULE…`: for `tandem lint`, which reads it from the statement's text.
      } else {
        problem(
            "unknown_directive", line_no, fmt::format("unknown directive `-- tandem:{}`", d.word),
            "use -- tandem:up, -- tandem:down, -- tandem:no-transaction or -- tandem:ignore RULE");
      }
    } else if (current == nullptr && !saw_code_before_marker && has_code(line)) {
      saw_code_before_marker = true;
      problem("code_before_up", line_no, "SQL before the `-- tandem:up` marker would never run",
              "move it below `-- tandem:up` (or into `-- tandem:down`)");
    }
    pos = next;
  }
  close_section(content.size());
  if (!m.up.present) {
    problem("missing_up", 1, "no `-- tandem:up` section",
            "add a line `-- tandem:up` above the statements that apply the change "
            "(and `-- tandem:down` above those that revert it)");
  } else if (!has_code(m.up.sql)) {
    problem("empty_up", m.up.first_line - 1, "the `-- tandem:up` section has no statements",
            "write the statements of the change below `-- tandem:up`, or delete the file");
  }
  return m;
}

// A migration of a registered format: name, version and checksum as for SQL files, the rest
// from the format.
static Migration parse_other(const MigrationFormat& format, const std::string& dir,
                             const std::string& file, size_t ext_len, const std::string& content,
                             std::vector<Problem>& problems) {
  Migration m;
  m.file = file;
  m.path = join(dir, file);
  size_t us = file.find('_');
  m.version = canonical_version(std::string_view(file).substr(0, us));
  m.name = file.substr(us + 1, file.size() - us - 1 - ext_len);
  m.checksum = checksum(content);
  format.parse(m, content, problems);
  return m;
}

// Reports where `content` stops being UTF-8, if it does; true when it did.
static bool utf8_problem(const std::string& path, const std::string& content,
                         std::vector<Problem>& problems) {
  size_t bad = 0;
  bool valid = utf8::valid(content, &bad);
  // A NUL is valid UTF-8, but libpq and PostgreSQL end a statement there: the rest of it would
  // be dropped silently.
  size_t nul = content.find('\0');
  if (valid && nul == std::string::npos) return false;
  bool is_nul = valid || (nul != std::string::npos && nul < bad);
  if (is_nul) bad = nul;
  int line = 1, column = 1;
  for (size_t i = 0; i < bad; ++i) {
    if (content[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(content[i]) & 0xc0) != 0x80) {
      ++column;
    }
  }
  if (is_nul) {
    problems.push_back({"nul_byte", path, line, column,
                        "the file holds a NUL byte, where PostgreSQL would stop reading the "
                        "statement (the rest would be lost)",
                        "remove it (a binary file saved under a .sql name?)"});
    return true;
  }
  problems.push_back(
      {"not_utf8", path, line, column,
       fmt::format("the file is not valid UTF-8 (byte 0x{:02X})",
                   static_cast<unsigned char>(content[bad])),
       "save it as UTF-8; PostgreSQL refuses other bytes in a UTF8 database and so does tandem"});
  return true;
}

// Reads files[begin, end) into `out`; with `cache`, a file whose stat (`stats[i]`) the cache
// knows is taken from it instead of being read.
static void read_files(const std::string& dir, const std::vector<std::string>& files, size_t begin,
                       size_t end, const Formats& formats, const InputLimits& limits,
                       MigrationSet& out, const std::vector<FileStat>* stats = nullptr,
                       const ChecksumCache* cache = nullptr) {
  out.migrations.reserve(end - begin);
  std::string content;
  // True when the file is in `content`; a problem of `path` otherwise.
  auto read = [&](const std::string& path) {
    long long size = 0;
    switch (read_file(path, limits.max_file_bytes, content, size)) {
      case ReadResult::kOk:
        return !utf8_problem(path, content, out.problems);
      case ReadResult::kTooLarge:
        out.problems.push_back(file_too_large(path, size, limits.max_file_bytes));
        return false;
      case ReadResult::kUnreadable:
        break;
    }
    out.problems.push_back(
        {"unreadable_file", path, 0, 0, "cannot read file", "check its permissions"});
    return false;
  };
  auto from_cache = [&](size_t i, const std::string& path, size_t ext_len) {
    if (cache == nullptr) return false;
    const std::string& file = files[i];
    size_t us = file.find('_');
    std::string version = canonical_version(std::string_view(file).substr(0, us));
    std::string_view name = std::string_view(file).substr(us + 1, file.size() - us - 1 - ext_len);
    const std::string* sum = cache->find(version, name, (*stats)[i]);
    if (sum == nullptr) return false;
    Migration& m = out.migrations.emplace_back();
    m.version = std::move(version);
    m.name = std::string(name);
    m.file = file;
    m.path = path;
    m.checksum = *sum;
    return true;
  };
  for (size_t i = begin; i < end; ++i) {
    const std::string& file = files[i];
    std::string path = join(dir, file);
    // Names and contents are text: a byte that is not UTF-8 is reported, never passed on (it
    // reaches PostgreSQL, JSON output and messages).
    if (!utf8::valid(file)) {
      out.problems.push_back({"bad_name", utf8::sanitize(path), 0, 0,
                              "the file name is not valid UTF-8",
                              "rename it (letters, digits and underscores are safest)"});
      continue;
    }
    bool is_sql = file.size() > 4 && file.compare(file.size() - 4, 4, ".sql") == 0;
    bool other = false;
    for (const auto& format : formats) {
      for (const std::string& ext : format->extensions()) {
        if (other || !file.ends_with(ext)) continue;
        if (!versioned(file, ext)) {
          // Reported like a .sql file without a version: a migration that would never run.
          other = true;
          out.problems.push_back(
              {"bad_name", path, 0, 0, "file name does not start with a version and an underscore",
               fmt::format("rename it to <version>_<name>{}, e.g. 0002_add_email{}", ext, ext)});
          continue;
        }
        other = true;
        if (!from_cache(i, path, ext.size()) && read(path)) {
          out.migrations.push_back(
              parse_other(*format, dir, file, ext.size(), content, out.problems));
        }
      }
    }
    if (other) continue;
    if (!is_sql) continue;  // README.md, .gitkeep, … are not migrations
    if (!versioned(file, ".sql")) {
      out.problems.push_back(
          {"bad_name", path, 0, 0, "file name does not start with a version and an underscore",
           "rename it to <version>_<name>.sql, e.g. 20261122093000_add_users.sql "
           "or 0001_add_users.sql"});
      continue;
    }
    if (file.size() > 7 && (file.ends_with(".up.sql") || file.ends_with(".down.sql"))) {
      out.problems.push_back(
          {"split_file", path, 0, 0,
           "separate .up.sql/.down.sql files (golang-migrate style) are not read",
           "merge both into one <version>_<name>.sql with `-- tandem:up` and "
           "`-- tandem:down` sections"});
      continue;
    }
    if (from_cache(i, path, 4) || !read(path)) continue;
    out.migrations.push_back(parse_migration(dir, file, content, out.problems));
  }
}

// A name a migration could have: it ends in .sql or an extension of one of `formats`.
static bool migration_like(std::string_view name, const Formats& formats) {
  if (name.ends_with(".sql")) return true;
  for (const auto& format : formats)
    for (const std::string& ext : format->extensions())
      if (name.ends_with(ext)) return true;
  return false;
}

// load_migrations with an optional checksum cache (status): the folder is listed and every
// file stat'd before the cache is waited for.
static MigrationSet load(const std::string& dir, const Formats& formats, const InputLimits& limits,
                         const std::shared_future<ChecksumCache>* cached) {
  MigrationSet set;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    // Only a folder that is really not there is for `tandem init`; a symlink loop, a dangling
    // link, a file or a folder we may not enter says what it is.
    std::error_code lec;
    fs::file_status link = fs::symlink_status(dir, lec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      set.problems.push_back({"unreadable_dir", dir, 0, 0,
                              "cannot open the migrations folder: " + ec.message(),
                              std::string(ec == std::errc::too_many_symbolic_link_levels
                                              ? "the path is a symlink loop: point --dir at the "
                                                "real folder"
                                              : "check the path and its permissions")});
    } else if (!lec && fs::is_symlink(link)) {
      std::error_code rec;
      set.problems.push_back({"missing_dir", dir, 0, 0,
                              "the migrations folder is a symlink to " +
                                  fs::read_symlink(dir, rec).string() + ", which does not exist",
                              "fix the link, or pass --dir PATH"});
    } else if (!lec && fs::exists(link)) {
      set.problems.push_back({"unreadable_dir", dir, 0, 0,
                              "the migrations folder is not a folder (it is a file)",
                              "pass --dir with the folder holding the migrations"});
    } else {
      set.problems.push_back({"missing_dir", dir, 0, 0, "migrations folder does not exist",
                              "create it with `tandem init`, or pass --dir PATH"});
    }
    return set;
  }
  // readdir rather than std::filesystem::directory_iterator: a third of its cost over 10,000
  // entries, and the entry's type comes with it (a symlink is followed, as before).
  std::vector<std::string> files;
  DIR* listing = ::opendir(dir.c_str());
  int list_error = listing ? 0 : errno;
  while (listing) {
    errno = 0;
    const dirent* entry = ::readdir(listing);
    if (entry == nullptr) {
      list_error = errno;
      break;
    }
    if (entry->d_name[0] == '.' || entry->d_name[0] == '\0') continue;
    bool regular = entry->d_type == DT_REG;
    std::string odd;  // why an entry named like a migration is not one
    if (entry->d_type == DT_LNK || entry->d_type == DT_UNKNOWN || entry->d_type == DT_DIR) {
      struct stat st;
      int rc = ::stat(join(dir, entry->d_name).c_str(), &st);
      regular = rc == 0 && S_ISREG(st.st_mode);
      if (rc != 0) {
        odd = errno == ELOOP    ? "is a symlink loop"
              : errno == ENOENT ? "is a symlink to a file that does not exist"
                                : "cannot be opened: " + std::system_category().message(errno);
      } else if (S_ISDIR(st.st_mode)) {
        odd = "is a folder, not a migration file";
      } else if (!regular) {
        odd = "is not a regular file";
      }
    }
    if (regular) {
      files.emplace_back(entry->d_name);
    } else if (!odd.empty() && migration_like(entry->d_name, formats)) {
      set.problems.push_back({"unreadable_file", join(dir, entry->d_name), 0, 0,
                              fmt::format("{} {}", entry->d_name, odd),
                              "fix or remove it: a migration that cannot be read never runs"});
    }
  }
  if (listing) ::closedir(listing);
  if (list_error != 0) {
    set.problems.push_back({"unreadable_dir", dir, 0, 0,
                            "cannot list folder: " + std::system_category().message(list_error),
                            "check the folder's permissions (ls -ld " + dir + ")"});
  }
  std::sort(files.begin(), files.end());
  std::vector<FileStat> stats;
  const ChecksumCache* cache = nullptr;
  if (cached) {
    stats.reserve(files.size());
    for (const std::string& file : files) stats.push_back(stat_file(join(dir, file)));
    cache = &cached->get();
  }
  // Reading and hashing is independent per file: split it across two threads for big folders
  // (`status` over 10,000 files is the target), keeping the sorted order when merging.
  size_t half = files.size() >= 512 ? files.size() / 2 : files.size();
  MigrationSet second;
  std::thread worker;
  if (half < files.size()) {
    worker = std::thread([&] {
      read_files(dir, files, half, files.size(), formats, limits, second, &stats, cache);
    });
  }
  read_files(dir, files, 0, half, formats, limits, set, &stats, cache);
  if (worker.joinable()) {
    worker.join();
    set.migrations.reserve(set.migrations.size() + second.migrations.size());
    std::move(second.migrations.begin(), second.migrations.end(),
              std::back_inserter(set.migrations));
    std::move(second.problems.begin(), second.problems.end(), std::back_inserter(set.problems));
  }
  auto by_version = [](const Migration& a, const Migration& b) {
    return compare_versions(a.version, b.version) < 0;
  };
  // Zero-padded names are already in version order; only unpadded ones ("2_", "10_") need sorting.
  if (!std::is_sorted(set.migrations.begin(), set.migrations.end(), by_version)) {
    std::stable_sort(set.migrations.begin(), set.migrations.end(), by_version);
  }
  for (size_t i = 1; i < set.migrations.size(); ++i) {
    const Migration& a = set.migrations[i - 1];
    const Migration& b = set.migrations[i];
    if (a.version == b.version) {
      set.problems.push_back(
          {"duplicate_version", b.path, 0, 0,
           fmt::format("version {} is also used by {}", b.version, a.file),
           "give one of them a new version number (tandem new NAME picks a free one)"});
    }
  }
  return set;
}

MigrationSet load_migrations(const std::string& dir, const Formats& formats,
                             const InputLimits& limits) {
  return load(dir, formats, limits, nullptr);
}

MigrationSet load_migrations_cached(const std::string& dir, const Formats& formats,
                                    const std::shared_future<ChecksumCache>& cache,
                                    const InputLimits& limits) {
  return load(dir, formats, limits, &cache);
}

}  // namespace tandem
